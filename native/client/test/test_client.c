/* Unit tests of the client's pure parts: frame headers, SPAWN decoding (hostile inputs), REQUEST
 * encoding, the --root flag, path joins, the key hash. Built with ASan+UBSan by test/run.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "proto.h"

static int failures;
#define CHECK(c)                                                                  \
	do {                                                                      \
		if (!(c)) {                                                       \
			fprintf(stderr, "%s:%d: FAILED: %s\n", __FILE__, __LINE__, #c); \
			failures++;                                               \
		}                                                                 \
	} while (0)

static void test_header(void)
{
	uint8_t h[8], type;
	uint32_t len;
	rp_put_header(h, RP_STDOUT, 5);
	CHECK(rp_parse_header(h, &type, &len) == 0 && type == RP_STDOUT && len == 5);
	rp_put_header(h, RP_STDOUT, RP_MAX_OUTPUT + 1);
	CHECK(rp_parse_header(h, &type, &len) < 0);
	rp_put_header(h, RP_ACK, 3);
	CHECK(rp_parse_header(h, &type, &len) < 0); /* ACK is exactly 4 bytes */
	rp_put_header(h, RP_EXIT, 4);
	CHECK(rp_parse_header(h, &type, &len) == 0);
	rp_put_header(h, RP_FALLBACK, 1);
	CHECK(rp_parse_header(h, &type, &len) < 0);
	rp_put_header(h, RP_REQUEST, 4); /* client-to-daemon types never come back */
	CHECK(rp_parse_header(h, &type, &len) < 0);
	rp_put_header(h, RP_EXIT, 4);
	h[0] = 'x';
	CHECK(rp_parse_header(h, &type, &len) < 0);
	rp_put_header(h, RP_EXIT, 4);
	h[1] = 2;
	CHECK(rp_parse_header(h, &type, &len) < 0);
	rp_put_header(h, RP_EXIT, 4);
	h[3] = 1;
	CHECK(rp_parse_header(h, &type, &len) < 0);
	CHECK(rp_get_u32((const uint8_t *)"\x01\x02\x03\x04") == 0x04030201u);
}

static uint32_t spawn_payload(uint8_t *p, uint32_t id, uint32_t flags, uint32_t n, const char *strs, size_t slen)
{
	rp_put_u32(p, id);
	rp_put_u32(p + 4, flags);
	rp_put_u32(p + 8, n);
	memcpy(p + 12, strs, slen);
	return (uint32_t)(12 + slen);
}

static void test_spawn(void)
{
	uint8_t p[256];
	struct rp_spawn s;
	static const char ok[] = "/bin/shim\0--state\0/x\0";
	uint32_t len = spawn_payload(p, 7, RP_SPAWN_FORWARD, 3, ok, sizeof ok - 1);
	CHECK(rp_decode_spawn(p, len, &s) == 0);
	CHECK(s.id == 7 && s.flags == RP_SPAWN_FORWARD && s.argc == 3);
	CHECK(!strcmp(s.argv[0], "/bin/shim") && !strcmp(s.argv[1], "--state") && !strcmp(s.argv[2], "/x") && s.argv[3] == NULL);
	free(s.argv);
	/* fewer strings than announced, more, unterminated, relative file, unknown flags, zero count, short */
	CHECK(rp_decode_spawn(p, spawn_payload(p, 1, 0, 4, ok, sizeof ok - 1), &s) < 0);
	CHECK(rp_decode_spawn(p, spawn_payload(p, 1, 0, 2, ok, sizeof ok - 1), &s) < 0);
	CHECK(rp_decode_spawn(p, spawn_payload(p, 1, 0, 3, ok, sizeof ok - 2), &s) < 0);
	CHECK(rp_decode_spawn(p, spawn_payload(p, 1, 0, 1, "shim", 5), &s) < 0);
	CHECK(rp_decode_spawn(p, spawn_payload(p, 1, 2, 3, ok, sizeof ok - 1), &s) < 0);
	CHECK(rp_decode_spawn(p, spawn_payload(p, 1, 0, 0, "", 0), &s) < 0);
	CHECK(rp_decode_spawn(p, 11, &s) < 0);
	CHECK(rp_decode_spawn(p, spawn_payload(p, 1, 0, 0xffffffffu, ok, sizeof ok - 1), &s) < 0);
}

