/* rind-shim: --serial-console, for agentless guests (unikernels): the VMM's serial line (QEMU's fd 3,
 * `-chardev socket,id=con,fd=3 -serial chardev:con`) relayed byte-exact, no framing, to the
 * container's stdio or terminal; the exit code is QEMU's status (--exit-map), and since the guest
 * takes no signals, a forwardable signal SIGKILLs QEMU (exit 128+sig; control signal: 137). */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "limits.h" /* proto/limits.h: RIND_FWD_SIGNALS */
#include "shim.h"

#define CON_CAP 16384          /* one read of either direction */
#define DRAIN_MAX (8u << 20)   /* after QEMU is gone: at most this much is still read */
#define DRAIN_MS 3000          /* ... and for at most this long */

static uint8_t from_guest[CON_CAP];
static uint8_t to_guest[CON_CAP];
static size_t tg_off, tg_len;  /* pending input: to_guest[tg_off .. tg_off+tg_len) */
static int in_open = 1, con_open = 1, con_wdead, out_dead;
static int end_code = -1;      /* set when a signal ended the vm: the container's exit code */
static const int fwd_signals[] = RIND_FWD_SIGNALS;

/* the guest's bytes to the container's stdout or terminal, as they are */
static void out_write(const uint8_t *b, size_t n)
{
	while (n > 0 && !out_dead) {
		ssize_t w = write(S.out_fd, b, n);
		if (w > 0) {
			b += w;
			n -= (size_t)w;
		} else if (w < 0 && errno == EINTR) {
			continue;
		} else if (w < 0 && errno == EAGAIN) { /* someone made the engine's fd non-blocking */
			struct pollfd p = { .fd = S.out_fd, .events = POLLOUT };
			poll(&p, 1, -1);
		} else {
			shim_log("writing %s (fd %d): %s; dropping further console output",
				 S.mode == MODE_PLAIN ? "stdout" : "terminal", S.out_fd,
				 w < 0 ? strerror(errno) : "short write");
			out_dead = 1; /* the console is still read, so the guest never blocks on it */
		}
	}
}

/* one read of the console; 0 when nothing more is readable now (or it closed) */
static int read_console(void)
{
	ssize_t r = read(S.sock, from_guest, sizeof from_guest);
	if (r > 0) {
		out_write(from_guest, (size_t)r);
		return (int)r;
	}
	if (r < 0 && errno == EINTR)
		return 1;
	if (r < 0 && errno == EAGAIN)
		return 0;
	if (r < 0 && errno != ECONNRESET)
		shim_log("reading the console: %s", strerror(errno));
	con_open = 0;
	return 0;
}

static void read_input(void)
{
	ssize_t r = read(S.in_fd, to_guest, sizeof to_guest);
	if (r > 0) {
		tg_off = 0;
		tg_len = (size_t)r;
		return;
	}
	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (r < 0 && errno != EIO) /* EIO: terminal hung up, an ordinary end */
		shim_log("reading stdin (fd %d): %s; no more console input", S.in_fd, strerror(errno));
	in_open = 0; /* EOF: stop reading, the guest runs on (a serial line has no EOF to send) */
}

static void flush_input(void)
{
	while (tg_len && !con_wdead) {
		ssize_t w = send(S.sock, to_guest + tg_off, tg_len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w > 0) {
			tg_off += (size_t)w;
			tg_len -= (size_t)w;
		} else if (w < 0 && errno == EINTR) {
			continue;
		} else if (w < 0 && errno == EAGAIN) {
			return;
		} else {
			shim_log("writing the console: %s; dropping input to the guest",
				 w < 0 ? strerror(errno) : "short write");
			con_wdead = 1;
			tg_len = 0;
		}
	}
}

static int forwardable(int s)
{
	for (size_t i = 0; i < sizeof fwd_signals / sizeof fwd_signals[0]; i++)
		if (fwd_signals[i] == s)
			return 1;
	return 0;
}

/* a forwardable or the control signal ends the vm: the guest cannot take it */
static void on_signal(int s, unsigned from)
{
	if (s == SIGCHLD) {
		reap_children(0);
		return;
	}
	if ((s != SHIM_SIG_KILL_VMM && !forwardable(s)) || S.qemu_reaped || end_code >= 0)
		return; /* SIGWINCH: a serial line has no window size */
	end_code = s == SHIM_SIG_KILL_VMM ? 137 : 128 + s;
	shim_log("%s %d from pid %u: killing the vm (exit code %d)", s == SHIM_SIG_KILL_VMM ? "control signal" : "signal", s, from, end_code);
	kill_qemu();
	reap_children(1);
}

static void read_signals(void)
{
	drain_signals(on_signal);
}

static int map_status(int st, int map)
{
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	int s = WEXITSTATUS(st);
	if (map == EXIT_MAP_STATUS || s == 0)
		return s;
	return s & 1 ? s >> 1 : 255; /* isa-debug-exit: QEMU exits (code << 1) | 1 */
}

/* QEMU is gone: what it wrote is in the socket already; take it (bounded), then the exit code */
static void finish(int map)
{
	long long until = mono_ms() + DRAIN_MS;
	size_t total = 0;
	int r;
	while (con_open && total < DRAIN_MAX && mono_ms() < until && (r = read_console()) > 0)
		total += (size_t)r;
	if (con_open && total >= DRAIN_MAX)
		shim_log("console still had output after %u bytes drained; the rest is dropped", DRAIN_MAX);
	int st = S.qemu_status;
	int code = end_code >= 0 ? end_code : map_status(st, map);
	if (WIFSIGNALED(st))
		shim_log("qemu killed by signal %d; exit code %d", WTERMSIG(st), code);
	else
		shim_log("qemu exited with status %d; exit code %d%s", WEXITSTATUS(st), code,
			 map == EXIT_MAP_DEBUG_EXIT && WEXITSTATUS(st) == 1 ?
			 " (debug-exit 0, or a QEMU failure: see vmm.log)" : "");
	shim_finish(code);
}

void serial_run(int map)
{
	for (;;) {
		if (S.qemu_reaped)
			finish(map);
		flush_input();
		struct pollfd p[3];
		p[0] = (struct pollfd){ .fd = S.sigfd, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = S.sock, .events = (short)((con_open ? POLLIN : 0) |
						(tg_len && !con_wdead ? POLLOUT : 0)) };
		if (!p[1].events)
			p[1].fd = -1;
		int want_in = in_open && S.in_fd >= 0 && !tg_len && !con_wdead;
		p[2] = (struct pollfd){ .fd = want_in ? S.in_fd : -1, .events = POLLIN };
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			shim_log("poll: %s; killing the vm", strerror(errno));
			end_code = 255;
			kill_qemu();
			reap_children(1);
			continue;
		}
		if (p[0].revents)
			read_signals();
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR))
			for (int i = 0; i < 4 && con_open && read_console() > 0; i++)
				;
		if (p[1].revents & POLLOUT)
			flush_input();
		if (p[2].revents & POLLNVAL)
			in_open = 0;
		else if (p[2].revents)
			read_input();
	}
}
