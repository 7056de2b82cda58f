/* rind-shim unit tests for frame_parse.c: valid streams in every chunking, each violation
 * rule of docs/protocol.md, stickiness of errors. Run by native/shim/test/run.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "frame_parse.h"

static int failures, checks;
#define CHECK(c, ...) do { checks++; if (!(c)) { failures++; \
	fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #c); \
	fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)

struct result {
	unsigned char out[200000], err[200000];
	size_t nout, nerr;
	int exits, code[4];
	const char *error;
	unsigned long long err_off;
	int boundary;
	int events;
};

static size_t put(unsigned char *b, size_t n, int type, int flags, int res, unsigned len,
		  const void *payload, size_t plen)
{
	b[n] = (unsigned char)type;
	b[n + 1] = (unsigned char)flags;
	b[n + 2] = (unsigned char)res;
	b[n + 3] = (unsigned char)(res >> 8);
	b[n + 4] = (unsigned char)len;
	b[n + 5] = (unsigned char)(len >> 8);
	b[n + 6] = (unsigned char)(len >> 16);
	b[n + 7] = (unsigned char)(len >> 24);
	if (plen)
		memcpy(b + n + 8, payload, plen);
	return n + 8 + plen;
}

static size_t put_exit(unsigned char *b, size_t n, long code)
{
	unsigned char c[4] = { (unsigned char)code, (unsigned char)(code >> 8),
			       (unsigned char)(code >> 16), (unsigned char)(code >> 24) };
	return put(b, n, 3, 0, 0, 4, c, 4);
}

/* feed buf in chunks of `chunk` bytes (each chunk copied into its own heap block so that ASan
 * sees any read outside it) */
static void run(const unsigned char *buf, size_t n, size_t chunk, struct result *r)
{
	struct rind_fp p;
	struct rind_fp_event ev;
	memset(r, 0, sizeof *r);
	rind_fp_init(&p);
	for (size_t at = 0; at < n && !r->error;) {
		size_t len = n - at < chunk ? n - at : chunk;
		unsigned char *c = malloc(len);
		memcpy(c, buf + at, len);
		size_t pos = 0;
		while (pos < len) {
			size_t used = rind_fp_step(&p, c + pos, len - pos, &ev);
			if (ev.kind == RIND_FP_EV_ERROR) {
				r->error = ev.err;
				r->err_off = p.frame_off;
				break;
			}
			CHECK(used > 0, "no progress");
			if (ev.kind == RIND_FP_EV_DATA) {
				r->events++;
				CHECK(ev.len > 0 && ev.data >= c + pos && ev.data + ev.len == c + pos + used,
				      "data event outside consumed range");
				if (ev.type == 1) {
					memcpy(r->out + r->nout, ev.data, ev.len);
					r->nout += ev.len;
				} else {
					CHECK(ev.type == 2, "type %d", ev.type);
					memcpy(r->err + r->nerr, ev.data, ev.len);
					r->nerr += ev.len;
				}
			} else if (ev.kind == RIND_FP_EV_EXIT) {
				r->events++;
				if (r->exits < 4)
					r->code[r->exits] = ev.code;
				r->exits++;
			}
			pos += used;
		}
		free(c);
		at += len;
	}
	r->boundary = rind_fp_at_boundary(&p);
	if (r->error) { /* sticky */
		unsigned char x = 1;
		size_t u = rind_fp_step(&p, &x, 1, &ev);
		CHECK(u == 0 && ev.kind == RIND_FP_EV_ERROR && ev.err == r->error, "error not sticky");
	}
}

static struct result R, R2;
static unsigned char B[300000];

static void test_valid_stream(void)
{
	size_t n = 0;
	unsigned char big[RIND_FRAME_MAX];
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (unsigned char)(i * 7 + 3);
	n = put(B, n, 1, 0, 0, 6, "hello\n", 6);
	n = put(B, n, 2, 0, 0, 5, "oops\n", 5);
	n = put(B, n, 1, 0, 0, 0, NULL, 0); /* empty output frames are fine */
	n = put(B, n, 1, 0, 0, RIND_FRAME_MAX, big, RIND_FRAME_MAX);
	n = put(B, n, 2, 0, 0, 3, "end", 3);
	n = put_exit(B, n, 42);
	n = put(B, n, 1, 0, 0, 5, "late\n", 5); /* output after EXIT is still relayed */
	size_t chunks[] = { 1, 2, 3, 7, 8, 9, 4096, 65535, 65544, 1 << 20 };
	for (size_t k = 0; k < sizeof chunks / sizeof chunks[0]; k++) {
		run(B, n, chunks[k], &R);
		CHECK(!R.error, "chunk %zu: unexpected error %s", chunks[k], R.error);
		CHECK(R.nout == 6 + RIND_FRAME_MAX + 5, "chunk %zu: nout %zu", chunks[k], R.nout);
		CHECK(!memcmp(R.out, "hello\n", 6) && !memcmp(R.out + 6, big, sizeof big) &&
		      !memcmp(R.out + 6 + sizeof big, "late\n", 5), "chunk %zu: stdout bytes", chunks[k]);
		CHECK(R.nerr == 8 && !memcmp(R.err, "oops\nend", 8), "chunk %zu: stderr", chunks[k]);
		CHECK(R.exits == 1 && R.code[0] == 42, "chunk %zu: exit %d", chunks[k], R.code[0]);
		CHECK(R.boundary, "chunk %zu: not at boundary", chunks[k]);
	}
	/* a single chunk gives exactly one DATA event per non-empty frame */
	run(B, n, n, &R);
	CHECK(R.events == 6, "events %d", R.events);
}

