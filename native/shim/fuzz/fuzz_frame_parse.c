/* rind-shim fuzz harness for frame_parse.c: differential check of the incremental parser (random
 * chunkings, each chunk its own heap block for ASan) against a whole-buffer reference parser.
 *
 * Modes:
 *   fuzz_frame_parse [-s SEED] [-n ITERATIONS] [-t SECONDS]   built-in generator+mutator (deterministic
 *                                                            for a seed; stops at -n or -t, first hit)
 *   fuzz_frame_parse FILE|-                                  check one input (AFL++: afl-fuzz -i seeds
 *                                                            -o out -- ./fuzz_frame_parse @@)
 *   fuzz_frame_parse --afl                                   AFL++ persistent mode (built with
 *                                                            afl-clang-fast): afl-fuzz ... -- ./fuzz_frame_parse --afl
 *   fuzz_frame_parse -w DIR                                  write a small seed corpus for AFL++
 * Any inconsistency prints a diagnosis (and the input as hex) and abort()s; ASan/UBSan catch the rest. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "frame_parse.h"

#define MAX_IN (1u << 20)

/* normalized event log: per data byte (type, byte); EXIT: 0xEE code; ERROR: 0xFF + frame offset */
struct log {
	uint8_t *b;
	size_t n;
	const char *err;
	uint64_t err_off;
	uint64_t consumed;
	int boundary;
};

static uint8_t input[MAX_IN];
static size_t input_len;

static void dump_and_abort(const char *what)
{
	fprintf(stderr, "fuzz: INCONSISTENCY: %s\nfuzz: input (%zu bytes):", what, input_len);
	for (size_t i = 0; i < input_len && i < 4096; i++)
		fprintf(stderr, "%s%02x", i % 32 ? " " : "\n  ", input[i]);
	fputc('\n', stderr);
	FILE *f = fopen("fuzz-crash.bin", "wb");
	if (f) {
		fwrite(input, 1, input_len, f);
		fclose(f);
		fprintf(stderr, "fuzz: input saved to ./fuzz-crash.bin\n");
	}
	abort();
}

static void log_byte(struct log *l, uint8_t a, uint8_t b)
{
	l->b[l->n++] = a;
	l->b[l->n++] = b;
}

/* ---------- reference: whole buffer, written straight from docs/protocol.md ---------- */

static void reference(const uint8_t *in, size_t n, struct log *l)
{
	size_t at = 0;
	int exits = 0;
	l->n = 0;
	l->err = NULL;
	while (at < n) {
		if (n - at < 8) { /* partial header: fine, nothing emitted */
			l->consumed = n;
			l->boundary = 0;
			return;
		}
		const uint8_t *h = in + at;
		uint32_t len = (uint32_t)h[4] | (uint32_t)h[5] << 8 | (uint32_t)h[6] << 16 | (uint32_t)h[7] << 24;
		const char *e = NULL;
		if (h[1])
			e = "non-zero flags";
		else if (h[2] || h[3])
			e = "non-zero reserved field";
		else if (len > RIND_FRAME_MAX)
			e = "frame longer than RIND_FRAME_MAX";
		else if (h[0] != 1 && h[0] != 2 && h[0] != 3)
			e = "unknown or host->guest frame type";
		else if (h[0] == 3 && len != 4)
			e = "EXIT payload is not 4 bytes";
		else if (h[0] == 3 && exits)
			e = "second EXIT frame";
		if (e) {
			l->err = e;
			l->err_off = at;
			l->consumed = at + 8;
			l->boundary = 0;
			return;
		}
		size_t avail = n - at - 8 < len ? n - at - 8 : len;
		if (h[0] == 3) {
			if (avail < 4) {
				l->consumed = n;
				l->boundary = 0;
				return;
			}
			int32_t code = (int32_t)((uint32_t)h[8] | (uint32_t)h[9] << 8 | (uint32_t)h[10] << 16 |
						 (uint32_t)h[11] << 24);
			if (code < 0 || code > 255) {
				l->err = "EXIT code outside 0..255";
				l->err_off = at;
				l->consumed = at + 12;
				l->boundary = 0;
				return;
			}
			exits++;
			log_byte(l, 0xEE, (uint8_t)code);
		} else {
			for (size_t i = 0; i < avail; i++)
				log_byte(l, h[0], h[8 + i]);
		}
		if (avail < len) {
			l->consumed = n;
			l->boundary = 0;
			return;
		}
		at += 8 + len;
	}
	l->consumed = n;
	l->boundary = 1;
}

/* ---------- the parser under test, fed in chunks ---------- */

static uint64_t rng_state;
static uint64_t rnd(void) /* splitmix64 */
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}
static size_t rnd_below(size_t n) { return n ? (size_t)(rnd() % n) : 0; }

static size_t pick_chunk(int style, size_t left)
{
	size_t c;
	switch (style) {
	case 0: c = 1; break;
	case 1: c = 1 + rnd_below(16); break;
	case 2: c = 1 + rnd_below(70000); break;
	case 3: c = left; break;
	default: c = rnd() & 1 ? 1 + rnd_below(9) : 1 + rnd_below(4096); break;
	}
	return c < left ? c : left;
}

