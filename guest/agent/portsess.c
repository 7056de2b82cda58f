/* rind guest agent: the sessions on the exec ports rind.exec<i>: an exec'd process or a container's init (create port=).
 * Claiming a port (present, free, its shim connected), polling and reaping its session, freeing it after EXIT; never powers the VM off. */
#include "agent.h"
#include <poll.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static struct sess xs[RIND_EXEC_PORTS];
static int active[RIND_EXEC_PORTS];   /* a session runs there */
static int port_fd[RIND_EXEC_PORTS];
static char names[RIND_EXEC_PORTS][12];

#define CONNECT_WAIT_MS 1000

void portsess_boot(const int fds[RIND_EXEC_PORTS])
{
	for (int i = 0; i < RIND_EXEC_PORTS; i++) {
		port_fd[i] = fds[i];
		snprintf(names[i], sizeof names[i], "exec%d", i);
	}
}

/* After EXIT was acknowledged (or given up on): the port is free again. Input not read
 * yet stays in the port for the next session (the next shim may already have sent some). */
static void end(int i)
{
	struct sess *s = &xs[i];
	stdio_close(s);
	chan_release(s);
	if (s->done_out)
		*s->done_out = 1;
	active[i] = 0;
}

/* The host shim connects before the CLI sends its request, but the guest learns of the
 * connection on another virtqueue than the request: allow that news a moment. */
static int host_connected(int fd)
{
	int64_t end = now_ms() + CONNECT_WAIT_MS;
	for (;;) {
		struct pollfd pf = { .fd = fd, .events = POLLOUT };
		if (poll(&pf, 1, 0) >= 0 && !(pf.revents & (POLLHUP | POLLERR)))
			return 1;
		if (now_ms() >= end)
			return 0;
		nanosleep(&(struct timespec){ 0, 5 * 1000000 }, NULL);
	}
}

/* A host reuses a port once its shim sent EXIT_ACK, but that frame and the new request
 * come on different virtqueues: if EXIT is out, wait a moment for its ACK. */
static int free_after_ack(int i)
{
	struct sess *s = &xs[i];
	int64_t until = now_ms() + CONNECT_WAIT_MS;
	while (s->exit_sent && !s->acked && !s->broken && now_ms() < until) {
		chan_catch_up(s);
		if (!s->acked)
			nanosleep(&(struct timespec){ 0, 5 * 1000000 }, NULL);
	}
	if (!s->exit_sent || !s->acked)
		return -1;
	end(i);
	return 0;
}

/* A fresh session on port i for a process about to be started, or NULL (err_msg). It is not
 * polled until portsess_open(); portsess_abandon() gives it back if the process fails. */
struct sess *portsess_claim(int i)
{
	if (port_fd[i] < 0) {
		fail("exec port %d (rind.exec%d) is not present in this VM", i, i);
		return NULL;
	}
	if (active[i] && free_after_ack(i) < 0) {
		fail("exec port %d is busy", i);
		return NULL;
	}
	if (!host_connected(port_fd[i])) {
		fail("exec port %d: the host side is not connected", i);
		return NULL;
	}
	struct sess *s = &xs[i];
	sess_init(s, names[i], 1, port_fd[i]);
	if (chan_alloc(s) < 0)
		return NULL;
	return s;
}

void portsess_abandon(struct sess *s)
{
	chan_release(s);
}

/* The process runs: open the session (its empty STDOUT frame) and poll it. */
void portsess_open(struct sess *s)
{
	chan_send_open(s);
	active[s - xs] = 1;
}

/* ---- the poll loop ---- */

/* 1 if pid was the process of a session here. */
int portsess_reaped(pid_t pid, int status)
{
	for (int i = 0; i < RIND_EXEC_PORTS; i++)
		if (active[i] && xs[i].pid == pid && !xs[i].exited) {
			sess_exited(&xs[i], status);
			return 1;
		}
	return 0;
}

int portsess_poll(struct pollfd *p, int n)
{
	for (int i = 0; i < RIND_EXEC_PORTS; i++)
		if (active[i])
			n = sess_poll(&xs[i], p, n);
	return n;
}

void portsess_dispatch(const struct pollfd *p)
{
	for (int i = 0; i < RIND_EXEC_PORTS; i++)
		if (active[i])
			sess_dispatch(&xs[i], p);
}

/* SIGIO: a shim may have connected; not to a session whose host is gone or being checked. */
void portsess_wake(void)
{
	for (int i = 0; i < RIND_EXEC_PORTS; i++)
		if (active[i] && !xs[i].broken && !xs[i].hup_since)
			xs[i].port.on = 1;
}

/* Advances the sessions; frees the ports of those done. Returns the poll timeout. */
int portsess_tick(int64_t now)
{
	int t = -1;
	for (int i = 0; i < RIND_EXEC_PORTS; i++) {
		if (!active[i])
			continue;
		int st = sess_tick(&xs[i], now);
		if (xs[i].done)
			end(i);
		else
			t = tmin(t, st);
	}
	return t;
}
