/* Declarations shared by the pure (hardware-free) code, so that it compiles both
 * freestanding (against pure/string.c) and on the host (against the C library). */
#ifndef RIND_UK_LIB_H
#define RIND_UK_LIB_H
#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

/* fmt.c: bounded formatting into a caller's buffer; never overflows, always NUL-terminates
 * (when cap > 0), and records whether anything was cut. */
struct fmt {
	char *buf;
	size_t len, cap;
	int truncated;
};
void fmt_init(struct fmt *f, char *buf, size_t cap);
void fmt_bytes(struct fmt *f, const void *p, size_t n);
void fmt_str(struct fmt *f, const char *s);
void fmt_u64(struct fmt *f, uint64_t v);
void fmt_hex(struct fmt *f, uint64_t v, int min_digits);
void fmt_ip(struct fmt *f, uint32_t ip);            /* host order, dotted quad */
void fmt_mac(struct fmt *f, const uint8_t mac[6]);   /* aa:bb:cc:dd:ee:ff */
/* %s %c %d %u %x (int-sized), %lu %lx %ld (long-sized), %% */
void fmt_vprintf(struct fmt *f, const char *spec, va_list ap);
void fmt_printf(struct fmt *f, const char *spec, ...);

#endif
