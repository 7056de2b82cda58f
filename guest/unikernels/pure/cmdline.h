/* Command-line parsing (pure: no hardware access). The conventions are in README.md. */
#ifndef RIND_UK_CMDLINE_H
#define RIND_UK_CMDLINE_H
#include "lib.h"

#define CMDLINE_MAX 4096   /* bytes kept of the boot command line, NUL included */
#define ARGV_MAX 64

/* Splits s in place into words: runs of space, tab, CR or LF separate them; a double quote
 * toggles quoting (inside quotes those are ordinary bytes) and is itself removed; there are
 * no escapes. Stores at most max words in argv and returns their count; *overflow is set
 * when more words were there. An unterminated quote runs to the end of the line. */
int cmdline_split(char *s, char **argv, int max, int *overflow);

/* If arg is "key=value", the value; else NULL. */
const char *arg_value(const char *arg, const char *key);

/* Strict decimal, no sign, no leading zeros (but "0"), at most max. 0 on success, -1 else. */
int parse_uint(const char *s, uint32_t max, uint32_t *out);
/* Dotted quad, four decimal parts 0..255, no leading zeros; result in host order.
 * Parses a prefix of s; *end (if not NULL) is set past it. 0 on success. */
int parse_ipv4(const char *s, const char **end, uint32_t *ip);
/* "A.B.C.D/N", N in 1..32: address and netmask, host order. 0 on success. */
int parse_ip_prefix(const char *s, uint32_t *ip, uint32_t *mask);
/* Linux's virtio_mmio.device=<size>[KMG]@<base>:<irq>[:<id>]; size and base decimal or 0x-hex. */
int parse_virtio_mmio(const char *s, uint64_t *size, uint64_t *base, uint32_t *irq);

#define WEB_MAX_MMIO 8
struct web_config {
	uint32_t ip, mask, gw;   /* host order; gw 0 when not given */
	uint16_t port;
	int n_mmio;
	uint64_t mmio_base[WEB_MAX_MMIO], mmio_size[WEB_MAX_MMIO];
	uint32_t mmio_irq[WEB_MAX_MMIO];
	const char *body;        /* body=TEXT: the page, TEXT + newline; NULL: the default */
};
/* ip=A.B.C.D/N (required), gw=A.B.C.D (optional, inside the subnet), port=N (1..65535,
 * default 8080), body=TEXT (the page), virtio_mmio.device=... (any number, first WEB_MAX_MMIO kept); a later
 * key overrides an earlier one; other words are ignored. 0 on success, else -1 with a
 * one-line reason in err. */
int web_config_parse(int argc, char **argv, struct web_config *c, char *err, size_t errlen);

#endif
