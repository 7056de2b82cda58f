/* rind-shim: what confines the VMM: cgroups (the shim's own) and the pid namespace (a parent's
 * choice: chosen right before the fork), then in the forked child only (so the shim never holds the
 * VMM's namespaces or binds): private mounts + binds, the netns, ipc/uts namespaces, the jail root
 * (pivot_root), rlimits, uid/gid, capabilities, no_new_privs. Each step is off unless asked for. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <limits.h>
#include <unistd.h>
#include "shim.h"

#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_RAISE 2
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif
#ifndef PR_SET_NO_NEW_PRIVS
#define PR_SET_NO_NEW_PRIVS 38
#endif
#define RIND_CAP_V3 0x20080522 /* _LINUX_CAPABILITY_VERSION_3: two 32-bit words */
#define RIND_CAP_SETPCAP 8

struct rind_cap_hdr {
	uint32_t version;
	int pid;
};
struct rind_cap_data {
	uint32_t effective, permitted, inheritable;
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

/* attrs (RIND_MOUNT_ATTR_*) on dst's mount and every mount below it (mount_setattr, Linux >= 5.12;
 * older kernels: a remount of the top mount only, keeping its locked flags) */
int mount_set_attrs(const char *dst, uint64_t attrs, const char *what, char *err, size_t errlen)
{
	struct rind_mount_attr attr = { .attr_set = attrs };
	if (syscall(SYS_mount_setattr, AT_FDCWD, dst, AT_RECURSIVE, &attr, sizeof attr) == 0)
		return 0;
	int e = errno;
	if (e != ENOSYS && e != EINVAL)
		return fail(err, errlen, "%s: mount_setattr %s: %s", what, dst, strerror(e));
	unsigned long fl = MS_REMOUNT | MS_BIND | (attrs & RIND_MOUNT_ATTR_RDONLY ? MS_RDONLY : 0) |
			   (attrs & RIND_MOUNT_ATTR_NOSUID ? MS_NOSUID : 0) |
			   (attrs & RIND_MOUNT_ATTR_NODEV ? MS_NODEV : 0) |
			   (attrs & RIND_MOUNT_ATTR_NOEXEC ? MS_NOEXEC : 0);
	if (mount(NULL, dst, NULL, fl, NULL) == 0)
		return 0;
	e = errno;
	if (e == EPERM) {
		if (mount(NULL, dst, NULL, fl | locked_flags(dst), NULL) == 0)
			return 0;
		e = errno;
	}
	return fail(err, errlen, "%s: remount %s: %s", what, dst, strerror(e));
}

static int make_readonly(const char *dst, char *err, size_t errlen)
{
	return mount_set_attrs(dst, RIND_MOUNT_ATTR_RDONLY, "bind-ro", err, errlen);
}

static int has_opt(char **argv, int dashdash, const char *o1, const char *o2)
{
	for (int i = 1; i < dashdash; i++)
		if (!strcmp(argv[i], o1) || !strcmp(argv[i], o2))
			return 1;
	return 0;
}

/* a private mount namespace (so the binds and the jail are the VMM's alone and vanish with it),
 * then the binds into the share in command-line order */
static int do_binds(char **argv, const struct shim_args *a, char *err, size_t errlen)
{
	int dashdash = a->dashdash;
	if (!has_opt(argv, dashdash, "--bind", "--bind-ro") && !a->jail_root)
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

/* ---------- the jail root: a tmpfs holding only what QEMU needs, then pivot_root ---------- */

/* dst = root + path; -1 if that does not fit */
static int in_jail(char *dst, size_t dstlen, const char *root, const char *path)
{
	int n = snprintf(dst, dstlen, "%s%s", root, path);
	return n < 0 || (size_t)n >= dstlen ? -1 : 0;
}

/* mkdir -p of path (absolute, inside the jail tmpfs) */
static int mkdirs(char *path, mode_t mode)
{
	for (char *p = path + 1;; p++) {
		if (*p != '/' && *p)
			continue;
		char c = *p;
		*p = 0;
		int r = mkdir(path, mode);
		*p = c;
		if (r < 0 && errno != EEXIST)
			return -1;
		if (!c)
			return 0;
	}
}

/* root + src, made to exist as the same kind (dir or file) as src: a mount point */
static int make_mount_point(const char *root, const char *src, char *dst, size_t dstlen,
			    char *err, size_t errlen)
{
	struct stat st;
	if (in_jail(dst, dstlen, root, src) < 0)
		return fail(err, errlen, "jail: path too long: %s", src);
	if (stat(src, &st) < 0)
		return fail(err, errlen, "jail: %s: %s", src, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return mkdirs(dst, 0755) < 0 ? fail(err, errlen, "jail: mkdir %s: %s", dst, strerror(errno)) : 0;
	char *slash = strrchr(dst, '/');
	*slash = 0;
	int r = mkdirs(dst, 0755);
	*slash = '/';
	int fd = r < 0 ? -1 : open(dst, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return fail(err, errlen, "jail: create %s: %s", dst, strerror(errno));
	close(fd);
	return 0;
}

/* src bound (recursively) at the same path inside the jail, with attrs on the bound tree */
static int jail_bind(const char *root, const char *src, uint64_t attrs, char *err, size_t errlen)
{
	char dst[PATH_MAX];
	if (make_mount_point(root, src, dst, sizeof dst, err, errlen) < 0)
		return -1;
	if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) < 0)
		return fail(err, errlen, "jail: bind %s: %s", src, strerror(errno));
	/* a jail root inside src came along with the bind: drop that copy */
	size_t n = strlen(src);
	if (!strncmp(root, src, n) && root[n] == '/') {
		char nested[PATH_MAX];
		if (in_jail(nested, sizeof nested, root, root) == 0)
			umount2(nested, MNT_DETACH);
	}
	return attrs ? mount_set_attrs(dst, attrs, "jail", err, errlen) : 0;
}

/* /bin, /lib, ... as on the host: a symlink (merged /usr) is copied, a directory bound read-only */
static int jail_top_dir(const char *root, const char *name, char *err, size_t errlen)
{
	char host[64], dst[PATH_MAX], target[PATH_MAX];
	struct stat st;
	snprintf(host, sizeof host, "/%s", name);
	if (lstat(host, &st) < 0)
		return 0;
	if (S_ISLNK(st.st_mode)) {
		ssize_t n = readlink(host, target, sizeof target - 1);
		if (n < 0)
			return fail(err, errlen, "jail: readlink %s: %s", host, strerror(errno));
		target[n] = 0;
		if (in_jail(dst, sizeof dst, root, host) < 0 || symlink(target, dst) < 0)
			return fail(err, errlen, "jail: symlink %s: %s", dst, strerror(errno));
		return 0;
	}
	if (!S_ISDIR(st.st_mode))
		return 0;
	return jail_bind(root, host, RIND_MOUNT_ATTR_RDONLY | RIND_MOUNT_ATTR_NOSUID | RIND_MOUNT_ATTR_NODEV,
			 err, errlen);
}

static const char *const jail_devs[] = {
	"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom",
};
static const char *const jail_tops[] = { "usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32" };

/* the jail's content: /usr (and /bin, /lib... as on the host) read-only, /etc/ld.so.cache, the
 * /dev nodes every process may use, a fresh /proc (of the VMM's pid namespace if it has one), the
 * state dir read-write, then --jail-path (read-write) and --jail-path-ro, all at their host paths */
static int jail_fill(char **argv, const struct shim_args *a, const char *root, char *err, size_t errlen)
{
	const uint64_t ro = RIND_MOUNT_ATTR_RDONLY | RIND_MOUNT_ATTR_NOSUID | RIND_MOUNT_ATTR_NODEV;
	char dst[PATH_MAX];
	for (size_t i = 0; i < sizeof jail_tops / sizeof jail_tops[0]; i++)
		if (jail_top_dir(root, jail_tops[i], err, errlen) < 0)
			return -1;
	if (access("/etc/ld.so.cache", R_OK) == 0 && jail_bind(root, "/etc/ld.so.cache", ro, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < sizeof jail_devs / sizeof jail_devs[0]; i++)
		if (access(jail_devs[i], F_OK) == 0 &&
		    jail_bind(root, jail_devs[i], RIND_MOUNT_ATTR_NOSUID | RIND_MOUNT_ATTR_NOEXEC, err, errlen) < 0)
			return -1;
	if (in_jail(dst, sizeof dst, root, "/proc") < 0 || mkdir(dst, 0555) < 0 ||
	    mount("proc", dst, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return fail(err, errlen, "jail: mount /proc: %s", strerror(errno));
	/* at the path as given (QEMU's argv spells it so), absolute if it was not */
	char state[PATH_MAX];
	if (a->state[0] == '/')
		snprintf(state, sizeof state, "%s", a->state);
	else if (!realpath(a->state, state))
		return fail(err, errlen, "jail: state dir %s: %s", a->state, strerror(errno));
	if (jail_bind(root, state, RIND_MOUNT_ATTR_NOSUID | RIND_MOUNT_ATTR_NODEV | RIND_MOUNT_ATTR_NOEXEC,
		      err, errlen) < 0)
		return -1;
	for (int i = 1; i < a->dashdash; i++) {
		int rw = !strcmp(argv[i], "--jail-path");
		if (!rw && strcmp(argv[i], "--jail-path-ro") != 0)
			continue;
		if (jail_bind(root, argv[++i], rw ? RIND_MOUNT_ATTR_NOSUID : ro & ~RIND_MOUNT_ATTR_NODEV,
			      err, errlen) < 0)
			return -1;
	}
	return 0;
}

/* --jail-root DIR: a tmpfs on DIR (in the VMM's mount namespace only), filled, made read-only,
 * then pivot_root into it and the old root detached: /proc/<vmm>/root is the jail */
static int jail_root(char **argv, const struct shim_args *a, char *err, size_t errlen)
{
	const char *dir = a->jail_root;
	if (!dir)
		return 0;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return fail(err, errlen, "jail: mkdir %s: %s", dir, strerror(errno));
	char root[PATH_MAX];
	if (!realpath(dir, root))
		return fail(err, errlen, "jail: %s: %s", dir, strerror(errno));
	if (mount("rind-jail", root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m,nr_inodes=4096") < 0)
		return fail(err, errlen, "jail: mount tmpfs on %s: %s", root, strerror(errno));
	if (mount(NULL, root, NULL, MS_PRIVATE, NULL) < 0)
		return fail(err, errlen, "jail: make %s private: %s", root, strerror(errno));
	if (jail_fill(argv, a, root, err, errlen) < 0)
		return -1;
	if (chdir(root) < 0)
		return fail(err, errlen, "jail: chdir %s: %s", root, strerror(errno));
	/* pivot_root(".", "."): the old root is stacked under the new one, then detached */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return fail(err, errlen, "jail: pivot_root %s: %s", root, strerror(errno));
	if (umount2(".", MNT_DETACH) < 0)
		return fail(err, errlen, "jail: detach the old root: %s", strerror(errno));
	if (chdir("/") < 0)
		return fail(err, errlen, "jail: chdir /: %s", strerror(errno));
	if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0)
		return fail(err, errlen, "jail: remount / read-only: %s", strerror(errno));
	return 0;
}

/* ---------- namespaces, limits, ids, capabilities ---------- */

static int jail_namespaces(const struct shim_args *a, char *err, size_t errlen)
{
	int fl = (a->jail_ns & SHIM_NS_IPC ? CLONE_NEWIPC : 0) | (a->jail_ns & SHIM_NS_UTS ? CLONE_NEWUTS : 0);
	if (fl && unshare(fl) < 0)
		return fail(err, errlen, "unshare(%s%s): %s", fl & CLONE_NEWIPC ? "ipc" : "",
			    fl == (CLONE_NEWIPC | CLONE_NEWUTS) ? ",uts" : fl & CLONE_NEWUTS ? "uts" : "",
			    strerror(errno));
	return 0;
}

static int jail_rlimits(const struct shim_args *a, char *err, size_t errlen)
{
	for (int i = 0; i < a->n_rlimits; i++) {
		struct rlimit rl = { .rlim_cur = a->rlimits[i].value, .rlim_max = a->rlimits[i].value };
		if (setrlimit(a->rlimits[i].resource, &rl) < 0)
			return fail(err, errlen, "setrlimit %d: %s", a->rlimits[i].resource, strerror(errno));
	}
	return 0;
}

static int capset_all(unsigned long long keep)
{
	struct rind_cap_hdr h = { .version = RIND_CAP_V3, .pid = 0 };
	struct rind_cap_data d[2];
	for (int w = 0; w < 2; w++) {
		uint32_t bits = (uint32_t)(keep >> (32 * w));
		d[w] = (struct rind_cap_data){ .effective = bits, .permitted = bits, .inheritable = bits };
	}
	return (int)syscall(SYS_capset, &h, d);
}

/* the bounding set first (needs CAP_SETPCAP), then the uid/gid (PR_SET_KEEPCAPS keeps the
 * permitted set across it), then effective = permitted = inheritable = the list, and, for a
 * non-root uid, the same list as ambient capabilities so that they survive execv */
static int jail_ids_caps(const struct shim_args *a, char *err, size_t errlen)
{
	int drop_caps = a->caps_given;
	unsigned long long keep = a->caps;
	if (drop_caps) {
		for (int c = 0; c < 64; c++) {
			if (keep & (1ull << c))
				continue;
			if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0) {
				if (errno == EINVAL) /* past the kernel's last capability */
					break;
				return fail(err, errlen, "drop capability %d from the bounding set: %s", c,
					    strerror(errno));
			}
		}
	}
	if (a->uid >= 0) {
		gid_t g = (gid_t)a->gid;
		uid_t u = (uid_t)a->uid;
		if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
			return fail(err, errlen, "PR_SET_KEEPCAPS: %s", strerror(errno));
		if (setgroups(0, NULL) < 0 || setresgid(g, g, g) < 0)
			return fail(err, errlen, "set gid %u: %s", (unsigned)g, strerror(errno));
		if (setresuid(u, u, u) < 0)
			return fail(err, errlen, "set uid %u: %s", (unsigned)u, strerror(errno));
		if (!drop_caps) { /* no list: a non-root VMM keeps nothing, as execv would decide */
			drop_caps = 1;
			keep = 0;
		}
	}
	if (!drop_caps)
		return 0;
	if (capset_all(keep) < 0)
		return fail(err, errlen, "capset: %s", strerror(errno));
	if (a->uid > 0) {
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
			return fail(err, errlen, "clear ambient capabilities: %s", strerror(errno));
		for (int c = 0; c < 64; c++)
			if ((keep & (1ull << c)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
				return fail(err, errlen, "raise ambient capability %d: %s", c, strerror(errno));
	}
	return 0;
}

/* In the VMM child, after PR_SET_PDEATHSIG and setsid, right before execv. Never exits or logs:
 * -1 with a one-line reason in err, which the child hands to the parent (ready fd `error: ...`).
 * The order matters: mounts and setns while we are still root with every capability, the jail
 * root last among the file system steps (the binds' sources are host paths), then the limits,
 * the uid, the capabilities, and no_new_privs. (The pid namespace was chosen by the parent.) */
int jail_apply(char **argv, const struct shim_args *a, char *err, size_t errlen)
{
	if (do_binds(argv, a, err, errlen) < 0)
		return -1;
	if (join_netns(a->netns, err, errlen) < 0)
		return -1;
	if (jail_namespaces(a, err, errlen) < 0)
		return -1;
	if (jail_root(argv, a, err, errlen) < 0)
		return -1;
	if (jail_rlimits(a, err, errlen) < 0)
		return -1;
	if (jail_ids_caps(a, err, errlen) < 0)
		return -1;
	if (a->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return fail(err, errlen, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
	return 0;
}

/* in the shim, right before the fork: the VMM is pid 1 of a new pid namespace, and fork's return
 * value (what vmm.pid holds) is its pid on the host */
void jail_before_fork(const struct shim_args *a)
{
	if ((a->jail_ns & SHIM_NS_PID) && unshare(CLONE_NEWPID) < 0)
		setup_fail("unshare(CLONE_NEWPID): %s", strerror(errno));
}
