/* rind guest agent: starting a process in a container: pipes, the PID namespace it is forked into, fork, the child's report, the start barrier.
 * The agent's side only (the child's is child.c); it fills a session's process fields, not its channel. */
#include "agent.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define SETUP_MS 30000  /* a child that has not reported by then is killed */

static int set_nonblock(int fd)
{
	return fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* One message of the child's report (a SOCK_SEQPACKET socket); a passed fd goes to *fd. */
static ssize_t report_msg(int sock, char *b, size_t len, int *fd)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { b, len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b, .msg_controllen = sizeof ctl.b };
	ssize_t n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	for (struct cmsghdr *c = n >= 0 ? CMSG_FIRSTHDR(&m) : NULL; c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int))) {
			int got;
			memcpy(&got, CMSG_DATA(c), sizeof got);
			if (*fd >= 0)
				close(*fd);
			*fd = got;
		}
	return n;
}

/* Writes the id maps of the child's new user namespace (the agent may map any ids: it has
 * CAP_SETUID and CAP_SETGID where the namespace was made). */
static int write_maps(pid_t pid, const struct ns_spec *ns)
{
	for (int g = 0; g < 2; g++) {
		char path[64], text[NS_MAP_TEXT];
		int len = idmap_text(g ? ns->gid : ns->uid, g ? ns->ngid : ns->nuid, text, sizeof text);
		snprintf(path, sizeof path, "/proc/%d/%s_map", (int)pid, g ? "gid" : "uid");
		int fd = open(path, O_WRONLY | O_CLOEXEC);
		ssize_t n = fd < 0 || len < 0 ? -1 : write(fd, text, len);
		int e = errno;
		if (fd >= 0)
			close(fd);
		if (n != len)
			return fail("user namespace %s mappings: %s", g ? "gid" : "uid", strerror(e));
	}
	return 0;
}

/* Reads the child's report: messages of REPORT_PTY (with the pty master, to *master) and
 * REPORT_USERNS (its id maps written, then one byte back), then "\0" once it is ready (barrier),
 * or its error text; without a barrier EOF at its execve. 0 when it is ready, -1 with err_msg set. */
static int read_report(int sock, const struct launch *l, pid_t pid, int *master)
{
	char b[sizeof err_msg];
	int64_t end = now_ms() + SETUP_MS;
	for (;;) {
		struct pollfd pf = { .fd = sock, .events = POLLIN };
		int left = end - now_ms();
		if (left <= 0 || poll(&pf, 1, left) == 0)
			return fail("process setup timed out");
		ssize_t n = report_msg(sock, b, sizeof b - 1, master);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return fail("process setup: %s", strerror(errno));
		if (n == 1 && b[0] == REPORT_PTY)
			continue;
		if (n == 1 && b[0] == REPORT_USERNS && l->create) {
			if (write_maps(pid, &l->create->ns) < 0)
				return -1;
			if (send(sock, "u", 1, MSG_NOSIGNAL) != 1)
				return fail("process setup: %s", strerror(errno));
			continue;
		}
		if (n == 0)
			return l->barrier ? fail("process setup failed") : 0;
		if (l->barrier && n == 1 && b[0] == 0)
			return 0;
		b[n] = 0;
		return fail("%s", b);
	}
}

/* The fds of a spawn: report (child -> agent), go (the start barrier), the stdio pipes. */
struct fds {
	int report[2], go[2], in[2], out[2], err[2];
};

static void close_fds(struct fds *f)
{
	int *all = (int *)f;
	for (size_t i = 0; i < sizeof *f / sizeof(int); i++)
		if (all[i] >= 0)
			close(all[i]), all[i] = -1;
}

static int make_fds(const struct launch *l, struct fds *f)
{
	memset(f, -1, sizeof *f);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, f->report) < 0)
		return fail("socketpair: %s", strerror(errno));
	if (l->barrier && pipe2(f->go, O_CLOEXEC) < 0)
		return fail("pipe: %s", strerror(errno));
	if (!l->proc->terminal && (pipe2(f->in, O_CLOEXEC) < 0 || pipe2(f->out, O_CLOEXEC) < 0 || pipe2(f->err, O_CLOEXEC) < 0))
		return fail("pipe: %s", strerror(errno));
	return 0;
}

