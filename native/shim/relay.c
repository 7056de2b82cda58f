/* rind-shim: the single-threaded poll loop relaying stdio, signals and window size between the engine's
 * fds and the io channel (or an exec port) to the container's exit code; no threads, bounded buffers. */

/* Control signal SHIM_SIG_KILL_VMM (40), handled here (normal and exec mode; --vmm-only: vmm.c):
 * SIGKILL QEMU, reap it, exit 137 (or the EXIT code the guest already reported); exec mode: exit
 * 137 at once, without an exit file (the exec'd process's fate is unknown). Never forwarded. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "frame_parse.h"
#include "shim.h"

#define IN_CAP 16384                 /* guest->host read chunk */
#define STDIN_CHUNK 16384            /* host->guest STDIN frame payload at most */
#define OUT_CAP (STDIN_CHUNK + 512)  /* host->guest pending bytes */
#define MIN_READ 512                 /* read input only with at least this much room */
#define EXIT_GRACE_MS 5000           /* after EXIT: how long QEMU may take to power off */
#define EXEC_ACK_MS 1000             /* exec mode, after EXIT: how long sending EXIT_ACK may take */
#define ONLCR_POLL_MS 20             /* console, before any output: how often the engine's ONLCR is looked at */

static uint8_t inbuf[IN_CAP];
static uint8_t outbuf[OUT_CAP];
static size_t out_off, out_len;      /* pending: outbuf[out_off .. out_off+out_len) */
static uint64_t pend_sigs;           /* bit n: SIGNAL n to send */
static int pend_winsz, pend_ack, pend_eof;
static int in_open = 1, sock_open = 1, guest_gone;
static int onlcr_sent = 1;           /* the ONLCR the guest's pty has: a new pty's (set) until we send one */
static int output_seen;              /* a STDOUT/STDERR byte came */
static struct rind_fp fp;
static long long deadline_ms = -1;

struct sink {
	int fd;
	int dead;
	const char *name;
};
static struct sink sink_out, sink_err;
static struct sink *to_out = &sink_out, *to_err = &sink_err;

/* ---------- guest -> engine ---------- */

static void sink_write(struct sink *k, const uint8_t *b, size_t n)
{
	while (n > 0 && !k->dead) {
		ssize_t w = write(k->fd, b, n);
		if (w > 0) {
			b += w;
			n -= (size_t)w;
		} else if (w < 0 && errno == EINTR) {
			continue;
		} else if (w < 0 && errno == EAGAIN) { /* someone made the engine's fd non-blocking */
			struct pollfd p = { .fd = k->fd, .events = POLLOUT };
			poll(&p, 1, -1);
		} else {
			shim_log("writing %s (fd %d): %s; dropping further output", k->name, k->fd,
				 w < 0 ? strerror(errno) : "short write");
			k->dead = 1;
		}
	}
}

static void on_violation(void)
{
	const uint8_t *h = fp.hdr;
	shim_log("protocol violation from guest at %s stream offset %llu: %s "
		 "(header %02x %02x %02x %02x %02x %02x %02x %02x)%s",
		 S.exec ? "exec" : "io", (unsigned long long)fp.frame_off, fp.err ? fp.err : "?",
		 h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], S.exec ? "" : "; killing the vm");
	kill_qemu();
	reap_children(1);
	/* an exit code reported before the violation stays the container's exit code */
	shim_finish(S.exit_seen ? S.exit_code : 255);
}

static void feed(const uint8_t *b, size_t n)
{
	struct rind_fp_event ev;
	while (n > 0) {
		size_t used = rind_fp_step(&fp, b, n, &ev);
		b += used;
		n -= used;
		switch (ev.kind) {
		case RIND_FP_EV_DATA:
			output_seen = 1;
			sink_write(ev.type == RIND_F_STDOUT ? to_out : to_err, ev.data, ev.len);
			break;
		case RIND_FP_EV_EXIT:
			S.exit_seen = 1;
			S.exit_code = ev.code;
			write_exit_file(ev.code);
			shim_log("guest reported exit code %d", ev.code);
			pend_ack = 1;
			pend_sigs = 0;
			deadline_ms = mono_ms() + (S.exec ? EXEC_ACK_MS : EXIT_GRACE_MS);
			if (S.exec) /* the session is over: read nothing more */
				return;
			break;
		case RIND_FP_EV_ERROR:
			on_violation();
		}
	}
}

/* exec mode: the agent opens every session with an empty STDOUT frame; until its first byte
 * arrives the session may not exist (a refused exec), so nothing is sent that could leak
 * into the next session on this port */
static int session_open(void)
{
	return !S.exec || fp.off > 0;
}

/* the guest's stream is still to be read */
static int want_sock(void)
{
	return sock_open && !(S.exec && S.exit_seen);
}

