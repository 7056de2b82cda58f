/* rind guest agent: the guest's user processes (not PID 1, not kernel threads): what ps lists before any container exists,
 * and one process's facts for `ps` (procs_describe). Reads /proc only; a container's processes are its cgroup's (cgroup.c). */
#include "agent.h"
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PF_KTHREAD 0x00200000

/* 1: a kernel thread, 0: not, -1: gone. */
static int is_kthread(const char *pid)
{
	char path[64], b[1024];
	snprintf(path, sizeof path, "/proc/%s/stat", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, b, sizeof b - 1);
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return -1;
	b[n] = 0;
	char *p = strrchr(b, ')'); /* comm may hold anything, up to the last ')' */
	unsigned long flags = 0;
	/* after comm: state ppid pgrp session tty_nr tpgid flags */
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %lu", &flags) != 1)
		return -1;
	return !!(flags & PF_KTHREAD);
}

/* Calls fn for every user process; returns how many there are. */
long procs_each(void (*fn)(pid_t pid, void *arg), void *arg)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	long n = 0;
	while (d && (e = readdir(d))) {
		if (!isdigit((unsigned char)e->d_name[0]) || !strcmp(e->d_name, "1"))
			continue;
		if (is_kthread(e->d_name) != 0)
			continue;
		n++;
		if (fn)
			fn(atoi(e->d_name), arg);
	}
	if (d)
		closedir(d);
	return n;
}

/* The "Uid:"/"Gid:" line of /proc/PID/status: its effective (second) value. */
static unsigned status_id(const char *status, const char *key)
{
	const char *p = strstr(status, key);
	unsigned real = 0, eff = 0;
	if (!p || sscanf(p + strlen(key), " %u %u", &real, &eff) != 2)
		return 0;
	return eff;
}

/* One process for `ps`, as `ps` columns need it, \x1f-separated into b (see docs/protocol.md, `ps`):
 * pid ppid pgrp session tty_nr tpgid state euid egid cputicks nice nlwp starttime vsize rss comm args.
 * -1 if it is gone. */
int procs_describe(pid_t pid, char *b, size_t len)
{
	char path[64], stat[1024], status[4096], cmd[4096];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if (read_small(AT_FDCWD, path, stat, sizeof stat) <= 0)
		return -1;
	char *open = strchr(stat, '('), *close = strrchr(stat, ')');
	if (!open || !close || close < open)
		return -1;
	*close = 0;
	char comm[64];
	snprintf(comm, sizeof comm, "%s", open + 1);
	for (char *c = comm; *c; c++)
		if (*c == '\x1f' || (unsigned char)*c < 0x20)
			*c = '?';
	char state = '?';
	int ppid = 0, pgrp = 0, session = 0, tty = 0, tpgid = 0;
	unsigned long ut = 0, st = 0, vsize = 0;
	long nice = 0, nlwp = 0, rss = 0;
	unsigned long long start = 0;
	/* after comm: state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime
	 * cutime cstime priority nice num_threads itrealvalue starttime vsize rss */
	if (sscanf(close + 2, "%c %d %d %d %d %d %*u %*u %*u %*u %*u %lu %lu %*d %*d %*d %ld %ld %*d %llu %lu %ld",
		   &state, &ppid, &pgrp, &session, &tty, &tpgid, &ut, &st, &nice, &nlwp, &start, &vsize, &rss) != 13)
		return -1;
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	if (read_small(AT_FDCWD, path, status, sizeof status) < 0)
		status[0] = 0;
	snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
	ssize_t n = read_small(AT_FDCWD, path, cmd, sizeof cmd);
	if (n < 0)
		n = 0;
	while (n > 0 && cmd[n - 1] == 0)
		n--;
	for (ssize_t i = 0; i < n; i++)
		if (cmd[i] == 0 || (unsigned char)cmd[i] < 0x20)
			cmd[i] = ' ';
	cmd[n] = 0;
	long page = sysconf(_SC_PAGESIZE);
	int w = snprintf(b, len, "%d\x1f%d\x1f%d\x1f%d\x1f%d\x1f%d\x1f%c\x1f%u\x1f%u\x1f%lu\x1f%ld\x1f%ld\x1f%llu\x1f%lu\x1f%lld\x1f%s\x1f%s",
			 (int)pid, ppid, pgrp, session, tty, tpgid, state, status_id(status, "Uid:"), status_id(status, "Gid:"), ut + st,
			 nice, nlwp, start, vsize, (long long)rss * (page > 0 ? page : 4096), comm, cmd);
	return w < 0 || (size_t)w >= len ? -1 : 0;
}

/* Now, in clock ticks since boot (what /proc/PID/stat's starttime counts). */
unsigned long long procs_uptime_ticks(void)
{
	struct timespec t;
	long hz = sysconf(_SC_CLK_TCK);
	clock_gettime(CLOCK_BOOTTIME, &t);
	return (unsigned long long)t.tv_sec * (unsigned long long)hz + (unsigned long long)t.tv_nsec / (1000000000ULL / (unsigned long long)hz);
}
