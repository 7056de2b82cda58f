/* Command-line parsing (pure: no hardware access). */
#include "cmdline.h"

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

int cmdline_split(char *s, char **argv, int max, int *overflow)
{
	int argc = 0;
	char *r = s, *w = s;
	*overflow = 0;
	for (;;) {
		while (*r && is_space(*r)) r++;
		if (!*r) break;
		char *word = w;
		int quoted = 0;
		while (*r && (quoted || !is_space(*r))) {
			if (*r == '"') { quoted = !quoted; r++; continue; }
			*w++ = *r++;
		}
		/* the separator (if any) is consumed; w <= r keeps the in-place write safe */
		int at_end = !*r;
		if (!at_end) r++;
		*w++ = 0;
		if (argc < max) argv[argc++] = word;
		else *overflow = 1;
		if (at_end) break;
	}
	return argc;
}

const char *arg_value(const char *arg, const char *key)
{
	size_t n = strlen(key);
	/* bytewise, so a short arg is never read past its NUL */
	for (size_t i = 0; i < n; i++)
		if (arg[i] != key[i]) return NULL;
	return arg[n] == '=' ? arg + n + 1 : NULL;
}

static int parse_dec(const char *s, const char **end, uint64_t max, uint64_t *out)
{
	if (*s < '0' || *s > '9') return -1;
	if (s[0] == '0' && s[1] >= '0' && s[1] <= '9') return -1;
	uint64_t v = 0;
	while (*s >= '0' && *s <= '9') {
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > max) return -1;
		s++;
	}
	*out = v;
	*end = s;
	return 0;
}

int parse_uint(const char *s, uint32_t max, uint32_t *out)
{
	uint64_t v;
	const char *e;
	if (parse_dec(s, &e, max, &v) || *e) return -1;
	*out = (uint32_t)v;
	return 0;
}

int parse_ipv4(const char *s, const char **end, uint32_t *ip)
{
	uint32_t r = 0;
	for (int i = 0; i < 4; i++) {
		uint64_t part;
		if (i && *s++ != '.') return -1;
		if (parse_dec(s, &s, 255, &part)) return -1;
		r = r << 8 | (uint32_t)part;
	}
	if (end) *end = s;
	*ip = r;
	return 0;
}

int parse_ip_prefix(const char *s, uint32_t *ip, uint32_t *mask)
{
	const char *e;
	uint32_t n;
	if (parse_ipv4(s, &e, ip) || *e != '/') return -1;
	if (parse_uint(e + 1, 32, &n) || n == 0) return -1;
	*mask = n == 32 ? 0xffffffffu : ~(0xffffffffu >> n);
	return 0;
}

/* decimal or 0x-hex, into 64 bits without overflow */
static int parse_num(const char *s, const char **end, uint64_t *out)
{
	uint64_t v = 0;
	int digits = 0;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		for (;; s++, digits++) {
			int d;
			if (*s >= '0' && *s <= '9') d = *s - '0';
			else if (*s >= 'a' && *s <= 'f') d = *s - 'a' + 10;
			else if (*s >= 'A' && *s <= 'F') d = *s - 'A' + 10;
			else break;
			if (v >> 60) return -1;
			v = v << 4 | (uint64_t)d;
		}
	} else {
		for (; *s >= '0' && *s <= '9'; s++, digits++) {
			if (v > (UINT64_MAX - 9) / 10) return -1;
			v = v * 10 + (uint64_t)(*s - '0');
		}
	}
	if (!digits) return -1;
	*out = v;
	*end = s;
	return 0;
}

int parse_virtio_mmio(const char *s, uint64_t *size, uint64_t *base, uint32_t *irq)
{
	const char *e;
	uint64_t sz, b, n;
	if (parse_num(s, &e, &sz)) return -1;
	int shift = 0;
	switch (*e) {
	case 'K': case 'k': shift = 10; e++; break;
	case 'M': case 'm': shift = 20; e++; break;
	case 'G': case 'g': shift = 30; e++; break;
	}
	if (sz == 0 || sz > (UINT64_MAX >> shift)) return -1;
	sz <<= shift;
	if (*e++ != '@' || parse_num(e, &e, &b) || *e++ != ':') return -1;
	if (parse_num(e, &e, &n) || n > 0xffffffffu) return -1;
	if (*e == ':') { /* optional platform device id */
		uint64_t id;
		if (parse_num(e + 1, &e, &id)) return -1;
	}
	if (*e) return -1;
	if (b + sz < b) return -1;
	*size = sz;
	*base = b;
	*irq = (uint32_t)n;
	return 0;
}

static void set_err(char *err, size_t errlen, const char *a, const char *b)
{
	struct fmt f;
	fmt_init(&f, err, errlen);
	fmt_str(&f, a);
	fmt_str(&f, b);
}

int web_config_parse(int argc, char **argv, struct web_config *c, char *err, size_t errlen)
{
	const char *v;
	int have_ip = 0;
	memset(c, 0, sizeof *c);
	c->port = 8080;
	for (int i = 0; i < argc; i++) {
		if ((v = arg_value(argv[i], "ip"))) {
			if (parse_ip_prefix(v, &c->ip, &c->mask)) { set_err(err, errlen, "bad ip= (want A.B.C.D/N, N 1..32): ", v); return -1; }
			have_ip = 1;
		} else if ((v = arg_value(argv[i], "gw"))) {
			const char *e;
			if (parse_ipv4(v, &e, &c->gw) || *e) { set_err(err, errlen, "bad gw= (want A.B.C.D): ", v); return -1; }
		} else if ((v = arg_value(argv[i], "port"))) {
			uint32_t p;
			if (parse_uint(v, 65535, &p) || p == 0) { set_err(err, errlen, "bad port= (want 1..65535): ", v); return -1; }
			c->port = (uint16_t)p;
		} else if ((v = arg_value(argv[i], "body"))) {
			c->body = v;
		} else if ((v = arg_value(argv[i], "virtio_mmio.device"))) {
			uint64_t size, base;
			uint32_t irq;
			if (parse_virtio_mmio(v, &size, &base, &irq)) { set_err(err, errlen, "bad virtio_mmio.device=: ", v); return -1; }
			if (c->n_mmio < WEB_MAX_MMIO) {
				c->mmio_size[c->n_mmio] = size;
				c->mmio_base[c->n_mmio] = base;
				c->mmio_irq[c->n_mmio] = irq;
				c->n_mmio++;
			}
		}
	}
	if (!have_ip) { set_err(err, errlen, "missing ip=A.B.C.D/N", ""); return -1; }
	uint32_t host = c->ip & ~c->mask;
	if (c->mask != 0xffffffffu && c->mask != 0xfffffffeu && (host == 0 || host == ~c->mask)) {
		set_err(err, errlen, "ip= is the subnet's network or broadcast address", "");
		return -1;
	}
	if ((c->ip >> 24) == 0 || (c->ip >> 24) == 127 || (c->ip >> 28) >= 14) {
		set_err(err, errlen, "ip= is not a unicast address", "");
		return -1;
	}
	if (c->gw && ((c->gw & c->mask) != (c->ip & c->mask) || c->gw == c->ip)) {
		set_err(err, errlen, "gw= is outside the ip= subnet or equal to ip", "");
		return -1;
	}
	return 0;
}
