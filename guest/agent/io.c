/* rind guest agent: the io channel of a session (docs/protocol.md, "io channel frames"): rind.io or an exec port.
 * Output -> STDOUT/STDERR/EXIT frames, host frames -> stdin, signals, winsize, ACK; never blocks, never calls sess.c. */
#include "agent.h"
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define IN_MAX (8 + RIND_FRAME_MAX)
#define OUT_MAX (8 + RIND_FRAME_MAX)

static uint32_t le32(const unsigned char *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* One allocation; large enough that malloc maps it, so freeing it gives the memory back. */
int chan_alloc(struct sess *s)
{
	unsigned char *b = malloc(IN_MAX + OUT_MAX + STDIN_MAX);
	if (!b)
		return fail("out of memory");
	s->in = b;
	s->out = b + IN_MAX;
	s->sbuf = s->out + OUT_MAX;
	return 0;
}

void chan_release(struct sess *s)
{
	free(s->in);
	s->in = s->out = s->sbuf = NULL;
}

/* ---- guest -> host ---- */

int chan_pending(const struct sess *s)
{
	return s->out_len > 0;
}

/* The host side is gone: from now on output is read and dropped. */
void chan_broken(struct sess *s, const char *why)
{
	if (!s->broken)
		logmsg("%s: host side gone (%s), dropping output", s->name, why);
	s->broken = 1;
	s->out_off = s->out_len = 0;
}

/* Writes as much of the pending frame as the port takes now; poll (POLLOUT) does the rest.
 * Not to an exec port that looked disconnected: whoever connects next is not its host. */
void chan_flush(struct sess *s)
{
	if (s->hup_since)
		return;
	while (s->out_off < s->out_len) {
		ssize_t n = write(s->port.fd, s->out + s->out_off, s->out_len - s->out_off);
		if (n > 0) {
			s->out_off += n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		chan_broken(s, n < 0 ? strerror(errno) : "write returned 0");
		return;
	}
	s->out_off = s->out_len = 0;
	int64_t now = now_ms();
	if (s->exit_queued) {
		s->exit_sent = 1;
		s->ack_until = now + ACK_WAIT_MS;
	} else if (s->exited) {
		s->drain_idle_until = now + DRAIN_IDLE_MS;
	}
}

/* Queues the frame whose payload is at s->out + 8 (nothing may be pending). */
static void queue(struct sess *s, int type, uint32_t len)
{
	if (s->broken)
		return;
	unsigned char *h = s->out;
	h[0] = type, h[1] = h[2] = h[3] = 0;
	h[4] = len, h[5] = len >> 8, h[6] = len >> 16, h[7] = len >> 24;
	s->out_off = 0;
	s->out_len = 8 + len;
	chan_flush(s);
}

/* One read from a process output fd, only while nothing is pending.
 * 1: data queued (or dropped), 0: EOF (fd closed), -1: nothing now.
 * EIO on a pty master means every slave fd is closed: EOF. */
int chan_pump(struct sess *s, int *fd, int type)
{
	ssize_t n = read(*fd, s->out + 8, RIND_FRAME_MAX);
	if (n > 0) {
		if (s->exited)
			s->drain_idle_until = now_ms() + DRAIN_IDLE_MS;
		queue(s, type, n);
		return 1;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return -1;
	close(*fd);
	*fd = -1;
	return 0;
}

void chan_send_exit(struct sess *s)
{
	unsigned char *p = s->out + 8;
	uint32_t c = s->code;
	p[0] = c, p[1] = c >> 8, p[2] = c >> 16, p[3] = c >> 24;
	s->exit_queued = 1;
	queue(s, RIND_F_EXIT, 4);
}

/* An exec session opens with an empty STDOUT frame: the exec shim sends nothing before it,
 * so input meant for a session the agent refused never reaches the next one on the port. */
void chan_send_open(struct sess *s)
{
	queue(s, RIND_F_STDOUT, 0);
}

/* ---- host -> guest ---- */

static void handle_frame(struct sess *s, int type, const unsigned char *p, uint32_t len)
{
	int32_t v;
	switch (type) {
	case RIND_F_STDIN:      /* stdin already closed */
		return;
	case RIND_F_STDIN_EOF:
		if (!len) {
			s->stdin_eof = 1;
			return;
		}
		break;
	case RIND_F_SIGNAL:
		if (len == 4) {
			v = le32(p);
			if (s->pid && !s->exited && v > 0 && v < 65)
				kill(s->pid, v);
			return;
		}
		break;
	case RIND_F_WINSIZE:
		if (len == 4) {
			stdio_winsize(s, p[0] | p[1] << 8, p[2] | p[3] << 8);
			return;
		}
		break;
	case RIND_F_ONLCR:
		if (len == 4) {
			pty_onlcr(s, le32(p) != 0);
			return;
		}
		break;
	case RIND_F_EXIT_ACK:
		if (!len) {
			s->acked = 1;
			return;
		}
		break;
	}
	logmsg("%s: ignoring frame type %d len %u", s->name, type, (unsigned)len);
}

/* This session's shim sent its first bytes, so it is the one connected: output may flow
 * (it was held, so drain it afresh). */
static void host_seen(struct sess *s)
{
	if (!s->host_seen && s->exited) {
		s->drain_idle_until = now_ms() + DRAIN_IDLE_MS;
		s->drain_until = now_ms() + DRAIN_MAX_MS;
	}
	s->host_seen = 1;
}

enum { GO_ON, STALL, LAST };

/* One complete frame from the host. */
static int take_frame(struct sess *s, const unsigned char *h, uint32_t len)
{
	if (h[0] == RIND_F_EXIT_ACK && s->is_exec && !len) {
		/* the shim's last frame: what follows in this read (one virtqueue buffer, so one
		 * connection) breaks the protocol and is dropped; later reads are the next session's */
		s->acked = 1;
		return LAST;
	}
	if (h[0] != RIND_F_STDIN || s->stdin_gone || s->stdin_eof) {
		handle_frame(s, h[0], h + 8, len);
		return GO_ON;
	}
	if (stdin_put(s, h + 8, len) < 0) {
		s->stalled = 1; /* stop reading the port until the process takes some */
		return STALL;
	}
	return GO_ON;
}

/* A header no frame may have: rind.io's host is broken, an exec host loses its session. */
static void violation(struct sess *s, const unsigned char *h, uint32_t len)
{
	if (!s->is_exec)
		fatal("io: protocol violation from the host (type %d len %u)", h[0], (unsigned)len);
	logmsg("%s: protocol violation from the host (type %d len %u)", s->name, h[0], (unsigned)len);
	s->in_len = 0;
	chan_host_gone(s, "protocol violation");
}

/* Takes the complete frames in s->in. */
static void parse(struct sess *s)
{
	size_t off = 0;
	s->stalled = 0;
	while (s->in_len - off >= 8) {
		const unsigned char *h = s->in + off;
		uint32_t len = le32(h + 4);
		if (len > RIND_FRAME_MAX || h[1] || h[2] || h[3]) {
			violation(s, h, len);
			return;
		}
		if (s->in_len - off < 8 + len)
			break;
		int r = take_frame(s, h, len);
		if (r == STALL)
			break;
		off = r == LAST ? s->in_len : off + 8 + len;
		if (r == LAST)
			break;
	}
	memmove(s->in, s->in + off, s->in_len - off);
	s->in_len -= off;
}

/* An exec session's host is gone for good: its process sees a hang-up. */
void chan_host_gone(struct sess *s, const char *why)
{
	chan_broken(s, why);
	s->port.on = 0;
	s->hup_since = 0;
	stdio_close(s);
	chan_resume(s);
}

/* The port looks disconnected. rind.io waits for its host to come back (SIGIO). An exec
 * port before its first frame waits for its shim the same way; after it its shim is gone,
 * unless the guest saw a stale state: the news of a connection (one virtqueue) can lag
 * behind its data (another), so the agent may read the first frame first. sess.c looks again
 * after EXEC_HUP_GRACE_MS; meanwhile the port is neither read nor written. */
static void hangup(struct sess *s)
{
	port_off(&s->port);
	if (s->is_exec && s->host_seen && !s->hup_since)
		s->hup_since = now_ms();
}

/* Poll reported revents for the port. */
void chan_port_event(struct sess *s, short revents)
{
	if ((revents & POLLOUT) && chan_pending(s))
		chan_flush(s);
	if ((revents & (POLLHUP | POLLERR)) && !(revents & POLLOUT) && chan_pending(s) && !s->is_exec)
		chan_broken(s, "hang-up");
	if (revents & POLLIN) {
		size_t room = IN_MAX - s->in_len;
		ssize_t n = room ? read(s->port.fd, s->in + s->in_len, room) : -1;
		if (n > 0) {
			host_seen(s);
			s->in_len += n;
			parse(s);
		} else if (room && (n == 0 || (errno != EAGAIN && errno != EINTR))) {
			hangup(s);
		}
	} else if (revents & (POLLHUP | POLLERR)) {
		hangup(s);
	}
}

/* Whether the port is read: not while a STDIN frame waits for room, and not on an exec
 * port after EXIT_ACK (what comes next belongs to the port's next session). */
int chan_want_input(const struct sess *s)
{
	return s->port.on && !s->stalled && !s->hup_since && !(s->is_exec && s->acked);
}

/* Takes in the frames the guest already holds: before `create`, so that frames the host
 * sent earlier are handled as "no workload yet" (io and ctl are not ordered); for exec,
 * to see an EXIT_ACK that crossed a new `exec` on the same port. */
void chan_catch_up(struct sess *s)
{
	struct pollfd pf = { .fd = s->port.fd, .events = POLLIN };
	while (chan_want_input(s) && poll(&pf, 1, 0) == 1 && (pf.revents & POLLIN))
		chan_port_event(s, POLLIN);
}

/* A STDIN frame waited for room: after the process took some (or its stdin closed), go on. */
void chan_resume(struct sess *s)
{
	if (s->stalled)
		parse(s);
}