static _Noreturn void in_child(const struct launch *l, struct fds *f)
{
	int stdio[3] = { f->in[0], f->out[1], f->err[1] }; /* a terminal's: made in the container */
	close(f->report[0]);
	if (f->go[1] >= 0)
		close(f->go[1]);
	child_run(l, stdio, f->report[1], f->go[0]);
}

/* The engine set (on) or cleared ONLCR on the console socket's pty, which only relays bytes:
 * the process's pty, where the line discipline is, does the same (runc has one pty, so an engine's
 * ClearONLCR reaches the process's). Remembered for a pty not made yet. */
void pty_onlcr(struct sess *s, int on)
{
	struct termios t;
	s->onlcr = on ? 2 : 1;
	if (!s->pty || s->out_fd < 0 || tcgetattr(s->out_fd, &t) < 0)
		return;
	t.c_oflag = on ? t.c_oflag | ONLCR : t.c_oflag & ~(tcflag_t)ONLCR;
	if (tcsetattr(s->out_fd, TCSANOW, &t) < 0)
		logmsg("%s: ONLCR on the pty: %s", s->name, strerror(errno));
}

/* Hands the agent's ends to the session; the rest are closed. */
static void take_fds(struct sess *s, struct fds *f, int master)
{
	s->start_fd = f->go[1], f->go[1] = -1;
	s->pty = master >= 0;
	if (s->pty) {
		s->out_fd = master;
		s->in_fd = fcntl(master, F_DUPFD_CLOEXEC, 3);
		set_nonblock(master);
		struct winsize ws = { .ws_row = s->rows, .ws_col = s->cols };
		if (ws.ws_row || ws.ws_col)
			ioctl(master, TIOCSWINSZ, &ws);
		if (s->onlcr)
			pty_onlcr(s, s->onlcr == 2);
	} else {
		s->in_fd = f->in[1], s->out_fd = f->out[0], s->err_fd = f->err[0];
		f->in[1] = f->out[0] = f->err[0] = -1;
		set_nonblock(s->in_fd), set_nonblock(s->out_fd), set_nonblock(s->err_fd);
	}
	close_fds(f);
}

/* The agent's own PID namespace, to return to after forking into another. */
static int own_pidns(void)
{
	static int fd = -1;
	if (fd < 0 && (fd = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC)) < 0)
		fail("/proc/self/ns/pid: %s", strerror(errno));
	return fd;
}

/* fork(), the child in a new PID namespace (its PID 1) or in the one l->ns names. The agent
 * changes only the namespace of its next child, and changes it back at once. */
static pid_t fork_in(const struct launch *l)
{
	int fresh = l->fresh & 1 << NS_PID, join = l->ns[NS_PID] >= 0, other = fresh || join;
	if (other && own_pidns() < 0)
		return -1;
	if (fresh && unshare(CLONE_NEWPID) < 0)
		return fail("new PID namespace: %s", strerror(errno));
	if (join && setns(l->ns[NS_PID], CLONE_NEWPID) < 0)
		return fail("join the PID namespace: %s", strerror(errno));
	pid_t pid = fork();
	if (pid == 0)
		return 0;
	int e = errno;
	if (other && setns(own_pidns(), CLONE_NEWPID) < 0)
		fatal("back to the agent's PID namespace: %s", strerror(errno));
	if (pid < 0)
		return fail("fork: %s", e == ENOMEM && join ? "the PID namespace it joins is ending" : strerror(e));
	return pid;
}

/* Forks a process set up as l says and fills s's process fields. With a barrier it waits
 * before execve until s->start_fd is written. Returns its pid (in the agent's namespace) or -1. */
int proc_spawn(const struct launch *l, struct sess *s)
{
	struct fds f;
	int master = -1;
	if (make_fds(l, &f) < 0) {
		close_fds(&f);
		return -1;
	}
	pid_t pid = fork_in(l);
	if (pid == 0)
		in_child(l, &f);
	if (pid < 0) {
		close_fds(&f);
		return -1;
	}
	close(f.report[1]), close(f.go[0]), close(f.in[0]), close(f.out[1]), close(f.err[1]);
	f.report[1] = f.go[0] = f.in[0] = f.out[1] = f.err[1] = -1;
	if (read_report(f.report[0], l, pid, &master) < 0 || (l->proc->terminal && master < 0 && fail("no pty from the process") < 0)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close_fds(&f);
		if (master >= 0)
			close(master);
		return -1;
	}
	s->pid = pid;
	take_fds(s, &f, master);
	return pid;
}
