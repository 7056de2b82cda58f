/* rind guest agent: starting a process in a container root: pipes or a pty, fork, the child's report, the start barrier.
 * The agent's side only (the child's is child.c); it fills a session's process fields, not its channel. */
#include "agent.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static int set_nonblock(int fd)
{
	return fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* Opens a pty from the container's devpts instance, so the workload sees /dev/pts/N. */
static int open_pty(const char *root, int *master, int *slave, const struct sess *s)
{
	char ptmx[96];
	int unlock = 0;
	snprintf(ptmx, sizeof ptmx, "%s/dev/pts/ptmx", root);
	*master = open(ptmx, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*master < 0)
		return fail("open ptmx: %s", strerror(errno));
	if (ioctl(*master, TIOCSPTLCK, &unlock) < 0 ||
	    (*slave = ioctl(*master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
		fail("open pty: %s", strerror(errno));
		close(*master);
		*master = -1;
		return -1;
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

/* The fds of a spawn: report (child -> agent), go (the start barrier), stdio pipes or a pty. */
struct fds {
	int report[2], go[2], in[2], out[2], err[2], master, slave;
};

static void close_fds(struct fds *f)
{
	int *all = (int *)f;
	for (size_t i = 0; i < sizeof *f / sizeof(int); i++)
		if (all[i] >= 0)
			close(all[i]), all[i] = -1;
}

static int make_fds(const struct proc_spec *r, const char *root, const struct sess *s, int barrier, struct fds *f)
{
	memset(f, -1, sizeof *f);
	if (pipe2(f->report, O_CLOEXEC) < 0 || (barrier && pipe2(f->go, O_CLOEXEC) < 0))
		return fail("pipe: %s", strerror(errno));
	if (r->terminal)
		return open_pty(root, &f->master, &f->slave, s);
	if (pipe2(f->in, O_CLOEXEC) < 0 || pipe2(f->out, O_CLOEXEC) < 0 || pipe2(f->err, O_CLOEXEC) < 0)
		return fail("pipe: %s", strerror(errno));
	return 0;
}

static _Noreturn void in_child(const struct proc_spec *r, const char *root, struct fds *f)
{
	int stdio[3] = { f->in[0], f->out[1], f->err[1] };
	if (r->terminal)
		stdio[0] = stdio[1] = stdio[2] = f->slave;
	close(f->report[0]);
	if (f->go[1] >= 0)
		close(f->go[1]);
	child_run(r, root, stdio, f->report[1], f->go[0]);
}

/* Hands the agent's ends to the session; the rest are closed. */
static void take_fds(struct sess *s, struct fds *f, int terminal)
{
	s->start_fd = f->go[1], f->go[1] = -1;
	s->pty = terminal;
	if (terminal) {
		s->out_fd = f->master, f->master = -1;
		s->in_fd = fcntl(s->out_fd, F_DUPFD_CLOEXEC, 3);
		set_nonblock(s->out_fd);
	} else {
		s->in_fd = f->in[1], s->out_fd = f->out[0], s->err_fd = f->err[0];
		f->in[1] = f->out[0] = f->err[0] = -1;
		set_nonblock(s->in_fd), set_nonblock(s->out_fd), set_nonblock(s->err_fd);
	}
	close_fds(f);
}

/* Forks a process set up in `root` and fills s's process fields. With a barrier it waits
 * before execve until s->start_fd is written. Returns its pid or -1. */
int proc_spawn(const struct proc_spec *r, const char *root, struct sess *s, int barrier)
{
	struct fds f;
	if (make_fds(r, root, s, barrier, &f) < 0) {
		close_fds(&f);
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0)
		in_child(r, root, &f);
	if (pid < 0) {
		fail("fork: %s", strerror(errno));
		close_fds(&f);
		return -1;
	}
	close(f.report[1]), close(f.go[0]), close(f.in[0]), close(f.out[1]), close(f.err[1]), close(f.slave);
	f.report[1] = f.go[0] = f.in[0] = f.out[1] = f.err[1] = f.slave = -1;
	if (read_report(f.report[0], barrier) < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close_fds(&f);
		return -1;
	}
	s->pid = pid;
	take_fds(s, &f, r->terminal);
	return pid;
}
