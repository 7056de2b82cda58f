/* rind-shim: what confines the VMM: cgroups (the shim's own), then in the forked child only (so the
 * shim never holds the VMM's namespaces or binds) private mounts + binds and the netns. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "shim.h"

#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#define RIND_MOUNT_ATTR_RDONLY 0x1ULL

struct rind_mount_attr { /* struct mount_attr of mount_setattr(2) */
	uint64_t attr_set, attr_clr, propagation, userns_fd;
};

__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* runs in the shim (before the fork, so the VMM is born inside): the waitable pid and the VMM
 * are both in cgroupsPath, as docs/design.md promises the engines */
void jail_join_cgroups(char **argv, const struct shim_args *a)
{
	char buf[32];
	int len = snprintf(buf, sizeof buf, "%d\n", (int)getpid());
	for (int i = 1; i < a->dashdash; i++) {
		if (strcmp(argv[i], "--cgroup-procs") != 0)
			continue;
		const char *f = argv[++i];
		int fd = open(f, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			setup_fail("cgroup: open %s: %s", f, strerror(errno));
		ssize_t w = write(fd, buf, (size_t)len);
		int e = w < 0 ? errno : EIO;
		close(fd);
		if (w != len)
			setup_fail("cgroup: write pid to %s: %s", f, strerror(e));
	}
}

/* QEMU must open the container's taps, which live in the container's network namespace */
static int join_netns(const char *path, char *err, size_t errlen)
{
	if (!path)
		return 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(err, errlen, "open network namespace %s: %s", path, strerror(errno));
	int r = setns(fd, CLONE_NEWNET);
	int e = errno;
	close(fd);
	if (r < 0)
		return fail(err, errlen, "join network namespace %s: %s", path, strerror(e));
	return 0;
}

/* flags of dst's mount a remount must keep: locked ones (nosuid, nodev, ...) cannot be dropped */
static unsigned long locked_flags(const char *dst)
{
	struct statvfs sv;
	unsigned long keep = 0;
	if (statvfs(dst, &sv) < 0)
		return 0;
	if (sv.f_flag & ST_NOSUID) keep |= MS_NOSUID;
	if (sv.f_flag & ST_NODEV) keep |= MS_NODEV;
	if (sv.f_flag & ST_NOEXEC) keep |= MS_NOEXEC;
	if (sv.f_flag & ST_NOATIME) keep |= MS_NOATIME;
	if (sv.f_flag & ST_NODIRATIME) keep |= MS_NODIRATIME;
	if (sv.f_flag & ST_RELATIME) keep |= MS_RELATIME;
	return keep;
}

static int make_readonly(const char *dst, char *err, size_t errlen)
{
	struct rind_mount_attr attr = { .attr_set = RIND_MOUNT_ATTR_RDONLY };
	/* recursive: submounts of the bound tree become read-only too (Linux >= 5.12) */
	if (syscall(SYS_mount_setattr, AT_FDCWD, dst, AT_RECURSIVE, &attr, sizeof attr) == 0)
		return 0;
	int e = errno;
	if (e != ENOSYS && e != EINVAL)
		return fail(err, errlen, "bind-ro: mount_setattr %s: %s", dst, strerror(e));
	/* older kernels: the top mount only */
	if (mount(NULL, dst, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) == 0)
		return 0;
	e = errno;
	if (e == EPERM) {
		if (mount(NULL, dst, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | locked_flags(dst), NULL) == 0)
			return 0;
		e = errno;
	}
	return fail(err, errlen, "bind-ro: remount %s read-only: %s", dst, strerror(e));
}

static int has_binds(char **argv, int dashdash)
{
	for (int i = 1; i < dashdash; i++)
		if (!strcmp(argv[i], "--bind") || !strcmp(argv[i], "--bind-ro"))
			return 1;
	return 0;
}

/* a private mount namespace (so the binds are the VMM's alone and vanish with it), then the binds
 * into the share in command-line order */
static int do_binds(char **argv, int dashdash, char *err, size_t errlen)
{
	if (!has_binds(argv, dashdash))
		return 0;
	if (unshare(CLONE_NEWNS) < 0)
		return fail(err, errlen, "unshare(CLONE_NEWNS): %s", strerror(errno));
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		return fail(err, errlen, "make / rslave: %s", strerror(errno));
	for (int i = 1; i < dashdash; i++) {
		int ro = !strcmp(argv[i], "--bind-ro");
		if (!ro && strcmp(argv[i], "--bind") != 0)
			continue;
		const char *src = argv[i + 1], *dst = argv[i + 2];
		i += 2;
		if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) < 0)
			return fail(err, errlen, "bind %s onto %s: %s", src, dst, strerror(errno));
		if (ro && make_readonly(dst, err, errlen) < 0)
			return -1;
	}
	return 0;
}

/* In the VMM child, after PR_SET_PDEATHSIG and setsid, right before execv. Never exits or logs:
 * -1 with a one-line reason in err, which the child hands to the parent (ready fd `error: ...`).
 * Future confinement steps (seccomp, capabilities, user namespace, ...) are added here, in order. */
int jail_apply(char **argv, const struct shim_args *a, char *err, size_t errlen)
{
	if (do_binds(argv, a->dashdash, err, errlen) < 0)
		return -1;
	if (join_netns(a->netns, err, errlen) < 0)
		return -1;
	return 0;
}
