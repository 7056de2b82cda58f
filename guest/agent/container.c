/* rind guest agent: the container table: each container's init process, cgroup, namespaces, status and exit, and its verbs.
 * Decides which session carries a container's stdio (stdio_session) and when the VM is over; no parsing, no frames. */
#include "agent.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum status { C_CREATED, C_RUNNING, C_STOPPED };

struct container {
	int slot;
	enum status status;
	int started, paused;
	int own;                /* bit 1<<NS_*: its namespaces that are not the VM's (its own or another container's) */
	pid_t pid;              /* its init process */
	int exited, exit_code, killed; /* killed: the init died of SIGKILL */
	struct sess *init;      /* the session carrying its init's stdio; valid while !init_done */
	int init_done;          /* that session has ended (EXIT out and acknowledged, or given up) */
	int cg_fd;              /* its cgroup directory */
};

static struct ctable ids;
static struct container table[MAX_CONTAINERS];
static struct sess io;                  /* rind.io: a channel before any container exists */
static int io_used;                     /* rind.io carries (or carried) a container's stdio */

void container_boot(int io_fd)
{
	sess_init(&io, "io", 0, io_fd);
	if (chan_alloc(&io) < 0)
		fatal("io: %s", err_msg);
}

/* "container <id>" for the log and errors */
static const char *name(const struct container *c)
{
	static char b[CID_MAX + 16];
	const char *id = ids.e[c->slot].id;
	if (!id[0])
		return "the container created without cid";
	snprintf(b, sizeof b, "container %s", id);
	return b;
}

/* Prefixes err_msg with the container's name; -1. */
static int failed(const struct container *c)
{
	char e[ERR_MAX];
	snprintf(e, sizeof e, "%s", err_msg);
	return fail("%s: %s", name(c), e);
}

static struct sess *live_init(const struct container *c)
{
	return c->init_done ? NULL : c->init;
}

struct container *container_get(const char *cid)
{
	int slot = ctable_target(&ids, cid);
	return slot < 0 ? NULL : &table[slot];
}

/* ---- create ---- */

/* The session that will carry a new container's stdio (its init process's). The one place
 * that decides it: the exec port the request names (a shim attached there, as for exec), else
 * rind.io, which serves one container in the VM's life. */
static struct sess *stdio_session(const struct create_req *r, const char *id)
{
	if (r->port >= 0)
		return portsess_claim(r->port);
	if (!io_used)
		return &io;
	fail("container %s: rind.io carries the stdio of the VM's first container: give port=<n> "
	     "(an exec port with a shim attached)", id[0] ? id : "without cid");
	return NULL;
}

/* What create sets up for the whole VM: identity, network, the share. */
static int vm_setup(const struct create_req *r)
{
	if (identity_apply(r->seed, r->time) < 0 || net_setup(r) < 0)
		return -1;
	return share_mount(r->share);
}

static void ns_none(int ns[NS_KINDS])
{
	for (int k = 0; k < NS_KINDS; k++)
		ns[k] = -1;
}

static void close_ns(int ns[NS_KINDS])
{
	for (int k = 0; k < NS_KINDS; k++)
		if (ns[k] >= 0)
			close(ns[k]), ns[k] = -1;
}

/* Opens the namespaces of c's init that `kinds` names (bits 1<<NS_*) into ns[]. 0, or -1. */
static int open_ns(const struct container *c, int kinds, int ns[NS_KINDS])
{
	for (int k = 0; k < NS_KINDS; k++) {
		char path[64];
		if (!(kinds & 1 << k))
			continue;
		snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)c->pid, ns_name(k));
		if ((ns[k] = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
			fail("%s: its init process is gone (%s namespace: %s)", name(c), ns_name(k), strerror(errno));
			close_ns(ns);
			return -1;
		}
	}
	return 0;
}

/* The namespaces a new container joins (nsjoin=): those of the containers named that are not
 * the VM's (joining the VM's is where it is anyway). Adds them to *own. 0, or -1. */