static void test_request(void)
{
	char *argv[] = { "state", "c1" }, *env[] = { "A=1", "PATH=/bin", NULL };
	size_t n;
	uint8_t *b = rp_encode_request(argv, 2, env, "/tmp", &n);
	CHECK(b != NULL);
	static const char want[] = "state\0c1\0A=1\0PATH=/bin\0/tmp\0";
	CHECK(n == 8 + 8 + sizeof want - 1);
	CHECK(b[0] == RP_MAGIC && b[1] == RP_VERSION && b[2] == RP_REQUEST && rp_get_u32(b + 4) == n - 8);
	CHECK(rp_get_u32(b + 8) == 2 && rp_get_u32(b + 12) == 2);
	CHECK(!memcmp(b + 16, want, sizeof want - 1));
	free(b);
	char *big = malloc(RP_MAX_REQUEST + 1);
	memset(big, 'x', RP_MAX_REQUEST);
	big[RP_MAX_REQUEST] = 0;
	char *args[] = { big };
	CHECK(rp_encode_request(args, 1, NULL, "/", &n) == NULL);
	free(big);
}

static void test_root(void)
{
	char *a1[] = { "rind", "--root", "/r", "state", "x", NULL };
	CHECK(!strcmp(rc_root_arg(5, a1), "/r"));
	char *a2[] = { "rind", "--log", "--root", "--root", "/r", "list", NULL }; /* --log's value is "--root" */
	CHECK(!strcmp(rc_root_arg(6, a2), "/r"));
	char *a3[] = { "rind", "state", "--root", "/nope", NULL }; /* after the subcommand: not ours */
	CHECK(!strcmp(rc_root_arg(4, a3), "/run/rind"));
	char *a4[] = { "rind", "--root=/x", "--debug", "list", NULL };
	CHECK(!strcmp(rc_root_arg(4, a4), "/x"));
	char *a5[] = { "rind", "--root", NULL };
	CHECK(!strcmp(rc_root_arg(2, a5), "/run/rind"));
	char *a6[] = { "rind", "--root=", "list", NULL };
	CHECK(!strcmp(rc_root_arg(3, a6), "/run/rind"));
	char *a7[] = { "rind", NULL };
	CHECK(!strcmp(rc_root_arg(1, a7), "/run/rind"));
}

static void test_subcommand(void)
{
	char *a1[] = { "rind", "--root", "/r", "--log", "bench", "state", "x", NULL };
	CHECK(!strcmp(rc_subcommand(7, a1), "state"));
	char *a2[] = { "rind", "--debug", "bench", "density", NULL };
	CHECK(!strcmp(rc_subcommand(4, a2), "bench"));
	char *a3[] = { "rind", "--version", NULL };
	CHECK(rc_subcommand(2, a3) == NULL);
	char *a4[] = { "rind", "--", "list", NULL };
	CHECK(!strcmp(rc_subcommand(3, a4), "list"));
	char *a5[] = { "rind", "--root", NULL };
	CHECK(rc_subcommand(2, a5) == NULL);
}

static void test_join_hash(void)
{
	char out[32], h1[17], h2[17];
	CHECK(rc_join(out, sizeof out, "/a/b/", "c") == 0 && !strcmp(out, "/a/b/c"));
	CHECK(rc_join(out, sizeof out, "/", "c") == 0 && !strcmp(out, "/c"));
	CHECK(rc_join(out, 6, "/a/b", "cd") < 0);
	rc_hash_hex("abc", 3, h1);
	rc_hash_hex("abd", 3, h2);
	CHECK(strlen(h1) == 16 && strcmp(h1, h2) != 0);
	rc_hash_hex("", 0, h1);
	CHECK(!strcmp(h1, "cbf29ce484222325"));
}

int main(void)
{
	test_header();
	test_spawn();
	test_request();
	test_root();
	test_subcommand();
	test_join_hash();
	if (failures) {
		fprintf(stderr, "test_client: %d FAILED\n", failures);
		return 1;
	}
	printf("test_client: all passed\n");
	return 0;
}
