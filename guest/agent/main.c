/* rind guest agent (PID 1 of the microVM): the poll loop over ctl, the stdio and exec sessions, and signals.
 * Wires the modules together; owns no session and no container, decides nothing about them itself. */
#include "agent.h"
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

/* kill everything, flush, and quit QEMU */
static _Noreturn void shutdown_vm(void)
{
	kill(-1, SIGKILL);
	power_off();
}

/* Returns 1 if a SIGIO came: a port's host may have (re)connected after poll() took its revents. */
static int on_signals(int sfd)
{
	struct signalfd_siginfo si[8];
	ssize_t n;
	int chld = 0, io = 0;
	while ((n = read(sfd, si, sizeof si)) > 0)
		for (size_t i = 0; i < n / sizeof si[0]; i++) {
			if (si[i].ssi_signo == SIGCHLD)
				chld = 1;
			else if (si[i].ssi_signo == SIGIO) { /* a host (re)connected, or data */
				io = 1;
				port_wake(&ctl_port);
				container_wake();
				portsess_wake();
			}
		}
	if (chld)
		container_reap();
	return io;
}

/* Timers: port re-polling, a stale ctl message, the sessions' exit sequences. Returns the poll timeout. */
static int timers(void)
{
	int64_t now = now_ms();
	int over;
	int t = tmin(port_rearm(&ctl_port, now), ctl_tick(now));
	t = tmin(t, portsess_tick(now));
	t = tmin(t, container_tick(now, &over));
	if (over)
		shutdown_vm();
	return t;
}

static _Noreturn void loop(int sfd)
{
	for (;;) {
		int timeout = timers();
		struct pollfd p[2 + 4 * MAX_SESSIONS];
		int n = 0, i_ctl = -1;
		p[n++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		n = container_poll(p, n);
		n = portsess_poll(p, n);
		if (ctl_port.on)
			i_ctl = n, p[n++] = (struct pollfd){ .fd = ctl_port.fd,
							     .events = POLLIN | (ctl_want_write() ? POLLOUT : 0) };
		if (poll(p, n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			fatal("poll: %s", strerror(errno));
		}
		int woke = p[0].revents ? on_signals(sfd) : 0;
		container_dispatch(p);
		portsess_dispatch(p);
		/* last: `create` and `exec` open new fds. A hang-up seen by this poll is stale when a SIGIO came
		 * with it (a client left and the next connected, maybe sending its request in the same SIGIO):
		 * taking the port off then would leave that request unread until the fallback re-arm. */
		short ctl_rev = i_ctl >= 0 ? p[i_ctl].revents : 0;
		if (woke)
			ctl_rev &= ~(POLLHUP | POLLERR);
		if (ctl_rev)
			ctl_event(ctl_rev);
	}
}

static int signal_fd(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGIO);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	int sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0)
		fatal("signalfd: %s", strerror(errno));
	return sfd;
}

int main(void)
{
	struct ports ports;
	if (getpid() != 1)
		fprintf(stderr, "rind-agent: warning: not PID 1\n");
	boot();
	cgroup_boot();
	int sfd = signal_fd();
	transport_open(&ports);
	ctl_port.fd = ports.ctl;
	ctl_port.on = 1;
	container_boot(ports.io);
	portsess_boot(ports.exec);
	loop(sfd);
}
