/* rind guest agent: the workload process.
 * create (fork, stdio, chroot, limits, credentials, exe lookup), start, signals, winsize. */
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

struct workload wl = { .start_fd = -1, .in_fd = -1, .out_fd = -1, .err_fd = -1 };

static struct winsize winsz;    /* last WINSIZE, applied when the pty appears */

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

/* Finds args[0] like execvp would, with the PATH of the workload's env. */
static int find_exe(const struct create_req *r, char *out, size_t outlen)
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

static int child_setup(const struct create_req *r, int stdio[3], char *exe, size_t exelen)
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

/* Sets up, reports "\0" (ready) or an error text on `report`, waits for `start`. */
static _Noreturn void child(const struct create_req *r, int stdio[3], int report, int go)
{
	char exe[PATH_MAX], c;
	if (child_setup(r, stdio, exe, sizeof exe) < 0) {
		if (write(report, err_msg, strlen(err_msg)) < 0) { /* parent sees EOF */ }
		_exit(126);
	}
	if (write(report, "", 1) != 1)
		_exit(126);
	close(report);
	ssize_t n;
	do
		n = read(go, &c, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1) /* the agent gave up on this container */
		_exit(127);
	execve(exe, r->argv, r->envp);
	dprintf(2, "rind: exec %s: %s\n", exe, strerror(errno));
	_exit(127);
}

/* ---- in the agent ---- */

static int set_nonblock(int fd)
{
	return fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* Opens a pty from the container's devpts instance, so the workload sees /dev/pts/N. */
static int open_pty(int *master, int *slave)
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
	if (winsz.ws_row || winsz.ws_col)
		ioctl(*master, TIOCSWINSZ, &winsz);
	return 0;
}

/* Reads the child's setup report: 0 when it is ready, -1 with err_msg set. */
static int read_report(int fd)
{
	char b[sizeof err_msg];
	size_t n = 0;
	int64_t end = now_ms() + 30000;
	for (;;) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		int left = end - now_ms();
		if (left <= 0 || poll(&pf, 1, left) == 0)
			return fail("workload setup timed out");
		ssize_t r = read(fd, b + n, sizeof b - 1 - n);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0)
			break;
		n += r;
		if (n == sizeof b - 1)
			break;
	}
	if (n == 1 && b[0] == 0)
		return 0;
	if (!n)
		return fail("workload setup failed");
	b[n] = 0;
	return fail("%s", b);
}

int workload_create(const struct create_req *r)
{
	int report[2] = { -1, -1 }, go[2] = { -1, -1 }, in[2] = { -1, -1 };
	int out[2] = { -1, -1 }, err[2] = { -1, -1 }, master = -1, slave = -1;
	if (wl.pid)
		return fail("the container was already created");
	io_catch_up();
	if (rootfs_setup(r) < 0)
		goto fail_mounts;
	if (pipe2(report, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0) {
		fail("pipe: %s", strerror(errno));
		goto fail_fds;
	}
	if (r->terminal) {
		if (open_pty(&master, &slave) < 0)
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
		close(report[0]), close(go[1]);
		child(r, stdio, report[1], go[0]);
	}
	close(report[1]), close(go[0]), close(in[0]), close(out[1]), close(err[1]), close(slave);
	report[1] = go[0] = in[0] = out[1] = err[1] = slave = -1;
	if (read_report(report[0]) < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		goto fail_fds;
	}
	close(report[0]);
	wl.pid = pid;
	wl.start_fd = go[1];
	wl.pty = r->terminal;
	if (r->terminal) {
		wl.out_fd = master;
		wl.in_fd = fcntl(master, F_DUPFD_CLOEXEC, 3);
		set_nonblock(master);
	} else {
		wl.in_fd = in[1], wl.out_fd = out[0], wl.err_fd = err[0];
		set_nonblock(in[1]), set_nonblock(out[0]), set_nonblock(err[0]);
	}
	return pid;

fail_fds:
	for (int *fd = (int[]){ report[0], report[1], go[0], go[1], in[0], in[1], out[0], out[1],
				err[0], err[1], master, slave, -2 }; *fd != -2; fd++)
		if (*fd >= 0)
			close(*fd);
fail_mounts:
	rootfs_teardown();
	return -1;
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

void workload_winsize(unsigned rows, unsigned cols)
{
	winsz.ws_row = rows;
	winsz.ws_col = cols;
	int fd = wl.out_fd >= 0 ? wl.out_fd : wl.in_fd;
	if (wl.pty && fd >= 0)
		ioctl(fd, TIOCSWINSZ, &winsz);
}
