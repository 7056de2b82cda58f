/* rind guest agent: cgroup v2 in the guest: the hierarchy at /sys/fs/cgroup, one cgroup per container (c<slot>) with its limits,
 * its processes, signals, freezing, killing and removal, and the counters stats reads. No parsing of requests (cgspec.c). */
#include "agent.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define CG_ROOT "/sys/fs/cgroup"
#define CGROUP2_MAGIC 0x63677270
#define SUB_DEPTH "32"          /* cgroup.max.depth of a container's cgroup: how deep it may nest its own */

static int mounted;             /* cgroup2 is at CG_ROOT */
static unsigned enabled;        /* bit CG_*: the controller is on in the root's subtree_control */
static char controllers[64];    /* the same, as words, for ping */

/* Writes one value to a cgroup file; 0, or -errno. */
static int put(int dirfd, const char *file, const char *value)
{
	int fd = openat(dirfd, file, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, value, strlen(value));
	int e = n < 0 ? errno : 0;
	close(fd);
	return n < 0 ? -e : 0;
}


/* Mounts cgroup2 (nsdelegate: a container cannot write the limits of its own cgroup, the root
 * of its cgroup namespace) unless it is there, and turns on every controller the kernel has. */
void cgroup_boot(void)
{
	struct statfs sf;
	char b[256];
	if (statfs(CG_ROOT, &sf) < 0 || sf.f_type != CGROUP2_MAGIC) {
		mkdir(CG_ROOT, 0755);
		if (mount("cgroup2", CG_ROOT, "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, "nsdelegate") < 0) {
			logmsg("mount cgroup2 on " CG_ROOT ": %s: containers cannot be created", strerror(errno));
			return;
		}
	}
	mounted = 1;
	int root = open(CG_ROOT, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0 || read_small(root, "cgroup.controllers", b, sizeof b) < 0) {
		logmsg(CG_ROOT "/cgroup.controllers: %s", strerror(errno));
		if (root >= 0)
			close(root);
		return;
	}
	for (int c = 0; c < CG_NCTRL; c++) {
		const char *name = cg_ctrl_name(c);
		char want[16];
		size_t l = strlen(name);
		int have = 0;
		for (char *p = b; (p = strstr(p, name)); p += l)
			if ((p == b || p[-1] == ' ') && (!p[l] || p[l] == ' ' || p[l] == '\n'))
				have = 1;
		snprintf(want, sizeof want, "+%s", name);
		if (!have)
			continue;
		int rc = put(root, "cgroup.subtree_control", want);
		if (rc < 0) {
			logmsg("cgroup: cannot enable %s: %s", name, strerror(-rc));
			continue;
		}
		enabled |= 1u << c;
		snprintf(controllers + strlen(controllers), sizeof controllers - strlen(controllers), "%s%s",
			 controllers[0] ? " " : "", name);
	}
	close(root);
}

const char *cgroup_controllers(void)
{
	return controllers;
}

static void cg_path(int slot, char *b, size_t len)
{
	snprintf(b, len, CG_ROOT "/c%d", slot);
}

/* The limits of s: every key checked first (its controller on, its file there), then written
 * in request order, so that a request the kernel lacks something for changes nothing; a write
 * the kernel refuses restores (best effort) the files written before it. */
static int apply(int fd, const struct cg_spec *s)
{
	static char old[CG_WRITES_MAX][CG_VALUE_MAX]; /* the files' values before the request ("": unread) */
	for (size_t i = 0; i < s->n; i++) {
		const struct cg_write *w = &s->w[i];
		if (!(enabled & (1u << w->ctrl)))
			return fail("%s: the guest kernel has no %s controller", w->key, cg_ctrl_name(w->ctrl));
		if (!w->optional && faccessat(fd, w->file, F_OK, 0) < 0 && errno == ENOENT)
			return fail("%s: the guest kernel has no %s", w->key, w->file);
		if (read_small(fd, w->file, old[i], sizeof old[i]) < 0)
			old[i][0] = 0;
		old[i][strcspn(old[i], "\n")] = 0; /* io.weight: the default line, the only one a key sets */
	}
	for (size_t i = 0; i < s->n; i++) {
		const struct cg_write *w = &s->w[i];
		int rc = put(fd, w->file, w->value);
		if (rc == -ENOENT && w->optional)
			continue; /* e.g. no swap in the guest: nothing to limit */
		if (rc < 0) {
			if (rc == -ENOENT)
				fail("%s: the guest kernel has no %s", w->key, w->file);
			else
				fail("%s: writing \"%s\" to %s: %s", w->key, w->value, w->file, strerror(-rc));
			while (i--)
				if (old[i][0])
					put(fd, s->w[i].file, old[i]);
			return -1;
		}
	}
	return 0;
}

/* update: s's limits written to an existing cgroup (as at create); 0, or -1. */
int cgroup_update(int fd, const struct cg_spec *s)
{
	return apply(fd, s);
}

/* Makes the cgroup of slot `slot` with s's limits; its directory fd, or -1. */
int cgroup_create(int slot, const struct cg_spec *s)
{
	char path[64];
	if (!mounted)
		return fail("cgroup2 is not mounted in the guest");
	cg_path(slot, path, sizeof path);
	if (mkdir(path, 0755) < 0 && (errno != EEXIST || rmdir(path) < 0 || mkdir(path, 0755) < 0))
		return fail("cgroup %s: %s", path, strerror(errno));
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;
	if (fd < 0) {
		fail("cgroup %s: %s", path, strerror(errno));
		rmdir(path);
		return -1;
	}
	if ((rc = put(fd, "cgroup.max.depth", SUB_DEPTH)) < 0) {
		fail("cgroup %s: cgroup.max.depth: %s", path, strerror(-rc));
		close(fd);
		rmdir(path);
		return -1;
	}
	if (apply(fd, s) < 0) {
		close(fd);
		rmdir(path);
		return -1;
	}
	return fd;
}

/* Removes the cgroup `name` under dirfd with those the container made below it, deepest
 * first (at most SUB_DEPTH levels exist). 0, or -errno. */
static int rm_tree(int dirfd, const char *name, int depth)
{
	int fd = depth > 40 ? -1 : openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *e;
	if (fd >= 0 && !d)
		close(fd);
	while (d && (e = readdir(d)))
		if (e->d_type == DT_DIR && strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			rm_tree(fd, e->d_name, depth + 1);
	if (d)
		closedir(d);
	return unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT ? -errno : 0;
}

/* Removes slot's cgroup and those below it (they must be empty); 0, or -1. */
int cgroup_remove(int slot)
{
	char name[16];
	snprintf(name, sizeof name, "c%d", slot);
	int root = open(CG_ROOT, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = root < 0 ? -errno : rm_tree(root, name, 0);
	if (root >= 0)
		close(root);
	return rc < 0 ? fail("remove cgroup " CG_ROOT "/%s: %s", name, strerror(-rc)) : 0;
}

/* Moves the calling process into the cgroup (in a child, before execve). */
int cgroup_join(int fd)
{
	int rc = put(fd, "cgroup.procs", "0");
	return rc < 0 ? fail("join the container's cgroup: %s", strerror(-rc)) : 0;
}

/* The pids in one cgroup.procs file, to fn; how many, or -1 if unreadable. */
static long procs_file(int fd, void (*fn)(pid_t pid, void *arg), void *arg)
{
	char b[4096], line[16];
	size_t ll = 0;
	long n = 0;
	ssize_t r;
	int f = openat(fd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return -1;
	while ((r = read(f, b, sizeof b)) > 0)
		for (ssize_t i = 0; i < r; i++) {
			if (b[i] != '\n') {
				if (ll < sizeof line - 1)
					line[ll++] = b[i];
				continue;
			}
			line[ll] = 0;
			ll = 0;
			long long pid;
			if (parse_num(line, 1, INT32_MAX, &pid))
				continue;
			n++;
			if (fn)
				fn(pid, arg);
		}
	close(f);
	return n;
}

/* The processes of the cgroup at fd and of those below it (depth-first, bounded). */
static long procs_tree(int fd, int depth, void (*fn)(pid_t pid, void *arg), void *arg)
{
	long n = procs_file(fd, fn, arg);
	int dfd = n < 0 || depth > 40 ? -1 : openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dfd < 0 ? NULL : fdopendir(dfd);
	struct dirent *e;
	if (dfd >= 0 && !d)
		close(dfd);
	while (d && (e = readdir(d))) {
		if (e->d_type != DT_DIR || !strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		int sub = openat(dfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		long m = sub < 0 ? -1 : procs_tree(sub, depth + 1, fn, arg);
		if (sub >= 0)
			close(sub);
		if (m > 0)
			n += m;
	}
	if (d)
		closedir(d);
	return n;
}

/* Calls fn for each process in the cgroup, those the container put in cgroups below its own
 * too; returns how many there are (-1: unreadable). */
long cgroup_procs(int fd, void (*fn)(pid_t pid, void *arg), void *arg)
{
	return procs_tree(fd, 0, fn, arg);
}

static void signal_one(pid_t pid, void *signo)
{
	kill(pid, *(int *)signo);
}

/* Sends signo to every process of the cgroup; SIGKILL through cgroup.kill, which also gets
 * the ones forked meanwhile. */
int cgroup_signal(int fd, int signo)
{
	if (signo == SIGKILL) {
		int rc = put(fd, "cgroup.kill", "1");
		if (rc == 0)
			return 0;
		if (rc != -ENOENT)
			return fail("cgroup.kill: %s", strerror(-rc));
	}
	if (cgroup_procs(fd, signal_one, &signo) < 0)
		return fail("cgroup.procs: %s", strerror(errno));
	return 0;
}

/* The value of `key` in cgroup.events ("populated", "frozen"); -1 if unreadable. */
static int event(int fd, const char *key)
{
	unsigned long long v;
	return cgroup_value(fd, "cgroup.events", key, &v) < 0 ? -1 : (int)v;
}

int cgroup_populated(int fd)
{
	return event(fd, "populated");
}

/* cgroup.freeze = on, then waits up to wait_ms for cgroup.events to say so. */
int cgroup_freeze(int fd, int on, int wait_ms)
{
	int rc = put(fd, "cgroup.freeze", on ? "1" : "0");
	if (rc < 0)
		return fail("cgroup.freeze: %s", strerror(-rc));
	int64_t end = now_ms() + wait_ms;
	while (event(fd, "frozen") != on) {
		if (now_ms() >= end)
			return fail("the cgroup did not %s within %d ms", on ? "freeze" : "thaw", wait_ms);
		nanosleep(&(struct timespec){ 0, 5 * 1000000 }, NULL);
	}
	return 0;
}

/* A number in a cgroup file: the whole file (key NULL; "max" reads as UINT64_MAX) or the
 * value of "key N" in a flat keyed file (cpu.stat, memory.events). 0, or -1. */
int cgroup_value(int fd, const char *file, const char *key, unsigned long long *v)
{
	char b[2048];
	if (read_small(fd, file, b, sizeof b) < 0)
		return -1;
	const char *p = b;
	if (key) {
		size_t l = strlen(key);
		for (p = b; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
			if (!strncmp(p, key, l) && p[l] == ' ')
				break;
		if (!p)
			return -1;
		p += l + 1;
	}
	if (!strncmp(p, "max", 3)) {
		*v = UINT64_MAX;
		return 0;
	}
	char *end;
	errno = 0;
	*v = strtoull(p, &end, 10);
	return end == p || errno ? -1 : 0;
}

/* ---- the device controller: a BPF_PROG_TYPE_CGROUP_DEVICE program on the container's cgroup ---- */

/* bpf(2)'s attributes for the two commands used (the kernel's union bpf_attr, its first fields) */
struct bpf_load_attr {
	uint32_t prog_type, insn_cnt;
	uint64_t insns, license;
	uint32_t log_level, log_size;
	uint64_t log_buf;
	uint32_t kern_version, prog_flags;
};
struct bpf_attach_attr {
	uint32_t target_fd, attach_bpf_fd, attach_type, attach_flags;
};
enum { BPF_PROG_LOAD_CMD = 5, BPF_PROG_ATTACH_CMD = 8, PROG_TYPE_CGROUP_DEVICE = 15, ATTACH_CGROUP_DEVICE = 6 };

/* Loads the host-compiled device program (the verifier checks it) and attaches it to the cgroup at fd.
 * Every process of the container, exec'd ones too, then opens and mknods only what it allows. */
int cgroup_devices(int fd, const unsigned char *prog, size_t ninsns)
{
	static char log[4096];
	struct bpf_load_attr l = { .prog_type = PROG_TYPE_CGROUP_DEVICE, .insn_cnt = (uint32_t)ninsns,
				   .insns = (uintptr_t)prog, .license = (uintptr_t)"Apache-2.0" };
	int p = (int)syscall(SYS_bpf, BPF_PROG_LOAD_CMD, &l, sizeof l);
	if (p < 0) { /* again with the verifier's log (a log too small for a good program fails it: only now) */
		int e = errno;
		l.log_level = 1, l.log_size = sizeof log, l.log_buf = (uintptr_t)log;
		log[0] = 0;
		int again = (int)syscall(SYS_bpf, BPF_PROG_LOAD_CMD, &l, sizeof l);
		if (again >= 0) { /* it passed this time: the first failure's errno stands alone */
			close(again);
			log[0] = 0;
		}
		char *last = strrchr(log, '\n'); /* the verdict is the log's last line */
		while (last && last > log && !last[1]) {
			*last = 0;
			last = strrchr(log, '\n');
		}
		const char *why = last ? last + 1 : log;
		return fail("device rules: loading the program: %s%s%.200s", strerror(e), why[0] ? ": " : "", why);
	}
	struct bpf_attach_attr a = { .target_fd = (uint32_t)fd, .attach_bpf_fd = (uint32_t)p, .attach_type = ATTACH_CGROUP_DEVICE };
	int rc = (int)syscall(SYS_bpf, BPF_PROG_ATTACH_CMD, &a, sizeof a);
	int e = errno;
	close(p); /* the attachment holds the program */
	return rc < 0 ? fail("device rules: attaching the program to the cgroup: %s", strerror(e)) : 0;
}

