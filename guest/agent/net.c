/* rind guest agent: the container's network inside the VM (create's netif/netaddr/netroute keys).
 * Interfaces are found by MAC and set up with ioctls; addresses and routes go through rtnetlink. */
#include "agent.h"
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* ---- the rtnetlink ABI (linux/netlink.h, rtnetlink.h, if_addr.h): musl ships no kernel headers ---- */

struct nl_hdr { uint32_t len; uint16_t type, flags; uint32_t seq, pid; };
struct nl_err { int32_t error; struct nl_hdr msg; };
struct nl_ifaddr { uint8_t family, prefixlen, flags, scope; uint32_t index; };
struct nl_rtmsg { uint8_t family, dst_len, src_len, tos, table, protocol, scope, type; uint32_t flags; };
struct nl_attr { uint16_t len, type; };
struct nl_sockaddr { sa_family_t family; unsigned short pad; uint32_t pid, groups; };

enum {
	NLM_F_REQUEST = 1, NLM_F_ACK = 4, NLM_F_EXCL = 0x200, NLM_F_CREATE = 0x400,
	NLM_F_CAPPED = 0x100, NLM_F_ACK_TLVS = 0x200,   /* flags of an error message */
	NLMSG_ERROR = 2, NETLINK_CAP_ACK = 10, NETLINK_EXT_ACK = 11, NLMSGERR_ATTR_MSG = 1,
	RTM_NEWADDR = 20, RTM_NEWROUTE = 24,
	IFA_ADDRESS = 1, IFA_LOCAL = 2, IFA_BROADCAST = 4, IFA_F_NODAD = 0x02,
	RTA_DST = 1, RTA_OIF = 4, RTA_GATEWAY = 5, RTA_PRIORITY = 6,
	RT_TABLE_MAIN = 254, RTPROT_BOOT = 3, RT_SCOPE_UNIVERSE = 0, RT_SCOPE_LINK = 253, RTN_UNICAST = 1,
};
#define A4(n) (((n) + 3u) & ~3u)

static int nl_fd = -1;
static uint32_t nl_seq;
static union { struct nl_hdr h; unsigned char b[256]; } req;
static union { struct nl_hdr h; unsigned char b[8192]; } ack;

/* Starts a request of `type` whose fixed header (ifaddrmsg, rtmsg) has `hlen` bytes. */
static void *nl_begin(int type, size_t hlen)
{
	memset(&req, 0, sizeof req);
	req.h.type = type;
	req.h.flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
	req.h.len = sizeof req.h + A4(hlen);
	return req.b + sizeof req.h;
}

static void nl_attr(int type, const void *data, size_t len)
{
	struct nl_attr a = { .len = sizeof a + len, .type = type };
	if (req.h.len + A4(a.len) > sizeof req.b) /* sizes here are fixed and small */
		fatal("netlink request too large");
	memcpy(req.b + req.h.len, &a, sizeof a);
	memcpy(req.b + req.h.len + sizeof a, data, len);
	req.h.len += A4(a.len);
}

/* The kernel's explanation in an extended ack, or NULL. */
static const char *ext_ack(const struct nl_hdr *h)
{
	const struct nl_err *e = (const void *)(h + 1);
	if (!(h->flags & NLM_F_ACK_TLVS))
		return NULL;
	size_t off = sizeof *h + sizeof e->error +
		     (h->flags & NLM_F_CAPPED ? sizeof e->msg : A4(e->msg.len));
	while (off + sizeof(struct nl_attr) <= h->len) {
		const struct nl_attr *a = (const void *)((const unsigned char *)h + off);
		if (a->len < sizeof *a || off + a->len > h->len)
			break;
		const char *s = (const char *)(a + 1);
		if (a->type == NLMSGERR_ATTR_MSG && a->len > sizeof *a && !s[a->len - sizeof *a - 1])
			return s;
		off += A4(a->len);
	}
	return NULL;
}

