/* The wire protocol between bin/rind (this client) and rindd (src/daemon/protocol.ts is the other side;
 * test/unit/daemon-protocol.test.ts checks the two agree). 8-byte header, bounded payloads:
 *   'r', version, type, 0, u32 little-endian payload length. */
#ifndef RIND_CLIENT_PROTO_H
#define RIND_CLIENT_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define RP_MAGIC 0x72
#define RP_VERSION 1
#define RP_HEADER 8

/* client -> daemon */
#define RP_REQUEST 1 /* u32 argc, u32 envc, argc+envc+1 NUL-terminated strings: argv[1..], environ, cwd */
#define RP_SPAWNED 2 /* u32 id, i32 pid (negative: -errno) */
#define RP_READY 3   /* u32 id, ready text */
#define RP_EXITED 4  /* u32 id, i32 wait status */
/* daemon -> client */
#define RP_ACK 16      /* u32 daemon pid */
#define RP_STDOUT 17   /* bytes */
#define RP_STDERR 18   /* bytes */
#define RP_SPAWN 19    /* u32 id, u32 flags, u32 n, n NUL-terminated strings: file, argv[1..] */
#define RP_EXIT 20     /* i32 code */
#define RP_FALLBACK 21 /* empty: run the Node CLI */

#define RP_MAX_REQUEST (4u << 20)
#define RP_MAX_READY 4096u
#define RP_MAX_OUTPUT (64u << 10)
#define RP_MAX_SPAWN (1u << 20)
#define RP_MAX_STRINGS 8192u
#define RP_SPAWN_FORWARD 1u

/* Largest payload a daemon may send with this type; 0 with *ok = 0 when the type is not one. */
uint32_t rp_max_from_daemon(uint8_t type, int *ok);

/* Checks a header from the daemon: 0 (type and len set), or -1 (bad magic/version/type/length). */
int rp_parse_header(const uint8_t *h, uint8_t *type, uint32_t *len);

void rp_put_header(uint8_t *h, uint8_t type, uint32_t len);
void rp_put_u32(uint8_t *p, uint32_t v);
uint32_t rp_get_u32(const uint8_t *p);

/* A decoded SPAWN: pointers into the payload (which must stay alive); argv[0] is the file. */
struct rp_spawn {
	uint32_t id;
	uint32_t flags;
	uint32_t argc;
	char **argv; /* argc + 1 entries, NULL-terminated; caller frees */
};

/* Decodes a SPAWN payload in place; 0 or -1 (malformed). On success the caller frees s->argv. */
int rp_decode_spawn(uint8_t *p, uint32_t len, struct rp_spawn *s);

/* Builds a REQUEST frame (header included) into a malloc'd buffer; NULL when too large. */
uint8_t *rp_encode_request(char *const *argv, int argc, char *const *env, const char *cwd, size_t *out_len);

#endif
