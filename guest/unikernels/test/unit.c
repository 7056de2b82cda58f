/* Host unit tests of the pure code: command line, formatting, HTTP, ARP, IPv4/ICMP, TCP,
 * and a seeded, bounded fuzz loop over the frame parser. Built by test/run.sh with
 * -fsanitize=address,undefined. Usage: unit [seed]. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "../pure/cmdline.h"
#include "../pure/http.h"
#include "../pure/net.h"

static int passed, failed;
static const char *current;

#define CHECK(cond) do { if (!(cond)) { failed++; printf("FAIL %s: %s:%d: %s\n", current, __FILE__, __LINE__, #cond); } else passed++; } while (0)

/* ---- frames out ---- */

#define MAXOUT 64
static uint8_t outf[MAXOUT][NET_FRAME_MAX + 64];
static size_t outl[MAXOUT];
static int nout, nout_total;

static void tx(void *ctx, const uint8_t *f, size_t len)
{
	(void)ctx;
	nout_total++;
	if (nout < MAXOUT && len <= sizeof outf[0]) { memcpy(outf[nout], f, len); outl[nout] = len; nout++; }
}

static uint16_t g16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t g32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static void p16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void p32(uint8_t *p, uint32_t v) { p16(p, (uint16_t)(v >> 16)); p16(p + 2, (uint16_t)v); }

