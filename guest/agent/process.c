/* rind guest agent: processes in the container (the workload and exec'd ones).
 * spawn (fork, stdio, chroot, limits, credentials, exe lookup), create/start/signal of the workload. */
#include "agent.h"
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* ---- in the child, before execve ---- */

static int executable(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return -1;
	if (!S_ISREG(st.st_mode)) {
		errno = EACCES;
		return -1;
	}
	return access(path, X_OK);
}

/* Finds args[0] like execvp would, with the PATH of the process's env. */
static int find_exe(const struct proc_spec *r, char *out, size_t outlen)
{
	const char *name = r->argv[0], *path = DEFAULT_PATH;
	if (!name[0])
		return fail("executable file not found in $PATH: (empty)");
	if (strchr(name, '/')) {
		if (executable(name) < 0)
			return fail("%s: %s", name, errno == ENOENT ? "no such file or directory"
						     : errno == EACCES ? "permission denied" : strerror(errno));
		snprintf(out, outlen, "%s", name);
		return 0;
	}
	for (char **e = r->envp; *e; e++)
		if (!strncmp(*e, "PATH=", 5))
			path = *e + 5;
	for (const char *p = path;; p++) {
		const char *end = strchrnul(p, ':');
		int dl = end - p;
		if (dl == 0)
			snprintf(out, outlen, "%s", name);
		else
			snprintf(out, outlen, "%.*s/%s", dl, p, name);
		if (executable(out) == 0)
			return 0;
		if (!*end)
			break;
		p = end;
	}
	return fail("executable file not found in $PATH: %s", name);
}

static int child_setup(const struct proc_spec *r, int stdio[3], char *exe, size_t exelen)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (setsid() < 0)
		return fail("setsid: %s", strerror(errno));
	if (r->terminal) {
		if (ioctl(stdio[0], TIOCSCTTY, 0) < 0)
			return fail("set controlling terminal: %s", strerror(errno));
		if (fchown(stdio[0], r->uid, r->gid) < 0)
			return fail("chown pty: %s", strerror(errno));
	}
	for (int i = 0; i < 3; i++)
		if (dup2(stdio[i], i) < 0)
			return fail("dup2: %s", strerror(errno));
	if (chdir(ROOT_DIR) < 0 || chroot(".") < 0 || chdir("/") < 0)
		return fail("chroot: %s", strerror(errno));
	for (size_t i = 0; i < r->nrlimits; i++) {
		struct rlimit rl = { r->rlimits[i].soft, r->rlimits[i].hard };
		if (setrlimit(r->rlimits[i].resource, &rl) < 0)
			return fail("setrlimit %d: %s", r->rlimits[i].resource, strerror(errno));
	}
	if (setgroups(r->ngids, r->gids) < 0)
		return fail("setgroups: %s", strerror(errno));
	if (setgid(r->gid) < 0)
		return fail("setgid %u: %s", (unsigned)r->gid, strerror(errno));
	if (setuid(r->uid) < 0)
		return fail("setuid %u: %s", (unsigned)r->uid, strerror(errno));
	umask(r->umask);
	if (chdir(r->cwd) < 0)
		return fail("chdir to cwd %s: %s", r->cwd, strerror(errno));
	return find_exe(r, exe, exelen);
}

/* Sets up, then with a barrier reports "\0" (ready) on `report` and waits for `start`
 * before execve; without one it execs at once. Setup and exec errors go to `report`. */
static _Noreturn void child(const struct proc_spec *r, int stdio[3], int report, int go)
{
	char exe[PATH_MAX], c;
	if (child_setup(r, stdio, exe, sizeof exe) < 0) {
		if (write(report, err_msg, strlen(err_msg)) < 0) { /* parent sees EOF */ }
		_exit(126);
	}
	if (go >= 0) {
		if (write(report, "", 1) != 1)
			_exit(126);
		close(report);
		ssize_t n;
		do
			n = read(go, &c, 1);
		while (n < 0 && errno == EINTR);
		if (n != 1) /* the agent gave up on this container */
			_exit(127);
	}
	execve(exe, r->argv, r->envp);
	if (go < 0) { /* report is close-on-exec: EOF there means the exec worked */
		fail("exec %s: %s", exe, strerror(errno));
		if (write(report, err_msg, strlen(err_msg)) < 0) { /* parent sees EOF */ }
		_exit(127);
	}
	dprintf(2, "rind: exec %s: %s\n", exe, strerror(errno));
	_exit(127);
}

/* ---- in the agent ---- */

