/* rind guest agent: a container's filesystem: the VM's 9p share, and in the container's own mount namespace its rootfs bind,
 * the spec's mounts, /dev, and the pivot_root into it. Mounts only what mountspec.c parsed, at destinations resolve.c kept inside the root. */
#include "agent.h"
#include "mountspec.h"
#include "resolve.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define SHARE_DIR RUN_DIR "/share"
#define ROOT_DIR RUN_DIR "/root"   /* every container's mount point: each has its own mount namespace */

/* the paths a container's root is built from: fs->share (the VM's share) and fs->root */
struct rootfs {
	const char *share, *root;
	int cg_own_dir;         /* a cgroup mount binds the container's cgroup directory (no cgroup namespace of its own) */
};

static int resolve(const struct rootfs *fs, const char *path, int mk, char *out, size_t outlen)
{
	int dfd = open(fs->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return fail("open %s: %s", fs->root, strerror(errno));
	int r = resolve_in(dfd, fs->root, path, mk, out, outlen);
	close(dfd);
	return r;
}

/* ---- the spec's mounts ---- */

/* type=bind: the host bound the real source into the share at this relative path. */
static int bind_mount(const struct rootfs *fs, const struct mount_entry *m, const struct mount_opts *o, char *target)
{
	char src[PATH_MAX];
	struct stat st;
	const char *source = m->source;
	while (*source == '/')
		source++;
	if (!share_path_valid(source))
		return fail("mount source %s for %s: not a path in the share", m->source, m->dest);
	snprintf(src, sizeof src, "%s/%s", fs->share, source);
	if (stat(src, &st) < 0)
		return fail("mount source %s for %s: %s", source, m->dest, strerror(errno));
	if (resolve(fs, m->dest, S_ISDIR(st.st_mode) ? MK_DIR : MK_FILE, target, PATH_MAX))
		return -1;
	if (mount(src, target, NULL, MS_BIND | (o->flags & MS_REC), NULL) < 0)
		return fail("bind mount %s: %s", m->dest, strerror(errno));
	unsigned long re = o->flags & ~(MS_BIND | MS_REC);
	if (re && mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | re, NULL) < 0)
		return fail("remount %s: %s", m->dest, strerror(errno));
	return 0;
}

/* The container's cgroup directory as the agent's cgroup2 mount shows it ("/sys/fs/cgroup/c3"). */
static int own_cgroup_dir(char *out, size_t len)
{
	char b[256];
	ssize_t n = read_small(AT_FDCWD, "/proc/self/cgroup", b, sizeof b);
	char *nl = n > 4 && !strncmp(b, "0::/", 4) ? strchr(b, '\n') : NULL;
	if (!nl)
		return fail("/proc/self/cgroup: not a cgroup v2 path");
	*nl = 0;
	snprintf(out, len, "/sys/fs/cgroup%s", b + 3);
	return 0;
}

/* A filesystem mount. cgroup v1 hierarchies mean nothing inside the VM: a cgroup mount is cgroup2,
 * which in the container's own cgroup namespace shows its cgroup as the root; without one, its
 * cgroup's directory is bound there instead (runc's way), so it sees its own cgroup either way. */
static int fs_mount(const struct rootfs *fs, const struct mount_entry *m, const struct mount_opts *o, char *target)
{
	int cg = !strcmp(m->type, "cgroup") || !strcmp(m->type, "cgroup2");
	char dir[PATH_MAX];
	if (resolve(fs, m->dest, MK_DIR, target, PATH_MAX))
		return -1;
	if (cg && fs->cg_own_dir) {
		if (own_cgroup_dir(dir, sizeof dir) < 0)
			return -1;
		if (mount(dir, target, NULL, MS_BIND, NULL) < 0 || mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | o->flags, NULL) < 0)
			return fail("mount %s (its cgroup %s): %s", m->dest, dir, strerror(errno));
		return 0;
	}
	if (mount(m->source, target, cg ? "cgroup2" : m->type, o->flags, cg || !o->data[0] ? NULL : o->data) < 0)
		return fail("mount %s (%s): %s", m->dest, m->type, strerror(errno));
	return 0;
}

static int apply_mount(const struct rootfs *fs, const char *entry)
{
	struct mount_entry m;
	struct mount_opts o;
	char target[PATH_MAX];
	if (mount_entry_parse(entry, &m) < 0 || mount_opts_parse(m.options, &o) < 0)
		return -1;
	int bind = !strcmp(m.type, "bind") || (o.flags & MS_BIND);
	if ((bind ? bind_mount : fs_mount)(fs, &m, &o, target) < 0)
		return -1;
	if (o.prop && mount(NULL, target, NULL, o.prop, NULL) < 0)
		return fail("set propagation of %s: %s", m.dest, strerror(errno));
	return 0;
}

