/* rind guest agent: the network keys of `create` as structs (netparse.h).
 * Pure: inet_pton and string work only; no sockets, no interface lookups. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "netparse.h"
#include "err.h"
#include "fields.h"
#include <arpa/inet.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* Copies `val` into buf and splits it into exactly nf fields. */
static int copy_fields(const char *key, const char *val, char *buf, size_t len, char **f, int nf)
{
	if (strlen(val) >= len)
		return fail("%s too long: %.64s", key, val);
	strcpy(buf, val);
	if (split_fields(buf, f, nf) < 0)
		return fail("bad %s: %.64s (want %d fields)", key, val, nf);
	return 0;
}

int parse_ip(const char *s, struct ip *ip, int need_plen)
{
	char b[64];
	long long v;
	if (strlen(s) >= sizeof b)
		return -1;
	strcpy(b, s);
	char *slash = strchr(b, '/');
	if (slash)
		*slash = 0;
	memset(ip, 0, sizeof *ip);
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

int ip_alen(int family)
{
	return family == AF_INET ? 4 : 16;
}

void ip_broadcast4(const struct ip *ip, unsigned char brd[4])
{
	uint32_t mask = ip->plen ? ~0u << (32 - ip->plen) : 0;
	for (int i = 0; i < 4; i++)
		brd[i] = ip->a[i] | (~mask >> (24 - 8 * i));
}

static int parse_mac(const char *s, unsigned char mac[6])
{
	int end = 0;
	return sscanf(s, "%2hhx:%2hhx:%2hhx:%2hhx:%2hhx:%2hhx%n", &mac[0], &mac[1], &mac[2], &mac[3],
		      &mac[4], &mac[5], &end) == 6 && end == 17 && !s[17] ? 0 : -1;
}

int parse_netif(const char *val, struct netif *o)
{
	char *f[3];
	long long mtu;
	if (copy_fields("netif", val, o->buf, sizeof o->buf, f, 3) < 0)
		return -1;
	o->name = f[0];
	o->mac_text = f[1];
	if (!o->name[0] || strlen(o->name) >= IFNAMSIZ || !strcmp(o->name, "lo"))
		return fail("netif %.64s: bad interface name", o->name);
	if (parse_mac(f[1], o->mac) < 0)
		return fail("netif %s: bad MAC %.32s", o->name, f[1]);
	if (parse_num(f[2], 68, 65535, &mtu))
		return fail("netif %s: bad MTU %.16s", o->name, f[2]);
	o->mtu = mtu;
	return 0;
}

int parse_netaddr(const char *val, struct netaddr *o)
{
	char *f[2];
	if (copy_fields("netaddr", val, o->buf, sizeof o->buf, f, 2) < 0)
		return -1;
	o->dev = f[0];
	o->addr = f[1];
	snprintf(o->what, sizeof o->what, "netaddr %s %s", f[0], f[1]);
	if (parse_ip(f[1], &o->ip, 1) < 0)
		return fail("%s: bad address", o->what);
	return 0;
}

int parse_netroute(const char *val, struct netroute *o)
{
	char *f[4];
	long long metric = 0;
	if (copy_fields("netroute", val, o->buf, sizeof o->buf, f, 4) < 0)
		return -1;
	o->dst_text = f[0];
	o->dev = f[2];
	o->has_gw = f[1][0] != 0;
	snprintf(o->what, sizeof o->what, "netroute %s via %s dev %s", f[0], o->has_gw ? f[1] : "(link)", f[2]);
	if (o->has_gw && parse_ip(f[1], &o->gw, 0) < 0)
		return fail("%s: bad gateway", o->what);
	if (!strcmp(f[0], "default")) {
		memset(&o->dst, 0, sizeof o->dst); /* 0.0.0.0/0, or ::/0 with an IPv6 gateway */
		o->dst.family = o->has_gw ? o->gw.family : AF_INET;
	} else if (parse_ip(f[0], &o->dst, 0) < 0) {
		return fail("%s: bad destination", o->what);
	}
	if (o->has_gw && o->gw.family != o->dst.family)
		return fail("%s: destination and gateway families differ", o->what);
	if (f[3][0] && parse_num(f[3], 0, UINT32_MAX, &metric))
		return fail("%s: bad metric %.16s", o->what, f[3]);
	o->metric = metric;
	return 0;
}

int netifs_unique(char *const *netifs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < i; j++) {
			size_t l = strcspn(netifs[i], "\x1f");
			if (l == strcspn(netifs[j], "\x1f") && !strncmp(netifs[i], netifs[j], l))
				return fail("netif %.*s: named twice", (int)l, netifs[i]);
		}
	return 0;
}

int netif_has_v6(char *const *netaddrs, size_t n, const char *netif)
{
	size_t l = strcspn(netif, "\x1f");
	for (size_t j = 0; j < n; j++)
		if (!strncmp(netaddrs[j], netif, l) && netaddrs[j][l] == '\x1f' && strchr(netaddrs[j] + l, ':'))
			return 1;
	return 0;
}
