/* Bounded formatting (pure: no hardware access). */
#include "lib.h"

void fmt_init(struct fmt *f, char *buf, size_t cap)
{
	f->buf = buf;
	f->len = 0;
	f->cap = cap;
	f->truncated = 0;
	if (cap) buf[0] = 0;
}

void fmt_bytes(struct fmt *f, const void *p, size_t n)
{
	const char *s = p;
	for (size_t i = 0; i < n; i++) {
		if (f->len + 1 >= f->cap) { f->truncated = 1; break; }
		f->buf[f->len++] = s[i];
	}
	if (f->cap) f->buf[f->len] = 0;
}

void fmt_str(struct fmt *f, const char *s)
{
	fmt_bytes(f, s, strlen(s));
}

void fmt_u64(struct fmt *f, uint64_t v)
{
	char tmp[20];
	int n = 0;
	do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v);
	while (n) fmt_bytes(f, &tmp[--n], 1);
}

void fmt_hex(struct fmt *f, uint64_t v, int min_digits)
{
	char tmp[16];
	int n = 0;
	do { tmp[n++] = "0123456789abcdef"[v & 15]; v >>= 4; } while (v);
	while (n < min_digits && n < 16) tmp[n++] = '0';
	while (n) fmt_bytes(f, &tmp[--n], 1);
}

void fmt_ip(struct fmt *f, uint32_t ip)
{
	for (int i = 3; i >= 0; i--) {
		fmt_u64(f, (ip >> (8 * i)) & 0xff);
		if (i) fmt_bytes(f, ".", 1);
	}
}

void fmt_mac(struct fmt *f, const uint8_t mac[6])
{
	for (int i = 0; i < 6; i++) {
		if (i) fmt_bytes(f, ":", 1);
		fmt_hex(f, mac[i], 2);
	}
}

void fmt_vprintf(struct fmt *f, const char *p, va_list ap)
{
	for (; *p; p++) {
		if (*p != '%') { fmt_bytes(f, p, 1); continue; }
		p++;
		int is_long = 0;
		if (*p == 'l') { is_long = 1; p++; }
		switch (*p) {
		case 's': { const char *s = va_arg(ap, const char *); fmt_str(f, s ? s : "(null)"); break; }
		case 'c': { char c = (char)va_arg(ap, int); fmt_bytes(f, &c, 1); break; }
		case 'd': {
			long v = is_long ? va_arg(ap, long) : va_arg(ap, int);
			if (v < 0) { fmt_bytes(f, "-", 1); fmt_u64(f, (uint64_t)0 - (uint64_t)v); }
			else fmt_u64(f, (uint64_t)v);
			break;
		}
		case 'u': fmt_u64(f, is_long ? va_arg(ap, unsigned long) : va_arg(ap, unsigned)); break;
		case 'x': fmt_hex(f, is_long ? va_arg(ap, unsigned long) : va_arg(ap, unsigned), 1); break;
		case '%': fmt_bytes(f, "%", 1); break;
		case 0: return;
		default: fmt_bytes(f, "%?", 2); break;
		}
	}
}

void fmt_printf(struct fmt *f, const char *spec, ...)
{
	va_list ap;
	va_start(ap, spec);
	fmt_vprintf(f, spec, ap);
	va_end(ap);
}