/* ---- /dev ---- */

/* The minimal device set every container expects, on the container's /dev. */
static int populate_dev(const struct rootfs *fs)
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
	int rc = 0;
	if (resolve(fs, "/dev", MK_DIR, dev, sizeof dev))
		return -1;
	int dfd = open(dev, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return fail("open /dev: %s", strerror(errno));
	for (size_t i = 0; !rc && i < N(nodes); i++)
		if (mknodat(dfd, nodes[i].name, S_IFCHR | 0666, makedev(nodes[i].maj, nodes[i].min)) < 0 &&
		    errno != EEXIST)
			rc = fail("mknod /dev/%s: %s", nodes[i].name, strerror(errno));
	for (size_t i = 0; !rc && i < N(links); i++)
		if (symlinkat(links[i].target, dfd, links[i].name) < 0 && errno != EEXIST)
			rc = fail("symlink /dev/%s: %s", links[i].name, strerror(errno));
	close(dfd);
	return rc;
}

/* The spec's device nodes (device=), on the container's /dev once it is mounted and populated: parent
 * directories made, an existing node replaced, then owner and mode set exactly (mknod's mode is umasked). */
static int make_devices(const struct rootfs *fs, const struct create_req *r)
{
	for (size_t i = 0; i < r->ndevices; i++) {
		const struct dev_node *d = &r->devices[i];
		char dir[PATH_MAX], parent[SEC_PATH_MAX + 1];
		const char *base = strrchr(d->path, '/') + 1;
		snprintf(parent, sizeof parent, "%.*s", (int)(base - d->path), d->path);
		if (resolve(fs, parent, MK_DIR, dir, sizeof dir))
			return -1;
		int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), rc = 0;
		if (dfd < 0)
			return fail("device %s: open its directory: %s", d->path, strerror(errno));
		mode_t type = d->type == 'c' ? S_IFCHR : d->type == 'b' ? S_IFBLK : S_IFIFO;
		if (unlinkat(dfd, base, 0) < 0 && errno != ENOENT)
			rc = fail("device %s: replace what is there: %s", d->path, strerror(errno));
		else if (mknodat(dfd, base, type | (d->mode & 0777), d->type == 'p' ? 0 : makedev(d->major, d->minor)) < 0)
			rc = fail("device %s: mknod: %s", d->path, strerror(errno));
		else if (fchownat(dfd, base, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0)
			rc = fail("device %s: chown %u:%u: %s", d->path, (unsigned)d->uid, (unsigned)d->gid, strerror(errno));
		else if (fchmodat(dfd, base, d->mode, 0) < 0)
			rc = fail("device %s: chmod %o: %s", d->path, (unsigned)d->mode, strerror(errno));
		close(dfd);
		if (rc)
			return rc;
	}
	return 0;
}

/* After pivot_root, in the container's root: the root mount's propagation, then (runc's order) the read-only
 * paths (bound onto themselves, remounted read-only keeping their flags), then the masked paths (/dev/null over
 * a file, an empty read-only tmpfs over a directory). A path that does not exist is skipped. */