/* one read from the io socket; returns 0 when nothing more is readable now */
static int read_sock(void)
{
	ssize_t r = read(S.sock, inbuf, sizeof inbuf);
	if (r > 0) {
		feed(inbuf, (size_t)r);
		return 1;
	}
	if (r < 0 && (errno == EINTR))
		return 1;
	if (r < 0 && errno == EAGAIN)
		return 0;
	if (r < 0 && errno != ECONNRESET)
		shim_log("reading io socket: %s", strerror(errno));
	sock_open = 0;
	if (!rind_fp_at_boundary(&fp))
		shim_log("io stream ended inside a frame (offset %llu)", (unsigned long long)fp.off);
	return 0;
}

/* ---------- engine -> guest ---------- */

static size_t out_room(void)
{
	if (out_off) {
		memmove(outbuf, outbuf + out_off, out_len);
		out_off = 0;
	}
	return OUT_CAP - out_len;
}

static void put_hdr(uint8_t *p, uint8_t type, uint32_t len)
{
	p[0] = type;
	p[1] = p[2] = p[3] = 0;
	p[4] = (uint8_t)len;
	p[5] = (uint8_t)(len >> 8);
	p[6] = (uint8_t)(len >> 16);
	p[7] = (uint8_t)(len >> 24);
}

static int put_frame(uint8_t type, const uint8_t *payload, uint32_t len)
{
	if (out_room() < 8 + (size_t)len)
		return -1;
	uint8_t *p = outbuf + out_len;
	put_hdr(p, type, len);
	if (len)
		memcpy(p + 8, payload, len);
	out_len += 8 + len;
	return 0;
}

/* turn pending control events into frames while there is room */
static void fill_out(void)
{
	static int hello_sent;
	if (!session_open())
		return;
	if (guest_gone) {
		pend_sigs = 0;
		pend_winsz = pend_ack = pend_eof = 0;
		return;
	}
	/* the agent relays an exec session's output only after the shim's first frame: send an
	 * empty STDIN frame at once, so a session whose stdin stays silent still flows */
	if (S.exec && !hello_sent) {
		if (put_frame(RIND_F_STDIN, NULL, 0) < 0)
			return;
		hello_sent = 1;
	}
	int onlcr = tty_console_onlcr(); /* the engine's ClearONLCR, to the pty where the line discipline is */
	if (onlcr >= 0 && onlcr != onlcr_sent) {
		uint8_t b[4] = { (uint8_t)onlcr, 0, 0, 0 };
		if (put_frame(RIND_F_ONLCR, b, 4) < 0)
			return;
		onlcr_sent = onlcr;
	}
	for (int s = 1; pend_sigs && s < 64; s++) {
		if (!(pend_sigs & (1ull << s)))
			continue;
		uint8_t b[4] = { (uint8_t)s, 0, 0, 0 };
		if (put_frame(RIND_F_SIGNAL, b, 4) < 0)
			return;
		pend_sigs &= ~(1ull << s);
	}
	if (pend_winsz) {
		unsigned short rows, cols;
		/* 0x0 is a pty nobody sized: the process keeps its own (process.consoleSize) */
		if (tty_winsize(&rows, &cols) == 0 && (rows || cols)) {
			uint8_t b[4] = { (uint8_t)rows, (uint8_t)(rows >> 8), (uint8_t)cols, (uint8_t)(cols >> 8) };
			if (put_frame(RIND_F_WINSIZE, b, 4) < 0)
				return;
		}
		pend_winsz = 0;
	}
	if (pend_eof) {
		if (put_frame(RIND_F_STDIN_EOF, NULL, 0) < 0)
			return;
		pend_eof = 0;
	}
	if (pend_ack) {
		if (put_frame(RIND_F_EXIT_ACK, NULL, 0) < 0)
			return;
		pend_ack = 0;
	}
}

static int want_input(void)
{
	return session_open() && in_open && S.in_fd >= 0 && !guest_gone && !S.exit_seen && !pend_eof &&
	       OUT_CAP - out_len >= 8 + MIN_READ;
}

static void read_input(void)
{
	size_t room = out_room() - 8;
	if (room > STDIN_CHUNK)
		room = STDIN_CHUNK;
	ssize_t r = read(S.in_fd, outbuf + out_len + 8, room);
	if (r > 0) {
		put_hdr(outbuf + out_len, RIND_F_STDIN, (uint32_t)r);
		out_len += 8 + (size_t)r;
		return;
	}
	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (r < 0 && errno != EIO) /* EIO: terminal hung up, an ordinary end */
		shim_log("reading stdin (fd %d): %s; sending EOF", S.in_fd, strerror(errno));
	in_open = 0;
	pend_eof = 1;
}

static void flush_out(void)
{
	while (out_len && !guest_gone) {
		ssize_t w = send(S.sock, outbuf + out_off, out_len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w > 0) {
			out_off += (size_t)w;
			out_len -= (size_t)w;
		} else if (w < 0 && errno == EINTR) {
			continue;
		} else if (w < 0 && errno == EAGAIN) {
			break;
		} else {
			if (!S.exit_seen)
				shim_log("writing io socket: %s; dropping input to the guest",
					 w < 0 ? strerror(errno) : "short write");
			guest_gone = 1;
			out_len = out_off = 0;
		}
	}
	if (!out_len)
		out_off = 0;
}

/* ---------- signals and the end ---------- */

