/* rind guest agent: create's netif=, netaddr= and netroute= values parsed into structs.
 * Pure: text to addresses and names; finding interfaces and talking to the kernel is net.c's. */
#ifndef RIND_NETPARSE_H
#define RIND_NETPARSE_H
#include <stddef.h>
#include <stdint.h>

struct ip {
	int family;             /* AF_INET or AF_INET6 */
	int plen;               /* prefix length */
	unsigned char a[16];
};
/* netif=<name>\x1f<mac>\x1f<mtu> */
struct netif {
	char buf[128];
	const char *name, *mac_text;
	unsigned char mac[6];
	int mtu;
};
/* netaddr=<dev>\x1f<addr>/<prefixlen> */
struct netaddr {
	char buf[128], what[128]; /* what: "netaddr <dev> <addr>", for errors */
	const char *dev, *addr;
	struct ip ip;
};
/* netroute=<dst>\x1f<gateway or empty>\x1f<dev>\x1f<metric or empty> */
struct netroute {
	char buf[192], what[192]; /* what: "netroute <dst> via <gw> dev <dev>" */
	const char *dst_text, *dev;
	struct ip dst, gw;
	int has_gw;
	uint32_t metric;
};

/* "addr" or "addr/plen"; a missing prefix length means a host (/32, /128), or an error if need_plen. */
int parse_ip(const char *s, struct ip *ip, int need_plen);
int ip_alen(int family);
/* The IPv4 broadcast address of ip's subnet. */
void ip_broadcast4(const struct ip *ip, unsigned char brd[4]);
int parse_netif(const char *val, struct netif *o);
int parse_netaddr(const char *val, struct netaddr *o);
int parse_netroute(const char *val, struct netroute *o);
/* -1 (err_msg set) if two netif= values name the same interface. */
int netifs_unique(char *const *netifs, size_t n);
/* Whether a netaddr= gives the interface of netif= value `netif` an IPv6 address. */
int netif_has_v6(char *const *netaddrs, size_t n, const char *netif);

#endif
