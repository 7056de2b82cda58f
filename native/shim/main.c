/* rind-shim: per-container host helper: argument parsing, setup (cgroups, private binds,
 * terminal), spawning QEMU with the io socketpair on fd 3, and the exit-status plumbing.
 * Exec mode (--exec-socket): no QEMU child; the same relay runs over a connection to one of
 * QEMU's exec ports (a chardev socket server), for `rind exec`. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "args.h"
#include "shim.h"

#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#define RIND_MOUNT_ATTR_RDONLY 0x1ULL

struct rind_mount_attr { /* struct mount_attr of mount_setattr(2) */
	uint64_t attr_set, attr_clr, propagation, userns_fd;
};

struct shim S = {
	.statefd = -1, .logfd = -1, .readyfd = -1, .sigfd = -1, .sock = -1,
	.in_fd = -1, .out_fd = 1, .err_fd = 2, .winsz_fd = -1, .raw_fd = -1,
};

/* Forwarded to the guest as SIGNAL frames; SIGCHLD and SIGWINCH are handled here. */
static const int fwd_signals[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };

#define EXEC_CONNECT_MS 2000 /* how long to retry a refused/busy exec socket */
#define EXEC_RETRY_MS 20

long long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---------- logging and small file helpers ---------- */

static size_t fmt_line(char *buf, size_t cap, const char *fmt, va_list ap)
{
	int n = vsnprintf(buf, cap, fmt, ap);
	size_t len = n < 0 ? 0 : (size_t)n >= cap ? cap - 1 : (size_t)n;
	for (size_t i = 0; i < len; i++) /* one line, always */
		if (buf[i] == '\n' || buf[i] == '\r')
			buf[i] = ' ';
	return len;
}

static void write_all_fd(int fd, const char *b, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, b, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		b += w;
		n -= (size_t)w;
	}
}

static void log_msg(const char *msg, size_t len)
{
	char line[1200];
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ rind-shim[%d]: %.*s\n",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			 ts.tv_nsec / 1000000, (int)getpid(), (int)len, msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof line) {
		n = sizeof line - 1;
		line[n - 1] = '\n';
	}
	write_all_fd(S.logfd >= 0 ? S.logfd : 2, line, (size_t)n);
}

