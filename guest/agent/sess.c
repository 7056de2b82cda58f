/* rind guest agent: a session in the poll loop: one process relayed over one io channel (an init process, each exec).
 * Its poll-set entries and events, its exit sequence (drain output, EXIT, wait for EXIT_ACK); no frame parsing (io.c). */
#include "agent.h"
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum { P_OUT, P_ERR, P_IN, P_PORT };

void sess_init(struct sess *s, const char *name, int is_exec, int port_fd)
{
	memset(s, 0, sizeof *s);
	s->name = name;
	s->is_exec = is_exec;
	s->in_fd = s->out_fd = s->err_fd = s->start_fd = -1;
	s->host_seen = !is_exec; /* rind.io is a socketpair: always the same host */
	s->born = now_ms();
	s->port.fd = port_fd;
	s->port.on = 1;
	for (int k = 0; k < 4; k++)
		s->pi[k] = s->pfd[k] = -1;
}

static int add(struct sess *s, struct pollfd *p, int n, int kind, int fd, short events)
{
	s->pi[kind] = n;
	s->pfd[kind] = fd;
	p[n] = (struct pollfd){ .fd = fd, .events = events };
	return n + 1;
}

/* Appends this session's fds to p[n..] (at most 4); returns the new n. Output is read only
 * when the previous frame is out, so a host that does not read holds back only its process;
 * and on an exec port only once the host has sent a frame (docs/protocol.md, "exec"). */
int sess_poll(struct sess *s, struct pollfd *p, int n)
{
	int pending = chan_pending(s), reading = !pending && s->host_seen && !s->hup_since;
	for (int k = 0; k < 4; k++)
		s->pi[k] = -1;
	if (reading && s->out_fd >= 0)
		n = add(s, p, n, P_OUT, s->out_fd, POLLIN);
	if (reading && s->err_fd >= 0)
		n = add(s, p, n, P_ERR, s->err_fd, POLLIN);
	if (s->in_fd >= 0 && stdin_pending(s))
		n = add(s, p, n, P_IN, s->in_fd, POLLOUT);
	/* rind.io with output pending is polled even while off: its POLLHUP means broken */
	short ev = (chan_want_input(s) ? POLLIN : 0) |
		   (pending && !s->hup_since && (s->port.on || !s->is_exec) ? POLLOUT : 0);
	if (ev)
		n = add(s, p, n, P_PORT, s->port.fd, ev);
	return n;
}

/* revents of `kind` if it was polled and its fd is still the one polled (handlers close fds) */
static short ev(const struct sess *s, const struct pollfd *p, int kind, int fd)
{
	int i = s->pi[kind];
	return i >= 0 && fd >= 0 && s->pfd[kind] == fd ? p[i].revents : 0;
}

void sess_dispatch(struct sess *s, const struct pollfd *p)
{
	const short readable = POLLIN | POLLHUP | POLLERR;
	if ((ev(s, p, P_OUT, s->out_fd) & readable) && !chan_pending(s))
		chan_pump(s, &s->out_fd, RIND_F_STDOUT);
	if ((ev(s, p, P_ERR, s->err_fd) & readable) && !chan_pending(s))
		chan_pump(s, &s->err_fd, RIND_F_STDERR);
	if (ev(s, p, P_IN, s->in_fd)) {
		stdin_event(s);
		chan_resume(s);
	}
	short r = ev(s, p, P_PORT, s->port.fd);
	if (r)
		chan_port_event(s, r);
}

/* The process was reaped: start draining its output. */
void sess_exited(struct sess *s, int status)
{
	int64_t now = now_ms();
	s->exited = 1;
	s->code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	s->exited_at = now;
	s->drain_idle_until = now + DRAIN_IDLE_MS;
	s->drain_until = now + DRAIN_MAX_MS;
	stdin_close(s);
	chan_resume(s);
	if (s->start_fd >= 0)
		close(s->start_fd), s->start_fd = -1;
}

/* An exec host that never sent a frame, or whose port stayed disconnected past the grace
 * period, is gone. Returns ms until the next check, or -1. */
static int exec_checks(struct sess *s, int64_t now)
{
	if (s->broken)
		return -1;
	if (!s->host_seen) {
		if (now >= s->born + EXEC_FIRST_FRAME_MS) {
			chan_host_gone(s, "no frame from the host");
			return -1;
		}
		/* SIGIO re-arms the port when the shim connects; this is the fallback */
		if (!s->port.on && now - s->port.off_since >= REARM_MIN_MS)
			s->port.on = 1;
		int t = ms_until(s->born + EXEC_FIRST_FRAME_MS, now);
		return s->port.on ? t : tmin(t, ms_until(s->port.off_since + REARM_MIN_MS, now));
	}
	if (!s->hup_since)
		return -1;
	if (now < s->hup_since + EXEC_HUP_GRACE_MS)
		return ms_until(s->hup_since + EXEC_HUP_GRACE_MS, now);
	/* the port was read to EOF before hup_since was set: POLLHUP now means gone */
	struct pollfd pf = { .fd = s->port.fd, .events = POLLIN };
	if (poll(&pf, 1, 0) == 1 && (pf.revents & (POLLHUP | POLLERR))) {
		chan_host_gone(s, "disconnected");
		return -1;
	}
	s->hup_since = 0;
	s->port.on = 1;
	return -1;
}

/* Before EXIT: 1 once the output is all out (its fds are closed and EXIT is queued); else 0,
 * with *wait set to how long to wait (a frame pending: as long as the host may take). */
static int drained(struct sess *s, int64_t now, int *wait)
{
	if (chan_pending(s))
		return 0;
	int outputs = (s->out_fd >= 0) + (s->err_fd >= 0);
	int64_t end = s->drain_idle_until < s->drain_until ? s->drain_idle_until : s->drain_until;
	if (outputs && now < end) {
		*wait = ms_until(end, now);
		return 0;
	}
	if (s->out_fd >= 0)
		close(s->out_fd), s->out_fd = -1;
	if (s->err_fd >= 0)
		close(s->err_fd), s->err_fd = -1;
	chan_send_exit(s);
	return 1;
}

/* Advances the exit sequence; sets s->done at its end. Returns ms until the next
 * deadline, or -1. EXIT goes out only after the output (or once the host is gone). */
int sess_tick(struct sess *s, int64_t now)
{
	int t = s->is_exec ? exec_checks(s, now) : -1;
	if (!s->exited || s->done || (!s->host_seen && !s->broken))
		return t;
	int64_t give_up = s->exited_at + EXEC_FLUSH_MS; /* exec only: rind.io's host always reads */
	int wait = s->is_exec ? ms_until(give_up, now) : -1;
	if (s->is_exec && !s->broken && now >= give_up)
		chan_broken(s, "it takes no output");
	if (!s->exit_queued && !drained(s, now, &wait))
		return tmin(t, wait);
	if (!s->broken && !s->exit_sent)
		return tmin(t, wait);
	if (s->broken || s->acked || now >= s->ack_until) {
		s->done = 1;
		if (s->done_out)
			*s->done_out = 1;
		return -1;
	}
	return tmin(t, ms_until(s->ack_until, now));
}
