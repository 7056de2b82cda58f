/* rind guest agent: the container table: each container's id, init process, filesystem, status and exit.
 * Decides which session carries a container's stdio (stdio_session) and when the VM is over; no parsing, no frames. */
#include "agent.h"
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum status { C_CREATED, C_RUNNING, C_STOPPED };

struct container {
	int used;
	char id[CID_MAX + 1];   /* "" when created without cid= */
	enum status status;
	struct sess *init;      /* its init process, and the session that carries its stdio */
	struct rootfs fs;       /* its share and root paths, and what is mounted there */
	int exit_code;          /* C_STOPPED */
};

static struct container table[MAX_CONTAINERS];
static struct sess io;                  /* rind.io: a channel before any container exists */
static struct container *io_owner;

void container_boot(int io_fd)
{
	sess_init(&io, "io", 0, io_fd);
	if (chan_alloc(&io) < 0)
		fatal("io: %s", err_msg);
}

/* "container <id>" for the log and errors; buf holds at least CID_MAX + 16 bytes */
static const char *label(const struct container *c, char *buf, size_t len)
{
	if (!c->id[0])
		return "the container created without cid";
	snprintf(buf, len, "container %s", c->id);
	return buf;
}

static int count(void)
{
	int n = 0;
	for (int i = 0; i < MAX_CONTAINERS; i++)
		n += table[i].used;
	return n;
}

static struct container *first(void)
{
	for (int i = 0; i < MAX_CONTAINERS; i++)
		if (table[i].used)
			return &table[i];
	return NULL;
}

static struct container *find(const char *id)
{
	for (int i = 0; i < MAX_CONTAINERS; i++)
		if (table[i].used && !strcmp(table[i].id, id))
			return &table[i];
	return NULL;
}

struct container *container_get(const char *cid)
{
	if (!cid)
		return first();
	struct container *c = find(cid);
	if (!c)
		fail("unknown container: %s", cid);
	return c;
}

/* ---- create ---- */

/* The session that will carry a new container's stdio (its init process's). The one place
 * that decides it: rind.io serves the first container; another could be given an exec
 * port's session here, once the host can attach a shim to one. */
static struct sess *stdio_session(const char *id)
{
	if (!io_owner)
		return &io;
	char b[CID_MAX + 16];
	fail("container %s: no io channel for its stdio (rind.io serves %s)", id, label(io_owner, b, sizeof b));
	return NULL;
}

/* A free entry for container `id` ("": none given), or NULL with err_msg set. */
static struct container *free_entry(const char *id)
{
	if (!id[0] && first()) {
		fail("the container was already created");
		return NULL;
	}
	if (find(id)) {
		fail("container %s already exists", id);
		return NULL;
	}
	for (int i = 0; i < MAX_CONTAINERS; i++)
		if (!table[i].used)
			return &table[i];
	fail("the container table is full (%d containers)", MAX_CONTAINERS);
	return NULL;
}

/* create: identity, network, the container root, then the init process, blocked before execve. */
int container_create(const struct create_req *r)
{
	const char *id = r->cid ? r->cid : "";
	struct container *c = free_entry(id);
	struct sess *s = c ? stdio_session(id) : NULL;
	if (!s)
		return -1;
	chan_catch_up(s); /* frames the host sent before: "no process yet" (io and ctl are not ordered) */
	rootfs_paths(&c->fs, c - table);
	int pid = identity_apply(r->seed, r->time) < 0 || net_setup(r) < 0 ? -1 : rootfs_setup(&c->fs, r);
	if (pid == 0)
		pid = proc_spawn(&r->proc, c->fs.root, s, 1);
	if (pid < 0) {
		rootfs_teardown(&c->fs);
		return -1;
	}
	c->used = 1;
	snprintf(c->id, sizeof c->id, "%s", id);
	c->status = C_CREATED;
	c->init = s;
	if (s == &io)
		io_owner = c;
	return pid;
}

/* ---- the verbs on a container ---- */

int container_start(struct container *c)
{
	if (!c)
		return fail("the container was not created");
	struct sess *s = c->init;
	if (s->started)
		return fail("the container was already started");
	if (s->exited)
		return fail("the container process has exited");
	if (write(s->start_fd, "x", 1) != 1)
		return fail("start: %s", strerror(errno));
	close(s->start_fd);
	s->start_fd = -1;
	s->started = 1;
	c->status = C_RUNNING;
	return 0;
}

static void kill_one(pid_t pid, void *signo)
{
	kill(pid, *(int *)signo);
}

int container_signal(struct container *c, int signo, int all)
{
	if (!c || c->init->exited)
		return fail("no running container process");
	if (!all) {
		if (kill(c->init->pid, signo) < 0)
			return fail("kill: %s", strerror(errno));
		return 0;
	}
	const char *root = container_proc_root(c);
	if (root)
		procs_each(root, kill_one, &signo);
	else if (kill(-1, signo) < 0 && errno != ESRCH) /* every process but PID 1 */
		return fail("kill: %s", strerror(errno));
	return 0;
}

int container_running(const struct container *c)
{
	return c && !c->init->exited;
}

const char *container_root(const struct container *c)
{
	return c->fs.root;
}

/* Which processes are the container's, as a root to filter /proc by: NULL (all of the VM's)
 * when it is the only container (or none exists yet), else its root. */
const char *container_proc_root(const struct container *c)
{
	return !c || count() <= 1 ? NULL : c->fs.root;
}

/* ---- the poll loop ---- */

/* 1 if pid was a container's init process. */
int container_reaped(pid_t pid, int status)
{
	for (int i = 0; i < MAX_CONTAINERS; i++) {
		struct container *c = &table[i];
		if (c->used && c->init->pid == pid && !c->init->exited) {
			sess_exited(c->init, status);
			c->status = C_STOPPED;
			c->exit_code = c->init->code;
			return 1;
		}
	}
	return 0;
}

int container_poll(struct pollfd *p, int n)
{
	return sess_poll(&io, p, n);
}

void container_dispatch(const struct pollfd *p)
{
	sess_dispatch(&io, p);
}

void container_wake(void)
{
	port_wake(&io.port);
}

/* The VM is over once every container's init session has ended (EXIT out and acknowledged). */
static int vm_over(void)
{
	int n = 0;
	for (int i = 0; i < MAX_CONTAINERS; i++) {
		if (!table[i].used)
			continue;
		if (!table[i].init->done)
			return 0;
		n++;
	}
	return n > 0;
}

/* Timers of the stdio sessions; *over: the VM may power off. Returns the poll timeout. */
int container_tick(int64_t now, int *over)
{
	int t = tmin(port_rearm(&io.port, now), sess_tick(&io, now));
	*over = vm_over();
	return t;
}