static int joined_ns(const struct ns_spec *spec, int ns[NS_KINDS], int *own)
{
	for (int k = 0; k < NS_KINDS; k++) {
		if (!(spec->joined & 1 << k))
			continue;
		const char *cid = spec->join_cid[k];
		struct container *t = container_get(cid[0] ? cid : NULL);
		if (!t || t->exited) {
			close_ns(ns);
			return fail("nsjoin=%s: container %s %s", ns_name(k), cid[0] ? cid : "(without cid)", t ? "has stopped" : "does not exist");
		}
		if (!(t->own & 1 << k))
			continue;
		int one[NS_KINDS];
		ns_none(one);
		if (open_ns(t, 1 << k, one) < 0) {
			close_ns(ns);
			return -1;
		}
		ns[k] = one[k];
		*own |= 1 << k;
	}
	return 0;
}

/* create: the VM's part, the container's cgroup, then its init process (in a new mount namespace,
 * the namespaces of its own and those it joins), blocked before execve. */
int container_create(const struct create_req *r)
{
	const char *id = r->cid ? r->cid : "";
	int slot = ctable_free_slot(&ids, id);
	struct sess *s = slot < 0 ? NULL : stdio_session(r, id);
	if (!s)
		return -1;
	if (s == &io)
		chan_catch_up(s); /* frames the host sent before: "no process yet" (io and ctl are not ordered) */
	int pid = -1, own = r->ns.fresh, ns[NS_KINDS];
	ns_none(ns);
	int cg = vm_setup(r) < 0 || joined_ns(&r->ns, ns, &own) < 0 ? -1 : cgroup_create(slot, &r->cg);
	if (cg >= 0 && r->devprog && cgroup_devices(cg, r->devprog, r->ndevprog) < 0) {
		close(cg);
		cgroup_remove(slot);
		cg = -1;
	}
	if (cg >= 0) {
		struct launch l = { .proc = &r->proc, .barrier = 1, .create = r, .fresh = r->ns.fresh, .cg_fd = cg };
		memcpy(l.ns, ns, sizeof ns);
		pid = proc_spawn(&l, s);
	}
	close_ns(ns);
	if (pid < 0) {
		if (cg >= 0) {
			close(cg);
			cgroup_remove(slot);
		}
		if (s != &io)
			portsess_abandon(s);
		return -1;
	}
	struct container *c = &table[slot];
	memset(c, 0, sizeof *c);
	c->slot = slot;
	c->status = C_CREATED;
	c->own = own;
	c->pid = pid;
	c->init = s;
	c->cg_fd = cg;
	ctable_take(&ids, slot, id);
	s->done_out = &c->init_done;
	if (s == &io)
		io_used = 1;
	else
		portsess_open(s);
	return pid;
}

/* ---- the verbs on a container ---- */

int container_start(struct container *c)
{
	if (!c)
		return fail("the container was not created");
	struct sess *s = live_init(c);
	if (c->started)
		return fail("the container was already started");
	if (c->exited || !s)
		return fail("the container process has exited");
	if (write(s->start_fd, "x", 1) != 1)
		return fail("start: %s", strerror(errno));
	close(s->start_fd);
	s->start_fd = -1;
	c->started = 1;
	c->status = C_RUNNING;
	return 0;
}

/* all: every process in the container's cgroup (its init's exec'd ones too), whatever the
 * init's state; else the init process. */
int container_signal(struct container *c, int signo, int all)
{
	if (!c || (!all && c->exited))
		return fail("no running container process");
	if (all)
		return cgroup_signal(c->cg_fd, signo) < 0 ? failed(c) : 0;
	if (kill(c->pid, signo) < 0)
		return fail("kill: %s", strerror(errno));
	return 0;
}

/* pause (on) / resume: cgroup.freeze, and the wait until the kernel says it is done. */
int container_pause(struct container *c, int on)
{
	if (!c)
		return fail("the container was not created");
	if (c->exited)
		return fail("%s has stopped", name(c));
	if (c->paused == on)
		return fail("%s is %s", name(c), on ? "already paused" : "not paused");
	if (cgroup_freeze(c->cg_fd, on, FREEZE_WAIT_MS) < 0) {
		failed(c);
		if (on) { /* leave it running, not half frozen */
			char e[ERR_MAX];
			snprintf(e, sizeof e, "%s", err_msg);
			cgroup_freeze(c->cg_fd, 0, FREEZE_WAIT_MS);
			fail("%s", e);
		}
		return -1;
	}
	c->paused = on;
	return 0;
}