void shim_log(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	size_t len = fmt_line(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_msg(msg, len);
}

void setup_fail(const char *fmt, ...)
{
	char msg[1024], out[1100];
	va_list ap;
	va_start(ap, fmt);
	size_t len = fmt_line(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_msg(msg, len);
	if (S.readyfd >= 0) {
		int n = snprintf(out, sizeof out, "error: %.*s\n", (int)len, msg);
		write_all_fd(S.readyfd, out, n < 0 ? 0 : (size_t)n >= sizeof out ? sizeof out - 1 : (size_t)n);
		close(S.readyfd);
		S.readyfd = -1;
	} else if (S.logfd >= 0) { /* nobody listens on a ready fd: tell the caller's stderr too */
		int n = snprintf(out, sizeof out, "rind-shim: %.*s\n", (int)len, msg);
		write_all_fd(2, out, n < 0 ? 0 : (size_t)n >= sizeof out ? sizeof out - 1 : (size_t)n);
	}
	if (S.qemu > 0 && !S.qemu_reaped) {
		kill(S.qemu, SIGKILL);
		reap_children(1);
	}
	tty_restore();
	_exit(1);
}

/* write name atomically inside the state dir: name.tmp, then rename */
static int write_state_file(const char *name, const char *content)
{
	char tmp[64];
	snprintf(tmp, sizeof tmp, "%s.tmp", name);
	int fd = openat(S.statefd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	size_t len = strlen(content);
	ssize_t w = write(fd, content, len);
	int e = errno;
	if (close(fd) < 0 && w == (ssize_t)len) {
		w = -1;
		e = errno;
	}
	if (w != (ssize_t)len) {
		unlinkat(S.statefd, tmp, 0);
		errno = w < 0 ? e : EIO;
		return -1;
	}
	if (renameat(S.statefd, tmp, S.statefd, name) < 0) {
		e = errno;
		unlinkat(S.statefd, tmp, 0);
		errno = e;
		return -1;
	}
	return 0;
}

void write_exit_file(int code)
{
	char buf[16];
	if (S.exit_written)
		return;
	S.exit_written = 1;
	snprintf(buf, sizeof buf, "%d\n", code);
	if (write_state_file("exit", buf) < 0)
		shim_log("cannot write exit file: %s", strerror(errno));
}

/* ---------- children ---------- */

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

void shim_finish(int code)
{
	write_exit_file(code);
	tty_restore();
	_exit(code);
}

/* ---------- setup steps ---------- */

static void ensure_std_fds(void)
{
	for (int fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		int n = open("/dev/null", O_RDWR);
		if (n >= 0 && n != fd) { /* cannot happen: lowest free fd is taken */
			dup2(n, fd);
			close(n);
		}
	}
}

static void setup_signals(void)
{
	sigset_t set;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sigemptyset(&set);
	/* inherited SIG_IGN would discard signals before signalfd sees them (and an ignored
	 * SIGCHLD would auto-reap QEMU): force the default, then block and read via signalfd */
	sa.sa_handler = SIG_DFL;
	for (size_t i = 0; i < sizeof fwd_signals / sizeof fwd_signals[0]; i++) {
		sigaction(fwd_signals[i], &sa, NULL);
		sigaddset(&set, fwd_signals[i]);
	}
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGWINCH, &sa, NULL);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGWINCH);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		setup_fail("sigprocmask: %s", strerror(errno));
	S.sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (S.sigfd < 0)
		setup_fail("signalfd: %s", strerror(errno));
	sa.sa_handler = SIG_IGN; /* EPIPE on the engine's fds must not kill us; no job-control stops */
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGTTIN, &sa, NULL);
	sigaction(SIGTTOU, &sa, NULL);
	sigaction(SIGTSTP, &sa, NULL);
}

static void join_cgroups(char **argv, int dashdash)
{
	char buf[32];
	int len = snprintf(buf, sizeof buf, "%d\n", (int)getpid());
	for (int i = 1; i < dashdash; i++) {
		if (strcmp(argv[i], "--cgroup-procs") != 0)
			continue;
		const char *f = argv[++i];
		int fd = open(f, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			setup_fail("cgroup: open %s: %s", f, strerror(errno));
		ssize_t w = write(fd, buf, (size_t)len);
		if (w != len) {
			int e = w < 0 ? errno : EIO;
			close(fd);
			setup_fail("cgroup: write pid to %s: %s", f, strerror(e));
		}
		close(fd);
	}
}

static void make_readonly(const char *dst)
{
	struct rind_mount_attr attr = { .attr_set = RIND_MOUNT_ATTR_RDONLY };
	/* recursive: submounts of the bound tree become read-only too (Linux >= 5.12) */
	if (syscall(SYS_mount_setattr, AT_FDCWD, dst, AT_RECURSIVE, &attr, sizeof attr) == 0)
		return;
	int e = errno;
	if (e != ENOSYS && e != EINVAL)
		setup_fail("bind-ro: mount_setattr %s: %s", dst, strerror(e));
	if (mount(NULL, dst, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) == 0)
		return;
	e = errno;
	/* locked flags (nosuid, nodev, noexec...) of the source mount must be kept */
	struct statvfs sv;
	if (e == EPERM && statvfs(dst, &sv) == 0) {
		unsigned long keep = 0;
		if (sv.f_flag & ST_NOSUID) keep |= MS_NOSUID;
		if (sv.f_flag & ST_NODEV) keep |= MS_NODEV;
		if (sv.f_flag & ST_NOEXEC) keep |= MS_NOEXEC;
		if (sv.f_flag & ST_NOATIME) keep |= MS_NOATIME;
		if (sv.f_flag & ST_NODIRATIME) keep |= MS_NODIRATIME;
		if (sv.f_flag & ST_RELATIME) keep |= MS_RELATIME;
		if (mount(NULL, dst, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | keep, NULL) == 0)
			return;
		e = errno;
	}
	setup_fail("bind-ro: remount %s read-only: %s", dst, strerror(e));
}

static void do_binds(char **argv, int dashdash)
{
	int any = 0;
	for (int i = 1; i < dashdash; i++)
		if (!strcmp(argv[i], "--bind") || !strcmp(argv[i], "--bind-ro"))
			any = 1;
	if (!any)
		return;
	if (unshare(CLONE_NEWNS) < 0)
		setup_fail("unshare(CLONE_NEWNS): %s", strerror(errno));
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		setup_fail("make / rslave: %s", strerror(errno));
	for (int i = 1; i < dashdash; i++) {
		int ro = !strcmp(argv[i], "--bind-ro");
		if (!ro && strcmp(argv[i], "--bind") != 0)
			continue;
		const char *src = argv[i + 1], *dst = argv[i + 2];
		i += 2;
		if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) < 0)
			setup_fail("bind %s onto %s: %s", src, dst, strerror(errno));
		if (ro)
			make_readonly(dst);
	}
}

