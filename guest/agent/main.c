/* rind guest agent (PID 1 of the microVM): boot, virtio-serial ports, the poll loop,
 * reaping, and power-off once the workload's session has ended. */
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

struct sess wl;

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

/* Reads the name of /sys/class/virtio-ports/<dev>: 1, or 0 while the host has not named it yet. */
static int port_name(const char *dev, char *name, size_t len)
{
	char path[300];
	snprintf(path, sizeof path, "/sys/class/virtio-ports/%s/name", dev);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, name, len - 1);
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return 0;
	name[n] = 0;
	name[strcspn(name, "\n")] = 0;
	return 1;
}

/* Opens rind.ctl, rind.io and rind.exec0..7 (no udev: names are in sysfs). The kernel adds
 * ports and learns their names asynchronously, so this waits until ctl and io are there and
 * every port present has its name; a missing exec port only makes `exec` on it fail.
 * All stay open for the VM's life: virtio-serial drops what a host sends to a closed port. */
static void open_ports(void)
{
	static const char *want[2 + NEXEC] = { "rind.ctl", "rind.io", "rind.exec0", "rind.exec1",
		"rind.exec2", "rind.exec3", "rind.exec4", "rind.exec5", "rind.exec6", "rind.exec7" };
	int fds[2 + NEXEC];
	int64_t end = now_ms() + 10000;
	for (int k = 0; k < 2 + NEXEC; k++)
		fds[k] = -1;
	for (;;) {
		int unnamed = 0;
		DIR *d = opendir("/sys/class/virtio-ports");
		struct dirent *e;
		while (d && (e = readdir(d))) {
			char name[64], path[300];
			if (e->d_name[0] == '.')
				continue;
			if (!port_name(e->d_name, name, sizeof name)) {
				unnamed++;
				continue;
			}
			for (int k = 0; k < 2 + NEXEC; k++) {
				if (fds[k] >= 0 || strcmp(name, want[k]))
					continue;
				snprintf(path, sizeof path, "/dev/%s", e->d_name);
				fds[k] = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
				if (fds[k] < 0)
					unnamed++; /* its device node may not be there yet: retry */
			}
		}
		if (d)
			closedir(d);
		int all = 1;
		for (int k = 0; k < 2 + NEXEC; k++)
			all &= fds[k] >= 0;
		if (all || (fds[0] >= 0 && fds[1] >= 0 && !unnamed))
			break;
		if (now_ms() > end) {
			if (fds[0] < 0 || fds[1] < 0)
				fatal("virtio-serial port %s not found", fds[0] < 0 ? want[0] : want[1]);
			break;
		}
		nanosleep(&(struct timespec){ 0, 10 * 1000000 }, NULL);
	}
	/* SIGIO tells us when the host side of a port (dis)connects or sends data */
	for (int k = 0; k < 2 + NEXEC; k++)
		if (fds[k] >= 0 && (fcntl(fds[k], F_SETOWN, getpid()) < 0 ||
		    fcntl(fds[k], F_SETFL, fcntl(fds[k], F_GETFL) | O_ASYNC) < 0))
			fatal("O_ASYNC on %s: %s", want[k], strerror(errno));
	ctl_port.fd = fds[0];
	ctl_port.on = 1;
	sess_init(&wl, "io", 0, fds[1]);
	if (chan_alloc(&wl) < 0)
		fatal("io: %s", err_msg);
	for (int i = 0; i < NEXEC; i++) {
		if (fds[2 + i] < 0)
			logmsg("virtio-serial port %s not found: exec on it is refused", want[2 + i]);
		exec_set_port(i, fds[2 + i]);
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
		struct sess *s = p == wl.pid && !wl.exited ? &wl : exec_by_pid(p);
		if (s)
			sess_exited(s, st);
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
				ctl_port.on = wl.port.on = 1;
				ctl_port.rearm_ms = wl.port.rearm_ms = REARM_MIN_MS;
				for (int k = 0; k < NEXEC; k++)
					if (exec_session(k) && !exec_session(k)->broken &&
					    !exec_session(k)->hup_since)
						exec_session(k)->port.on = 1;
			}
		}
	if (chld)
		reap();
}

static int min_timeout(int t, int64_t deadline, int64_t now)
{
	int64_t d = deadline - now;
	if (d < 0)
		d = 0;
	return t < 0 || d < t ? (int)d : t;
}

/* Timers: port re-polling and the sessions' exit sequences. Returns the poll timeout. */
static int timers(void)
{
	int64_t now = now_ms();
	int t = -1;
	struct port *ports[] = { &ctl_port, &wl.port };
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
	for (int i = 0; i < NEXEC; i++) {
		struct sess *s = exec_session(i);
		int st = s ? sess_tick(s, now) : -1;
		if (s && s->done)
			exec_end(i); /* exec sessions never power the VM off */
		else if (st >= 0)
			t = min_timeout(t, now + st, now);
	}
	int st = sess_tick(&wl, now);
	if (wl.done)
		shutdown_vm();
	if (st >= 0)
		t = min_timeout(t, now + st, now);
	return t;
}

static _Noreturn void loop(int sfd)
{
	for (;;) {
		int timeout = timers();
		struct pollfd p[2 + 4 * (1 + NEXEC)];
		int n = 0, i_ctl = -1;
		p[n++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		n = sess_poll(&wl, p, n);
		for (int i = 0; i < NEXEC; i++)
			if (exec_session(i))
				n = sess_poll(exec_session(i), p, n);
		if (ctl_port.on)
			i_ctl = n, p[n++] = (struct pollfd){ .fd = ctl_port.fd,
							     .events = POLLIN | (ctl_want_write() ? POLLOUT : 0) };
		if (poll(p, n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			fatal("poll: %s", strerror(errno));
		}
		if (p[0].revents)
			on_signals(sfd);
		sess_dispatch(&wl, p);
		for (int i = 0; i < NEXEC; i++)
			if (exec_session(i))
				sess_dispatch(exec_session(i), p);
		if (i_ctl >= 0 && p[i_ctl].revents) /* last: `create` and `exec` open new fds */
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

	open_ports();
	loop(sfd);
}
