/* rind guest agent: a new process's life between fork and execve: its cgroup and namespaces, root, pty, stdio, limits, credentials, exe lookup.
 * Runs in the child only: reports errors on its report socket and _exits, never returns to the agent's loop. */
#include "agent.h"
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

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

/* Finds args[0] like runc (Go's LookPath) would, with the PATH of the process's env: without
 * one (or with an empty one) only a name with a '/' is found. */
static int find_exe(const struct proc_spec *r, char *out, size_t outlen)
{
	const char *name = r->argv[0], *path = NULL;
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
	if (!path || !path[0])
		return fail("executable file not found in $PATH: %s", name);
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

static const int clone_flag[NS_KINDS] = { CLONE_NEWPID, CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWCGROUP, CLONE_NEWUSER, CLONE_NEWNS };

static int join_ns(const struct launch *l, int kind)
{
	if (l->ns[kind] >= 0 && setns(l->ns[kind], clone_flag[kind]) < 0)
		return fail("join the %s namespace: %s", ns_name(kind), strerror(errno));
	return 0;
}

/* hostname and domainname, in the UTS namespace the container has by now */
static int set_names(const struct create_req *r)
{
	if (r->hostname && r->hostname[0] && sethostname(r->hostname, strlen(r->hostname)) < 0)
		return fail("sethostname: %s", strerror(errno));
	if (r->ns.domainname && setdomainname(r->ns.domainname, strlen(r->ns.domainname)) < 0)
		return fail("setdomainname: %s", strerror(errno));
	return 0;
}

/* Into the container: its cgroup and the cgroup, IPC and UTS namespaces it joins, then (create)
 * a new mount namespace and those of its own, whose root rootfs.c builds and pivots into, or
 * (exec) the init's mount namespace. The user namespace comes last (enter_userns). */
static int enter(const struct launch *l)
{
	if (cgroup_join(l->cg_fd) < 0 || join_ns(l, NS_CGROUP) < 0 || join_ns(l, NS_IPC) < 0 || join_ns(l, NS_UTS) < 0)
		return -1;
	if (l->create) {
		int flags = CLONE_NEWNS;
		for (int k = NS_IPC; k <= NS_CGROUP; k++)
			if (l->fresh & 1 << k)
				flags |= clone_flag[k];
		if (unshare(flags) < 0)
			return fail("new namespaces: %s", strerror(errno));
		if (set_names(l->create) < 0 || sec_sysctls(l->create) < 0) /* through the agent's /proc, still mounted here */
			return -1;
		return rootfs_enter(l->create);
	}
	if (join_ns(l, NS_MNT) < 0)
		return -1;
	if (chdir("/") < 0) /* setns made the namespace's root ours */
		return fail("chdir /: %s", strerror(errno));
	return 0;
}

/* The user namespace: joined, or (create) a new one whose id maps the agent writes while we
 * wait. After it the process has capabilities only there: rlimits and everything that needs
 * the VM's root are done before. */
static int enter_userns(const struct launch *l, int report)
{
	if (l->ns[NS_USER] >= 0)
		return join_ns(l, NS_USER);
	if (!(l->fresh & 1 << NS_USER))
		return 0;
	if (unshare(CLONE_NEWUSER) < 0)
		return fail("new user namespace: %s", strerror(errno));
	char tag = REPORT_USERNS, ok;
	if (send(report, &tag, 1, MSG_NOSIGNAL) != 1)
		return fail("ask for the id maps: %s", strerror(errno));
	ssize_t n;
	do
		n = recv(report, &ok, 1, 0);
	while (n < 0 && errno == EINTR);
	return n == 1 ? 0 : fail("the agent wrote no id maps");
}

/* Limits, the user namespace, groups, ids, umask: inside the root, after the cwd. */
static int credentials(const struct launch *l, int report)
{
	const struct proc_spec *r = l->proc;
	for (size_t i = 0; i < r->nrlimits; i++) {
		struct rlimit rl = { r->rlimits[i].soft, r->rlimits[i].hard };
		if (setrlimit(r->rlimits[i].resource, &rl) < 0)
			return fail("setrlimit %d: %s", r->rlimits[i].resource, strerror(errno));
	}
	if (enter_userns(l, report) < 0)
		return -1;
	/* the bounding set (needs CAP_SETPCAP); without no_new_privs the filter needs CAP_SYS_ADMIN: now (runc's order) */
	if (sec_bounding(&r->sec) < 0 || (!r->sec.nnp && sec_seccomp(&r->sec) < 0))
		return -1;
	if (sec_keepcaps(&r->sec, 1) < 0)
		return -1;
	if (setgroups(r->ngids, r->gids) < 0)
		return fail("setgroups: %s", strerror(errno));
	if (setgid(r->gid) < 0)
		return fail("setgid %u: %s", (unsigned)r->gid, strerror(errno));
	if (setuid(r->uid) < 0)
		return fail("setuid %u: %s", (unsigned)r->uid, strerror(errno));
	if (sec_keepcaps(&r->sec, 0) < 0)
		return -1;
	umask(r->umask);
	return 0;
}

/* A pty from the container's devpts (so the process sees /dev/pts/N); the master goes to the
 * agent over the report socket, the slave becomes stdio. */
static int make_pty(int report, int stdio[3])
{
	int unlock = 0, master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC), slave;
	if (master < 0)
		return fail("open /dev/pts/ptmx: %s", strerror(errno));
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0 || (slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
		close(master);
		return fail("open pty: %s", strerror(errno));
	}
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} ctl;
	char tag = REPORT_PTY;
	struct iovec iov = { &tag, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b, .msg_controllen = sizeof ctl.b };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET, c->cmsg_type = SCM_RIGHTS, c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &master, sizeof master);
	ssize_t n = sendmsg(report, &m, 0);
	close(master);
	if (n != 1)
		return fail("pass the pty: %s", strerror(errno));
	stdio[0] = stdio[1] = stdio[2] = slave;
	return 0;
}

