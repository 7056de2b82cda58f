/* rind guest agent: what every system-facing module uses: the console log, fatal errors, power-off, the clock,
 * reading small /proc and cgroup files.
 * No state of its own; the pure parsers do not use it (they report through err.c). */
#include "agent.h"
#include <stdarg.h>
#include <stdio.h>
#include <sys/reboot.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

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

int tmin(int a, int b)
{
	return a < 0 ? b : b < 0 ? a : a < b ? a : b;
}

int ms_until(int64_t deadline, int64_t now)
{
	return deadline > now ? (int)(deadline - now) : 0;
}

ssize_t read_small(int dirfd, const char *path, char *b, size_t len)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	size_t n = 0;
	ssize_t r = 0;
	if (fd < 0)
		return -1;
	while (n < len - 1 && (r = read(fd, b + n, len - 1 - n)) > 0)
		n += r;
	close(fd);
	if (r < 0)
		return -1;
	b[n] = 0;
	return n;
}
