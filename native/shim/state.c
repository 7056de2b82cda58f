/* rind-shim: the shim's outputs besides the relay: shim.log, the state files (exit, vmm.pid, all
 * written atomically), the ready fd's one line, and the final exit; no partial files, no silent failure. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "shim.h"

long long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t fmt_line(char *buf, size_t cap, const char *fmt, va_list ap)
{
	int n = vsnprintf(buf, cap, fmt, ap);
	size_t len = n < 0 ? 0 : (size_t)n >= cap ? cap - 1 : (size_t)n;
	for (size_t i = 0; i < len; i++) /* one line, always */
		if (buf[i] == '\n' || buf[i] == '\r')
			buf[i] = ' ';
	return len;
}

void write_all_fd(int fd, const char *b, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, b, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		b += w;
		n -= (size_t)w;
	}
}

/* "<prefix><msg>\n" to fd, truncated to one bounded line */
static void write_line(int fd, const char *prefix, const char *msg, size_t len)
{
	char out[1100];
	int n = snprintf(out, sizeof out, "%s%.*s\n", prefix, (int)len, msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof out) {
		n = sizeof out - 1;
		out[n - 1] = '\n';
	}
	write_all_fd(fd, out, (size_t)n);
}

static void log_msg(const char *msg, size_t len)
{
	char prefix[80];
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(prefix, sizeof prefix, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ rind-shim[%d]: ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 ts.tv_nsec / 1000000, (int)getpid());
	write_line(S.logfd >= 0 ? S.logfd : 2, prefix, msg, len);
}

void shim_log(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	size_t len = fmt_line(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_msg(msg, len);
}

/* a set-up step failed: log it, answer the ready fd (or stderr), leave no VMM behind, exit 1 */
void setup_fail(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	size_t len = fmt_line(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_msg(msg, len);
	if (S.readyfd >= 0) {
		write_line(S.readyfd, "error: ", msg, len);
		close(S.readyfd);
		S.readyfd = -1;
	} else if (S.logfd >= 0) { /* nobody listens on a ready fd: tell the caller's stderr too */
		write_line(2, "rind-shim: ", msg, len);
	}
	if (S.qemu > 0 && !S.qemu_reaped) {
		kill_qemu();
		reap_children(1);
	}
	tty_restore();
	_exit(1);
}

void state_open(const char *dir)
{
	S.statefd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (S.statefd < 0)
		setup_fail("open state dir %s: %s", dir, strerror(errno));
	S.logfd = openat(S.statefd, "shim.log", O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (S.logfd < 0)
		setup_fail("open %s/shim.log: %s", dir, strerror(errno));
}

/* write name atomically inside the state dir: name.tmp, then rename */
int write_state_file(const char *name, const char *content)
{
	char tmp[64];
	snprintf(tmp, sizeof tmp, "%s.tmp", name);
	int fd = openat(S.statefd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	size_t len = strlen(content);
	ssize_t w = write(fd, content, len);
	int e = errno;
	if (close(fd) < 0 && w == (ssize_t)len) {
		w = -1;
		e = errno;
	}
	if (w != (ssize_t)len || renameat(S.statefd, tmp, S.statefd, name) < 0) {
		e = w != (ssize_t)len ? (w < 0 ? e : EIO) : errno;
		unlinkat(S.statefd, tmp, 0);
		errno = e;
		return -1;
	}
	return 0;
}

void write_exit_file(int code)
{
	char buf[16];
	if (S.exit_written)
		return;
	S.exit_written = 1;
	snprintf(buf, sizeof buf, "%d\n", code);
	if (write_state_file("exit", buf) < 0)
		shim_log("cannot write exit file: %s", strerror(errno));
}

void ready_ok(void)
{
	if (S.readyfd < 0)
		return;
	write_all_fd(S.readyfd, "ok\n", 3);
	close(S.readyfd);
	S.readyfd = -1;
}

void shim_finish(int code)
{
	write_exit_file(code);
	tty_restore();
	_exit(code);
}
