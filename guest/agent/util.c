/* rind guest agent: small helpers shared by all modules.
 * Console logging, error messages for replies, power-off, clocks, port state, numbers. */
#include "agent.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
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

void port_off(struct port *p)
{
	p->on = 0;
	p->off_since = now_ms();
	if (!p->rearm_ms)
		p->rearm_ms = REARM_MIN_MS;
}

/* Decimal in [min, max], nothing else: 0, or -1. */
int parse_num(const char *s, long long min, long long max, long long *v)
{
	char *end;
	errno = 0;
	*v = strtoll(s, &end, 10);
	return *s && !*end && !errno && *v >= min && *v <= max ? 0 : -1;
}
