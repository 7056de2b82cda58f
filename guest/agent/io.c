/* rind guest agent: the rind.io channel (docs/protocol.md, "io channel frames").
 * Workload output -> STDOUT/STDERR frames; host frames -> stdin, signals, winsize, EXIT_ACK. */
#include "agent.h"
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

struct port io_port = { .fd = -1 };
int io_acked;
static int io_broken;           /* a write found the host gone: output is dropped */

static unsigned char in[8 + RIND_FRAME_MAX];
static size_t in_len;
static int stalled;             /* a STDIN frame waits for room in sbuf */

static unsigned char sbuf[STDIN_MAX]; /* stdin bytes not yet taken by the workload */
static size_t s_off, s_len;
static int stdin_eof;           /* STDIN_EOF seen: close stdin once sbuf is flushed */
static int stdin_gone;          /* stdin is closed: STDIN frames are dropped */

static unsigned char out[8 + RIND_FRAME_MAX];

static uint32_t le32(const unsigned char *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- guest -> host ---- */

/* Blocks until the frame is out: the host always reads io. */
void io_send(int type, const void *payload, uint32_t len)
{
	if (io_broken)
		return;
	if (payload != out + 8)
		memcpy(out + 8, payload, len);
	out[0] = type, out[1] = out[2] = out[3] = 0;
	out[4] = len, out[5] = len >> 8, out[6] = len >> 16, out[7] = len >> 24;
	if (write_full(io_port.fd, out, 8 + len, -1) < 0) {
		io_broken = 1;
		logmsg("io: host side gone (%s), dropping output", strerror(errno));
	}
}

/* One read from a workload output fd. 1: data sent, 0: EOF (fd closed), -1: nothing now.
 * EIO on a pty master means every slave fd is closed: EOF. */
int io_pump(int *fd, int type)
{
	ssize_t n = read(*fd, out + 8, RIND_FRAME_MAX);
	if (n > 0) {
		io_send(type, out + 8, n);
		return 1;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return -1;
	close(*fd);
	*fd = -1;
	return 0;
}

/* ---- host -> guest ---- */

static void handle_frame(int type, const unsigned char *p, uint32_t len)
{
	int32_t v;
	switch (type) {
	case RIND_F_STDIN:      /* stdin already closed */
		return;
	case RIND_F_STDIN_EOF:
		if (!len) {
			stdin_eof = 1;
			return;
		}
		break;
	case RIND_F_SIGNAL:
		if (len == 4) {
			v = le32(p);
			if (wl.pid && !wl.exited && v > 0 && v < 65)
				kill(wl.pid, v);
			return;
		}
		break;
	case RIND_F_WINSIZE:
		if (len == 4) {
			workload_winsize(p[0] | p[1] << 8, p[2] | p[3] << 8);
			return;
		}
		break;
	case RIND_F_EXIT_ACK:
		if (!len) {
			io_acked = 1;
			return;
		}
		break;
	}
	logmsg("io: ignoring frame type %d len %u", type, (unsigned)len);
}

static void parse(void)
{
	size_t off = 0;
	stalled = 0;
	while (in_len - off >= 8) {
		const unsigned char *h = in + off;
		uint32_t len = le32(h + 4);
		if (len > RIND_FRAME_MAX || h[1] || h[2] || h[3])
			fatal("io: protocol violation from the host (type %d len %u)", h[0], (unsigned)len);
		if (in_len - off < 8 + len)
			break;
		if (h[0] == RIND_F_STDIN && !stdin_gone && !stdin_eof) {
			if (s_len + len > STDIN_MAX) {
				stalled = 1; /* stop reading io until the workload takes some */
				break;
			}
			if (s_off + s_len + len > STDIN_MAX) {
				memmove(sbuf, sbuf + s_off, s_len);
				s_off = 0;
			}
			memcpy(sbuf + s_off + s_len, h + 8, len);
			s_len += len;
		} else {
			handle_frame(h[0], h + 8, len);
		}
		off += 8 + len;
	}
	memmove(in, in + off, in_len - off);
	in_len -= off;
}

int io_want_read(void)
{
	return !stalled;
}

void io_event(short revents)
{
	if (revents & POLLIN) {
		ssize_t n = read(io_port.fd, in + in_len, sizeof in - in_len);
		if (n > 0) {
			in_len += n;
			parse();
		} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			port_off(&io_port);
		}
	} else if (revents & (POLLHUP | POLLERR)) {
		port_off(&io_port);
	}
}

/* Takes in the io frames the guest already holds, so that frames the host sent
 * before `create` are handled as "no workload yet" (io and ctl are not ordered). */
void io_catch_up(void)
{
	struct pollfd pf = { .fd = io_port.fd, .events = POLLIN };
	while (io_port.on && !stalled && poll(&pf, 1, 0) == 1 && (pf.revents & POLLIN))
		io_event(pf.revents);
}

/* ---- the workload's stdin ---- */

int io_stdin_pending(void)
{
	return s_len || stdin_eof;
}

/* Closes the workload's stdin and drops whatever it did not take. */
void io_stdin_close(void)
{
	if (wl.in_fd >= 0)
		close(wl.in_fd);
	wl.in_fd = -1;
	stdin_gone = 1;
	s_off = s_len = 0;
	if (stalled)
		parse();
}

/* wl.in_fd is writable (or stdin must be closed). */
void io_stdin_event(void)
{
	while (s_len) {
		ssize_t n = write(wl.in_fd, sbuf + s_off, s_len);
		if (n > 0) {
			s_off += n;
			s_len -= n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && errno == EAGAIN) {
			break;
		} else { /* EPIPE: the workload closed its stdin */
			io_stdin_close();
			return;
		}
	}
	if (!s_len) {
		s_off = 0;
		if (stdin_eof) {
			/* a pty has no EOF of its own: type the EOF character, as a user would */
			struct termios t;
			if (wl.pty && tcgetattr(wl.in_fd, &t) == 0 && write(wl.in_fd, &t.c_cc[VEOF], 1) < 0)
				logmsg("io: cannot send EOF to the pty: %s", strerror(errno));
			stdin_eof = 0;
			io_stdin_close();
			return;
		}
	}
	if (stalled)
		parse();
}
