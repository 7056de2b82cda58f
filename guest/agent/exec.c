/* rind guest agent: exec sessions, one per port rind.exec<i> (docs/protocol.md, "exec sessions").
 * Port allocation, starting a process in a running container, freeing the port after EXIT; never powers the VM off. */
#include "agent.h"
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct sess xs[RIND_EXEC_PORTS];
static int active[RIND_EXEC_PORTS];
static int port_fd[RIND_EXEC_PORTS];
static char names[RIND_EXEC_PORTS][12];

#define CONNECT_WAIT_MS 1000

void exec_boot(const int fds[RIND_EXEC_PORTS])
{
	for (int i = 0; i < RIND_EXEC_PORTS; i++) {
		port_fd[i] = fds[i];
		snprintf(names[i], sizeof names[i], "exec%d", i);
	}
}

/* After EXIT was acknowledged (or given up on): the port is free again. Input not read
 * yet stays in the port for the next session (the next shim may already have sent some). */
static void exec_end(int i)
{
	struct sess *s = &xs[i];
	stdio_close(s);
	chan_release(s);
	active[i] = 0;
}

/* The host shim connects before the CLI sends `exec`, but the guest learns of the
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
	int64_t end = now_ms() + CONNECT_WAIT_MS;
	while (s->exit_sent && !s->acked && !s->broken && now_ms() < end) {
		chan_catch_up(s);
		if (!s->acked)
			nanosleep(&(struct timespec){ 0, 5 * 1000000 }, NULL);
	}
	if (!s->exit_sent || !s->acked)
		return -1;
	exec_end(i);
	return 0;
}

/* Starts r's process in container c now (no start barrier) with its stdio on port r->port. */
int exec_start(const struct exec_req *r, struct container *c)
{
	int i = r->port;
	if (!container_running(c))
		return fail("no running container");
	if (port_fd[i] < 0)
		return fail("exec port %d (rind.exec%d) is not present in this VM", i, i);
	if (active[i] && free_after_ack(i) < 0)
		return fail("exec port %d is busy", i);
	if (!host_connected(port_fd[i]))
		return fail("exec port %d: the host side is not connected", i);
	struct sess *s = &xs[i];
	sess_init(s, names[i], 1, port_fd[i]);
	if (chan_alloc(s) < 0)
		return -1;
	int pid = proc_spawn(&r->proc, container_root(c), s, 0);
	if (pid < 0) {
		chan_release(s);
		return -1;
	}
	chan_send_open(s);
	active[i] = 1;
	return pid;
}

/* ---- the poll loop ---- */

/* 1 if pid was an exec'd process. */
int exec_reaped(pid_t pid, int status)
{
	for (int i = 0; i < RIND_EXEC_PORTS; i++)
		if (active[i] && xs[i].pid == pid && !xs[i].exited) {
			sess_exited(&xs[i], status);
			return 1;
		}
	return 0;
}

int exec_poll(struct pollfd *p, int n)
{
	for (int i = 0; i < RIND_EXEC_PORTS; i++)
		if (active[i])
			n = sess_poll(&xs[i], p, n);
	return n;
}

void exec_dispatch(const struct pollfd *p)
{
	for (int i = 0; i < RIND_EXEC_PORTS; i++)
		if (active[i])
			sess_dispatch(&xs[i], p);
}

/* SIGIO: a shim may have connected; not to a session whose host is gone or being checked. */
void exec_wake(void)
{
	for (int i = 0; i < RIND_EXEC_PORTS; i++)
		if (active[i] && !xs[i].broken && !xs[i].hup_since)
			xs[i].port.on = 1;
}

/* Advances the sessions; frees the ports of those done. Returns the poll timeout. */
int exec_tick(int64_t now)
{
	int t = -1;
	for (int i = 0; i < RIND_EXEC_PORTS; i++) {
		if (!active[i])
			continue;
		int st = sess_tick(&xs[i], now);
		if (xs[i].done)
			exec_end(i);
		else
			t = tmin(t, st);
	}
	return t;
}