/* QEMU must open the container's taps, which live in the container's network namespace */
static void join_netns(const char *path)
{
	if (!path)
		return;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		setup_fail("open network namespace %s: %s", path, strerror(errno));
	if (setns(fd, CLONE_NEWNET) < 0)
		setup_fail("join network namespace %s: %s", path, strerror(errno));
	close(fd);
}

/* move fd to >= 10 (close-on-exec) so that the dup2s onto 0..3 cannot clobber it */
static int lift_fd(int fd)
{
	return fcntl(fd, F_DUPFD_CLOEXEC, 10);
}

static void close_from(int lowfd)
{
	if (syscall(SYS_close_range, (unsigned)lowfd, ~0u, 0u) == 0)
		return;
	long max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 1 << 20)
		max = 1 << 20;
	for (long fd = lowfd; fd < max; fd++)
		close((int)fd);
}

static void spawn_qemu(char **qargv)
{
	int sv[2], ep[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		setup_fail("socketpair: %s", strerror(errno));
	int vmmlog = openat(S.statefd, "vmm.log", O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (vmmlog < 0)
		setup_fail("open vmm.log: %s", strerror(errno));
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (devnull < 0)
		setup_fail("open /dev/null: %s", strerror(errno));
	if (pipe2(ep, O_CLOEXEC) < 0)
		setup_fail("pipe: %s", strerror(errno));
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0)
		setup_fail("fork: %s", strerror(errno));
	if (pid == 0) {
		int err;
		sigset_t none;
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = SIG_DFL;
		sigemptyset(&sa.sa_mask);
		for (int s = 1; s < 32; s++)
			if (s != SIGKILL && s != SIGSTOP)
				sigaction(s, &sa, NULL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) {
			err = errno;
			goto fail;
		}
		if (getppid() != parent) /* the shim died before PDEATHSIG was armed */
			_exit(127);
		/* own session: no controlling terminal, so a terminal hangup or the engine's
		 * signals to our process group never reach QEMU directly */
		setsid();
		int q = lift_fd(sv[1]), l = lift_fd(vmmlog), d = lift_fd(devnull), e = lift_fd(ep[1]);
		if (q < 0 || l < 0 || d < 0 || e < 0) {
			err = errno;
			goto fail;
		}
		ep[1] = e;
		if (dup2(d, 0) < 0 || dup2(l, 1) < 0 || dup2(l, 2) < 0 || dup2(q, 3) < 0 ||
		    dup2(e, 4) < 0 || fcntl(4, F_SETFD, FD_CLOEXEC) < 0) {
			err = errno;
			goto fail;
		}
		ep[1] = 4;
		close_from(5); /* keep 0..3 and the close-on-exec exec-error pipe */
		execv(qargv[0], qargv);
		err = errno;
	fail:
		while (write(ep[1], &err, sizeof err) < 0 && errno == EINTR)
			;
		_exit(127);
	}
	S.qemu = pid;
	close(sv[1]);
	close(vmmlog);
	close(devnull);
	close(ep[1]);
	int err = 0;
	ssize_t r;
	while ((r = read(ep[0], &err, sizeof err)) < 0 && errno == EINTR)
		;
	close(ep[0]);
	if (r > 0)
		setup_fail("exec %s: %s", qargv[0], strerror(err));
	S.sock = sv[0];
	int fl = fcntl(S.sock, F_GETFL);
	if (fl < 0 || fcntl(S.sock, F_SETFL, fl | O_NONBLOCK) < 0)
		setup_fail("io socket O_NONBLOCK: %s", strerror(errno));
	char buf[32];
	snprintf(buf, sizeof buf, "%d\n", (int)pid);
	if (write_state_file("vmm.pid", buf) < 0)
		setup_fail("write vmm.pid: %s", strerror(errno));
}

/* exec mode: QEMU's chardev server takes one client at a time; a non-blocking connect gets
 * EAGAIN (not a hang) when its backlog is full, ECONNREFUSED while nobody listens. */
static void connect_exec(const char *path)
{
	char err[256];
	long long end = mono_ms() + EXEC_CONNECT_MS;
	for (;;) {
		S.sock = unix_connect(path, "exec socket", SOCK_NONBLOCK, err, sizeof err);
		if (S.sock >= 0)
			return;
		if ((errno != ECONNREFUSED && errno != EAGAIN) || mono_ms() + EXEC_RETRY_MS > end)
			setup_fail("%s", err);
		nanosleep(&(struct timespec){ 0, EXEC_RETRY_MS * 1000000L }, NULL);
	}
}

static void ready_ok(void)
{
	if (S.readyfd < 0)
		return;
	write_all_fd(S.readyfd, "ok\n", 3);
	close(S.readyfd);
	S.readyfd = -1;
}

/* ---------- main ---------- */

int main(int argc, char **argv)
{
	struct shim_args a;
	char err[256];

	ensure_std_fds();
	signal(SIGPIPE, SIG_IGN); /* a vanished ready-fd reader must not kill us */
	/* pass 1: find --ready-fd first so every later error can be reported there */
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (!strcmp(argv[i], "--ready-fd") && i + 1 < argc) {
			int fd = shim_parse_fd(argv[i + 1]);
			if (fd >= 0 && fcntl(fd, F_SETFD, FD_CLOEXEC) == 0)
				S.readyfd = fd;
		}
	}
	{
		char aerr[1024];
		if (shim_parse_args(argc, argv, S.readyfd, &a, aerr, sizeof aerr) < 0)
			setup_fail("%s", aerr);
	}
	S.statefd = open(a.state, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (S.statefd < 0)
		setup_fail("open state dir %s: %s", a.state, strerror(errno));
	S.logfd = openat(S.statefd, "shim.log", O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (S.logfd < 0)
		setup_fail("open %s/shim.log: %s", a.state, strerror(errno));

	setup_signals();
	if (a.exec_sock) {
		S.exec = 1;
		connect_exec(a.exec_sock);
	} else {
		join_cgroups(argv, a.dashdash);
		do_binds(argv, a.dashdash);
		join_netns(a.netns);
	}

	S.in_fd = 0;
	if (a.console) {
		S.mode = MODE_CONSOLE;
		if (tty_console_setup(a.console, err, sizeof err) < 0)
			setup_fail("%s", err);
	} else if (a.tty) {
		S.mode = MODE_TTY;
		if (tty_inherit_setup(err, sizeof err) < 0)
			setup_fail("%s", err);
	}

	const char *how = S.mode == MODE_CONSOLE ? "console socket" : S.mode == MODE_TTY ? "tty" : "plain stdio";
	if (S.exec) {
		ready_ok();
		shim_log("exec: connected to %s (%s)", a.exec_sock, how);
	} else {
		spawn_qemu(argv + a.dashdash + 1);
		ready_ok();
		shim_log("started %s, pid %d (%s)", argv[a.dashdash + 1], (int)S.qemu, how);
	}
	relay_run();
}
