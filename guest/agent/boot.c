/* rind guest agent: the first steps as PID 1: off the initramfs root, /dev, /proc, /sys, /run, devpts, the console fds, lo; the KVM probe.
 * Before any port is open: failures are fatal (the VM powers off); nothing here is per container. */
#include "agent.h"
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* Without /dev/console in the initramfs the kernel left fds 0-2 closed. */
static void console_fds(void)
{
	if (fcntl(2, F_GETFD) >= 0 && fcntl(0, F_GETFD) >= 0)
		return;
	int c = open("/dev/console", O_RDWR | O_NOCTTY);
	if (c < 0)
		c = open("/dev/null", O_RDWR);
	for (int i = 0; i < 3; i++)
		if (c != i)
			dup2(c, i);
	if (c > 2)
		close(c);
}

/* The host's KVM probe: prove we got here, quit. */
static void probe(void)
{
	int c = open("/dev/console", O_WRONLY | O_NOCTTY);
	if (c < 0 || write(c, "RIND-PROBE-OK\n", 14) != 14)
		logmsg("probe: cannot write to the console");
	power_off();
}

/* pivot_root(2) refuses a root on the initial rootfs (it has no parent mount), so the agent
 * moves onto a bind of it, as switch_root does: a container's pivot_root then leaves the rootfs
 * underneath, holding nothing (the agent's binary and console node are unlinked; the agent
 * runs from memory). The agent is not dumpable: its /proc/1 entries need CAP_SYS_PTRACE. */
static void leave_rootfs(void)
{
	if (mkdir("/.root", 0700) < 0 && errno != EEXIST)
		fatal("mkdir /.root: %s", strerror(errno));
	if (mount("/", "/.root", NULL, MS_BIND, NULL) < 0 || chdir("/.root") < 0 ||
	    mount(".", "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0 || chdir("/") < 0)
		fatal("moving onto a bind of the initramfs: %s", strerror(errno));
	rmdir("/.root");
	unlink("/init");
	unlink("/dev/console");
	if (prctl(PR_SET_DUMPABLE, 0) < 0)
		fatal("PR_SET_DUMPABLE: %s", strerror(errno));
}

void boot(void)
{
	umask(0);
	leave_rootfs();
	boot_mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
	console_fds();
	boot_mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	if (cmdline_has("rind.probe=1"))
		probe();
	boot_mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	boot_mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
	boot_mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "mode=0620,ptmxmode=0666");
	loopback_up();
}
