/* rind guest agent: the container's filesystem inside the VM.
 * 9p share, rootfs bind, spec mounts (option parsing, safe destinations), /dev contents. */
#include "agent.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static int share_mounted, root_mounted;

/* ---- mount options ---- */

struct opt {
	const char *name;
	int clear;
	unsigned long flag;
};

static const struct opt flag_opts[] = {
	{ "ro", 0, MS_RDONLY }, { "rw", 1, MS_RDONLY }, { "rro", 0, MS_RDONLY },
	{ "nosuid", 0, MS_NOSUID }, { "suid", 1, MS_NOSUID },
	{ "nodev", 0, MS_NODEV }, { "dev", 1, MS_NODEV },
	{ "noexec", 0, MS_NOEXEC }, { "exec", 1, MS_NOEXEC },
	{ "sync", 0, MS_SYNCHRONOUS }, { "async", 1, MS_SYNCHRONOUS },
	{ "dirsync", 0, MS_DIRSYNC },
	{ "mand", 0, MS_MANDLOCK }, { "nomand", 1, MS_MANDLOCK },
	{ "relatime", 0, MS_RELATIME }, { "norelatime", 1, MS_RELATIME },
	{ "strictatime", 0, MS_STRICTATIME }, { "nostrictatime", 1, MS_STRICTATIME },
	{ "noatime", 0, MS_NOATIME }, { "atime", 1, MS_NOATIME },
	{ "nodiratime", 0, MS_NODIRATIME }, { "diratime", 1, MS_NODIRATIME },
	{ "bind", 0, MS_BIND }, { "rbind", 0, MS_BIND | MS_REC },
	{ "silent", 0, MS_SILENT }, { "loud", 1, MS_SILENT },
	{ "defaults", 0, 0 },
	/* runtime-level options with no meaning for mount(2) here */
	{ "tmpcopyup", 0, 0 }, { "notmpcopyup", 0, 0 }, { "copy-symlink", 0, 0 },
	{ "idmap", 0, 0 }, { "ridmap", 0, 0 },
};

static const struct opt prop_opts[] = {
	{ "private", 0, MS_PRIVATE }, { "rprivate", 0, MS_PRIVATE | MS_REC },
	{ "slave", 0, MS_SLAVE }, { "rslave", 0, MS_SLAVE | MS_REC },
	{ "shared", 0, MS_SHARED }, { "rshared", 0, MS_SHARED | MS_REC },
	{ "unbindable", 0, MS_UNBINDABLE }, { "runbindable", 0, MS_UNBINDABLE | MS_REC },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct opt *find_opt(const struct opt *t, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(t[i].name, name))
			return &t[i];
	return NULL;
}