static int set_nonblock(int fd)
{
	return fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* Opens a pty from the container's devpts instance, so the workload sees /dev/pts/N. */
static int open_pty(int *master, int *slave, const struct sess *s)
{
	int unlock = 0;
	*master = open(ROOT_DIR "/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*master < 0)
		return fail("open ptmx: %s", strerror(errno));
	if (ioctl(*master, TIOCSPTLCK, &unlock) < 0 ||
	    (*slave = ioctl(*master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
		close(*master);
		return fail("open pty: %s", strerror(errno));
	}
	struct winsize ws = { .ws_row = s->rows, .ws_col = s->cols };
	if (ws.ws_row || ws.ws_col)
		ioctl(*master, TIOCSWINSZ, &ws);
	return 0;
}

/* Reads the child's report: 0 when it is ready (barrier: "\0"; none: EOF at its
 * execve), -1 with err_msg set. */
static int read_report(int fd, int barrier)
{
	char b[sizeof err_msg];
	size_t n = 0;
	int64_t end = now_ms() + 30000;
	for (;;) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		int left = end - now_ms();
		if (left <= 0 || poll(&pf, 1, left) == 0)
			return fail("process setup timed out");
		ssize_t r = read(fd, b + n, sizeof b - 1 - n);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0)
			break;
		n += r;
		if (n == sizeof b - 1)
			break;
	}
	if (barrier ? n == 1 && b[0] == 0 : !n)
		return 0;
	if (!n)
		return fail("process setup failed");
	b[n] = 0;
	return fail("%s", b);
}

/* Forks a process set up in the container root and fills s's process fields. With a
 * barrier it waits before execve until s->start_fd is written. Returns its pid or -1. */
int proc_spawn(const struct proc_spec *r, struct sess *s, int barrier)
{
	int report[2] = { -1, -1 }, go[2] = { -1, -1 }, in[2] = { -1, -1 };
	int out[2] = { -1, -1 }, err[2] = { -1, -1 }, master = -1, slave = -1;
	if (pipe2(report, O_CLOEXEC) < 0 || (barrier && pipe2(go, O_CLOEXEC) < 0)) {
		fail("pipe: %s", strerror(errno));
		goto fail_fds;
	}
	if (r->terminal) {
		if (open_pty(&master, &slave, s) < 0)
			goto fail_fds;
	} else if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
		fail("pipe: %s", strerror(errno));
		goto fail_fds;
	}
	pid_t pid = fork();
	if (pid < 0) {
		fail("fork: %s", strerror(errno));
		goto fail_fds;
	}
	if (pid == 0) {
		int stdio[3] = { in[0], out[1], err[1] };
		if (r->terminal)
			stdio[0] = stdio[1] = stdio[2] = slave;
		close(report[0]);
		if (barrier)
			close(go[1]);
		child(r, stdio, report[1], go[0]);
	}
	close(report[1]), close(go[0]), close(in[0]), close(out[1]), close(err[1]), close(slave);
	report[1] = go[0] = in[0] = out[1] = err[1] = slave = -1;
	if (read_report(report[0], barrier) < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		goto fail_fds;
	}
	close(report[0]);
	s->pid = pid;
	s->start_fd = go[1];
	s->pty = r->terminal;
	if (r->terminal) {
		s->out_fd = master;
		s->in_fd = fcntl(master, F_DUPFD_CLOEXEC, 3);
		set_nonblock(master);
	} else {
		s->in_fd = in[1], s->out_fd = out[0], s->err_fd = err[0];
		set_nonblock(in[1]), set_nonblock(out[0]), set_nonblock(err[0]);
	}
	return pid;

fail_fds:
	for (int *fd = (int[]){ report[0], report[1], go[0], go[1], in[0], in[1], out[0], out[1],
				err[0], err[1], master, slave, -2 }; *fd != -2; fd++)
		if (*fd >= 0)
			close(*fd);
	return -1;
}

/* create: identity, network, the container root, then the workload, blocked before execve. */
int workload_create(const struct create_req *r)
{
	if (wl.pid)
		return fail("the container was already created");
	chan_catch_up(&wl);
	if (identity_apply(r->seed, r->time) < 0 || net_setup(r) < 0)
		return -1;
	int pid = rootfs_setup(r);
	if (pid == 0)
		pid = proc_spawn(&r->proc, &wl, 1);
	if (pid < 0)
		rootfs_teardown();
	return pid;
}

int workload_start(void)
{
	if (!wl.pid)
		return fail("the container was not created");
	if (wl.started)
		return fail("the container was already started");
	if (wl.exited)
		return fail("the container process has exited");
	if (write(wl.start_fd, "x", 1) != 1)
		return fail("start: %s", strerror(errno));
	close(wl.start_fd);
	wl.start_fd = -1;
	wl.started = 1;
	return 0;
}

int workload_signal(int signo, int all)
{
	if (!wl.pid || wl.exited)
		return fail("no running container process");
	if (kill(all ? -1 : wl.pid, signo) < 0 && !(all && errno == ESRCH))
		return fail("kill: %s", strerror(errno));
	return 0;
}