/* update: the resource keys written to the cgroup of a container not stopped (created, running, paused). */
int container_update(struct container *c, const struct cg_spec *s)
{
	if (!c)
		return fail("the container was not created");
	if (c->exited)
		return fail("%s has stopped", name(c));
	return cgroup_update(c->cg_fd, s) < 0 ? failed(c) : 0;
}

/* The init process was reaped (by the loop or by delete). */
static void init_reaped(struct container *c, int status)
{
	struct sess *s = live_init(c);
	c->exited = 1;
	c->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	c->killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
	c->status = C_STOPPED;
	c->paused = 0;
	if (s)
		sess_exited(s, status);
}

/* delete: SIGKILL to what is left in the cgroup, the wait until it is empty and the init is
 * reaped, the cgroup removed; the mount namespace went with its last process. The entry is
 * freed (its id may be used again); the init's session ends on its own (EXIT, EXIT_ACK). */
int container_delete(struct container *c)
{
	if (!c)
		return fail("the container was not created");
	int64_t end = now_ms() + DELETE_WAIT_MS;
	if (cgroup_populated(c->cg_fd) != 0 && cgroup_signal(c->cg_fd, SIGKILL) < 0)
		return failed(c);
	for (;;) {
		/* every child: the init of a PID namespace finishes exiting only once the others
		 * there (exec'd processes: the agent's children) are reaped */
		container_reap();
		const char *left = !c->exited ? "its init process is still there"
				   : cgroup_populated(c->cg_fd) != 0 ? "its cgroup still has processes"
				   : cgroup_remove(c->slot) < 0 ? err_msg : NULL;
		if (!left)
			break;
		if (now_ms() >= end) {
			char e[ERR_MAX];
			snprintf(e, sizeof e, "%s", left);
			return fail("%s: %s (after SIGKILL and %d ms)", name(c), e, DELETE_WAIT_MS);
		}
		nanosleep(&(struct timespec){ 0, 5 * 1000000 }, NULL);
	}
	close(c->cg_fd);
	struct sess *s = live_init(c);
	if (s)
		s->done_out = NULL;
	ctable_drop(&ids, c->slot);
	memset(c, 0, sizeof *c);
	return 0;
}

/* exec: a process in the init's mount namespace, its other namespaces that are not the VM's, and its cgroup. */
int container_exec(struct container *c, const struct proc_spec *p, struct sess *s)
{
	struct launch l = { .proc = p, .cg_fd = c->cg_fd };
	ns_none(l.ns);
	if (open_ns(c, c->own | 1 << NS_MNT, l.ns) < 0)
		return -1;
	int pid = proc_spawn(&l, s);
	close_ns(l.ns);
	return pid;
}

/* Whether exec may start a process in c: it exists, its init runs, it is not frozen. */
int container_exec_check(const struct container *c)
{
	if (!c)
		return fail("no running container");
	if (c->exited)
		return fail("%s has stopped (its init exited with %d): exec refused", name(c), c->exit_code);
	if (c->paused)
		return fail("%s is paused: exec refused", name(c));
	return 0;
}

void container_info(const struct container *c, struct container_info *i)
{
	static const char *const st[] = { "created", "running", "stopped" };
	i->status = c->paused ? "paused" : st[c->status];
	i->pid = c->pid;
	i->exited = c->exited;
	i->exit_code = c->exit_code;
	i->killed = c->killed;
	i->cg_fd = c->cg_fd;
}

/* ---- the poll loop ---- */

/* 1 if pid was a container's init process. */
static int reaped(pid_t pid, int status)
{
	for (int i = 0; i < MAX_CONTAINERS; i++) {
		struct container *c = &table[i];
		if (ids.e[i].used && c->pid == pid && !c->exited) {
			init_reaped(c, status);
			return 1;
		}
	}
	return 0;
}

/* Reaps every child that has exited: a container's init, or an exec port's process. */
void container_reap(void)
{
	int st;
	pid_t p;
	while ((p = waitpid(-1, &st, WNOHANG)) > 0)
		if (!reaped(p, st))
			portsess_reaped(p, st);
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
		if (!ids.e[i].used)
			continue;
		if (!table[i].init_done)
			return 0;
		n++;
	}
	return n > 0;
}

/* Timers of rind.io's session; *over: the VM may power off. Returns the poll timeout. */
int container_tick(int64_t now, int *over)
{
	int t = tmin(port_rearm(&io.port, now), sess_tick(&io, now));
	*over = vm_over();
	return t;
}