/* Sends req and waits (≤ 2 s) for its ack. EEXIST counts as done: create is retried. */
static int nl_talk(const char *what)
{
	if (nl_fd < 0) {
		int one = 1;
		struct timeval tv = { .tv_sec = 2 };
		nl_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0 /* NETLINK_ROUTE */);
		if (nl_fd < 0)
			return fail("%s: netlink socket: %s", what, strerror(errno));
		/* optional: shorter acks and the kernel's error text */
		setsockopt(nl_fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
		setsockopt(nl_fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
		setsockopt(nl_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	}
	struct nl_sockaddr kernel = { .family = AF_NETLINK };
	req.h.seq = ++nl_seq;
	if (sendto(nl_fd, req.b, req.h.len, 0, (struct sockaddr *)&kernel, sizeof kernel) != (ssize_t)req.h.len)
		return fail("%s: netlink send: %s", what, strerror(errno));
	for (;;) {
		ssize_t n = recv(nl_fd, ack.b, sizeof ack.b, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail("%s: netlink: %s", what, errno == EAGAIN ? "no answer" : strerror(errno));
		for (size_t off = 0; off + sizeof(struct nl_hdr) <= (size_t)n;) {
			const struct nl_hdr *h = (const void *)(ack.b + off);
			if (h->len < sizeof *h || h->len > n - off)
				break;
			if (h->seq == nl_seq && h->type == NLMSG_ERROR) {
				if (h->len < sizeof *h + sizeof(int32_t))
					return fail("%s: short netlink ack", what);
				int err = -((const struct nl_err *)(h + 1))->error;
				if (!err || err == EEXIST)
					return 0;
				const char *why = ext_ack(h);
				return fail("%s: %s%s%s", what, strerror(err), why ? ": " : "", why ? why : "");
			}
			off += A4(h->len);
		}
	}
}

/* ---- parsing ---- */

/* Copies `val` into buf and splits it at \x1f into exactly nf fields. */
static int fields(const char *key, const char *val, char *buf, size_t len, char **f, int nf)
{
	if (strlen(val) >= len)
		return fail("%s too long: %.64s", key, val);
	strcpy(buf, val);
	char *p = buf;
	for (int i = 0; i < nf; i++) {
		f[i] = p;
		p = strchr(p, '\x1f');
		if ((p == NULL) != (i == nf - 1))
			return fail("bad %s: %.64s (want %d fields)", key, val, nf);
		if (p)
			*p++ = 0;
	}
	return 0;
}

struct ip {
	int family, plen;
	unsigned char a[16];
};

/* "addr" or "addr/plen"; a missing prefix length means a host (/32, /128). */
static int parse_ip(const char *s, struct ip *ip, int need_plen)
{
	char b[64];
	long long v;
	if (strlen(s) >= sizeof b)
		return -1;
	strcpy(b, s);
	char *slash = strchr(b, '/');
	if (slash)
		*slash = 0;
	if (inet_pton(AF_INET, b, ip->a) == 1)
		ip->family = AF_INET;
	else if (inet_pton(AF_INET6, b, ip->a) == 1)
		ip->family = AF_INET6;
	else
		return -1;
	int max = ip->family == AF_INET ? 32 : 128;
	if (!slash) {
		ip->plen = max;
		return need_plen ? -1 : 0;
	}
	if (parse_num(slash + 1, 0, max, &v))
		return -1;
	ip->plen = v;
	return 0;
}

static int alen(int family)
{
	return family == AF_INET ? 4 : 16;
}

/* ---- links ---- */

static int ifreq_op(int sk, unsigned long op, struct ifreq *ifr, const char *name)
{
	snprintf(ifr->ifr_name, IFNAMSIZ, "%s", name);
	return ioctl(sk, op, ifr);
}

static int link_updown(int sk, const char *name, int up)
{
	struct ifreq ifr = { 0 };
	if (ifreq_op(sk, SIOCGIFFLAGS, &ifr, name) < 0)
		return -1;
	if (up)
		ifr.ifr_flags |= IFF_UP;
	else
		ifr.ifr_flags &= ~IFF_UP;
	return ifreq_op(sk, SIOCSIFFLAGS, &ifr, name);
}

static int link_rename(int sk, const char *from, const char *to)
{
	struct ifreq ifr = { 0 };
	snprintf(ifr.ifr_newname, IFNAMSIZ, "%s", to);
	return ifreq_op(sk, SIOCSIFNAME, &ifr, from);
}

/* Name of the interface (not lo) whose MAC is `mac`, into name[IFNAMSIZ]. */
static int find_by_mac(const unsigned char mac[6], char *name)
{
	DIR *d = opendir("/sys/class/net");
	struct dirent *e;
	int found = 0;
	while (d && !found && (e = readdir(d))) {
		char path[300], s[32];
		unsigned char m[6];
		if (e->d_name[0] == '.' || !strcmp(e->d_name, "lo") || strlen(e->d_name) >= IFNAMSIZ)
			continue;
		snprintf(path, sizeof path, "/sys/class/net/%s/address", e->d_name);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t n = fd < 0 ? -1 : read(fd, s, sizeof s - 1);
		if (fd >= 0)
			close(fd);
		if (n <= 0)
			continue;
		s[n] = 0;
		if (sscanf(s, "%2hhx:%2hhx:%2hhx:%2hhx:%2hhx:%2hhx", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) == 6 &&
		    !memcmp(m, mac, 6)) {
			strcpy(name, e->d_name);
			found = 1;
		}
	}
	if (d)
		closedir(d);
	return found ? 0 : -1;
}

/* Name of the nth interface (not lo) in ifindex order: a VM cloned from a template sees the
 * template's MACs, so its NICs are matched by position and then given the container's MAC. */
static int find_by_position(int nth, char *name)
{
	struct if_nameindex *all = if_nameindex(), *i;
	int seen = 0, found = -1;
	for (i = all; i && i->if_index && found < 0; i++) {
		if (!strcmp(i->if_name, "lo") || strlen(i->if_name) >= IFNAMSIZ)
			continue;
		if (seen++ == nth) {
			strcpy(name, i->if_name);
			found = 0;
		}
	}
	if (all)
		if_freenameindex(all);
	return found;
}

static int link_set_mac(int sk, const char *name, const unsigned char mac[6])
{
	struct ifreq ifr = { 0 };
	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	memcpy(ifr.ifr_hwaddr.sa_data, mac, 6);
	return ifreq_op(sk, SIOCSIFHWADDR, &ifr, name);
}

/* Does the engine give interface `name` (len l) an IPv6 address? */
static int has_v6_addr(const struct create_req *r, const char *name, size_t l)
{
	for (size_t j = 0; j < r->nnetaddrs; j++)
		if (!strncmp(r->netaddrs[j], name, l) && r->netaddrs[j][l] == '\x1f' && strchr(r->netaddrs[j] + l, ':'))
			return 1;
	return 0;
}

/* An interface the engine gave no IPv6 address stays IPv4-only, as it is on the host: no
 * router solicitations, MLD reports or DAD probes, which a bridge floods to every VM on it
 * (each emulated guest then pays to receive them). */
static void disable_ipv6(const char *name)
{
	char path[96];
	snprintf(path, sizeof path, "/proc/sys/net/ipv6/conf/%s/disable_ipv6", name);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "1", 1) != 1)
			logmsg("disable IPv6 on %s: %s", name, strerror(errno));
		close(fd);
	}
}

