/* rind-shim: the one-shot modes --bind-into PID and --unbind-in PID: host paths bound into (and
 * taken out of) the mount namespace of a running VMM (a pod member's rootfs and binds into the
 * sandbox's share), visible there only. The trees are cloned in the host's namespace
 * (open_tree), then moved in after setns: the source paths need not exist in the target
 * namespace (the jail), and nothing propagates back to the host. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "shim.h"

/* the generic (asm-generic) numbers: the same on every architecture but alpha */
#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#define RIND_OPEN_TREE_CLONE 1
#define RIND_MOVE_MOUNT_F_EMPTY_PATH 0x4
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef UMOUNT_NOFOLLOW
#define UMOUNT_NOFOLLOW 8
#endif

__attribute__((format(printf, 1, 2), noreturn))
static void die(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	size_t len = n < 0 ? 0 : (size_t)n >= sizeof msg ? sizeof msg - 1 : (size_t)n;
	for (size_t i = 0; i < len; i++) /* one line, always */
		if (msg[i] == '\n' || msg[i] == '\r')
			msg[i] = ' ';
	write_all_fd(2, "error: ", 7);
	write_all_fd(2, msg, len);
	write_all_fd(2, "\n", 1);
	_exit(1);
}

/* the target's mount namespace, refused if it is ours (the binds would land on the host) */
static int target_ns(int pid)
{
	char path[64];
	struct stat mine, theirs;
	snprintf(path, sizeof path, "/proc/%d/ns/mnt", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("open %s: %s", path, strerror(errno));
	if (fstat(fd, &theirs) < 0 || stat("/proc/self/ns/mnt", &mine) < 0)
		die("stat mount namespaces: %s", strerror(errno));
	if (theirs.st_dev == mine.st_dev && theirs.st_ino == mine.st_ino)
		die("process %d shares our mount namespace: refused (it would bind into the host's namespace)", pid);
	return fd;
}

static void enter_ns(int nsfd, int pid)
{
	if (setns(nsfd, CLONE_NEWNS) < 0)
		die("setns into the mount namespace of %d: %s", pid, strerror(errno));
	close(nsfd);
}

/* nosuid, nodev, noexec of the mount dst is on (in the jail: the state dir's), so a moved-in
 * tree is no laxer than the --bind trees the VMM got at its start */
static uint64_t inherited_attrs(const char *dst)
{
	struct statvfs sv;
	uint64_t a = 0;
	if (statvfs(dst, &sv) < 0)
		return 0; /* move_mount names the problem */
	if (sv.f_flag & ST_NOSUID) a |= RIND_MOUNT_ATTR_NOSUID;
	if (sv.f_flag & ST_NODEV) a |= RIND_MOUNT_ATTR_NODEV;
	if (sv.f_flag & ST_NOEXEC) a |= RIND_MOUNT_ATTR_NOEXEC;
	return a;
}

static const char *kind(const struct shim_nsbind *b)
{
	return b->ro ? "bind-ro" : "bind";
}

static void undo(const struct shim_nsbind_args *o, int moved)
{
	while (moved-- > 0)
		umount2(o->b[moved].dst, MNT_DETACH | UMOUNT_NOFOLLOW);
}

/* one tree, in the target's namespace: attributes on the detached tree, then moved onto dst;
 * 0, or -1 with the reason in err */
static int move_one(int fd, const struct shim_nsbind *b, char *err, size_t errlen)
{
	uint64_t attrs = inherited_attrs(b->dst) | (b->ro ? RIND_MOUNT_ATTR_RDONLY : 0), later = 0;
	if (attrs) {
		struct rind_mount_attr attr = { .attr_set = attrs };
		if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0) {
			if (errno != ENOSYS) {
				snprintf(err, errlen, "mount_setattr: %s", strerror(errno));
				return -1;
			}
			later = attrs; /* Linux < 5.12: a remount once it is attached */
		}
	}
	if (syscall(SYS_move_mount, fd, "", AT_FDCWD, b->dst, RIND_MOVE_MOUNT_F_EMPTY_PATH) < 0) {
		snprintf(err, errlen, "move_mount: %s%s", strerror(errno),
			 errno == ENOENT ? " (the mount point must exist: the host creates it)" : "");
		return -1;
	}
	if (later && mount_set_attrs(b->dst, later, kind(b), err, errlen) < 0) {
		umount2(b->dst, MNT_DETACH | UMOUNT_NOFOLLOW);
		return -1;
	}
	return 0;
}

__attribute__((noreturn)) static void bind_into(const struct shim_nsbind_args *o)
{
	static int fds[SHIM_MAX_NSBINDS];
	char err[512];
	int nsfd = target_ns(o->pid);
	for (int i = 0; i < o->n; i++) { /* every tree first, in our (the host's) namespace */
		fds[i] = (int)syscall(SYS_open_tree, AT_FDCWD, o->b[i].src,
				      RIND_OPEN_TREE_CLONE | AT_RECURSIVE | O_CLOEXEC);
		if (fds[i] < 0)
			die("%s %s onto %s: open_tree: %s", kind(&o->b[i]), o->b[i].src, o->b[i].dst,
			    strerror(errno));
	}
	enter_ns(nsfd, o->pid);
	for (int i = 0; i < o->n; i++) {
		if (move_one(fds[i], &o->b[i], err, sizeof err) < 0) {
			undo(o, i);
			die("%s %s onto %s in the mount namespace of %d: %s", kind(&o->b[i]), o->b[i].src,
			    o->b[i].dst, o->pid, err);
		}
		close(fds[i]);
	}
	_exit(0);
}

__attribute__((noreturn)) static void unbind_in(const struct shim_nsbind_args *o)
{
	const char *failed = NULL;
	int e = 0;
	enter_ns(target_ns(o->pid), o->pid);
	for (int i = 0; i < o->n; i++)
		if (umount2(o->b[i].dst, MNT_DETACH | UMOUNT_NOFOLLOW) < 0 && errno != EINVAL && errno != ENOENT &&
		    !failed) { /* EINVAL: not a mount point, ENOENT: gone; both are fine */
			failed = o->b[i].dst;
			e = errno;
		}
	if (failed)
		die("unbind %s in the mount namespace of %d: %s", failed, o->pid, strerror(e));
	_exit(0);
}

void nsbind_main(int argc, char **argv)
{
	static struct shim_nsbind_args o;
	char err[1024];
	if (shim_parse_nsbind(argc, argv, &o, err, sizeof err) < 0)
		die("%s", err);
	if (o.unbind)
		unbind_in(&o);
	bind_into(&o);
}
