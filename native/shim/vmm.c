/* rind-shim: the VMM child: fork, confine (jail.c) and execv it with exactly the fds it needs, reap
 * and kill it; and the --vmm-only wait. PDEATHSIG: a SIGKILLed shim never leaves a VMM behind. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "shim.h"

/* what the child gets: normal mode 0=/dev/null 1,2=vmm.log 3=io socket; --vmm-only the shim's 0..2.
 * errp: the close-on-exec pipe a set-up failure goes back on (EOF = execv succeeded). */
struct child_fds {
	int io, log, null, errp; /* the child's ends, -1: none */
	int io_parent, errp_parent;
};

/* move fd to >= 10 (close-on-exec) so that the dup2s onto 0..4 cannot clobber it */
static int lift_fd(int fd)
{
	return fd < 0 ? fd : fcntl(fd, F_DUPFD_CLOEXEC, 10);
}

/* one line for the parent (it becomes the ready fd's `error: ...`), then the child's end */
static void child_fail(int errp, const char *what, const char *detail)
{
	char line[1024];
	int n = snprintf(line, sizeof line, "%s%s%s", what, detail ? ": " : "", detail ? detail : "");
	if (n > 0)
		write_all_fd(errp, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
	_exit(127);
}

/* lays out fds 0..3 (normal mode) and puts errp right above them; returns its new number */
static int child_layout_fds(const struct child_fds *f, int vmm_only)
{
	int e = lift_fd(f->errp);
	if (e < 0)
		child_fail(f->errp, "vmm fds: F_DUPFD", strerror(errno));
	if (!vmm_only) {
		int q = lift_fd(f->io), l = lift_fd(f->log), d = lift_fd(f->null);
		if (q < 0 || l < 0 || d < 0 || dup2(d, 0) < 0 || dup2(l, 1) < 0 || dup2(l, 2) < 0 ||
		    dup2(q, 3) < 0)
			child_fail(e, "vmm fds: dup2", strerror(errno));
	}
	int slot = vmm_only ? 3 : 4;
	if (dup2(e, slot) < 0 || fcntl(slot, F_SETFD, FD_CLOEXEC) < 0)
		child_fail(e, "vmm fds: error pipe", strerror(errno));
	proc_close_from(slot + 1);
	return slot;
}

/* in a new pid namespace getppid() is 0 whoever the parent is: there, the parent is alive while
 * it holds the read end of the error pipe (a write end whose readers are gone polls POLLERR) */
static int parent_alive(int errp, pid_t parent)
{
	pid_t pp = getppid();
	if (pp != 0)
		return pp == parent;
	struct pollfd p = { .fd = errp, .events = POLLOUT };
	return poll(&p, 1, 0) >= 0 && !(p.revents & (POLLERR | POLLHUP));
}

static void vmm_child(char **argv, const struct shim_args *a, const struct child_fds *f, pid_t parent)
{
	char err[1024];
	proc_child_reset();
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		child_fail(f->errp, "PR_SET_PDEATHSIG", strerror(errno));
	if (!parent_alive(f->errp, parent)) /* the shim died before PDEATHSIG was armed */
		_exit(127);
	/* own session: no controlling terminal, so a terminal hangup or the engine's signals to
	 * our process group never reach QEMU directly */
	setsid();
	if (jail_apply(argv, a, err, sizeof err) < 0)
		child_fail(f->errp, err, NULL);
	/* the jail's change of uid cleared PDEATHSIG (prctl(2)): armed again, and the shim checked again */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		child_fail(f->errp, "PR_SET_PDEATHSIG", strerror(errno));
	if (!parent_alive(f->errp, parent))
		_exit(127);
	int errp = child_layout_fds(f, a->vmm_only);
	char **qargv = argv + a->dashdash + 1, what[1024];
	execv(qargv[0], qargv);
	int e = errno;
	snprintf(what, sizeof what, "exec %s", qargv[0]);
	child_fail(errp, what, strerror(e));
}

/* the child's set-up failure, if any: read its error pipe to EOF */
static void await_exec(int errp)
{
	char line[1024];
	size_t len = 0;
	for (;;) {
		ssize_t r = read(errp, line + len, sizeof line - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || (len += (size_t)r) >= sizeof line - 1)
			break;
	}
	close(errp);
	if (len)
		setup_fail("%.*s", (int)len, line);
}

static void open_child_fds(struct child_fds *f, int vmm_only)
{
	int sv[2], ep[2];
	*f = (struct child_fds){ .io = -1, .log = -1, .null = -1, .errp = -1, .io_parent = -1 };
	if (!vmm_only) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
			setup_fail("socketpair: %s", strerror(errno));
		f->io_parent = sv[0];
		f->io = sv[1];
		f->log = openat(S.statefd, "vmm.log", O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (f->log < 0)
			setup_fail("open vmm.log: %s", strerror(errno));
		f->null = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (f->null < 0)
			setup_fail("open /dev/null: %s", strerror(errno));
	}
	if (pipe2(ep, O_CLOEXEC) < 0)
		setup_fail("pipe: %s", strerror(errno));
	f->errp_parent = ep[0];
	f->errp = ep[1];
}

/* forks the VMM; returns once it has exec'd (vmm.pid written) or fails the set-up */
void vmm_spawn(char **argv, const struct shim_args *a)
{
	struct child_fds f;
	open_child_fds(&f, a->vmm_only);
	pid_t parent = getpid();
	jail_before_fork(a);
	pid_t pid = fork();
	if (pid < 0)
		setup_fail("fork: %s", strerror(errno));
	if (pid == 0)
		vmm_child(argv, a, &f, parent);
	S.qemu = pid;
	int mine[] = { f.io, f.log, f.null, f.errp };
	for (size_t i = 0; i < sizeof mine / sizeof mine[0]; i++)
		if (mine[i] >= 0)
			close(mine[i]);
	await_exec(f.errp_parent);
	if (f.io_parent >= 0) {
		int fl = fcntl(f.io_parent, F_GETFL);
		if (fl < 0 || fcntl(f.io_parent, F_SETFL, fl | O_NONBLOCK) < 0)
			setup_fail("io socket O_NONBLOCK: %s", strerror(errno));
		S.sock = f.io_parent;
	}
	char buf[32];
	snprintf(buf, sizeof buf, "%d\n", (int)pid);
	if (write_state_file("vmm.pid", buf) < 0)
		setup_fail("write vmm.pid: %s", strerror(errno));
}

void reap_children(int block)
{
	if (block && S.qemu <= 0) /* exec mode: no child to wait for */
		return;
	for (;;) {
		int st;
		pid_t p = block ? waitpid(S.qemu, &st, 0) : waitpid(-1, &st, WNOHANG);
		if (p < 0 && errno == EINTR)
			continue;
		if (p <= 0)
			return;
		if (p == S.qemu) {
			S.qemu_reaped = 1;
			S.qemu_status = st;
			if (block)
				return;
		}
	}
}

void kill_qemu(void)
{
	if (S.qemu > 0 && !S.qemu_reaped)
		kill(S.qemu, SIGKILL);
}

/* --vmm-only: the shim's exit status is the VMM's (exit code, or 128+signal) */
static void vmm_only_finish(void)
{
	int st = S.qemu_status;
	int code = WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		shim_log("vmm killed by signal %d; exit code %d", WTERMSIG(st), code);
	else
		shim_log("vmm exited with status %d", code);
	shim_finish(code);
}

static void vmm_only_signals(void)
{
	struct signalfd_siginfo si;
	ssize_t r;
	while ((r = read(S.sigfd, &si, sizeof si)) == (ssize_t)sizeof si || (r < 0 && errno == EINTR)) {
		if (r < 0 || si.ssi_signo == SIGWINCH)
			continue;
		if (si.ssi_signo == SIGCHLD) {
			reap_children(0);
			continue;
		}
		shim_log("signal %u from pid %u: killing the vmm", si.ssi_signo, si.ssi_pid);
		kill_qemu();
		reap_children(1);
	}
}

/* --vmm-only: no relay; wait for the VMM, or for a signal that ends it (SIGKILL, then reap) */
void vmm_wait(void)
{
	for (;;) {
		if (S.qemu_reaped)
			vmm_only_finish();
		struct pollfd p = { .fd = S.sigfd, .events = POLLIN };
		if (poll(&p, 1, -1) < 0 && errno != EINTR) {
			shim_log("poll: %s; killing the vmm", strerror(errno));
			kill_qemu();
			reap_children(1);
		}
		vmm_only_signals();
	}
}
