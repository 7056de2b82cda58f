/* rind guest agent (PID 1 of the microVM): boot, virtio-serial ports, the poll loop,
 * reaping, and the exit sequence (drain output, EXIT, wait for EXIT_ACK, power off). */
#include "agent.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DRAIN_IDLE_MS 100
#define DRAIN_MAX_MS 2000
#define ACK_WAIT_MS 5000

static int64_t drain_idle_until, drain_until, ack_until;
static int exit_sent;

static void boot_mount(const char *src, const char *dir, const char *type,
		       unsigned long flags, const char *data)
{
	mkdir(dir, 0755);
	if (mount(src, dir, type, flags, data) < 0 && errno != EBUSY)
		fatal("mount %s on %s: %s", type, dir, strerror(errno));
}

static void loopback_up(void)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	strcpy(ifr.ifr_name, "lo");
	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		fatal("lo: %s", strerror(errno));
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		fatal("lo up: %s", strerror(errno));
	close(s);
}

static int cmdline_has(const char *word)
{
	char b[4096];
	int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, b, sizeof b - 1);
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return 0;
	b[n] = 0;
	size_t len = strlen(word);
	for (char *p = b; (p = strstr(p, word)); p += len)
		if ((p == b || p[-1] == ' ') && (!p[len] || p[len] == ' ' || p[len] == '\n'))
			return 1;
	return 0;
}

static void boot(void)
{
	umask(0);
	boot_mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
	/* without /dev/console in the initramfs the kernel left fds 0-2 closed */
	if (fcntl(2, F_GETFD) < 0 || fcntl(0, F_GETFD) < 0) {
		int c = open("/dev/console", O_RDWR | O_NOCTTY);
		if (c < 0)
			c = open("/dev/null", O_RDWR);
		for (int i = 0; i < 3; i++)
			if (c != i)
				dup2(c, i);
		if (c > 2)
			close(c);
	}
	boot_mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	if (cmdline_has("rind.probe=1")) { /* the host's KVM probe: prove we got here, quit */
		int c = open("/dev/console", O_WRONLY | O_NOCTTY);
		if (c < 0 || write(c, "RIND-PROBE-OK\n", 14) != 14)
			logmsg("probe: cannot write to the console");
		power_off();
	}
	boot_mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	boot_mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
	boot_mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "mode=0620,ptmxmode=0666");
	loopback_up();
}

/* Opens the virtio-serial port whose name is `want`; the kernel may still be adding it. */
static int open_port(const char *want)
{
	int64_t end = now_ms() + 10000;
	for (;;) {
		DIR *d = opendir("/sys/class/virtio-ports");
		struct dirent *e;
		while (d && (e = readdir(d))) {
			char path[300], name[64];
			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof path, "/sys/class/virtio-ports/%s/name", e->d_name);
			int fd = open(path, O_RDONLY | O_CLOEXEC);
			ssize_t n = fd < 0 ? -1 : read(fd, name, sizeof name - 1);
			if (fd >= 0)
				close(fd);
			if (n <= 0)
				continue;
			name[n] = 0;
			name[strcspn(name, "\n")] = 0;
			if (strcmp(name, want))
				continue;
			snprintf(path, sizeof path, "/dev/%s", e->d_name);
			fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
			if (fd >= 0) {
				closedir(d);
				/* SIGIO tells us when the host side (dis)connects or sends data */
				if (fcntl(fd, F_SETOWN, getpid()) < 0 ||
				    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_ASYNC) < 0)
					fatal("O_ASYNC on %s: %s", path, strerror(errno));
				return fd;
			}
		}
		if (d)
			closedir(d);
		if (now_ms() > end)
			fatal("virtio-serial port %s not found", want);
		nanosleep(&(struct timespec){ 0, 10 * 1000000 }, NULL);
	}
}

/* kill everything, flush, and quit QEMU */
static _Noreturn void shutdown_vm(void)
{
	kill(-1, SIGKILL);
	power_off();
}

static void reap(void)
{
	int st;
	pid_t p;
	while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
		if (p != wl.pid || wl.exited)
			continue;
		wl.exited = 1;
		wl.code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		int64_t now = now_ms();
		drain_idle_until = now + DRAIN_IDLE_MS;
		drain_until = now + DRAIN_MAX_MS;
		io_stdin_close();
		if (wl.start_fd >= 0)
			close(wl.start_fd), wl.start_fd = -1;
	}
}

static void on_signals(int sfd)
{
	struct signalfd_siginfo si[8];
	ssize_t n;
	int chld = 0;
	while ((n = read(sfd, si, sizeof si)) > 0)
		for (size_t i = 0; i < n / sizeof si[0]; i++) {
			if (si[i].ssi_signo == SIGCHLD)
				chld = 1;
			else if (si[i].ssi_signo == SIGIO) { /* a host (re)connected, or data */
				ctl_port.on = io_port.on = 1;
				ctl_port.rearm_ms = io_port.rearm_ms = REARM_MIN_MS;
			}
		}
	if (chld)
		reap();
}