static const uint8_t MAC_US[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const uint8_t MAC_PEER[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
#define IP_US 0x0a4d0002u   /* 10.77.0.2 */
#define IP_PEER 0x0a4d0001u /* 10.77.0.1 */
#define PORT 8080

static struct net_stack st;

static void setup(void)
{
	struct net_config c = { .ip = IP_US, .mask = 0xffffff00u, .gw = IP_PEER, .port = PORT };
	memcpy(c.mac, MAC_US, 6);
	net_init(&st, &c, tx, NULL, 12345);
	nout = 0;
}

/* checks any frame we emit: Ethernet from us, IPv4 header and TCP/ICMP checksums valid */
static int frame_ok(const uint8_t *f, size_t len)
{
	if (len < 60 || len > NET_FRAME_MAX) return 0;
	if (memcmp(f + 6, MAC_US, 6)) return 0;
	uint16_t type = g16(f + 12);
	if (type == 0x0806) return len >= 42 && g16(f + 14) == 1;
	if (type != 0x0800) return 0;
	const uint8_t *ip = f + 14;
	if (ip[0] != 0x45 || csum_fold(csum_add(0, ip, 20)) != 0) return 0;
	size_t tot = g16(ip + 2);
	if (tot < 20 || 14 + tot > len) return 0;
	if (g32(ip + 12) != IP_US) return 0;
	const uint8_t *p = ip + 20;
	size_t pl = tot - 20;
	if (ip[9] == 1) return csum_fold(csum_add(0, p, pl)) == 0;
	if (ip[9] != 6 || pl < 20) return 0;
	uint8_t ph[12];
	memcpy(ph, ip + 12, 8);
	ph[8] = 0; ph[9] = 6; p16(ph + 10, (uint16_t)pl);
	return csum_fold(csum_add(csum_add(0, ph, 12), p, pl)) == 0 && (size_t)(p[12] >> 4) * 4 <= pl;
}

/* ---- frames in ---- */

static uint8_t inf[2048];

static size_t eth(uint8_t *f, const uint8_t dst[6], uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, MAC_PEER, 6);
	p16(f + 12, type);
	return 14;
}

static size_t ipv4(uint8_t *f, uint32_t src, uint32_t dst, uint8_t proto, size_t plen)
{
	uint8_t *ip = f + 14;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	p16(ip + 2, (uint16_t)(20 + plen));
	p16(ip + 4, 1);
	p16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = proto;
	p32(ip + 12, src);
	p32(ip + 16, dst);
	p16(ip + 10, csum_fold(csum_add(0, ip, 20)));
	return 34;
}

static void tcp_csum(uint8_t *f)
{
	uint8_t *ip = f + 14, *t = ip + (ip[0] & 15) * 4;
	size_t tl = g16(ip + 2) - (size_t)(ip[0] & 15) * 4;
	uint8_t ph[12];
	memcpy(ph, ip + 12, 8);
	ph[8] = 0; ph[9] = 6; p16(ph + 10, (uint16_t)tl);
	p16(t + 16, 0);
	p16(t + 16, csum_fold(csum_add(csum_add(0, ph, 12), t, tl)));
}

#define F_FIN 1
#define F_SYN 2
#define F_RST 4
#define F_PSH 8
#define F_ACK 16

/* a TCP segment from the peer; opts may be NULL; returns the frame length */
static size_t tcpseg(uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t wnd,
                     const uint8_t *opts, size_t olen, const void *data, size_t dlen)
{
	size_t hl = 20 + ((olen + 3) & ~(size_t)3);
	memset(inf, 0, sizeof inf);
	eth(inf, MAC_US, 0x0800);
	ipv4(inf, IP_PEER, IP_US, 6, hl + dlen);
	uint8_t *t = inf + 34;
	p16(t, sport);
	p16(t + 2, dport);
	p32(t + 4, seq);
	p32(t + 8, ack);
	t[12] = (uint8_t)((hl / 4) << 4);
	t[13] = flags;
	p16(t + 14, wnd);
	if (olen) memcpy(t + 20, opts, olen);
	if (dlen) memcpy(t + hl, data, dlen);
	tcp_csum(inf);
	return 34 + hl + dlen;
}

static uint64_t now;

static void in(size_t len)
{
	nout = 0;
	net_input(&st, inf, len, now);
}

/* the n-th output's TCP fields */
static const uint8_t *otcp(int i) { return outf[i] + 34; }
static uint8_t oflags(int i) { return otcp(i)[13]; }
static uint32_t oseq(int i) { return g32(otcp(i) + 4); }
static uint32_t oack(int i) { return g32(otcp(i) + 8); }
static uint16_t osport(int i) { return g16(otcp(i)); }
static size_t odlen(int i) { return g16(outf[i] + 16) - 20 - (size_t)(otcp(i)[12] >> 4) * 4; }
static const uint8_t *odata(int i) { return otcp(i) + (otcp(i)[12] >> 4) * 4; }
static int all_ok(void)
{
	for (int i = 0; i < nout; i++)
		if (!frame_ok(outf[i], outl[i])) return 0;
	return 1;
}

static struct tcp_conn *find_conn(uint16_t rport)
{
	for (int i = 0; i < NET_MAX_CONN; i++)
		if (st.conn[i].state != TCP_FREE && st.conn[i].rport == rport) return &st.conn[i];
	return NULL;
}

/* ---- cmdline ---- */

static void test_cmdline(void)
{
	current = "cmdline_split";
	char s1[] = "  a  b\tc\n\"d e\" f\"g h\"i \"\" exit=42 ";
	char *av[16];
	int ov;
	int n = cmdline_split(s1, av, 16, &ov);
	CHECK(n == 7 && !ov);
	if (n == 7) {
		CHECK(!strcmp(av[0], "a") && !strcmp(av[1], "b") && !strcmp(av[2], "c"));
		CHECK(!strcmp(av[3], "d e") && !strcmp(av[4], "fg hi") && !strcmp(av[5], "") && !strcmp(av[6], "exit=42"));
	}
	char s2[] = "";
	CHECK(cmdline_split(s2, av, 16, &ov) == 0);
	char s3[] = "   \t ";
	CHECK(cmdline_split(s3, av, 16, &ov) == 0);
	char s4[] = "a b c d e";
	CHECK(cmdline_split(s4, av, 3, &ov) == 3 && ov && !strcmp(av[2], "c"));
	char s5[] = "x \"unterminated quote";
	n = cmdline_split(s5, av, 16, &ov);
	CHECK(n == 2 && !strcmp(av[1], "unterminated quote"));

	current = "arg_value";
	CHECK(arg_value("exit=5", "exit") && !strcmp(arg_value("exit=5", "exit"), "5"));
	CHECK(arg_value("exit", "exit") == NULL && arg_value("ex", "exit") == NULL && arg_value("exitx=1", "exit") == NULL);
	CHECK(arg_value("exit=", "exit") && !*arg_value("exit=", "exit"));

	current = "parse_uint";
	uint32_t u;
	CHECK(!parse_uint("0", 127, &u) && u == 0);
	CHECK(!parse_uint("127", 127, &u) && u == 127);
	CHECK(parse_uint("128", 127, &u) && parse_uint("", 9, &u) && parse_uint("007", 9, &u) && parse_uint("1a", 99, &u));
	CHECK(parse_uint("-1", 99, &u) && parse_uint("+1", 99, &u) && parse_uint(" 1", 99, &u));
	CHECK(!parse_uint("4294967295", 0xffffffffu, &u) && u == 0xffffffffu);
	CHECK(parse_uint("4294967296", 0xffffffffu, &u) && parse_uint("99999999999999999999999", 0xffffffffu, &u));

	current = "parse_ipv4";
	uint32_t ip, mask;
	const char *e;
	CHECK(!parse_ipv4("10.77.0.2", &e, &ip) && ip == IP_US && !*e);
	CHECK(!parse_ipv4("255.255.255.255", NULL, &ip) && ip == 0xffffffffu);
	CHECK(parse_ipv4("256.1.1.1", NULL, &ip) && parse_ipv4("1.2.3", NULL, &ip) && parse_ipv4("01.2.3.4", NULL, &ip));
	CHECK(parse_ipv4("1..2.3", NULL, &ip) && parse_ipv4("", NULL, &ip) && parse_ipv4("a.b.c.d", NULL, &ip));
	CHECK(!parse_ipv4("1.2.3.4.5", &e, &ip) && *e == '.');

	current = "parse_ip_prefix";
	CHECK(!parse_ip_prefix("10.77.0.2/24", &ip, &mask) && ip == IP_US && mask == 0xffffff00u);
	CHECK(!parse_ip_prefix("10.0.0.1/32", &ip, &mask) && mask == 0xffffffffu);
	CHECK(!parse_ip_prefix("10.0.0.1/1", &ip, &mask) && mask == 0x80000000u);
	CHECK(parse_ip_prefix("10.0.0.1/0", &ip, &mask) && parse_ip_prefix("10.0.0.1/33", &ip, &mask));
	CHECK(parse_ip_prefix("10.0.0.1", &ip, &mask) && parse_ip_prefix("10.0.0.1/", &ip, &mask) && parse_ip_prefix("10.0.0.1/24x", &ip, &mask));

	current = "parse_virtio_mmio";
	uint64_t sz, base;
	uint32_t irq;
	CHECK(!parse_virtio_mmio("512@0xfeb00e00:12", &sz, &base, &irq) && sz == 512 && base == 0xfeb00e00u && irq == 12);
	CHECK(!parse_virtio_mmio("4K@0x1000:5:3", &sz, &base, &irq) && sz == 4096 && base == 0x1000 && irq == 5);
	CHECK(!parse_virtio_mmio("1M@4096:7", &sz, &base, &irq) && sz == 1 << 20 && base == 4096);
	CHECK(parse_virtio_mmio("512@0xfeb00e00", &sz, &base, &irq) && parse_virtio_mmio("@0x1:1", &sz, &base, &irq));
	CHECK(parse_virtio_mmio("0@0x1:1", &sz, &base, &irq) && parse_virtio_mmio("512@0x:1", &sz, &base, &irq));
	CHECK(parse_virtio_mmio("512@0x1:1x", &sz, &base, &irq) && parse_virtio_mmio("512@0xffffffffffffffffff:1", &sz, &base, &irq));
	CHECK(parse_virtio_mmio("16G@0xfffffffffffffff0:1", &sz, &base, &irq));

	current = "web_config_parse";
	struct web_config c;
	char err[128];
	char w1[] = "ip=10.77.0.2/24 gw=10.77.0.1 virtio_mmio.device=512@0xfeb00e00:12 junk";
	n = cmdline_split(w1, av, 16, &ov);
	CHECK(!web_config_parse(n, av, &c, err, sizeof err));
	CHECK(c.ip == IP_US && c.mask == 0xffffff00u && c.gw == IP_PEER && c.port == 8080);
	CHECK(c.n_mmio == 1 && c.mmio_base[0] == 0xfeb00e00u && c.mmio_irq[0] == 12);
	char w2[] = "gw=10.77.0.1";
	n = cmdline_split(w2, av, 16, &ov);
	CHECK(web_config_parse(n, av, &c, err, sizeof err) && strstr(err, "missing ip"));
	char w3[] = "ip=10.77.0.2/24 gw=10.78.0.1";
	n = cmdline_split(w3, av, 16, &ov);
	CHECK(web_config_parse(n, av, &c, err, sizeof err) && strstr(err, "gw="));
	char w4[] = "ip=10.77.0.0/24";
	n = cmdline_split(w4, av, 16, &ov);
	CHECK(web_config_parse(n, av, &c, err, sizeof err));
	char w5[] = "ip=10.77.0.2/24 port=0";
	n = cmdline_split(w5, av, 16, &ov);
	CHECK(web_config_parse(n, av, &c, err, sizeof err));
	char w6[] = "ip=10.77.0.2/24 port=80 ip=10.1.2.3/8";
	n = cmdline_split(w6, av, 16, &ov);
	CHECK(!web_config_parse(n, av, &c, err, sizeof err) && c.port == 80 && c.ip == 0x0a010203u && c.mask == 0xff000000u);
	char wb[] = "ip=10.77.0.2/24 \"body=rind bench: s1 is serving\"";
	n = cmdline_split(wb, av, 16, &ov);
	CHECK(!web_config_parse(n, av, &c, err, sizeof err) && c.body && !strcmp(c.body, "rind bench: s1 is serving"));
	CHECK(!web_config_parse(1, av, &c, err, sizeof err) && c.body == NULL);
	char w7[] = "ip=127.0.0.2/8";
	n = cmdline_split(w7, av, 16, &ov);
	CHECK(web_config_parse(n, av, &c, err, sizeof err));
	char w8[] = "ip=10.77.0.2/24 virtio_mmio.device=bad";
	n = cmdline_split(w8, av, 16, &ov);
	CHECK(web_config_parse(n, av, &c, err, sizeof err));
	char w9[] = "ip=10.77.0.2/24 gw=10.77.0.2";
	n = cmdline_split(w9, av, 16, &ov);
	CHECK(web_config_parse(n, av, &c, err, sizeof err));
}

static void test_fmt(void)
{
	current = "fmt";
	char b[64];
	struct fmt f;
	fmt_init(&f, b, sizeof b);
	fmt_printf(&f, "%s|%d|%u|%lu|%x|%c|%%|%ld", "x", -42, 7u, 18446744073709551615ul, 0xbeefu, 'z', -9l);
	CHECK(!strcmp(b, "x|-42|7|18446744073709551615|beef|z|%|-9") && !f.truncated);
	fmt_init(&f, b, 6);
	fmt_str(&f, "abcdefgh");
	CHECK(!strcmp(b, "abcde") && f.truncated && f.len == 5);
	fmt_init(&f, b, sizeof b);
	fmt_ip(&f, 0xc0a80001u);
	fmt_str(&f, " ");
	fmt_mac(&f, MAC_US);
	CHECK(!strcmp(b, "192.168.0.1 52:54:00:12:34:56"));
}

/* ---- http ---- */

static size_t resp(const char *req, int too_large, char *out, size_t cap, int *status)
{
	size_t n = http_respond((const uint8_t *)req, strlen(req), too_large, (uint8_t *)out, cap, status);
	if (n < cap) out[n] = 0;
	return n;
}

static void test_http(void)
{
	current = "http";
	char o[HTTP_RESP_MAX + 1];
	int status;
	CHECK(http_head_complete((const uint8_t *)"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27));
	CHECK(http_head_complete((const uint8_t *)"GET / HTTP/1.0\n\n", 16));
	CHECK(!http_head_complete((const uint8_t *)"GET / HTTP/1.1\r\nHost: x\r\n", 25));
	CHECK(!http_head_complete((const uint8_t *)"", 0) && !http_head_complete((const uint8_t *)"\n", 1));
	resp("GET / HTTP/1.1\r\nHost: 10.77.0.2\r\n\r\n", 0, o, sizeof o, &status);
	CHECK(status == 200);
	CHECK(!strcmp(o, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 30\r\nConnection: close\r\n\r\n"
	                 "hello from rind web unikernel\n"));
	resp("HEAD /index.html HTTP/1.0\r\n\r\n", 0, o, sizeof o, &status);
	CHECK(status == 200 && strstr(o, "Content-Length: 30\r\n") && !strstr(o, "hello"));
	resp("GET /nope HTTP/1.1\r\n\r\n", 0, o, sizeof o, &status);
	CHECK(status == 404 && strstr(o, "Content-Length: 10\r\n") && strstr(o, "\r\n\r\nnot found\n"));
	resp("POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", 0, o, sizeof o, &status);
	CHECK(status == 405 && strstr(o, "Allow: GET, HEAD\r\n"));
	resp("GET / HTTP/2.0\r\n\r\n", 0, o, sizeof o, &status);
	CHECK(status == 505);
	const char *bad[] = { "\r\n\r\n", "GET\r\n\r\n", "GET /\r\n\r\n", "GET  / HTTP/1.1\r\n\r\n", "GET / HTTP/1.1 \r\n\r\n",
	                      "GET / HTTP/1\r\n\r\n", "GET / http/1.1\r\n\r\n", "G(T / HTTP/1.1\r\n\r\n", "GET x HTTP/1.1\r\n\r\n",
	                      "GET / HTTP/1.1", "GET /\x01 HTTP/1.1\r\n\r\n", "GET / HTTP/1.x\r\n\r\n" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		resp(bad[i], 0, o, sizeof o, &status);
		CHECK(status == 400 && strstr(o, "HTTP/1.1 400 Bad Request\r\n") && strstr(o, "Connection: close\r\n"));
	}
	resp("GET / HTTP/1.1\r\nX: aaaa", 1, o, sizeof o, &status);
	CHECK(status == 431);
	CHECK(resp("GET / HTTP/1.1\r\n\r\n", 0, o, 20, &status) == 0);
}

/* ---- ARP, IPv4, ICMP ---- */

static size_t arp_req(uint16_t op, uint32_t target)
{
	static const uint8_t bc[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	memset(inf, 0, sizeof inf);
	eth(inf, bc, 0x0806);
	uint8_t *a = inf + 14;
	p16(a, 1); p16(a + 2, 0x0800); a[4] = 6; a[5] = 4; p16(a + 6, op);
	memcpy(a + 8, MAC_PEER, 6);
	p32(a + 14, IP_PEER);
	p32(a + 24, target);
	return 42;
}

static void test_arp(void)
{
	current = "arp";
	setup();
	in(arp_req(1, IP_US));
	CHECK(nout == 1 && all_ok());
	if (nout == 1) {
		const uint8_t *f = outf[0], *a = f + 14;
		CHECK(!memcmp(f, MAC_PEER, 6) && g16(f + 12) == 0x0806 && g16(a + 6) == 2);
		CHECK(!memcmp(a + 8, MAC_US, 6) && g32(a + 14) == IP_US && !memcmp(a + 18, MAC_PEER, 6) && g32(a + 24) == IP_PEER);
	}
	in(arp_req(1, IP_US + 1));
	CHECK(nout == 0);
	in(arp_req(2, IP_US));
	CHECK(nout == 0);
	for (size_t l = 0; l < 42; l++) { arp_req(1, IP_US); in(l); CHECK(nout == 0); }
	arp_req(1, IP_US); inf[18] = 8; in(42); CHECK(nout == 0); /* hlen 8 */
	arp_req(1, IP_US); inf[6] |= 1; in(42); CHECK(nout == 0); /* multicast source */
	net_announce(&st);
	CHECK(nout == 1 && g16(outf[0] + 14 + 6) == 1 && g32(outf[0] + 14 + 24) == IP_US);
}

static size_t echo(size_t plen)
{
	memset(inf, 0, sizeof inf);
	eth(inf, MAC_US, 0x0800);
	ipv4(inf, IP_PEER, IP_US, 1, 8 + plen);
	uint8_t *p = inf + 34;
	p[0] = 8;
	p16(p + 4, 0x1234);
	p16(p + 6, 7);
	for (size_t i = 0; i < plen; i++) p[8 + i] = (uint8_t)i;
	p16(p + 2, csum_fold(csum_add(0, p, 8 + plen)));
	return 34 + 8 + plen;
}

static void ip_fix(void) { p16(inf + 24, 0); p16(inf + 24, csum_fold(csum_add(0, inf + 14, (size_t)(inf[14] & 15) * 4))); }

static void test_ipv4_icmp(void)
{
	current = "checksum";
	static const uint8_t v[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7}; /* RFC 1071's example */
	CHECK(csum_add(0, v, 8) == 0xddf2 && csum_fold(csum_add(0, v, 8)) == 0x220d);
	static const uint8_t odd[] = {0x01, 0x02, 0x03};
	CHECK(csum_add(0, odd, 3) == 0x0402);
	/* a real IPv4 header (checksum 0xb1e6) */
	static const uint8_t h[] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61,
	                            0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
	CHECK(csum_fold(csum_add(0, h, 20)) == 0);

	current = "icmp";
	setup();
	size_t l = echo(56);
	in(l);
	CHECK(nout == 1 && all_ok());
	if (nout == 1) {
		const uint8_t *r = outf[0] + 34;
		CHECK(!memcmp(outf[0], MAC_PEER, 6) && g32(outf[0] + 14 + 16) == IP_PEER && r[0] == 0 && g16(r + 4) == 0x1234);
		CHECK(!memcmp(r + 8, inf + 42, 56));
	}
	in(echo(1472)); /* the largest unfragmented */
	CHECK(nout == 1 && all_ok() && outl[0] == 1514);
	echo(56); inf[34 + 10] ^= 1; in(l); CHECK(nout == 0);               /* bad ICMP checksum */
	echo(56); inf[14 + 10] ^= 1; in(l); CHECK(nout == 0);               /* bad IP checksum */
	echo(56); p32(inf + 30, IP_US + 1); ip_fix(); in(l); CHECK(nout == 0); /* not for us */
	echo(56); p32(inf + 30, 0x0a4d00ffu); ip_fix(); in(l); CHECK(nout == 0); /* broadcast */
	echo(56); p32(inf + 26, 0x0a4d00ffu); ip_fix(); in(l); CHECK(nout == 0); /* from broadcast */
	echo(56); p32(inf + 26, IP_US); ip_fix(); in(l); CHECK(nout == 0);      /* from ourselves */
	echo(56); p32(inf + 26, 0xe0000001u); ip_fix(); in(l); CHECK(nout == 0); /* from multicast */
	echo(56); p16(inf + 20, 0x2000); ip_fix(); in(l); CHECK(nout == 0);    /* MF */
	echo(56); p16(inf + 20, 0x0001); ip_fix(); in(l); CHECK(nout == 0);    /* offset */
	echo(56); p16(inf + 16, 2000); ip_fix(); in(l); CHECK(nout == 0);      /* total length > frame */
	echo(56); p16(inf + 16, 19); ip_fix(); in(l); CHECK(nout == 0);        /* total length < header */
	echo(56); inf[14] = 0x44; in(l); CHECK(nout == 0);                      /* IHL 4 */
	echo(56); inf[14] = 0x65; ip_fix(); in(l); CHECK(nout == 0);            /* version 6 */
	echo(56); inf[23] = 17; ip_fix(); in(l); CHECK(nout == 0);              /* UDP: dropped */
	echo(56); memcpy(inf, "\x01\x00\x5e\x00\x00\x01", 6); in(l); CHECK(nout == 0); /* other MAC */
	echo(56); inf[6] = 1; in(l); CHECK(nout == 0);                          /* multicast source MAC */
	for (size_t k = 0; k < l; k++) { echo(56); in(k); CHECK(nout == 0); }   /* every truncation */
	/* IP options: IHL 6, one NOP word; the echo is still answered */
	echo(56);
	memmove(inf + 38, inf + 34, 64);
	inf[14] = 0x46;
	memset(inf + 34, 1, 4);
	p16(inf + 16, 24 + 64);
	ip_fix();
	in(l + 4);
	CHECK(nout == 1 && all_ok());
	/* Ethernet padding past the IP total length is ignored */
	echo(4);
	in(60);
	CHECK(nout == 1 && odlen(0) + 0 == odlen(0) && g16(outf[0] + 16) == 20 + 12);
}

/* ---- TCP ---- */

#define CPORT 40000
static uint32_t iss_of_last;

/* opens a connection from cport with seq cseq; returns our ISS; leaves it ESTABLISHED */
static uint32_t handshake(uint16_t cport, uint32_t cseq)
{
	in(tcpseg(cport, PORT, cseq, 0, F_SYN, 64240, (const uint8_t *)"\x02\x04\x05\xb4", 4, NULL, 0));
	if (nout != 1 || oflags(0) != (F_SYN | F_ACK) || oack(0) != cseq + 1) return 0;
	uint32_t iss = oseq(0);
	in(tcpseg(cport, PORT, cseq + 1, iss + 1, F_ACK, 64240, NULL, 0, NULL, 0));
	iss_of_last = iss;
	return iss;
}

static const char GET[] = "GET / HTTP/1.1\r\nHost: 10.77.0.2:8080\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n";
static const char RESP200[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 30\r\nConnection: close\r\n\r\n"
                              "hello from rind web unikernel\n";

/* a whole curl-like exchange; 1 if everything came as expected */
static int exchange(uint16_t cport, uint32_t cseq)
{
	uint32_t iss = handshake(cport, cseq);
	if (!iss || nout != 0) return 0;
	size_t gl = strlen(GET), rl = strlen(RESP200);
	in(tcpseg(cport, PORT, cseq + 1, iss + 1, F_ACK | F_PSH, 64240, NULL, 0, GET, gl));
	if (nout != 1 || !all_ok() || oflags(0) != (F_ACK | F_PSH | F_FIN) || oseq(0) != iss + 1 || oack(0) != cseq + 1 + gl) return 0;
	if (odlen(0) != rl || memcmp(odata(0), RESP200, rl)) return 0;
	/* the peer acks data and FIN, then sends its FIN */
	in(tcpseg(cport, PORT, cseq + 1 + (uint32_t)gl, iss + 2 + (uint32_t)rl, F_ACK, 64240, NULL, 0, NULL, 0));
	if (nout != 0) return 0;
	in(tcpseg(cport, PORT, cseq + 1 + (uint32_t)gl, iss + 2 + (uint32_t)rl, F_ACK | F_FIN, 64240, NULL, 0, NULL, 0));
	if (nout != 1 || oflags(0) != F_ACK || oack(0) != cseq + 2 + gl) return 0;
	struct tcp_conn *c = find_conn(cport);
	return c && c->state == TCP_TIME_WAIT;
}

static void test_tcp_basic(void)
{
	current = "tcp closed port";
	setup();
	in(tcpseg(1234, 22, 1000, 0, F_SYN, 1024, NULL, 0, NULL, 0));
	CHECK(nout == 1 && all_ok() && oflags(0) == (F_RST | F_ACK) && oack(0) == 1001 && oseq(0) == 0 && osport(0) == 22);
	in(tcpseg(1234, 22, 1000, 5555, F_ACK, 1024, NULL, 0, "xy", 2));
	CHECK(nout == 1 && oflags(0) == F_RST && oseq(0) == 5555 && osport(0) == 22);
	in(tcpseg(1234, 22, 1000, 0, F_RST, 1024, NULL, 0, NULL, 0));
	CHECK(nout == 0);
	in(tcpseg(1234, 22, 1000, 0, F_FIN, 1024, NULL, 0, "abc", 3));
	CHECK(nout == 1 && oflags(0) == (F_RST | F_ACK) && oack(0) == 1004);
	in(tcpseg(0, PORT, 1000, 0, F_SYN, 1024, NULL, 0, NULL, 0));
	CHECK(nout == 0); /* source port 0 */

	current = "tcp listen";
	in(tcpseg(1234, PORT, 1000, 0, F_FIN, 1024, NULL, 0, NULL, 0));
	CHECK(nout == 0);                  /* FIN/NULL/Xmas to the listener: dropped */
	in(tcpseg(1234, PORT, 1000, 0, F_FIN | F_PSH | 0x20, 1024, NULL, 0, NULL, 0));
	CHECK(nout == 0);
	in(tcpseg(1234, PORT, 1000, 0, 0, 1024, NULL, 0, NULL, 0));
	CHECK(nout == 0);
	in(tcpseg(1234, PORT, 1000, 0, F_SYN | F_FIN, 1024, NULL, 0, NULL, 0));
	CHECK(nout == 0);
	in(tcpseg(1234, PORT, 1000, 777, F_ACK, 1024, NULL, 0, NULL, 0));
	CHECK(nout == 1 && oflags(0) == F_RST && oseq(0) == 777 && osport(0) == PORT);

	current = "tcp exchange";
	setup();
	CHECK(exchange(CPORT, 100000));
	now += TCP_TIME_WAIT_MS;
	net_poll(&st, now);
	CHECK(find_conn(CPORT) == NULL);

	current = "tcp syn-ack options";
	setup();
	in(tcpseg(CPORT, PORT, 5, 0, F_SYN, 1024, NULL, 0, NULL, 0));
	CHECK(nout == 1 && all_ok() && (otcp(0)[12] >> 4) == 6 && otcp(0)[20] == 2 && otcp(0)[21] == 4 && g16(otcp(0) + 22) == TCP_MSS);
	CHECK(find_conn(CPORT) && find_conn(CPORT)->peer_mss == 536); /* no MSS option: 536 */
	setup();
	static const uint8_t o1[] = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 2, 4, 0, 100}; /* NOP NOP TS MSS=100 */
	in(tcpseg(CPORT, PORT, 5, 0, F_SYN, 1024, o1, sizeof o1, NULL, 0));
	CHECK(nout == 1 && find_conn(CPORT) && find_conn(CPORT)->peer_mss == 100);
	setup();
	static const uint8_t o2[] = {2, 0, 2, 4}; /* length 0: the rest is ignored */
	in(tcpseg(CPORT, PORT, 5, 0, F_SYN, 1024, o2, sizeof o2, NULL, 0));
	CHECK(nout == 1 && find_conn(CPORT)->peer_mss == 536);
	setup();
	static const uint8_t o3[] = {1, 1, 2, 9}; /* runs past the header */
	in(tcpseg(CPORT, PORT, 5, 0, F_SYN, 1024, o3, sizeof o3, NULL, 0));
	CHECK(nout == 1 && find_conn(CPORT)->peer_mss == 536);
	setup();
	static const uint8_t o4[] = {2, 4, 0, 1}; /* MSS 1: clamped to 64 */
	in(tcpseg(CPORT, PORT, 5, 0, F_SYN, 1024, o4, sizeof o4, NULL, 0));
	CHECK(nout == 1 && find_conn(CPORT)->peer_mss == 64);
	setup();
	static const uint8_t o5[] = {3}; /* a lone kind byte at the end */
	in(tcpseg(CPORT, PORT, 5, 0, F_SYN, 1024, o5, sizeof o5, NULL, 0));
	CHECK(nout == 1);
	setup();
	in(tcpseg(CPORT, PORT, 5, 0, F_SYN, 1024, NULL, 0, "data on syn", 11));
	CHECK(nout == 1 && oack(0) == 6); /* SYN data not acked */
}

static void test_tcp_hostile(void)
{
	size_t l;
	current = "tcp malformed";
	setup();
	l = tcpseg(CPORT, PORT, 5, 0, F_SYN, 1024, NULL, 0, NULL, 0);
	for (size_t k = 0; k < l; k++) { tcpseg(CPORT, PORT, 5, 0, F_SYN, 1024, NULL, 0, NULL, 0); in(k); CHECK(nout == 0); }
	tcpseg(CPORT, PORT, 5, 0, F_SYN, 1024, NULL, 0, NULL, 0); inf[34 + 16] ^= 0x40; in(l); CHECK(nout == 0); /* checksum */
	tcpseg(CPORT, PORT, 5, 0, F_SYN, 1024, NULL, 0, NULL, 0); inf[34 + 12] = 0x40; tcp_csum(inf); in(l); CHECK(nout == 0); /* doff 4 */
	tcpseg(CPORT, PORT, 5, 0, F_SYN, 1024, NULL, 0, NULL, 0); inf[34 + 12] = 0x60; tcp_csum(inf); in(l); CHECK(nout == 0); /* doff > len */
	tcpseg(CPORT, PORT, 5, 0, F_SYN, 1024, NULL, 0, NULL, 0); inf[34 + 12] = 0xf0; tcp_csum(inf); in(l); CHECK(nout == 0);
	/* IP total length cuts the TCP header short */
	tcpseg(CPORT, PORT, 5, 0, F_SYN, 1024, NULL, 0, NULL, 0); p16(inf + 16, 20 + 19); ip_fix(); in(l); CHECK(nout == 0);
	CHECK(find_conn(CPORT) == NULL);

	current = "tcp out of window";
	setup();
	uint32_t iss = handshake(CPORT, 1000);
	CHECK(iss && nout == 0 && find_conn(CPORT)->state == TCP_ESTABLISHED);
	in(tcpseg(CPORT, PORT, 1001 + 100000, iss + 1, F_ACK, 1024, NULL, 0, "GET", 3));
	CHECK(nout == 1 && oflags(0) == F_ACK && oack(0) == 1001 && find_conn(CPORT)->req_len == 0);
	in(tcpseg(CPORT, PORT, 1001 - 100000, iss + 1, F_ACK, 1024, NULL, 0, "GET", 3));
	CHECK(nout == 1 && oack(0) == 1001 && find_conn(CPORT)->req_len == 0);
	in(tcpseg(CPORT, PORT, 1001 + 100000, iss + 1, F_RST, 1024, NULL, 0, NULL, 0));
	CHECK(nout == 0 && find_conn(CPORT)); /* out-of-window RST: ignored */
	in(tcpseg(CPORT, PORT, 1001 + 5, iss + 1, F_RST, 1024, NULL, 0, NULL, 0));
	CHECK(nout == 1 && oflags(0) == F_ACK && find_conn(CPORT)); /* in-window, inexact: challenge ACK */
	in(tcpseg(CPORT, PORT, 1001 + 5, iss + 1, F_SYN, 1024, NULL, 0, NULL, 0));
	CHECK(nout == 1 && oflags(0) == F_ACK && find_conn(CPORT)); /* SYN in a connection: challenge ACK */
	in(tcpseg(CPORT, PORT, 1001, iss + 1000, F_ACK, 1024, NULL, 0, NULL, 0));
	CHECK(nout == 1 && oflags(0) == F_ACK); /* acks the future */
	in(tcpseg(CPORT, PORT, 1001, iss + 1, 0, 1024, NULL, 0, "GET", 3));
	CHECK(nout == 0 && find_conn(CPORT)->req_len == 0); /* no ACK flag: dropped */

	current = "tcp reassembly";
	in(tcpseg(CPORT, PORT, 1001 + 4, iss + 1, F_ACK, 1024, NULL, 0, "/ HTTP", 6)); /* a gap */
	CHECK(nout == 1 && oack(0) == 1001 && find_conn(CPORT)->req_len == 0);
	in(tcpseg(CPORT, PORT, 1001, iss + 1, F_ACK, 1024, NULL, 0, "GET ", 4));
	CHECK(nout == 1 && oack(0) == 1005 && find_conn(CPORT)->req_len == 4);
	in(tcpseg(CPORT, PORT, 1001, iss + 1, F_ACK, 1024, NULL, 0, "GET / HT", 8)); /* overlaps */
	CHECK(nout == 1 && oack(0) == 1009 && find_conn(CPORT)->req_len == 8 && !memcmp(find_conn(CPORT)->req, "GET / HT", 8));
	in(tcpseg(CPORT, PORT, 1001, iss + 1, F_ACK, 1024, NULL, 0, "GET ", 4)); /* all old */
	CHECK(nout == 1 && oflags(0) == F_ACK && oack(0) == 1009);
	in(tcpseg(CPORT, PORT, 1009, iss + 1, F_ACK, 1024, NULL, 0, "TP/1.0\r\n\r\n", 10));
	CHECK(nout == 1 && (oflags(0) & F_FIN) && odlen(0) == strlen(RESP200) && find_conn(CPORT)->state == TCP_FIN_WAIT_1);
	in(tcpseg(CPORT, PORT, 1019, iss + 1, F_ACK, 1024, NULL, 0, "more", 4)); /* after the response: acked, dropped */
	CHECK(nout == 1 && oack(0) == 1023 && find_conn(CPORT)->req_len == 18);
	in(tcpseg(CPORT, PORT, 1023, iss + 1, F_RST, 1024, NULL, 0, NULL, 0));
	CHECK(nout == 0 && find_conn(CPORT) == NULL); /* exact RST */
	in(tcpseg(CPORT, PORT, 1023, iss + 1, F_ACK, 1024, NULL, 0, NULL, 0));
	CHECK(nout == 1 && oflags(0) == F_RST);

	current = "tcp syn_rcvd";
	now = 0;
	setup();
	in(tcpseg(CPORT, PORT, 50, 0, F_SYN, 1024, NULL, 0, NULL, 0));
	iss = oseq(0);
	in(tcpseg(CPORT, PORT, 50, 0, F_SYN, 1024, NULL, 0, NULL, 0)); /* again */
	CHECK(nout == 1 && oflags(0) == (F_SYN | F_ACK) && oseq(0) == iss);
	in(tcpseg(CPORT, PORT, 51, iss + 7, F_ACK, 1024, NULL, 0, NULL, 0)); /* a wrong ACK */
	CHECK(nout == 1 && oflags(0) == F_RST && oseq(0) == iss + 7 && find_conn(CPORT)->state == TCP_SYN_RCVD);
	now = 0;
	net_poll(&st, now + TCP_RTO_MS);
	CHECK(st.st.tcp_retransmits == 1);
	for (int i = 0; i < TCP_MAX_RETRIES + 1; i++) { now += TCP_RTO_MAX_MS; net_poll(&st, now); }
	CHECK(find_conn(CPORT) == NULL); /* given up */
	now = 0;

	current = "tcp request data with the handshake ACK";
	setup();
	in(tcpseg(CPORT, PORT, 50, 0, F_SYN, 1024, NULL, 0, NULL, 0));
	iss = oseq(0);
	in(tcpseg(CPORT, PORT, 51, iss + 1, F_ACK | F_PSH, 1024, NULL, 0, GET, strlen(GET)));
	CHECK(nout == 1 && (oflags(0) & F_FIN) && odlen(0) == strlen(RESP200));

	current = "tcp peer closes first";
	setup();
	iss = handshake(CPORT, 1000);
	in(tcpseg(CPORT, PORT, 1001, iss + 1, F_ACK | F_FIN, 1024, NULL, 0, NULL, 0)); /* nc -z */
	CHECK(nout == 1 && oflags(0) == (F_ACK | F_FIN) && odlen(0) == 0 && oack(0) == 1002 && find_conn(CPORT)->state == TCP_LAST_ACK);
	in(tcpseg(CPORT, PORT, 1002, iss + 2, F_ACK, 1024, NULL, 0, NULL, 0));
	CHECK(nout == 0 && find_conn(CPORT) == NULL);
	setup();
	iss = handshake(CPORT, 1000);
	in(tcpseg(CPORT, PORT, 1001, iss + 1, F_ACK | F_FIN, 1024, NULL, 0, "GET / HTTP/1.0\r\n", 16)); /* a cut request */
	CHECK(nout == 1 && (oflags(0) & F_FIN) && odlen(0) > 0 && oack(0) == 1001 + 17);
	setup();
	iss = handshake(CPORT, 1000);
	in(tcpseg(CPORT, PORT, 1001, iss + 1, F_ACK | F_FIN, 1024, NULL, 0, "GE", 2));
	CHECK(nout == 1 && odlen(0) > 0 && !memcmp(odata(0), "HTTP/1.1 400", 12));

	current = "tcp simultaneous close";
	setup();
	iss = handshake(CPORT, 1000);
	size_t gl = strlen(GET), rl = strlen(RESP200);
	in(tcpseg(CPORT, PORT, 1001, iss + 1, F_ACK, 1024, NULL, 0, GET, gl));
	in(tcpseg(CPORT, PORT, 1001 + (uint32_t)gl, iss + 1, F_ACK | F_FIN, 1024, NULL, 0, NULL, 0)); /* FIN, ours unacked */
	CHECK(nout == 1 && oflags(0) == F_ACK && find_conn(CPORT)->state == TCP_CLOSING);
	in(tcpseg(CPORT, PORT, 1002 + (uint32_t)gl, iss + 2 + (uint32_t)rl, F_ACK, 1024, NULL, 0, NULL, 0));
	CHECK(nout == 0 && find_conn(CPORT)->state == TCP_TIME_WAIT);
	in(tcpseg(CPORT, PORT, 1001 + (uint32_t)gl, iss + 2 + (uint32_t)rl, F_ACK | F_FIN, 1024, NULL, 0, NULL, 0)); /* FIN again */
	CHECK(nout == 1 && oflags(0) == F_ACK && oack(0) == 1002 + gl);
	/* a new SYN from the same port with a higher sequence number reuses TIME-WAIT */
	in(tcpseg(CPORT, PORT, 900000, 0, F_SYN, 1024, NULL, 0, NULL, 0));
	CHECK(nout == 1 && oflags(0) == (F_SYN | F_ACK) && oack(0) == 900001 && find_conn(CPORT)->state == TCP_SYN_RCVD);

	current = "tcp retransmission";
	setup();
	now = 1000;
	iss = handshake(CPORT, 1000);
	in(tcpseg(CPORT, PORT, 1001, iss + 1, F_ACK, 1024, NULL, 0, GET, gl));
	CHECK(nout == 1);
	nout = 0;
	net_poll(&st, now + TCP_RTO_MS - 1);
	CHECK(nout == 0);
	net_poll(&st, now + TCP_RTO_MS);
	CHECK(nout == 1 && oseq(0) == iss + 1 && odlen(0) == rl && (oflags(0) & F_FIN));
	/* the data is acked, the FIN not: only the FIN is sent again */
	in(tcpseg(CPORT, PORT, 1001 + (uint32_t)gl, iss + 1 + (uint32_t)rl, F_ACK, 1024, NULL, 0, NULL, 0));
	CHECK(nout == 0 && find_conn(CPORT)->state == TCP_FIN_WAIT_1);
	nout = 0;
	net_poll(&st, now + TCP_RTO_MS);
	CHECK(nout == 1 && oflags(0) == (F_ACK | F_FIN) && oseq(0) == iss + 1 + rl && odlen(0) == 0);
	now = 0;

	current = "tcp small mss and zero window";
	setup();
	static const uint8_t mss100[] = {2, 4, 0, 100};
	in(tcpseg(CPORT, PORT, 1000, 0, F_SYN, 1024, mss100, 4, NULL, 0));
	iss = oseq(0);
	in(tcpseg(CPORT, PORT, 1001, iss + 1, F_ACK, 0, NULL, 0, NULL, 0)); /* window 0 */
	in(tcpseg(CPORT, PORT, 1001, iss + 1, F_ACK, 0, NULL, 0, GET, gl));
	CHECK(nout == 1 && odlen(0) == 0 && oflags(0) == F_ACK); /* nothing may be sent yet */
	in(tcpseg(CPORT, PORT, 1001 + (uint32_t)gl, iss + 1, F_ACK, 50, NULL, 0, NULL, 0)); /* window update */
	CHECK(nout == 1 && odlen(0) == 50 && !(oflags(0) & F_FIN) && rl == 114);
	in(tcpseg(CPORT, PORT, 1001 + (uint32_t)gl, iss + 1 + 50, F_ACK, 4096, NULL, 0, NULL, 0));
	CHECK(nout == 1 && odlen(0) == rl - 50 && (oflags(0) & F_FIN) && !memcmp(odata(0), RESP200 + 50, rl - 50));
	setup();
	in(tcpseg(CPORT, PORT, 1000, 0, F_SYN, 1024, mss100, 4, NULL, 0));
	iss = oseq(0);
	in(tcpseg(CPORT, PORT, 1001, iss + 1, F_ACK, 4096, NULL, 0, GET, gl));
	CHECK(nout == 2 && odlen(0) == 100 && odlen(1) == 14 && !(oflags(0) & F_FIN) && (oflags(1) & F_FIN) && oseq(1) == iss + 101);

	current = "tcp request too large";
	setup();
	iss = handshake(CPORT, 1000);
	char big[1000];
	memset(big, 'a', sizeof big);
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	uint32_t seq = 1001;
	int got431 = 0;
	for (int i = 0; i < 4 && !got431; i++) {
		in(tcpseg(CPORT, PORT, seq, iss + 1, F_ACK, 1024, NULL, 0, big, sizeof big));
		for (int k = 0; k < nout; k++) if (odlen(k) && !memcmp(odata(k), "HTTP/1.1 431", 12)) got431 = 1;
		seq += sizeof big;
	}
	CHECK(got431);

	current = "tcp connection table";
	setup();
	for (int i = 0; i < NET_MAX_CONN + 4; i++) {
		in(tcpseg((uint16_t)(20000 + i), PORT, 7, 0, F_SYN, 1024, NULL, 0, NULL, 0));
		CHECK(nout == 1 && oflags(0) == (F_SYN | F_ACK));
	}
	CHECK(st.st.tcp_evicted == 4 && find_conn(20000) == NULL && find_conn(20000 + NET_MAX_CONN + 3));
	/* still serving */
	CHECK(exchange(CPORT, 5));

	current = "tcp idle timeout";
	setup();
	now = 0;
	handshake(CPORT, 1);
	net_poll(&st, TCP_IDLE_MS);
	CHECK(nout == 1 && (oflags(0) & F_RST) && find_conn(CPORT) == NULL);

	current = "tcp 500 sequential exchanges";
	setup();
	int ok = 0;
	for (int i = 0; i < 500; i++) {
		now += 7;
		ok += exchange((uint16_t)(30000 + i % 700), (uint32_t)i * 100000u);
		net_poll(&st, now);
	}
	CHECK(ok == 500);
	now += TCP_TIME_WAIT_MS;
	net_poll(&st, now);
	int used = 0;
	for (int i = 0; i < NET_MAX_CONN; i++) used += st.conn[i].state != TCP_FREE;
	CHECK(used == 0);
	now = 0;
}

/* ---- fuzz ---- */

static uint64_t rng;
static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

static uint8_t corpus[8][2048];
static size_t corpus_len[8];

static void fuzz(uint64_t seed, int rounds)
{
	current = "fuzz";
	rng = seed ? seed : 1;
	int n = 0;
	corpus_len[n] = arp_req(1, IP_US); memcpy(corpus[n++], inf, 2048);
	corpus_len[n] = echo(40); memcpy(corpus[n++], inf, 2048);
	corpus_len[n] = tcpseg(CPORT, PORT, 1, 0, F_SYN, 1024, (const uint8_t *)"\x02\x04\x05\xb4\x01\x03\x03\x07", 8, NULL, 0); memcpy(corpus[n++], inf, 2048);
	corpus_len[n] = tcpseg(CPORT, PORT, 2, 1, F_ACK, 1024, NULL, 0, NULL, 0); memcpy(corpus[n++], inf, 2048);
	corpus_len[n] = tcpseg(CPORT, PORT, 2, 1, F_ACK | F_PSH, 1024, NULL, 0, GET, strlen(GET)); memcpy(corpus[n++], inf, 2048);
	corpus_len[n] = tcpseg(CPORT, PORT, 2, 1, F_ACK | F_FIN, 1024, NULL, 0, NULL, 0); memcpy(corpus[n++], inf, 2048);
	corpus_len[n] = tcpseg(CPORT, 22, 2, 1, F_SYN, 1024, NULL, 0, NULL, 0); memcpy(corpus[n++], inf, 2048);
	corpus_len[n] = tcpseg(CPORT, PORT, 2, 1, F_RST, 1024, NULL, 0, NULL, 0); memcpy(corpus[n++], inf, 2048);
	setup();
	int bad_out = 0;
	long total_out = 0;
	for (int r = 0; r < rounds; r++) {
		int k = (int)(rnd() % 8);
		size_t len = corpus_len[k];
		memcpy(inf, corpus[k], sizeof inf);
		int muts = 1 + (int)(rnd() % 4);
		for (int m = 0; m < muts; m++) {
			switch (rnd() % 6) {
			case 0: if (len) inf[rnd() % len] ^= (uint8_t)(1u << (rnd() % 8)); break;
			case 1: if (len) inf[rnd() % len] = (uint8_t)rnd(); break;
			case 2: len = rnd() % (len + 1); break;
			case 3: len = 14 + rnd() % (NET_FRAME_MAX - 14 + 1); break; /* grow: trailing bytes */
			case 4: { size_t off = 14 + rnd() % 48; if (off + 2 <= len) p16(inf + off, (uint16_t)rnd()); break; }
			case 5: /* a sequence number some connection expects */
				if (len >= 42) p32(inf + 38, rnd() % 3 ? st.conn[rnd() % NET_MAX_CONN].rcv_nxt : rnd());
				break;
			}
		}
		/* most of the time, make the checksums right so the deeper layers are reached */
		if (len >= 34 && (inf[14] >> 4) == 4 && (inf[14] & 15) >= 5 && (size_t)(inf[14] & 15) * 4 <= len - 14 && rnd() % 4) {
			size_t hl = (size_t)(inf[14] & 15) * 4;
			if (rnd() % 2) p16(inf + 16, (uint16_t)(len - 14));
			ip_fix();
			size_t tot = g16(inf + 16);
			if (inf[23] == 6 && tot >= hl + 20 && tot <= len - 14) tcp_csum(inf);
		}
		nout = 0;
		if (rnd() % 64 == 0) { now += rnd() % 4000; net_poll(&st, now); }
		net_input(&st, inf, len, now);
		total_out += nout;
		for (int i = 0; i < nout; i++)
			if (!frame_ok(outf[i], outl[i])) bad_out++;
	}
	CHECK(bad_out == 0);
	if (bad_out) printf("fuzz: %d malformed frames out\n", bad_out);
	/* after the storm every connection times out, and a clean exchange still works */
	for (int i = 0; i < 12; i++) { now += 10000; net_poll(&st, now); }
	int left = 0;
	for (int i = 0; i < NET_MAX_CONN; i++) left += st.conn[i].state != TCP_FREE;
	CHECK(left == 0);
	int after = exchange(CPORT + 1, 77);
	CHECK(after);
	if (!after) for (int i = 0; i < NET_MAX_CONN; i++) printf("conn %d state %d rport %u\n", i, st.conn[i].state, st.conn[i].rport);
	printf("fuzz: %d frames, %ld replies\n", rounds, total_out);

	current = "fuzz cmdline/http";
	int bad_http = 0;
	for (int r = 0; r < rounds / 4; r++) {
		char s[96];
		size_t len = rnd() % sizeof s;
		static const char alpha[] = "ab=./:@0x19 \t\"ipgwport_virtiommio.device";
		for (size_t i = 0; i < len; i++) s[i] = rnd() % 8 ? alpha[rnd() % (sizeof alpha - 1)] : (char)(1 + rnd() % 255);
		s[len] = 0;
		char *av[8];
		int ov;
		int ac = cmdline_split(s, av, 8, &ov);
		struct web_config c;
		char err[64];
		web_config_parse(ac, av, &c, err, sizeof err);
		uint8_t req[HTTP_REQ_MAX], o[HTTP_RESP_MAX];
		size_t rl = rnd() % sizeof req;
		for (size_t i = 0; i < rl; i++) req[i] = rnd() % 4 ? (uint8_t)GET[rnd() % strlen(GET)] : (uint8_t)rnd();
		int status;
		size_t ol = http_respond(req, rl, (int)(rnd() % 2), o, sizeof o, &status);
		bad_http += !(ol > 0 && status >= 200 && status < 600);
	}
	CHECK(bad_http == 0);
}

int main(int argc, char **argv)
{
	uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 0) : (uint64_t)time(NULL);
	int rounds = argc > 2 ? atoi(argv[2]) : 200000;
	printf("seed: %llu (rerun: test/run.sh %llu)\n", (unsigned long long)seed, (unsigned long long)seed);
	test_cmdline();
	test_fmt();
	test_http();
	test_arp();
	test_ipv4_icmp();
	test_tcp_basic();
	test_tcp_hostile();
	fuzz(seed, rounds);
	printf("unikernels: %d passed, %d failed\n", passed, failed);
	return failed != 0;
}