static void test_exit_codes(void)
{
	long ok[] = { 0, 1, 127, 128, 137, 143, 255 };
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		size_t n = put_exit(B, 0, ok[i]);
		run(B, n, 1, &R);
		CHECK(!R.error && R.exits == 1 && R.code[0] == ok[i], "code %ld", ok[i]);
	}
	long bad[] = { 256, -1, 65535, 0x10000, 0x1000000, -256, 0x7fffffff, (long)0x80000000u };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		size_t n = put_exit(B, 0, bad[i]);
		run(B, n, 3, &R);
		CHECK(R.error && !strcmp(R.error, "EXIT code outside 0..255") && R.exits == 0,
		      "code %ld accepted", bad[i]);
	}
}

static void expect_error(const unsigned char *b, size_t n, const char *why, unsigned long long off,
			 size_t nout)
{
	size_t chunks[] = { 1, 5, 8, n };
	for (size_t k = 0; k < 4; k++) {
		run(b, n, chunks[k], &R);
		CHECK(R.error && !strcmp(R.error, why), "want '%s' got '%s' (chunk %zu)", why,
		      R.error ? R.error : "none", chunks[k]);
		CHECK(R.err_off == off, "error offset %llu want %llu", R.err_off, off);
		CHECK(R.nout == nout, "output before error %zu want %zu", R.nout, nout);
	}
}

static void test_violations(void)
{
	size_t n, pre = put(B, 0, 1, 0, 0, 3, "abc", 3); /* 11 bytes of valid output first */
	static unsigned char X[300000];
	unsigned char z[8] = { 0 };

	for (int t = 0; t < 256; t++) {
		if (t == 1 || t == 2 || t == 3)
			continue;
		memcpy(X, B, pre);
		n = put(X, pre, t, 0, 0, 0, NULL, 0);
		expect_error(X, n, "unknown or host->guest frame type", pre, 3);
	}
	memcpy(X, B, pre);
	n = put(X, pre, 1, 1, 0, 1, "x", 1);
	expect_error(X, n, "non-zero flags", pre, 3);
	n = put(X, pre, 1, 0x80, 0, 1, "x", 1);
	expect_error(X, n, "non-zero flags", pre, 3);
	n = put(X, pre, 2, 0, 1, 1, "x", 1);
	expect_error(X, n, "non-zero reserved field", pre, 3);
	n = put(X, pre, 2, 0, 0x100, 1, "x", 1);
	expect_error(X, n, "non-zero reserved field", pre, 3);
	n = put(X, pre, 1, 0, 0, RIND_FRAME_MAX + 1, NULL, 0);
	expect_error(X, n, "frame longer than RIND_FRAME_MAX", pre, 3);
	n = put(X, pre, 1, 0, 0, 0xffffffffu, NULL, 0);
	expect_error(X, n, "frame longer than RIND_FRAME_MAX", pre, 3);
	unsigned lens[] = { 0, 3, 5, 8 };
	for (int i = 0; i < 4; i++) {
		n = put(X, pre, 3, 0, 0, lens[i], z, lens[i]);
		expect_error(X, n, "EXIT payload is not 4 bytes", pre, 3);
	}
	n = put_exit(X, pre, 1);
	size_t second = n;
	n = put_exit(X, n, 2);
	expect_error(X, n, "second EXIT frame", second, 3);
	/* header-only checks happen before the payload arrives */
	n = put(X, pre, 9, 0, 0, 100, NULL, 0);
	expect_error(X, n, "unknown or host->guest frame type", pre, 3);
}

static void test_boundary(void)
{
	size_t n = put(B, 0, 1, 0, 0, 10, "0123456789", 10);
	for (size_t cut = 0; cut <= n; cut++) {
		run(B, cut, 1, &R);
		CHECK(!R.error && R.boundary == (cut == 0 || cut == n), "cut %zu", cut);
		CHECK(R.nout == (cut > 8 ? cut - 8 : 0), "cut %zu: nout %zu", cut, R.nout);
	}
	n = put_exit(B, 0, 5);
	run(B, n - 1, 1, &R);
	CHECK(!R.error && R.exits == 0 && !R.boundary, "partial EXIT");
	run(B, n, 2, &R2);
	CHECK(R2.exits == 1 && R2.code[0] == 5 && R2.boundary, "full EXIT");
}

int main(void)
{
	test_valid_stream();
	test_exit_codes();
	test_violations();
	test_boundary();
	printf("frame_parse: %d checks, %d failures\n", checks, failures);
	return failures ? 1 : 0;
}