/* SHIM_SIG_KILL_VMM: the runtime's way to end the vm without ever signalling QEMU's pid itself */
static void control_kill(unsigned from)
{
	if (S.exec) {
		shim_log("control signal %d from pid %u: exec shim exits 137", SHIM_SIG_KILL_VMM, from);
		tty_restore();
		_exit(137);
	}
	shim_log("control signal %d from pid %u: killing the vm", SHIM_SIG_KILL_VMM, from);
	kill_qemu();
	reap_children(1); /* the loop's qemu_gone() picks the exit code */
}

static void on_signal(int s, unsigned from)
{
	if (s == SIGCHLD) {
		reap_children(0);
	} else if (s == SIGWINCH) {
		pend_winsz = S.winsz_fd >= 0;
	} else if (s == SHIM_SIG_KILL_VMM) {
		control_kill(from);
	} else if (!S.exit_seen && !guest_gone && s > 0 && s < 64) {
		shim_log("forwarding signal %d from pid %u", s, from);
		pend_sigs |= 1ull << s;
	}
}

static void read_signals(void)
{
	drain_signals(on_signal);
}

static void qemu_gone(void)
{
	/* QEMU is dead, so everything it wrote is in the socket already: take it all */
	while (sock_open && read_sock())
		;
	int st = S.qemu_status;
	char how[64];
	if (WIFSIGNALED(st))
		snprintf(how, sizeof how, "qemu killed by signal %d", WTERMSIG(st));
	else
		snprintf(how, sizeof how, "qemu exited with status %d", WEXITSTATUS(st));
	if (S.exit_seen) {
		shim_log("%s; container exit code %d", how, S.exit_code);
		shim_finish(S.exit_code);
	}
	int code = WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL ? 137 : 255;
	shim_log("vm died without reporting an exit status (%s); exit code %d", how, code);
	shim_finish(code);
}

/* exec mode: done once EXIT_ACK is out (or cannot go out), or when the port closed first */
static void exec_check_end(void)
{
	if (S.exit_seen) {
		if ((!out_len && !pend_ack) || guest_gone) {
			shim_log("exec: exit code %d%s", S.exit_code, guest_gone ? " (EXIT_ACK not delivered)" : "");
			shim_finish(S.exit_code);
		}
		if (mono_ms() >= deadline_ms) {
			shim_log("exec: exit code %d (EXIT_ACK not sent within %d ms)", S.exit_code, EXEC_ACK_MS);
			shim_finish(S.exit_code);
		}
	} else if (!sock_open) {
		/* the VM is gone and every process in it with it, as if SIGKILLed: pod members and exec'd
		 * processes report 137 (a protocol violation still gives 255) */
		shim_log("vm went away before the process reported an exit status; exit code 137");
		shim_finish(137);
	}
}

void relay_run(void)
{
	rind_fp_init(&fp);
	sink_out = (struct sink){ .fd = S.out_fd, .name = S.mode == MODE_PLAIN ? "stdout" : "terminal" };
	sink_err = (struct sink){ .fd = S.err_fd, .name = "stderr" };
	if (S.err_fd == S.out_fd)
		to_err = &sink_out;
	pend_winsz = S.winsz_fd >= 0;

	for (;;) {
		if (S.qemu_reaped)
			qemu_gone();
		fill_out();
		flush_out();
		if (S.exec)
			exec_check_end();

		struct pollfd p[3];
		p[0] = (struct pollfd){ .fd = S.sigfd, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = S.sock, .events = (short)((want_sock() ? POLLIN : 0) |
						(out_len && !guest_gone ? POLLOUT : 0)) };
		if (!p[1].events)
			p[1].fd = -1;
		p[2] = (struct pollfd){ .fd = want_input() ? S.in_fd : -1, .events = POLLIN };

		int timeout = -1;
		if (deadline_ms >= 0) {
			long long left = deadline_ms - mono_ms();
			timeout = left < 0 ? 0 : left > 60000 ? 60000 : (int)left;
		}
		/* an engine clears ONLCR right after it gets the pty: notice it before the process writes */
		if (S.mode == MODE_CONSOLE && !output_seen && !guest_gone && (timeout < 0 || timeout > ONLCR_POLL_MS))
			timeout = ONLCR_POLL_MS;
		int n = poll(p, 3, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			shim_log("poll: %s; killing the vm", strerror(errno));
			kill_qemu();
			reap_children(1);
			shim_finish(S.exit_seen ? S.exit_code : 255);
		}
		if (deadline_ms >= 0 && mono_ms() >= deadline_ms && !S.exec && !S.qemu_reaped) {
			shim_log("qemu still running %d ms after EXIT; killing it", EXIT_GRACE_MS);
			kill_qemu();
			reap_children(1);
			continue;
		}
		if (p[0].revents)
			read_signals();
		if (p[1].revents & POLLOUT)
			flush_out();
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR))
			for (int i = 0; i < 4 && want_sock() && read_sock(); i++)
				;
		if (p[2].revents & POLLNVAL) {
			in_open = 0;
			pend_eof = 1;
		} else if (p[2].revents && want_input()) { /* not after an EXIT that just came */
			read_input();
		}
	}
}
