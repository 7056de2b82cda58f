/* rind agent unit tests for netparse.c: addresses, prefixes, netif/netaddr/netroute values, v6 detection.
 * Run by guest/agent/test/run.sh; opens no socket. */
#define _GNU_SOURCE
#include "check.h"
#include "netparse.h"
#include <arpa/inet.h>
#include <sys/socket.h>

static void test_ip(void)
{
	struct ip ip;
	CHECK(parse_ip("10.1.2.3/24", &ip, 1) == 0 && ip.family == AF_INET && ip.plen == 24 &&
	      ip.a[0] == 10 && ip.a[3] == 3, "v4 with prefix");
	CHECK(parse_ip("10.1.2.3", &ip, 0) == 0 && ip.plen == 32, "v4 host");
	CHECK(parse_ip("fd00::1/64", &ip, 1) == 0 && ip.family == AF_INET6 && ip.plen == 64 && ip.a[0] == 0xfd &&
	      ip.a[15] == 1, "v6 with prefix");
	CHECK(parse_ip("::1", &ip, 0) == 0 && ip.plen == 128, "v6 host");
	CHECK(parse_ip("0.0.0.0/0", &ip, 1) == 0 && ip.plen == 0, "/0");
	const char *bad[] = { "10.1.2.3/33", "fd00::1/129", "10.1.2.3/-1", "10.1.2.3/", "10.1.2.3/2x", "10.1.2.3/ 8",
			      "10.1.2", "10.1.2.256", "host", "", "/24", "1.2.3.4/24/1",
			      "1111:2222:3333:4444:5555:6666:7777:8888:9999/64", NULL };
	for (const char **b = bad; *b; b++)
		CHECK(parse_ip(*b, &ip, 0) == -1, "\"%s\" is refused", *b);
	CHECK(parse_ip("10.1.2.3", &ip, 1) == -1, "a prefix is required");
	char huge[200];
	memset(huge, '1', sizeof huge - 1);
	huge[sizeof huge - 1] = 0;
	CHECK(parse_ip(huge, &ip, 0) == -1, "too long");
	unsigned char brd[4];
	parse_ip("10.1.2.3/20", &ip, 1);
	ip_broadcast4(&ip, brd);
	CHECK(brd[0] == 10 && brd[1] == 1 && brd[2] == 15 && brd[3] == 255, "broadcast of /20");
	parse_ip("10.1.2.3/0", &ip, 1);
	ip_broadcast4(&ip, brd);
	CHECK(brd[0] == 255 && brd[3] == 255, "broadcast of /0");
	CHECK(ip_alen(AF_INET) == 4 && ip_alen(AF_INET6) == 16, "lengths");
}

static void test_netif(void)
{
	struct netif f;
	CHECK(parse_netif("eth0\x1f" "02:AB:cd:00:00:01\x1f" "1500", &f) == 0 && !strcmp(f.name, "eth0") &&
	      f.mac[1] == 0xab && f.mac[2] == 0xcd && f.mac[5] == 1 && f.mtu == 1500, "valid: %s", err_msg);
	CHECK_ERR(parse_netif("eth0\x1f" "02:00:00:00:00:01", &f), "want 3 fields");
	CHECK_ERR(parse_netif("eth0\x1f" "02:00:00:00:00:01\x1f" "1500\x1f", &f), "want 3 fields");
	CHECK_ERR(parse_netif("\x1f" "02:00:00:00:00:01\x1f" "1500", &f), "bad interface name");
	CHECK_ERR(parse_netif("lo\x1f" "02:00:00:00:00:01\x1f" "1500", &f), "bad interface name");
	CHECK_ERR(parse_netif("abcdefghijklmnop\x1f" "02:00:00:00:00:01\x1f" "1500", &f), "bad interface name");
	const char *macs[] = { "2:0:0:0:0:1", "02:00:00:00:00", "02:00:00:00:00:01:02", "02-00-00-00-00-01",
			       "02:00:00:00:00:0g", "02:00:00:00:00:01 ", NULL };
	for (const char **m = macs; *m; m++) {
		char v[64];
		snprintf(v, sizeof v, "eth0\x1f%s\x1f" "1500", *m);
		CHECK_ERR(parse_netif(v, &f), "bad MAC");
	}
	CHECK_ERR(parse_netif("eth0\x1f" "02:00:00:00:00:01\x1f" "67", &f), "bad MTU");
	CHECK_ERR(parse_netif("eth0\x1f" "02:00:00:00:00:01\x1f" "65536", &f), "bad MTU");
	CHECK_ERR(parse_netif("eth0\x1f" "02:00:00:00:00:01\x1f", &f), "bad MTU");
	char huge[300];
	memset(huge, 'a', sizeof huge - 1);
	huge[sizeof huge - 1] = 0;
	CHECK_ERR(parse_netif(huge, &f), "netif too long");
}