/* Splits comma-separated options into mount flags, propagation flags and data. */
static int parse_opts(const char *opts, unsigned long *flags, unsigned long *prop,
		      char *data, size_t datalen)
{
	char buf[4096];
	char *save = NULL;
	size_t dl = 0;
	*flags = *prop = 0;
	data[0] = 0;
	if (strlen(opts) >= sizeof buf)
		return fail("mount options too long");
	strcpy(buf, opts);
	for (char *o = strtok_r(buf, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		const struct opt *f;
		if ((f = find_opt(flag_opts, N(flag_opts), o))) {
			if (f->clear)
				*flags &= ~f->flag;
			else
				*flags |= f->flag;
		} else if ((f = find_opt(prop_opts, N(prop_opts), o))) {
			*prop = f->flag;
		} else if (strncmp(o, "x-", 2)) { /* x-*: hints for mount helpers */
			size_t l = strlen(o);
			if (dl + l + 2 > datalen)
				return fail("mount data too long");
			if (dl)
				data[dl++] = ',';
			memcpy(data + dl, o, l + 1);
			dl += l;
		}
	}
	return 0;
}

/* ---- destinations ---- */

enum { MK_NONE, MK_DIR, MK_FILE };

/* Resolves `path` inside ROOT_DIR one component at a time, as if ROOT_DIR were "/":
 * absolute symlinks restart at the root, and a ".." (written or from a symlink) that
 * would leave the root is refused. Missing components are created (directories; the
 * last one as an empty file with MK_FILE). Nothing in the guest runs concurrently,
 * so checking each component with lstat is race-free. `out` gets the full path. */
static int resolve_at(int dfd, const char *path, int mk, char *out, size_t outlen)
{
	char rest[2 * PATH_MAX], cur[PATH_MAX] = "", link[PATH_MAX];
	size_t cl = 0;
	int links = 0;
	if (strlen(path) >= sizeof rest)
		return fail("path too long: %.64s", path);
	strcpy(rest, path);
	char *p = rest;
	for (;;) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		char *c = p;
		while (*p && *p != '/')
			p++;
		if (*p)
			*p++ = 0;
		char *q = p;
		while (*q == '/')
			q++;
		int last = !*q;
		if (!strcmp(c, "."))
			continue;
		if (!strcmp(c, "..")) {
			if (!cl)
				return fail("mount destination escapes the container root: %s", path);
			while (cl && cur[cl - 1] != '/')
				cl--;
			if (cl)
				cl--;
			cur[cl] = 0;
			continue;
		}
		size_t clen = strlen(c), nl = cl + (cl ? 1 : 0) + clen;
		if (nl >= sizeof cur)
			return fail("path too long: %.64s", path);
		if (cl)
			cur[cl] = '/';
		memcpy(cur + nl - clen, c, clen + 1);
		struct stat st;
		int r = fstatat(dfd, cur, &st, AT_SYMLINK_NOFOLLOW);
		if (r < 0 && errno == ENOENT && mk != MK_NONE) {
			if (last && mk == MK_FILE) {
				r = openat(dfd, cur, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
				if (r >= 0)
					close(r);
			} else {
				r = mkdirat(dfd, cur, 0755);
			}
			if (r >= 0)
				r = fstatat(dfd, cur, &st, AT_SYMLINK_NOFOLLOW);
		}
		if (r < 0)
			return fail("%s in container root: %s", cur, strerror(errno));
		if (S_ISLNK(st.st_mode)) {
			ssize_t ll = readlinkat(dfd, cur, link, sizeof link - 1);
			if (ll < 0 || ++links > 40)
				return fail("cannot follow symlink %s in container root", cur);
			link[ll] = 0;
			/* the rest of the path now starts with the link's target */
			char tail[PATH_MAX];
			if (strlen(p) >= sizeof tail || (size_t)ll + 1 + strlen(p) >= sizeof rest)
				return fail("path too long: %.64s", path);
			strcpy(tail, p);
			snprintf(rest, sizeof rest, "%s/%s", link, tail);
			p = rest;
			cur[cl] = 0; /* drop the link itself */
			if (link[0] == '/')
				cl = 0, cur[0] = 0;
			continue;
		}
		if (!last && !S_ISDIR(st.st_mode))
			return fail("%s in container root: not a directory", cur);
		cl = nl;
	}
	if (!cl)
		return fail("mount destination is the container root: %s", path);
	if ((size_t)snprintf(out, outlen, "%s/%s", ROOT_DIR, cur) >= outlen)
		return fail("path too long: %.64s", path);
	return 0;
}

static int resolve(const char *path, int mk, char *out, size_t outlen)
{
	int dfd = open(ROOT_DIR, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return fail("open %s: %s", ROOT_DIR, strerror(errno));
	int r = resolve_at(dfd, path, mk, out, outlen);
	close(dfd);
	return r;
}

/* Compares two absolute paths, ignoring repeated and trailing slashes. */
static int same_path(const char *a, const char *b)
{
	for (;;) {
		while (*a == '/')
			a++;
		while (*b == '/')
			b++;
		if (!*a || !*b)
			return !*a && !*b;
		while (*a && *a != '/' && *a == *b)
			a++, b++;
		if ((*a && *a != '/') || (*b && *b != '/'))
			return 0;
	}
}

static int spec_mounts(const struct create_req *r, const char *dest)
{
	for (size_t i = 0; i < r->nmounts; i++) {
		char d[PATH_MAX];
		size_t l = strcspn(r->mounts[i], "\x1f");
		if (l < sizeof d) {
			memcpy(d, r->mounts[i], l);
			d[l] = 0;
			if (same_path(d, dest))
				return 1;
		}
	}
	return 0;
}

/* ---- mounts ---- */

/* One `mount=dest\x1ftype\x1fsource\x1foptions` entry. */
static int apply_mount(const char *entry)
{
	char buf[3 * PATH_MAX], *f[4], target[PATH_MAX], data[4096];
	unsigned long flags, prop;
	if (strlen(entry) >= sizeof buf)
		return fail("mount entry too long");
	strcpy(buf, entry);
	f[0] = buf;
	for (int i = 1; i < 4; i++) {
		char *s = strchr(f[i - 1], '\x1f');
		if (!s)
			return fail("malformed mount entry: %.64s", entry);
		*s = 0;
		f[i] = s + 1;
	}
	const char *dest = f[0], *type = f[1], *source = f[2];
	if (strchr(f[3], '\x1f'))
		return fail("malformed mount entry: %.64s", entry);
	if (parse_opts(f[3], &flags, &prop, data, sizeof data))
		return -1;

	if (!strcmp(type, "bind") || (flags & MS_BIND)) {
		/* the host bound the real source into the share at this relative path */
		char src[PATH_MAX];
		struct stat st;
		while (*source == '/')
			source++;
		snprintf(src, sizeof src, "%s/%s", SHARE_DIR, source);
		if (stat(src, &st) < 0)
			return fail("mount source %s for %s: %s", source, dest, strerror(errno));
		if (resolve(dest, S_ISDIR(st.st_mode) ? MK_DIR : MK_FILE, target, sizeof target))
			return -1;
		if (mount(src, target, NULL, MS_BIND | (flags & MS_REC), NULL) < 0)
			return fail("bind mount %s: %s", dest, strerror(errno));
		unsigned long re = flags & ~(MS_BIND | MS_REC);
		if (re && mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | re, NULL) < 0)
			return fail("remount %s: %s", dest, strerror(errno));
	} else {
		/* cgroup v1 hierarchies mean nothing inside the VM: give it cgroup2 */
		int cg = !strcmp(type, "cgroup");
		if (resolve(dest, MK_DIR, target, sizeof target))
			return -1;
		if (mount(source, target, cg ? "cgroup2" : type, flags,
			  cg || !data[0] ? NULL : data) < 0)
			return fail("mount %s (%s): %s", dest, type, strerror(errno));
	}
	if (prop && mount(NULL, target, NULL, prop, NULL) < 0)
		return fail("set propagation of %s: %s", dest, strerror(errno));
	return 0;
}

/* The minimal device set every container expects, on the container's /dev. */
static int populate_dev(void)
{
	static const struct { const char *name; int maj, min; } nodes[] = {
		{ "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 },
		{ "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
	};
	static const struct { const char *name, *target; } links[] = {
		{ "ptmx", "pts/ptmx" }, { "fd", "/proc/self/fd" }, { "stdin", "/proc/self/fd/0" },
		{ "stdout", "/proc/self/fd/1" }, { "stderr", "/proc/self/fd/2" },
	};
	char dev[PATH_MAX];
	if (resolve("/dev", MK_DIR, dev, sizeof dev))
		return -1;
	int dfd = open(dev, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return fail("open /dev: %s", strerror(errno));
	for (size_t i = 0; i < N(nodes); i++)
		if (mknodat(dfd, nodes[i].name, S_IFCHR | 0666, makedev(nodes[i].maj, nodes[i].min)) < 0 &&
		    errno != EEXIST) {
			close(dfd);
			return fail("mknod /dev/%s: %s", nodes[i].name, strerror(errno));
		}
	for (size_t i = 0; i < N(links); i++)
		if (symlinkat(links[i].target, dfd, links[i].name) < 0 && errno != EEXIST) {
			close(dfd);
			return fail("symlink /dev/%s: %s", links[i].name, strerror(errno));
		}
	close(dfd);
	return 0;
}

static int mkdir_p(const char *path)
{
	char b[PATH_MAX];
	snprintf(b, sizeof b, "%s", path);
	for (char *s = b + 1; *s; s++)
		if (*s == '/') {
			*s = 0;
			if (mkdir(b, 0755) < 0 && errno != EEXIST)
				return -1;
			*s = '/';
		}
	return mkdir(b, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

/* Builds the container's root at ROOT_DIR. There is no pivot_root: the workload is
 * chroot()ed (process.c), because the VM, not a mount namespace, is the boundary. */
int rootfs_setup(const struct create_req *r)
{
	char src[PATH_MAX], target[PATH_MAX];
	if (mkdir_p(SHARE_DIR) < 0 || mkdir_p(ROOT_DIR) < 0)
		return fail("mkdir /run/rind: %s", strerror(errno));
	if (mount(r->share, SHARE_DIR, "9p", 0, "trans=virtio,version=9p2000.L,msize=262144") < 0)
		return fail("mount 9p share %s: %s", r->share, strerror(errno));
	share_mounted = 1;
	snprintf(src, sizeof src, "%s/%s", SHARE_DIR, r->rootfs);
	if (mount(src, ROOT_DIR, NULL, MS_BIND | MS_REC, NULL) < 0)
		return fail("bind rootfs %s: %s", r->rootfs, strerror(errno));
	root_mounted = 1;

	if (!spec_mounts(r, "/dev")) {
		if (resolve("/dev", MK_DIR, target, sizeof target))
			return -1;
		if (mount("tmpfs", target, "tmpfs", MS_NOSUID, "mode=755") < 0)
			return fail("mount tmpfs on /dev: %s", strerror(errno));
	}
	for (size_t i = 0; i < r->nmounts; i++)
		if (apply_mount(r->mounts[i]))
			return -1;
	if (populate_dev())
		return -1;
	if (!spec_mounts(r, "/dev/pts")) {
		if (resolve("/dev/pts", MK_DIR, target, sizeof target))
			return -1;
		if (mount("devpts", target, "devpts", MS_NOSUID | MS_NOEXEC,
			  "newinstance,ptmxmode=0666,mode=0620") < 0)
			return fail("mount devpts: %s", strerror(errno));
	}
	if (r->hostname && r->hostname[0] && sethostname(r->hostname, strlen(r->hostname)) < 0)
		return fail("sethostname: %s", strerror(errno));
	if (r->readonly && mount(NULL, ROOT_DIR, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
		return fail("remount root read-only: %s", strerror(errno));
	return 0;
}

/* Undoes rootfs_setup as far as it got: a lazy unmount takes submounts along. */
void rootfs_teardown(void)
{
	if (root_mounted && umount2(ROOT_DIR, MNT_DETACH) < 0)
		logmsg("umount %s: %s", ROOT_DIR, strerror(errno));
	if (share_mounted && umount2(SHARE_DIR, MNT_DETACH) < 0)
		logmsg("umount %s: %s", SHARE_DIR, strerror(errno));
	root_mounted = share_mounted = 0;
}
