/* rind guest agent: the `ps`, `stats` and `events` replies: a container's processes and cgroup counters, the VM's memory, CPU time, network.
 * Reads /proc and cgroup files (procs.c, cgroup.c) and only builds replies (reply.c); never writes to a port. */
#include "agent.h"
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


static unsigned long long meminfo(const char *text, const char *key);

static void add_pid(pid_t pid, void *arg)
{
	static char b[8400];
	(void)arg;
	reply_add("pid=%d", (int)pid);
	if (procs_describe(pid, b, sizeof b) == 0)
		reply_add("proc=%s", b);
}

/* A container's processes are its cgroup's; before any container exists, the VM's. */
static long each_proc(const struct container *c, void (*fn)(pid_t, void *))
{
	struct container_info i;
	if (!c)
		return procs_each(fn, NULL);
	container_info(c, &i);
	return cgroup_procs(i.cg_fd, fn, NULL);
}

/* pid= per process (the container's cgroup), with proc= (its ps columns) while it still exists; the clock
 * and memory the columns are relative to */
void stats_ps(const struct container *c)
{
	static char b[16384];
	reply_begin("ok");
	reply_add("hz=%ld", sysconf(_SC_CLK_TCK));
	reply_add("uptime=%llu", procs_uptime_ticks());
	if (read_small(AT_FDCWD, "/proc/meminfo", b, sizeof b) >= 0)
		reply_add("mem_total=%llu", meminfo(b, "MemTotal:"));
	each_proc(c, add_pid);
}

/* oom=1: the init died of SIGKILL and the cgroup saw an OOM kill; oom_kill= counts those. */
static void add_oom(const struct container_info *i)
{
	unsigned long long kills = 0;
	if (cgroup_value(i->cg_fd, "memory.events", "oom_kill", &kills) == 0)
		reply_add("oom_kill=%llu", kills);
	reply_add("oom=%d", i->exited && i->killed && kills > 0);
}

/* The container's cgroup counters (those its controllers have). */
static void add_cgroup(const struct container *c)
{
	struct container_info i;
	unsigned long long v;
	container_info(c, &i);
	if (cgroup_value(i.cg_fd, "memory.current", NULL, &v) == 0)
		reply_add("cg_mem_current=%llu", v);
	if (cgroup_value(i.cg_fd, "memory.max", NULL, &v) == 0) {
		if (v == UINT64_MAX)
			reply_add("cg_mem_max=max");
		else
			reply_add("cg_mem_max=%llu", v);
	}
	static const char *const cpu[][2] = { { "usage_usec", "cg_cpu_usage" }, { "user_usec", "cg_cpu_user" },
					      { "system_usec", "cg_cpu_system" } };
	for (int k = 0; k < 3; k++)
		if (cgroup_value(i.cg_fd, "cpu.stat", cpu[k][0], &v) == 0)
			reply_add("%s=%llu", cpu[k][1], v * 1000);
	if (cgroup_value(i.cg_fd, "pids.current", NULL, &v) == 0)
		reply_add("cg_pids=%llu", v);
	add_oom(&i);
}

void stats_events(const struct container *c)
{
	struct container_info i;
	if (!c) {
		reply_error("the container was not created");
		return;
	}
	container_info(c, &i);
	reply_begin("ok");
	reply_add("status=%s", i.status);
	reply_add("pid=%d", (int)i.pid);
	if (i.exited)
		reply_add("exit=%d", i.exit_code);
	add_oom(&i);
}

/* The value of `key` (e.g. "MemTotal:") in /proc/meminfo text, in bytes. */
static unsigned long long meminfo(const char *text, const char *key)
{
	const char *p = strstr(text, key);
	return p ? strtoull(p + strlen(key), NULL, 10) * 1024 : 0;
}

/* /proc/net/dev: two header lines, then "name: rx bytes packets errs drop fifo frame
 * compressed multicast, tx bytes packets errs drop ..."; one net= per interface but lo. */
static void add_net(char *b)
{
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

void stats_stats(const struct container *c)
{
	static char b[16384];
	unsigned long long v[7] = { 0 };
	if (read_small(AT_FDCWD, "/proc/meminfo", b, sizeof b) < 0) {
		reply_error("cannot read /proc/meminfo");
		return;
	}
	unsigned long long total = meminfo(b, "MemTotal:"), avail = meminfo(b, "MemAvailable:");
	/* "cpu  user nice system idle iowait irq softirq ..." in USER_HZ ticks; user and
	 * system are counted like cgroup cpuacct: user+nice, system+irq+softirq */
	if (read_small(AT_FDCWD, "/proc/stat", b, sizeof b) < 0 ||
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
	reply_add("pids=%ld", each_proc(c, NULL));
	if (c)
		add_cgroup(c);
	if (read_small(AT_FDCWD, "/proc/net/dev", b, sizeof b) >= 0)
		add_net(b);
}
