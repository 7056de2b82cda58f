/* rind guest agent: the virtio-serial ports: finding them by name in sysfs, opening them, and their on/off state.
 * The one place that knows /sys/class/virtio-ports and /dev/vportNpM; no udev, no frames (io.c, ctl.c). */
#include "agent.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NPORTS (2 + RIND_EXEC_PORTS)  /* rind.ctl, rind.io, rind.exec0 .. */
#define WAIT_MS 10000

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

static void want_names(char want[NPORTS][16])
{
	snprintf(want[0], 16, "rind.ctl");
	snprintf(want[1], 16, "rind.io");
	for (int i = 0; i < RIND_EXEC_PORTS; i++)
		snprintf(want[2 + i], 16, "rind.exec%d", i);
}

/* Opens /dev/<dev> if it is a wanted port not open yet. Returns 1 if it must be looked at again. */
static int try_port(const char *dev, char want[NPORTS][16], int fds[NPORTS])
{
	char name[64], path[300];
	if (!port_name(dev, name, sizeof name))
		return 1;
	for (int k = 0; k < NPORTS; k++) {
		if (fds[k] >= 0 || strcmp(name, want[k]))
			continue;
		snprintf(path, sizeof path, "/dev/%s", dev);
		fds[k] = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
		return fds[k] < 0; /* its device node may not be there yet: retry */
	}
	return 0;
}

/* One pass over sysfs; returns how many ports are unnamed or could not be opened. */
static int scan(char want[NPORTS][16], int fds[NPORTS])
{
	int retry = 0;
	DIR *d = opendir("/sys/class/virtio-ports");
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			retry += try_port(e->d_name, want, fds);
	if (d)
		closedir(d);
	return retry;
}

/* SIGIO tells us when the host side of a port (dis)connects or sends data. */
static void async(int fd, const char *name)
{
	if (fcntl(fd, F_SETOWN, getpid()) < 0 || fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_ASYNC) < 0)
		fatal("O_ASYNC on %s: %s", name, strerror(errno));
}

/* Opens rind.ctl, rind.io and rind.exec0..N. The kernel adds ports and learns their names
 * asynchronously, so this waits until ctl and io are there and every port present has its
 * name; a missing exec port only makes `exec` on it fail. All stay open for the VM's life:
 * virtio-serial drops what a host sends to a closed port. */
void transport_open(struct ports *p)
{
	char want[NPORTS][16];
	int fds[NPORTS], all;
	int64_t end = now_ms() + WAIT_MS;
	want_names(want);
	for (int k = 0; k < NPORTS; k++)
		fds[k] = -1;
	for (;;) {
		int retry = scan(want, fds);
		all = 1;
		for (int k = 0; k < NPORTS; k++)
			all &= fds[k] >= 0;
		if (all || (fds[0] >= 0 && fds[1] >= 0 && !retry))
			break;
		if (now_ms() > end && (fds[0] < 0 || fds[1] < 0))
			fatal("virtio-serial port %s not found", fds[0] < 0 ? want[0] : want[1]);
		if (now_ms() > end)
			break;
		nanosleep(&(struct timespec){ 0, 10 * 1000000 }, NULL);
	}
	for (int k = 0; k < NPORTS; k++)
		if (fds[k] >= 0)
			async(fds[k], want[k]);
		else
			logmsg("virtio-serial port %s not found: exec on it is refused", want[k]);
	p->ctl = fds[0];
	p->io = fds[1];
	memcpy(p->exec, fds + 2, sizeof p->exec);
}

/* ---- a port's on/off state ---- */

/* The port looks disconnected: leave it out of the poll set until SIGIO or the fallback. */
void port_off(struct port *p)
{
	p->on = 0;
	p->off_since = now_ms();
	if (!p->rearm_ms)
		p->rearm_ms = REARM_MIN_MS;
}

/* SIGIO: a host (re)connected, or data came. */
void port_wake(struct port *p)
{
	p->on = 1;
	p->rearm_ms = REARM_MIN_MS;
}

/* The fallback: an off port is polled again after rearm_ms, which doubles each time.
 * Returns ms until that, or -1. */
int port_rearm(struct port *p, int64_t now)
{
	if (p->on)
		return -1;
	if (now - p->off_since < p->rearm_ms)
		return ms_until(p->off_since + p->rearm_ms, now);
	p->on = 1;
	p->rearm_ms = p->rearm_ms * 2 > REARM_MAX_MS ? REARM_MAX_MS : p->rearm_ms * 2;
	return -1;
}
