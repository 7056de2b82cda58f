/* rind guest agent: what makes a VM cloned from a template unique (create's seed= and time= keys): RNG seed, clock.
 * VM-wide and idempotent (a failed create is retried); touches nothing of a container. */
#include "agent.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define SEED_MAX 512
#define RNDADDENTROPY _IOW('R', 0x03, int[2]) /* linux/random.h */
#define RNDRESEEDCRNG _IO('R', 0x07)          /* linux/random.h, since 4.17 */
#define CLOCK_SLACK_NS 10000000LL              /* 10 ms */

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
		: c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Mixes the bytes into the RNG, credited as entropy (they come from the host's RNG). */
static int seed_rng(const char *hex)
{
	struct {
		int entropy_count, buf_size;
		unsigned char buf[SEED_MAX];
	} pool;
	size_t len = strlen(hex);
	if (len % 2 || len / 2 > SEED_MAX)
		return fail("bad seed: want up to %d bytes in hex", SEED_MAX);
	for (size_t i = 0; i < len / 2; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return fail("bad seed: not hex");
		pool.buf[i] = hi << 4 | lo;
	}
	pool.buf_size = len / 2;
	pool.entropy_count = pool.buf_size * 8;
	int fd = open("/dev/urandom", O_WRONLY | O_CLOEXEC);
	int rc = 0;
	if (fd < 0 || ioctl(fd, RNDADDENTROPY, &pool) < 0)
		rc = fail("seed: add entropy: %s", strerror(errno));
	else if (write(fd, pool.buf, pool.buf_size) != pool.buf_size)
		rc = fail("seed: write /dev/urandom: %s", strerror(errno));
	/* credited entropy alone waits for the next scheduled reseed (up to a minute): a clone
	 * would keep drawing from the template's key until then, so reseed the crng now */
	else if (ioctl(fd, RNDRESEEDCRNG) < 0)
		rc = fail("seed: reseed crng: %s", strerror(errno));
	if (fd >= 0)
		close(fd);
	explicit_bzero(&pool, sizeof pool);
	return rc;
}

static int set_clock(const char *ns)
{
	long long want;
	struct timespec now;
	if (parse_num(ns, 0, INT64_MAX, &want))
		return fail("bad time: %.32s", ns);
	clock_gettime(CLOCK_REALTIME, &now);
	long long d = want - ((long long)now.tv_sec * 1000000000 + now.tv_nsec);
	if (d > -CLOCK_SLACK_NS && d < CLOCK_SLACK_NS)
		return 0;
	struct timespec ts = { .tv_sec = want / 1000000000, .tv_nsec = want % 1000000000 };
	if (clock_settime(CLOCK_REALTIME, &ts) < 0)
		return fail("set the clock: %s", strerror(errno));
	return 0;
}

int identity_apply(const char *seed, const char *time)
{
	if (seed && seed_rng(seed) < 0)
		return -1;
	if (time && set_clock(time) < 0)
		return -1;
	return 0;
}