static void incremental(const uint8_t *in, size_t n, int style, struct log *l)
{
	struct rind_fp p;
	struct rind_fp_event ev;
	uint64_t total = 0;
	int exits = 0;
	l->n = 0;
	l->err = NULL;
	rind_fp_init(&p);
	for (size_t at = 0; at < n && !l->err;) {
		size_t len = pick_chunk(style, n - at);
		uint8_t *c = malloc(len); /* exact size: ASan flags any read past the chunk */
		if (!c)
			abort();
		memcpy(c, in + at, len);
		size_t pos = 0;
		while (pos < len) {
			size_t used = rind_fp_step(&p, c + pos, len - pos, &ev);
			if (used > len - pos)
				dump_and_abort("step consumed more than it was given");
			total += used;
			if (p.off != total)
				dump_and_abort("p.off disagrees with bytes consumed");
			if (ev.kind == RIND_FP_EV_ERROR) {
				if (!ev.err || ev.err != p.err || p.state != RIND_FP_DEAD)
					dump_and_abort("error event without error state");
				l->err = ev.err;
				l->err_off = p.frame_off;
				/* sticky: nothing more is consumed */
				struct rind_fp_event ev2;
				if (rind_fp_step(&p, c + pos, len - pos, &ev2) != 0 || ev2.kind != RIND_FP_EV_ERROR)
					dump_and_abort("error is not sticky");
				break;
			}
			if (used == 0)
				dump_and_abort("no progress without error");
			if (ev.kind == RIND_FP_EV_DATA) {
				if (ev.len == 0 || ev.data < c + pos || ev.data + ev.len != c + pos + used)
					dump_and_abort("DATA event outside the consumed bytes");
				if (ev.type != RIND_F_STDOUT && ev.type != RIND_F_STDERR)
					dump_and_abort("DATA event of a non-output type");
				for (size_t i = 0; i < ev.len; i++)
					log_byte(l, ev.type, ev.data[i]);
			} else if (ev.kind == RIND_FP_EV_EXIT) {
				if (ev.code < 0 || ev.code > 255 || ++exits > 1)
					dump_and_abort("bad EXIT event");
				log_byte(l, 0xEE, (uint8_t)ev.code);
			} else if (ev.kind != RIND_FP_EV_NONE) {
				dump_and_abort("unknown event kind");
			} else if (pos + used != len) {
				dump_and_abort("NONE event before the chunk was consumed");
			}
			pos += used;
		}
		free(c);
		at += len;
	}
	l->consumed = total;
	l->boundary = rind_fp_at_boundary(&p);
}

static uint8_t *ref_buf, *inc_buf;

#ifdef __AFL_FUZZ_TESTCASE_LEN
__AFL_FUZZ_INIT();
#endif

static void check_one(const uint8_t *in, size_t n, int styles)
{
	struct log ref = { .b = ref_buf }, inc = { .b = inc_buf };
	reference(in, n, &ref);
	for (int s = 0; s < styles; s++) {
		incremental(in, n, s, &inc);
		if (ref.n != inc.n || memcmp(ref.b, inc.b, ref.n))
			dump_and_abort("event logs differ (data/exit)");
		if ((ref.err == NULL) != (inc.err == NULL) || (ref.err && strcmp(ref.err, inc.err)))
			dump_and_abort(ref.err ? ref.err : inc.err);
		if (ref.err && ref.err_off != inc.err_off)
			dump_and_abort("error offsets differ");
		if (ref.consumed != inc.consumed)
			dump_and_abort("consumed byte counts differ");
		if (!ref.err && ref.boundary != inc.boundary)
			dump_and_abort("frame boundary state differs");
	}
}

/* ---------- generator / mutator ---------- */

static size_t gen_frame(uint8_t *b, size_t room)
{
	uint8_t type;
	uint32_t len;
	uint64_t r = rnd() % 100;
	if (r < 40) type = 1;
	else if (r < 70) type = 2;
	else if (r < 85) type = 3;
	else type = (uint8_t)rnd();
	if (type == 3 && rnd() % 8)
		len = 4;
	else switch (rnd() % 10) {
	case 0: len = 0; break;
	case 1: len = RIND_FRAME_MAX; break;
	case 2: len = RIND_FRAME_MAX + 1 + (uint32_t)rnd_below(3); break;
	case 3: len = (uint32_t)rnd(); break;
	case 4: case 5: len = (uint32_t)rnd_below(70000); break;
	default: len = (uint32_t)rnd_below(64); break;
	}
	if (room < 8)
		return 0;
	b[0] = type;
	b[1] = rnd() % 50 ? 0 : (uint8_t)rnd();
	b[2] = rnd() % 50 ? 0 : (uint8_t)rnd();
	b[3] = rnd() % 50 ? 0 : (uint8_t)rnd();
	b[4] = (uint8_t)len; b[5] = (uint8_t)(len >> 8); b[6] = (uint8_t)(len >> 16); b[7] = (uint8_t)(len >> 24);
	size_t pl = len < room - 8 ? len : room - 8;
	if (type == 3 && len == 4 && pl == 4) {
		uint32_t code = rnd() % 6 ? (uint32_t)rnd_below(256) : (uint32_t)rnd();
		b[8] = (uint8_t)code; b[9] = (uint8_t)(code >> 8); b[10] = (uint8_t)(code >> 16); b[11] = (uint8_t)(code >> 24);
	} else {
		for (size_t i = 0; i < pl; i++)
			b[8 + i] = (uint8_t)rnd();
	}
	return 8 + pl;
}

