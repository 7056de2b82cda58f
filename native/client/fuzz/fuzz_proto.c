/* Fuzzes what the client parses from the daemon: a byte stream split into frames (rp_parse_header),
 * SPAWN payloads decoded in place (rp_decode_spawn). Random and mutated-valid inputs; ASan+UBSan catch
 * the rest. Usage: fuzz_proto -s SEED (-n ITERATIONS | -t SECONDS) | fuzz_proto FILE (replay). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include "proto.h"

static uint64_t rng;
static uint8_t buf[8192];
static size_t cur;

/* the input that failed, kept for replay (ASan aborts with abort_on_error=1) */
static void keep(int sig)
{
	int fd = open("fuzz-crash.bin", O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0) {
		if (write(fd, buf, cur) < 0) {
		}
		close(fd);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}
static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

static void consume(uint8_t *buf, size_t n)
{
	size_t off = 0;
	while (n - off >= RP_HEADER) {
		uint8_t type;
		uint32_t len;
		if (rp_parse_header(buf + off, &type, &len) < 0)
			return;
		if (n - off - RP_HEADER < len)
			return;
		uint8_t *p = buf + off + RP_HEADER;
		if (type == RP_SPAWN) {
			struct rp_spawn s;
			if (rp_decode_spawn(p, len, &s) == 0) {
				for (uint32_t i = 0; i < s.argc; i++)
					if (!s.argv[i] || strlen(s.argv[i]) > len)
						abort();
				if (s.argv[s.argc])
					abort();
				free(s.argv);
			}
		}
		off += RP_HEADER + len;
	}
}

static size_t make(uint8_t *b, size_t cap)
{
	size_t n = 0;
	while (n + 64 < cap && (rnd() & 7)) {
		uint8_t types[] = { RP_ACK, RP_STDOUT, RP_STDERR, RP_SPAWN, RP_EXIT, RP_FALLBACK, RP_REQUEST, (uint8_t)rnd() };
		uint8_t t = types[rnd() % sizeof types];
		uint32_t len = rnd() % 48;
		if (t == RP_SPAWN) {
			uint32_t k = 1 + rnd() % 4;
			uint8_t *p = b + n + RP_HEADER;
			rp_put_u32(p, rnd());
			rp_put_u32(p + 4, rnd() & 1);
			rp_put_u32(p + 8, rnd() % 3 ? k : rnd());
			size_t w = 12;
			for (uint32_t i = 0; i < k && w + 8 < cap - n - RP_HEADER - 1; i++) {
				if (i == 0 && rnd() % 4)
					p[w++] = '/';
				for (uint32_t j = rnd() % 6; j; j--)
					p[w++] = (uint8_t)('a' + rnd() % 26);
				if (rnd() % 8)
					p[w++] = 0;
			}
			len = (uint32_t)w;
		} else {
			for (uint32_t i = 0; i < len; i++)
				b[n + RP_HEADER + i] = (uint8_t)rnd();
		}
		rp_put_header(b + n, t, rnd() % 16 ? len : rnd());
		n += RP_HEADER + len;
	}
	for (uint32_t m = rnd() % 4; m && n; m--)
		b[rnd() % n] ^= (uint8_t)(1u << (rnd() % 8));
	return n;
}

int main(int argc, char **argv)
{
	uint64_t seed = 1, iters = 0;
	double secs = 0;
	if (argc == 2) {
		FILE *f = fopen(argv[1], "rb");
		if (!f)
			return 2;
		size_t n = fread(buf, 1, sizeof buf, f);
		fclose(f);
		consume(buf, n);
		return 0;
	}
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "-s"))
			seed = strtoull(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "-n"))
			iters = strtoull(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "-t"))
			secs = strtod(argv[i + 1], NULL);
	}
	signal(SIGABRT, keep);
	signal(SIGSEGV, keep);
	rng = seed * 2654435761u + 1;
	time_t end = time(NULL) + (time_t)secs;
	uint64_t done = 0;
	for (; iters ? done < iters : time(NULL) < end; done++) {
		cur = make(buf, sizeof buf);
		consume(buf, cur);
	}
	printf("fuzz_proto: %llu inputs, seed %llu, ok\n", (unsigned long long)done, (unsigned long long)seed);
	return 0;
}