static int child_setup(const struct launch *l, int stdio[3], int report, char *exe, size_t exelen)
{
	const struct proc_spec *r = l->proc;
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (sec_oom(&r->sec) < 0 || enter(l) < 0 || (r->terminal && make_pty(report, stdio) < 0))
		return -1;
	if (setsid() < 0)
		return fail("setsid: %s", strerror(errno));
	if (r->terminal) {
		if (ioctl(stdio[0], TIOCSCTTY, 0) < 0)
			return fail("set controlling terminal: %s", strerror(errno));
		struct winsize ws = { .ws_row = r->rows, .ws_col = r->cols }; /* process.consoleSize; a later WINSIZE wins */
		if ((r->rows || r->cols) && ioctl(stdio[0], TIOCSWINSZ, &ws) < 0)
			return fail("set the console size: %s", strerror(errno));
		/* the owner only, as runc does: the group and mode stay the devpts mount's (gid=5,mode=0620) */
		if (fchown(stdio[0], r->uid, (gid_t)-1) < 0)
			return fail("chown pty: %s", strerror(errno));
	}
	for (int i = 0; i < 3; i++)
		if (dup2(stdio[i], i) < 0)
			return fail("dup2: %s", strerror(errno));
	if (chdir(r->cwd) < 0) /* as the VM's root, before the user's ids (runc's order) */
		return fail("chdir to cwd %s: %s", r->cwd, strerror(errno));
	if (credentials(l, report) < 0)
		return -1;
	if (find_exe(r, exe, exelen) < 0)
		return -1;
	return sec_caps(&r->sec) < 0 || sec_nnp(&r->sec) < 0 ? -1 : 0;
}

/* Sets up, then with a barrier reports "\0" (ready) on `report` and waits for `start`
 * before execve; without one it execs at once. Setup and exec errors go to `report`. */
_Noreturn void child_run(const struct launch *l, int stdio[3], int report, int go)
{
	const struct proc_spec *r = l->proc;
	char exe[PATH_MAX], c;
	if (child_setup(l, stdio, report, exe, sizeof exe) < 0) {
		if (!err_msg[0]) /* an empty message would read as EOF */
			fail("process setup failed");
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
	if (r->sec.nnp && sec_seccomp(&r->sec) < 0) { /* with no_new_privs: the last step (runc's order) */
		if (go < 0 && write(report, err_msg, strlen(err_msg)) < 0) { /* parent sees EOF */ }
		if (go >= 0)
			dprintf(2, "rind: %s\n", err_msg);
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
