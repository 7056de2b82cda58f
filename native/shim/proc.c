/* rind-shim: the shim's own process hygiene: fds it inherits (closed, so no caller waits for an EOF
 * we hold), std fds, signal dispositions (blocked, read via signalfd), and their reset for the VMM. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "limits.h" /* proto/limits.h (-iquote proto, so <limits.h> stays libc's): RIND_FWD_SIGNALS */
#include "shim.h"

/* forwarded to the guest as SIGNAL frames (normal and exec mode) or ending the VMM (--vmm-only) */
static const int fwd_signals[] = RIND_FWD_SIGNALS;

/* fds 0..2 open (on /dev/null if absent), so no file we open lands on them */
void proc_std_fds(void)
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

/* the fd --ready-fd names, if it is open (made close-on-exec), else -1; found before the real
 * parse so that every later error can be reported there */
int proc_find_ready_fd(int argc, char **argv)
{
	int found = -1;
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--ready-fd") != 0 || i + 1 >= argc)
			continue;
		int fd = shim_parse_fd(argv[i + 1]);
		if (fd >= 0 && fcntl(fd, F_SETFD, FD_CLOEXEC) == 0)
			found = fd;
	}
	return found;
}

static int close_range_fds(unsigned lo, unsigned hi)
{
	if (lo > hi)
		return 0;
	if (syscall(SYS_close_range, lo, hi, 0u) == 0)
		return 0;
	long max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 1 << 20)
		max = 1 << 20;
	for (long fd = lo; fd < max && (unsigned long)fd <= hi; fd++)
		close((int)fd);
	return 0;
}

int proc_close_from(int lowfd)
{
	return close_range_fds((unsigned)lowfd, ~0u);
}

/* every fd above stdio but keep (the ready fd; -1: none): a pipe the caller passed by accident
 * would otherwise stay open for the container's lifetime */
void proc_close_inherited(int keep)
{
	if (keep < 3) {
		proc_close_from(3);
		return;
	}
	close_range_fds(3, (unsigned)keep - 1);
	close_range_fds((unsigned)keep + 1, ~0u);
}

/* fds 0..2 onto /dev/null: with --console-socket the container's stdio is the pty, and holding
 * the engine's pipes would keep `out=$(rind run -d ...)` waiting for an EOF until the container ends */
void proc_stdio_to_null(void)
{
	int n = S.nullfd >= 0 ? S.nullfd : open("/dev/null", O_RDWR | O_CLOEXEC); /* --shim-root: opened before */
	if (n < 0) {
		shim_log("open /dev/null: %s (stdio kept)", strerror(errno));
		return;
	}
	for (int fd = 0; fd < 3; fd++)
		if (dup2(n, fd) < 0)
			shim_log("dup2 /dev/null onto %d: %s", fd, strerror(errno));
	close(n);
	S.nullfd = -1;
}

void proc_signals(void)
{
	sigset_t set;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sigemptyset(&set);
	/* inherited SIG_IGN would discard signals before signalfd sees them (and an ignored
	 * SIGCHLD would auto-reap QEMU): force the default, then block and read via signalfd */
	sa.sa_handler = SIG_DFL;
	for (size_t i = 0; i < sizeof fwd_signals / sizeof fwd_signals[0]; i++)
		sigaddset(&set, fwd_signals[i]);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGWINCH);
	sigaddset(&set, SHIM_SIG_KILL_VMM);
	for (int s = 1; s < 65; s++)
		if (sigismember(&set, s) == 1)
			sigaction(s, &sa, NULL);
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

/* in the forked VMM child: default dispositions, nothing blocked (QEMU expects a clean slate) */
void proc_child_reset(void)
{
	sigset_t none;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (int s = 1; s < 65; s++)
		if (s != SIGKILL && s != SIGSTOP)
			sigaction(s, &sa, NULL); /* EINVAL for libc-reserved ones: harmless */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Reads every pending signal from the signalfd and hands each to `on` (SIGCHLD included); EINTR retried. */
void drain_signals(void (*on)(int signo, unsigned from))
{
	struct signalfd_siginfo si[8];
	for (;;) {
		ssize_t r = read(S.sigfd, si, sizeof si);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return;
		for (size_t i = 0; i < (size_t)r / sizeof si[0]; i++)
			on((int)si[i].ssi_signo, si[i].ssi_pid);
	}
}
