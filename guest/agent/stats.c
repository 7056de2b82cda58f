/* rind guest agent: the `ps` and `stats` verbs, read from the guest's /proc.
 * Processes (all but PID 1 and kernel threads), memory, CPU time, network counters. */
#include "agent.h"
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PF_KTHREAD 0x00200000

/* Reads a small /proc file whole; returns its length or -1. */
static ssize_t slurp(const char *path, char *b, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t n = 0;
	ssize_t r = 0;
	if (fd < 0)
		return -1;
	while (n < len - 1 && (r = read(fd, b + n, len - 1 - n)) > 0)
		n += r;
	close(fd);
	if (r < 0)
		return -1;
	b[n] = 0;
	return n;
}

static int is_kthread(const char *pid)
{
	char path[64], b[1024];
	snprintf(path, sizeof path, "/proc/%s/stat", pid);
	if (slurp(path, b, sizeof b) < 0)
		return -1; /* gone */
	char *p = strrchr(b, ')'); /* comm may hold anything, up to the last ')' */
	unsigned long flags = 0;
	/* after comm: state ppid pgrp session tty_nr tpgid flags */
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %lu", &flags) != 1)
		return -1;
	return !!(flags & PF_KTHREAD);
}

/* Counts the processes of the guest but PID 1 and kernel threads; adds pid= keys if `emit`. */
static long user_pids(int emit)
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
		if (emit)
			reply_add("pid=%s", e->d_name);
	}
	if (d)
		closedir(d);
	return n;
}

void do_ps(void)
{
	reply_begin("ok");
	user_pids(1);
	reply_send();
}

/* The value of `key` (e.g. "MemTotal:") in /proc/meminfo text, in bytes. */
static unsigned long long meminfo(const char *text, const char *key)
{
	const char *p = strstr(text, key);
	return p ? strtoull(p + strlen(key), NULL, 10) * 1024 : 0;
}

void do_stats(void)
{
	static char b[16384];
	unsigned long long v[7] = { 0 };
	if (slurp("/proc/meminfo", b, sizeof b) < 0) {
		reply_error("cannot read /proc/meminfo");
		return;
	}
	unsigned long long total = meminfo(b, "MemTotal:"), avail = meminfo(b, "MemAvailable:");
	/* "cpu  user nice system idle iowait irq softirq ..." in USER_HZ ticks; user and
	 * system are counted like cgroup cpuacct: user+nice, system+irq+softirq */
	if (slurp("/proc/stat", b, sizeof b) < 0 ||
	    sscanf(b, "cpu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6]) != 7) {
		reply_error("cannot read /proc/stat");
		return;
	}
	unsigned long long tick_ns = 1000000000ULL / sysconf(_SC_CLK_TCK);
	reply_begin("ok");
	reply_add("mem_total=%llu", total);
	reply_add("mem_available=%llu", avail);
	reply_add("mem_used=%llu", total > avail ? total - avail : 0);
	reply_add("cpu_user=%llu", (v[0] + v[1]) * tick_ns);
	reply_add("cpu_system=%llu", (v[2] + v[5] + v[6]) * tick_ns);
	reply_add("pids=%ld", user_pids(0));
	/* /proc/net/dev: two header lines, then "name: rx bytes packets errs drop fifo frame
	 * compressed multicast, tx bytes packets errs drop ..." */
	if (slurp("/proc/net/dev", b, sizeof b) >= 0) {
		char *save = NULL;
		for (char *l = strtok_r(b, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
			char *colon = strchr(l, ':');
			unsigned long long c[16];
			if (!colon)
				continue;
			*colon = 0;
			while (*l == ' ')
				l++;
			if (!strcmp(l, "lo") || sscanf(colon + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
					&c[0], &c[1], &c[2], &c[3], &c[4], &c[5], &c[6], &c[7], &c[8], &c[9], &c[10], &c[11]) != 12)
				continue;
			reply_add("net=%s\x1f%llu\x1f%llu\x1f%llu\x1f%llu\x1f%llu\x1f%llu\x1f%llu\x1f%llu", l,
				  c[0], c[1], c[2], c[3], c[8], c[9], c[10], c[11]);
		}
	}
	reply_send();
}
