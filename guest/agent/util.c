/* rind guest agent: small helpers shared by all modules.
 * Console logging, error messages for replies, power-off, clocks, bounded writes. */
#include "agent.h"
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/reboot.h>
#include <time.h>
#include <unistd.h>

char err_msg[512];

/* Records the error text a failing `create` etc. replies with; returns -1. */
int fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err_msg, sizeof err_msg, fmt, ap);
	va_end(ap);
	return -1;
}

static void vlog(const char *fmt, va_list ap)
{
	char b[700];
	int n = snprintf(b, sizeof b, "rind-agent: ");
	n += vsnprintf(b + n, sizeof b - n - 1, fmt, ap);
	if (n > (int)sizeof b - 2)
		n = sizeof b - 2;
	b[n++] = '\n';
	if (write(2, b, n) < 0) { /* nowhere else to report */ }
}

/* fd 2 is /dev/console (the serial log on the host). */
void logmsg(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

/* QEMU runs with -no-reboot and the kernel with reboot=t: a reboot ends QEMU. */
_Noreturn void power_off(void)
{
	sync();
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}

_Noreturn void fatal(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
	power_off();
}

int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Writes all of buf to a non-blocking fd. Gives up (-1) on an error, when the
 * peer hangs up, or after timeout_ms (< 0: no limit). */
int write_full(int fd, const void *buf, size_t len, int timeout_ms)
{
	const char *p = buf;
	int64_t end = now_ms() + timeout_ms;
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w > 0) {
			p += w;
			len -= w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno != EAGAIN)
			return -1;
		int wait = -1;
		if (timeout_ms >= 0) {
			int64_t left = end - now_ms();
			if (left <= 0)
				return -1;
			wait = (int)left;
		}
		struct pollfd pf = { .fd = fd, .events = POLLOUT };
		if (poll(&pf, 1, wait) < 0 && errno != EINTR)
			return -1;
		if ((pf.revents & (POLLHUP | POLLERR)) && !(pf.revents & POLLOUT))
			return -1;
	}
	return 0;
}

void port_off(struct port *p)
{
	p->on = 0;
	p->off_since = now_ms();
	if (!p->rearm_ms)
		p->rearm_ms = REARM_MIN_MS;
}
