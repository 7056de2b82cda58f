/* rind guest agent: exec sessions, one per port rind.exec<i> (docs/protocol.md, "exec sessions").
 * Port allocation, starting a process in the running container, freeing the session after EXIT. */
#include "agent.h"
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct sess xs[NEXEC];
static int active[NEXEC];
static int port_fd[NEXEC] = { -1, -1, -1, -1, -1, -1, -1, -1 };
static const char *names[NEXEC] = { "exec0", "exec1", "exec2", "exec3", "exec4", "exec5", "exec6", "exec7" };
_Static_assert(NEXEC == 8, "names and port_fd have 8 entries");

#define CONNECT_WAIT_MS 1000

void exec_set_port(int i, int fd)
{
	port_fd[i] = fd;
}

struct sess *exec_session(int i)
{
	return active[i] ? &xs[i] : NULL;
}

struct sess *exec_by_pid(pid_t pid)
{
	for (int i = 0; i < NEXEC; i++)
		if (active[i] && xs[i].pid == pid && !xs[i].exited)
			return &xs[i];
	return NULL;
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

/* Starts r's process now (no start barrier) with its stdio on port r->port. */
int exec_start(const struct exec_req *r)
{
	int i = r->port;
	if (!wl.pid || wl.exited)
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
	int pid = proc_spawn(&r->proc, s, 0);
	if (pid < 0) {
		chan_release(s);
		return -1;
	}
	chan_send_open(s);
	active[i] = 1;
	return pid;
}

/* After EXIT was acknowledged (or given up on): the port is free again. Input not read
 * yet stays in the port for the next session (the next shim may already have sent some). */
void exec_end(int i)
{
	struct sess *s = &xs[i];
	sess_close_stdio(s);
	chan_release(s);
	active[i] = 0;
}