static void generate(void)
{
	size_t cap = 1 + rnd_below(rnd() % 4 ? 4096 : 300000);
	input_len = 0;
	if (rnd() % 10 == 0) { /* raw noise */
		for (; input_len < cap; input_len++)
			input[input_len] = (uint8_t)rnd();
		return;
	}
	int frames = 1 + (int)rnd_below(20);
	for (int f = 0; f < frames && input_len < cap; f++)
		input_len += gen_frame(input + input_len, cap - input_len);
	int muts = rnd() % 3 ? 0 : 1 + (int)rnd_below(4);
	for (int m = 0; m < muts && input_len; m++) {
		size_t at = rnd_below(input_len);
		switch (rnd() % 4) {
		case 0: input[at] ^= (uint8_t)(1u << rnd_below(8)); break;
		case 1: input[at] = (uint8_t)rnd(); break;
		case 2: input_len = at; break; /* truncate */
		default: { /* splice a fresh header here */
			uint8_t tmp[8 + 64];
			size_t g = gen_frame(tmp, sizeof tmp);
			if (g > input_len - at)
				g = input_len - at;
			memcpy(input + at, tmp, g);
		}
		}
	}
}

static void write_seeds(const char *dir)
{
	char path[4096];
	for (int i = 0; i < 16; i++) {
		rng_state = (uint64_t)i * 7919;
		do generate(); while (input_len > 2048);
		snprintf(path, sizeof path, "%s/seed%02d", dir, i);
		FILE *f = fopen(path, "wb");
		if (!f) { perror(path); exit(2); }
		fwrite(input, 1, input_len, f);
		fclose(f);
	}
}

static uint64_t fnv(const uint8_t *b, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

static int afl_persistent(void)
{
#ifdef __AFL_FUZZ_TESTCASE_LEN
	__AFL_INIT();
	const unsigned char *buf = __AFL_FUZZ_TESTCASE_BUF;
	while (__AFL_LOOP(10000)) {
		size_t len = (size_t)__AFL_FUZZ_TESTCASE_LEN;
		input_len = len < MAX_IN ? len : MAX_IN;
		memcpy(input, buf, input_len);
		rng_state = fnv(input, input_len);
		check_one(input, input_len, 5);
	}
	return 0;
#else
	fprintf(stderr, "fuzz: --afl needs a build with afl-clang-fast\n");
	return 2;
#endif
}

int main(int argc, char **argv)
{
	uint64_t seed = 1, iters = 0;
	double seconds = 0;
	const char *file = NULL;
	ref_buf = malloc(2 * MAX_IN + 16);
	inc_buf = malloc(2 * MAX_IN + 16);
	if (!ref_buf || !inc_buf)
		return 2;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-s") && i + 1 < argc) seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "-n") && i + 1 < argc) iters = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "-t") && i + 1 < argc) seconds = atof(argv[++i]);
		else if (!strcmp(argv[i], "-w") && i + 1 < argc) { write_seeds(argv[++i]); return 0; }
		else if (!strcmp(argv[i], "--afl")) return afl_persistent();
		else file = argv[i];
	}
	if (file) { /* one input (AFL++ @@ or stdin) */
		FILE *f = strcmp(file, "-") ? fopen(file, "rb") : stdin;
		if (!f) { perror(file); return 2; }
		input_len = fread(input, 1, MAX_IN, f);
		if (f != stdin)
			fclose(f);
		rng_state = fnv(input, input_len);
		check_one(input, input_len, 5);
		return 0;
	}
	if (!iters && !seconds)
		iters = 20000;
	rng_state = seed;
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	uint64_t done = 0, bytes = 0;
	for (;;) {
		if (iters && done >= iters)
			break;
		if (seconds && (done & 63) == 0) {
			clock_gettime(CLOCK_MONOTONIC, &t);
			if ((double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9 >= seconds)
				break;
		}
		generate();
		check_one(input, input_len, 5);
		bytes += input_len;
		done++;
	}
	clock_gettime(CLOCK_MONOTONIC, &t);
	printf("fuzz_frame_parse: seed %llu: %llu inputs, %llu bytes, 5 chunkings each, %.1f s: no inconsistency\n",
	       (unsigned long long)seed, (unsigned long long)done, (unsigned long long)bytes,
	       (double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9);
	return 0;
}
