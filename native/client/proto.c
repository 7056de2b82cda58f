/* Frame headers and the two payloads the client parses or builds (SPAWN, REQUEST); pure, no I/O. */
#include "proto.h"

#include <stdlib.h>
#include <string.h>

void rp_put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

uint32_t rp_get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void rp_put_header(uint8_t *h, uint8_t type, uint32_t len)
{
	h[0] = RP_MAGIC;
	h[1] = RP_VERSION;
	h[2] = type;
	h[3] = 0;
	rp_put_u32(h + 4, len);
}

uint32_t rp_max_from_daemon(uint8_t type, int *ok)
{
	*ok = 1;
	switch (type) {
	case RP_ACK:
	case RP_EXIT:
		return 4;
	case RP_STDOUT:
	case RP_STDERR:
		return RP_MAX_OUTPUT;
	case RP_SPAWN:
		return RP_MAX_SPAWN;
	case RP_FALLBACK:
		return 0;
	default:
		*ok = 0;
		return 0;
	}
}

int rp_parse_header(const uint8_t *h, uint8_t *type, uint32_t *len)
{
	int ok;
	if (h[0] != RP_MAGIC || h[1] != RP_VERSION || h[3] != 0)
		return -1;
	uint32_t max = rp_max_from_daemon(h[2], &ok);
	uint32_t n = rp_get_u32(h + 4);
	if (!ok || n > max)
		return -1;
	if ((h[2] == RP_ACK || h[2] == RP_EXIT) && n != 4)
		return -1;
	*type = h[2];
	*len = n;
	return 0;
}

int rp_decode_spawn(uint8_t *p, uint32_t len, struct rp_spawn *s)
{
	if (len < 12 || len > RP_MAX_SPAWN)
		return -1;
	s->id = rp_get_u32(p);
	s->flags = rp_get_u32(p + 4);
	s->argc = rp_get_u32(p + 8);
	if (s->argc < 1 || s->argc > RP_MAX_STRINGS || (s->flags & ~RP_SPAWN_FORWARD))
		return -1;
	char **argv = calloc((size_t)s->argc + 1, sizeof *argv);
	if (!argv)
		return -1;
	uint32_t off = 12;
	for (uint32_t i = 0; i < s->argc; i++) {
		uint8_t *end = off < len ? memchr(p + off, 0, len - off) : NULL;
		if (!end) {
			free(argv);
			return -1;
		}
		argv[i] = (char *)(p + off);
		off = (uint32_t)(end - p) + 1;
	}
	if (off != len || argv[0][0] != '/') {
		free(argv);
		return -1;
	}
	s->argv = argv;
	return 0;
}

uint8_t *rp_encode_request(char *const *argv, int argc, char *const *env, const char *cwd, size_t *out_len)
{
	size_t total = RP_HEADER + 8, envc = 0;
	for (int i = 0; i < argc; i++)
		total += strlen(argv[i]) + 1;
	for (; env && env[envc]; envc++)
		total += strlen(env[envc]) + 1;
	total += strlen(cwd) + 1;
	if (argc < 0 || (size_t)argc > RP_MAX_STRINGS || envc > RP_MAX_STRINGS || total - RP_HEADER > RP_MAX_REQUEST)
		return NULL;
	uint8_t *b = malloc(total), *w;
	if (!b)
		return NULL;
	rp_put_header(b, RP_REQUEST, (uint32_t)(total - RP_HEADER));
	rp_put_u32(b + RP_HEADER, (uint32_t)argc);
	rp_put_u32(b + RP_HEADER + 4, (uint32_t)envc);
	w = b + RP_HEADER + 8;
	for (int i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]) + 1;
		memcpy(w, argv[i], n);
		w += n;
	}
	for (size_t i = 0; i < envc; i++) {
		size_t n = strlen(env[i]) + 1;
		memcpy(w, env[i], n);
		w += n;
	}
	memcpy(w, cwd, strlen(cwd) + 1);
	*out_len = total;
	return b;
}