static int secure_paths(const struct create_req *r)
{
	if (r->root_prop && mount(NULL, "/", NULL, r->root_prop, NULL) < 0)
		return fail("rootfs_propagation: %s", strerror(errno));
	for (size_t i = 0; i < r->nropaths; i++) {
		const char *p = r->ropaths[i];
		struct statvfs sv;
		if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0) {
			if (errno == ENOENT)
				continue;
			return fail("readonly_path %s: bind: %s", p, strerror(errno));
		}
		if (statvfs(p, &sv) < 0)
			return fail("readonly_path %s: statvfs: %s", p, strerror(errno));
		unsigned long keep = (sv.f_flag & ST_NOSUID ? MS_NOSUID : 0) | (sv.f_flag & ST_NODEV ? MS_NODEV : 0) |
				     (sv.f_flag & ST_NOEXEC ? MS_NOEXEC : 0) | (sv.f_flag & ST_NOATIME ? MS_NOATIME : 0) |
				     (sv.f_flag & ST_NODIRATIME ? MS_NODIRATIME : 0) | (sv.f_flag & ST_RELATIME ? MS_RELATIME : 0);
		if (mount(NULL, p, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | keep, NULL) < 0)
			return fail("readonly_path %s: remount read-only: %s", p, strerror(errno));
	}
	for (size_t i = 0; i < r->nmasked; i++) {
		const char *p = r->masked[i];
		if (mount("/dev/null", p, NULL, MS_BIND, NULL) == 0 || errno == ENOENT)
			continue;
		if (errno != ENOTDIR)
			return fail("masked %s: bind /dev/null: %s", p, strerror(errno));
		if (mount("tmpfs", p, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0,mode=0555") < 0)
			return fail("masked %s: read-only tmpfs: %s", p, strerror(errno));
	}
	return 0;
}

/* A filesystem at `dest` unless the spec mounts one there itself. */
static int default_mount(const struct rootfs *fs, const struct create_req *r, const char *dest,
			 const char *type, unsigned long flags, const char *data)
{
	char target[PATH_MAX];
	if (mounts_target(r->mounts, r->nmounts, dest))
		return 0;
	if (resolve(fs, dest, MK_DIR, target, sizeof target))
		return -1;
	if (mount(type, target, type, flags, data) < 0)
		return fail("mount %s on %s: %s", type, dest, strerror(errno));
	return 0;
}

/* ---- the share (agent side) ---- */

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

/* The VM's share, mounted once at SHARE_DIR (in the agent's mount namespace: containers see
 * only what their own namespaces bind from it). */
int share_mount(const char *tag)
{
	static char mounted[64];
	if (mounted[0])
		return strcmp(tag, mounted) ? fail("share %s: the VM's share is %s", tag, mounted) : 0;
	if (!tag[0] || strlen(tag) >= sizeof mounted)
		return fail("bad share tag: %.64s", tag);
	if (mkdir_p(SHARE_DIR) < 0 || mkdir_p(ROOT_DIR) < 0)
		return fail("mkdir %s: %s", RUN_DIR, strerror(errno));
	if (mount(tag, SHARE_DIR, "9p", 0, "trans=virtio,version=9p2000.L,msize=262144") < 0)
		return fail("mount 9p share %s: %s", tag, strerror(errno));
	snprintf(mounted, sizeof mounted, "%s", tag);
	return 0;
}

/* ---- the root (in the container's new mount namespace) ---- */

/* pivot_root(".", ".") on the new root, then the old root (stacked on it) detached with
 * everything under it: the agent's initramfs, /dev with the ports, /proc, /sys, the share. */
static int pivot(const char *root)
{
	int old = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC), new = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;
	if (old < 0 || new < 0)
		rc = fail("open the roots: %s", strerror(errno));
	else if (fchdir(new) < 0 || syscall(SYS_pivot_root, ".", ".") < 0)
		rc = fail("pivot_root: %s", strerror(errno));
	else if (fchdir(old) < 0 || umount2(".", MNT_DETACH) < 0)
		rc = fail("detach the old root: %s", strerror(errno));
	else if (chdir("/") < 0)
		rc = fail("chdir /: %s", strerror(errno));
	if (old >= 0)
		close(old);
	if (new >= 0)
		close(new);
	return rc;
}

/* Builds the container's root at ROOT_DIR, in the calling process's new mount namespace
 * (nothing propagates back: it is made private first), and pivots into it. */
int rootfs_enter(const struct create_req *r)
{
	struct rootfs fs = { SHARE_DIR, ROOT_DIR, !((r->ns.fresh | r->ns.joined) & 1 << NS_CGROUP) };
	char src[PATH_MAX];
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return fail("make the mount namespace private: %s", strerror(errno));
	snprintf(src, sizeof src, "%s/%s", fs.share, r->rootfs);
	if (mount(src, fs.root, NULL, MS_BIND | MS_REC, NULL) < 0)
		return fail("bind rootfs %s: %s", r->rootfs, strerror(errno));
	if (default_mount(&fs, r, "/dev", "tmpfs", MS_NOSUID, "mode=755") < 0)
		return -1;
	for (size_t i = 0; i < r->nmounts; i++)
		if (apply_mount(&fs, r->mounts[i]))
			return -1;
	if (populate_dev(&fs) < 0 || make_devices(&fs, r) < 0 ||
	    default_mount(&fs, r, "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620") < 0)
		return -1;
	if (r->readonly && mount(NULL, fs.root, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
		return fail("remount root read-only: %s", strerror(errno));
	return pivot(fs.root) < 0 ? -1 : secure_paths(r);
}