/* netif=<name>\x1f<mac>\x1f<mtu>: the nth netif is the nth NIC; down, MAC, renamed, MTU, up. */
static int setup_link(int sk, const char *val, int nth, int v6)
{
	char b[128], *f[3], cur[IFNAMSIZ], tmp[IFNAMSIZ];
	unsigned char mac[6];
	long long mtu;
	int end = 0;
	struct ifreq ifr = { 0 };
	if (fields("netif", val, b, sizeof b, f, 3) < 0)
		return -1;
	const char *name = f[0];
	if (!name[0] || strlen(name) >= IFNAMSIZ || !strcmp(name, "lo"))
		return fail("netif %.64s: bad interface name", name);
	if (sscanf(f[1], "%2hhx:%2hhx:%2hhx:%2hhx:%2hhx:%2hhx%n", &mac[0], &mac[1], &mac[2], &mac[3],
		   &mac[4], &mac[5], &end) != 6 || end != 17 || f[1][17])
		return fail("netif %s: bad MAC %.32s", name, f[1]);
	if (parse_num(f[2], 68, 65535, &mtu))
		return fail("netif %s: bad MTU %.16s", name, f[2]);
	int by_mac = find_by_mac(mac, cur) == 0;
	if (!by_mac && find_by_position(nth, cur) < 0)
		return fail("netif %s: no interface has MAC %s and there is no NIC #%d", name, f[1], nth);
	if (link_updown(sk, cur, 0) < 0)
		return fail("netif %s: set %s down: %s", name, cur, strerror(errno));
	if (!by_mac && link_set_mac(sk, cur, mac) < 0)
		return fail("netif %s: set MAC %s on %s: %s", name, f[1], cur, strerror(errno));
	if (strcmp(cur, name)) {
		if (if_nametoindex(name)) { /* another interface holds the name: move it aside */
			for (int i = 0; i < 100; i++) {
				snprintf(tmp, sizeof tmp, "rindtmp%d", i);
				if (!if_nametoindex(tmp))
					break;
			}
			if (link_updown(sk, name, 0) < 0 || link_rename(sk, name, tmp) < 0)
				return fail("netif %s: rename the other %s to %s: %s", name, name, tmp, strerror(errno));
		}
		if (link_rename(sk, cur, name) < 0)
			return fail("netif %s: rename %s: %s", name, cur, strerror(errno));
	}
	if (!v6)
		disable_ipv6(name);
	ifr.ifr_mtu = mtu;
	if (ifreq_op(sk, SIOCSIFMTU, &ifr, name) < 0)
		return fail("netif %s: MTU %lld: %s", name, mtu, strerror(errno));
	if (link_updown(sk, name, 1) < 0)
		return fail("netif %s: set up: %s", name, strerror(errno));
	return 0;
}

/* ---- addresses and routes ---- */

static int ifindex(const char *key, const char *what, const char *dev)
{
	unsigned idx = dev[0] && strlen(dev) < IFNAMSIZ ? if_nametoindex(dev) : 0;
	if (!idx)
		fail("%s %s: no interface %.32s", key, what, dev);
	return idx ? (int)idx : -1;
}