static void pump(int *fd, int type, short revents)
{
	if (!(revents & (POLLIN | POLLHUP | POLLERR)) || *fd < 0)
		return;
	if (io_pump(fd, type) > 0 && wl.exited)
		drain_idle_until = now_ms() + DRAIN_IDLE_MS;
}

static int min_timeout(int t, int64_t deadline, int64_t now)
{
	int64_t d = deadline - now;
	if (d < 0)
		d = 0;
	return t < 0 || d < t ? (int)d : t;
}

/* Timers: port re-polling and the exit sequence. Returns the poll timeout. */
static int timers(void)
{
	int64_t now = now_ms();
	int t = -1;
	struct port *ports[] = { &ctl_port, &io_port };
	for (int i = 0; i < 2; i++) {
		struct port *pt = ports[i];
		if (pt->on)
			continue;
		if (now - pt->off_since >= pt->rearm_ms) {
			pt->on = 1;
			pt->rearm_ms = pt->rearm_ms * 2 > REARM_MAX_MS ? REARM_MAX_MS : pt->rearm_ms * 2;
		} else {
			t = min_timeout(t, pt->off_since + pt->rearm_ms, now);
		}
	}
	int ct = ctl_tick(now);
	if (ct >= 0)
		t = min_timeout(t, now + ct, now);
	if (wl.exited && !exit_sent) {
		int outputs = (wl.out_fd >= 0) + (wl.err_fd >= 0);
		if (!outputs || now >= drain_idle_until || now >= drain_until) {
			if (wl.out_fd >= 0)
				close(wl.out_fd), wl.out_fd = -1;
			if (wl.err_fd >= 0)
				close(wl.err_fd), wl.err_fd = -1;
			unsigned char code[4] = { wl.code, wl.code >> 8, wl.code >> 16, wl.code >> 24 };
			io_send(RIND_F_EXIT, code, 4);
			exit_sent = 1;
			ack_until = now + ACK_WAIT_MS;
		} else {
			t = min_timeout(t, drain_idle_until < drain_until ? drain_idle_until : drain_until, now);
		}
	}
	if (exit_sent) {
		if (io_acked || now >= ack_until)
			shutdown_vm();
		t = min_timeout(t, ack_until, now);
	}
	return t;
}

static _Noreturn void loop(int sfd)
{
	for (;;) {
		int timeout = timers();
		struct pollfd p[6];
		int n = 0, i_ctl = -1, i_io = -1, i_out = -1, i_err = -1, i_in = -1;
		p[n++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		if (wl.out_fd >= 0)
			i_out = n, p[n++] = (struct pollfd){ .fd = wl.out_fd, .events = POLLIN };
		if (wl.err_fd >= 0)
			i_err = n, p[n++] = (struct pollfd){ .fd = wl.err_fd, .events = POLLIN };
		if (wl.in_fd >= 0 && io_stdin_pending())
			i_in = n, p[n++] = (struct pollfd){ .fd = wl.in_fd, .events = POLLOUT };
		if (io_port.on && io_want_read())
			i_io = n, p[n++] = (struct pollfd){ .fd = io_port.fd, .events = POLLIN };
		if (ctl_port.on)
			i_ctl = n, p[n++] = (struct pollfd){ .fd = ctl_port.fd, .events = POLLIN };
		if (poll(p, n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			fatal("poll: %s", strerror(errno));
		}
		/* handlers may close workload fds: check they are still the ones polled */
		if (p[0].revents)
			on_signals(sfd);
		if (i_out >= 0 && wl.out_fd == p[i_out].fd)
			pump(&wl.out_fd, RIND_F_STDOUT, p[i_out].revents);
		if (i_err >= 0 && wl.err_fd == p[i_err].fd)
			pump(&wl.err_fd, RIND_F_STDERR, p[i_err].revents);
		if (i_in >= 0 && wl.in_fd == p[i_in].fd && p[i_in].revents)
			io_stdin_event();
		if (i_io >= 0 && p[i_io].revents)
			io_event(p[i_io].revents);
		if (i_ctl >= 0 && p[i_ctl].revents) /* last: `create` opens new fds */
			ctl_event(p[i_ctl].revents);
	}
}

int main(void)
{
	if (getpid() != 1)
		fprintf(stderr, "rind-agent: warning: not PID 1\n");
	boot();

	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGIO);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	int sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0)
		fatal("signalfd: %s", strerror(errno));

	ctl_port.fd = open_port("rind.ctl");
	io_port.fd = open_port("rind.io");
	ctl_port.on = io_port.on = 1;
	loop(sfd);
}
