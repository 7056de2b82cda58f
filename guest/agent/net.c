/* rind guest agent: the network create asks for, applied to the VM: NICs by MAC (or position), addresses, routes.
 * Parsing is netparse.c's and the netlink wire netlink.c's; links are set with plain ioctls. */
#include "agent.h"
#include "netlink.h"
#include "netparse.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

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

/* Moves an interface that holds `name` aside to rindtmp<n>. */
static int move_aside(int sk, const char *name)
{
	char tmp[IFNAMSIZ];
	for (int i = 0; i < 100; i++) {
		snprintf(tmp, sizeof tmp, "rindtmp%d", i);
		if (!if_nametoindex(tmp))
			break;
	}
	if (link_updown(sk, name, 0) < 0 || link_rename(sk, name, tmp) < 0)
		return fail("netif %s: rename the other %s to %s: %s", name, name, tmp, strerror(errno));
	return 0;
}

/* The NIC for the nth netif, found and down, with the MAC and the name it asks for. */
static int claim_link(int sk, const struct netif *f, int nth)
{
	char cur[IFNAMSIZ];
	int by_mac = find_by_mac(f->mac, cur) == 0;
	if (!by_mac && find_by_position(nth, cur) < 0)
		return fail("netif %s: no interface has MAC %s and there is no NIC #%d", f->name, f->mac_text, nth);
	if (link_updown(sk, cur, 0) < 0)
		return fail("netif %s: set %s down: %s", f->name, cur, strerror(errno));
	if (!by_mac && link_set_mac(sk, cur, f->mac) < 0)
		return fail("netif %s: set MAC %s on %s: %s", f->name, f->mac_text, cur, strerror(errno));
	if (!strcmp(cur, f->name))
		return 0;
	if (if_nametoindex(f->name) && move_aside(sk, f->name) < 0)
		return -1;
	if (link_rename(sk, cur, f->name) < 0)
		return fail("netif %s: rename %s: %s", f->name, cur, strerror(errno));
	return 0;
}

/* netif=: the nth netif is the nth NIC; down, MAC, renamed, MTU, up. */
static int setup_link(int sk, const char *val, int nth, int v6)
{
	struct netif f;
	struct ifreq ifr = { 0 };
	if (parse_netif(val, &f) < 0 || claim_link(sk, &f, nth) < 0)
		return -1;
	if (!v6)
		disable_ipv6(f.name);
	ifr.ifr_mtu = f.mtu;
	if (ifreq_op(sk, SIOCSIFMTU, &ifr, f.name) < 0)
		return fail("netif %s: MTU %d: %s", f.name, f.mtu, strerror(errno));
	if (link_updown(sk, f.name, 1) < 0)
		return fail("netif %s: set up: %s", f.name, strerror(errno));
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

static int add_addr(const char *val)
{
	struct netaddr a;
	if (parse_netaddr(val, &a) < 0)
		return -1;
	int idx = ifindex("netaddr", a.addr, a.dev);
	if (idx < 0)
		return -1;
	struct nl_ifaddr *m = nl_begin(RTM_NEWADDR, sizeof *m);
	m->family = a.ip.family;
	m->prefixlen = a.ip.plen;
	m->flags = a.ip.family == AF_INET6 ? IFA_F_NODAD : 0; /* usable at once */
	m->scope = RT_SCOPE_UNIVERSE;
	m->index = idx;
	nl_attr(IFA_LOCAL, a.ip.a, ip_alen(a.ip.family));
	nl_attr(IFA_ADDRESS, a.ip.a, ip_alen(a.ip.family));
	if (a.ip.family == AF_INET && a.ip.plen < 31) {
		unsigned char brd[4];
		ip_broadcast4(&a.ip, brd);
		nl_attr(IFA_BROADCAST, brd, 4);
	}
	return nl_talk(a.what);
}

static int add_route(const char *val)
{
	struct netroute r;
	if (parse_netroute(val, &r) < 0)
		return -1;
	int idx = ifindex("netroute", r.dst_text, r.dev);
	if (idx < 0)
		return -1;
	struct nl_rtmsg *m = nl_begin(RTM_NEWROUTE, sizeof *m);
	m->family = r.dst.family;
	m->dst_len = r.dst.plen;
	m->table = RT_TABLE_MAIN;
	m->protocol = RTPROT_BOOT;
	m->scope = r.dst.family == AF_INET && !r.has_gw ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
	m->type = RTN_UNICAST;
	if (r.dst.plen)
		nl_attr(RTA_DST, r.dst.a, ip_alen(r.dst.family));
	if (r.has_gw)
		nl_attr(RTA_GATEWAY, r.gw.a, ip_alen(r.gw.family));
	uint32_t oif = idx;
	nl_attr(RTA_OIF, &oif, 4);
	if (r.metric)
		nl_attr(RTA_PRIORITY, &r.metric, 4);
	return nl_talk(r.what);
}

int net_setup(const struct create_req *r)
{
	if (!r->nnetifs && !r->nnetaddrs && !r->nnetroutes)
		return 0;
	if (netifs_unique(r->netifs, r->nnetifs) < 0)
		return -1;
	int sk = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sk < 0)
		return fail("network: socket: %s", strerror(errno));
	int rc = 0;
	for (size_t i = 0; !rc && i < r->nnetifs; i++)
		rc = setup_link(sk, r->netifs[i], i, netif_has_v6(r->netaddrs, r->nnetaddrs, r->netifs[i]));
	close(sk);
	for (size_t i = 0; !rc && i < r->nnetaddrs; i++)
		rc = add_addr(r->netaddrs[i]);
	for (size_t i = 0; !rc && i < r->nnetroutes; i++)
		rc = add_route(r->netroutes[i]);
	return rc;
}