/* netaddr=<name>\x1f<addr>/<prefixlen> */
static int add_addr(const char *val)
{
	char b[128], *f[2], what[128];
	struct ip ip;
	if (fields("netaddr", val, b, sizeof b, f, 2) < 0)
		return -1;
	snprintf(what, sizeof what, "netaddr %s %s", f[0], f[1]);
	if (parse_ip(f[1], &ip, 1) < 0)
		return fail("%s: bad address", what);
	int idx = ifindex("netaddr", f[1], f[0]);
	if (idx < 0)
		return -1;
	struct nl_ifaddr *m = nl_begin(RTM_NEWADDR, sizeof *m);
	m->family = ip.family;
	m->prefixlen = ip.plen;
	m->flags = ip.family == AF_INET6 ? IFA_F_NODAD : 0; /* usable at once */
	m->scope = RT_SCOPE_UNIVERSE;
	m->index = idx;
	nl_attr(IFA_LOCAL, ip.a, alen(ip.family));
	nl_attr(IFA_ADDRESS, ip.a, alen(ip.family));
	if (ip.family == AF_INET && ip.plen < 31) {
		unsigned char brd[4];
		uint32_t mask = ip.plen ? ~0u << (32 - ip.plen) : 0;
		for (int i = 0; i < 4; i++)
			brd[i] = ip.a[i] | (~mask >> (24 - 8 * i));
		nl_attr(IFA_BROADCAST, brd, 4);
	}
	return nl_talk(what);
}

/* netroute=<dst>\x1f<gateway or empty>\x1f<dev>\x1f<metric> */
static int add_route(const char *val)
{
	char b[192], *f[4], what[192];
	struct ip dst, gw;
	long long metric = 0;
	if (fields("netroute", val, b, sizeof b, f, 4) < 0)
		return -1;
	snprintf(what, sizeof what, "netroute %s via %s dev %s", f[0], f[1][0] ? f[1] : "(link)", f[2]);
	if (f[1][0] && parse_ip(f[1], &gw, 0) < 0)
		return fail("%s: bad gateway", what);
	if (!strcmp(f[0], "default")) {
		memset(&dst, 0, sizeof dst);
		dst.family = f[1][0] ? gw.family : AF_INET;
	} else if (parse_ip(f[0], &dst, 0) < 0) {
		return fail("%s: bad destination", what);
	}
	if (f[1][0] && gw.family != dst.family)
		return fail("%s: destination and gateway families differ", what);
	if (f[3][0] && parse_num(f[3], 0, UINT32_MAX, &metric))
		return fail("%s: bad metric %.16s", what, f[3]);
	int idx = ifindex("netroute", f[0], f[2]);
	if (idx < 0)
		return -1;
	struct nl_rtmsg *m = nl_begin(RTM_NEWROUTE, sizeof *m);
	m->family = dst.family;
	m->dst_len = dst.plen;
	m->table = RT_TABLE_MAIN;
	m->protocol = RTPROT_BOOT;
	m->scope = dst.family == AF_INET && !f[1][0] ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
	m->type = RTN_UNICAST;
	if (dst.plen)
		nl_attr(RTA_DST, dst.a, alen(dst.family));
	if (f[1][0])
		nl_attr(RTA_GATEWAY, gw.a, alen(gw.family));
	uint32_t oif = idx, prio = metric;
	nl_attr(RTA_OIF, &oif, 4);
	if (prio)
		nl_attr(RTA_PRIORITY, &prio, 4);
	return nl_talk(what);
}

int net_setup(const struct create_req *r)
{
	if (!r->nnetifs && !r->nnetaddrs && !r->nnetroutes)
		return 0;
	for (size_t i = 0; i < r->nnetifs; i++)
		for (size_t j = 0; j < i; j++) {
			size_t l = strcspn(r->netifs[i], "\x1f");
			if (l == strcspn(r->netifs[j], "\x1f") && !strncmp(r->netifs[i], r->netifs[j], l))
				return fail("netif %.*s: named twice", (int)l, r->netifs[i]);
		}
	int sk = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sk < 0)
		return fail("network: socket: %s", strerror(errno));
	int rc = 0;
	for (size_t i = 0; !rc && i < r->nnetifs; i++)
		rc = setup_link(sk, r->netifs[i], i, has_v6_addr(r, r->netifs[i], strcspn(r->netifs[i], "\x1f")));
	close(sk);
	for (size_t i = 0; !rc && i < r->nnetaddrs; i++)
		rc = add_addr(r->netaddrs[i]);
	for (size_t i = 0; !rc && i < r->nnetroutes; i++)
		rc = add_route(r->netroutes[i]);
	return rc;
}