static void test_netaddr(void)
{
	struct netaddr a;
	CHECK(parse_netaddr("eth0\x1f" "10.0.0.2/24", &a) == 0 && !strcmp(a.dev, "eth0") && a.ip.plen == 24 &&
	      !strcmp(a.what, "netaddr eth0 10.0.0.2/24"), "valid: %s", err_msg);
	CHECK(parse_netaddr("eth0\x1f" "fd00::2/64", &a) == 0 && a.ip.family == AF_INET6, "v6");
	CHECK_ERR(parse_netaddr("eth0\x1f" "10.0.0.2", &a), "netaddr eth0 10.0.0.2: bad address");
	CHECK_ERR(parse_netaddr("eth0", &a), "want 2 fields");
	CHECK_ERR(parse_netaddr("eth0\x1f" "10.0.0.300/24", &a), "bad address");
}

static void test_netroute(void)
{
	struct netroute r;
	CHECK(parse_netroute("default\x1f" "10.0.0.1\x1f" "eth0\x1f", &r) == 0 && r.dst.family == AF_INET &&
	      r.dst.plen == 0 && r.has_gw && r.gw.a[3] == 1 && !r.metric && !strcmp(r.dev, "eth0") &&
	      !strcmp(r.what, "netroute default via 10.0.0.1 dev eth0"), "default v4: %s", err_msg);
	CHECK(parse_netroute("default\x1f" "fd00::1\x1f" "eth0\x1f" "100", &r) == 0 && r.dst.family == AF_INET6 &&
	      r.metric == 100, "default v6 follows the gateway");
	CHECK(parse_netroute("default\x1f\x1f" "eth0\x1f", &r) == 0 && r.dst.family == AF_INET && !r.has_gw &&
	      !strcmp(r.what, "netroute default via (link) dev eth0"), "default device route is v4");
	CHECK(parse_netroute("10.0.0.0/24\x1f\x1f" "eth0\x1f", &r) == 0 && r.dst.plen == 24 && !r.has_gw, "link route");
	CHECK(parse_netroute("10.0.0.9\x1f\x1f" "eth0\x1f" "4294967295", &r) == 0 && r.dst.plen == 32 &&
	      r.metric == 4294967295u, "host route, largest metric");
	CHECK_ERR(parse_netroute("default\x1f" "10.0.0.x\x1f" "eth0\x1f", &r), "bad gateway");
	CHECK_ERR(parse_netroute("10.0.0.0/33\x1f\x1f" "eth0\x1f", &r), "bad destination");
	CHECK_ERR(parse_netroute("fd00::/64\x1f" "10.0.0.1\x1f" "eth0\x1f", &r), "families differ");
	CHECK_ERR(parse_netroute("default\x1f\x1f" "eth0\x1f" "4294967296", &r), "bad metric");
	CHECK_ERR(parse_netroute("default\x1f\x1f" "eth0\x1f" "-1", &r), "bad metric");
	CHECK_ERR(parse_netroute("default\x1f\x1f" "eth0", &r), "want 4 fields");
}

static void test_lists(void)
{
	char *ifs[] = { "eth0\x1f" "02:00:00:00:00:01\x1f" "1500", "eth1\x1f" "02:00:00:00:00:02\x1f" "1500",
			"eth0\x1f" "02:00:00:00:00:03\x1f" "9000" };
	CHECK(netifs_unique(ifs, 2) == 0, "two names");
	CHECK_ERR(netifs_unique(ifs, 3), "netif eth0: named twice");
	char *ifs2[] = { "eth\x1fx\x1fy", "eth0\x1fx\x1fy" };
	CHECK(netifs_unique(ifs2, 2) == 0, "a prefix is another name");
	char *addrs[] = { "eth0\x1f" "10.0.0.2/24", "eth1\x1f" "fd00::2/64", "eth10\x1f" "fd00::3/64" };
	CHECK(!netif_has_v6(addrs, 3, ifs[0]), "eth0 has v4 only");
	CHECK(netif_has_v6(addrs, 3, ifs[1]), "eth1 has v6");
	CHECK(!netif_has_v6(addrs, 1, "eth1\x1fx\x1fy"), "not among the first");
	CHECK(!netif_has_v6(addrs + 2, 1, "eth1\x1fx\x1fy"), "eth10 is not eth1");
}

int main(void)
{
	test_ip();
	test_netif();
	test_netaddr();
	test_netroute();
	test_lists();
	return result("test_netparse");
}
