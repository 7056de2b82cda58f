/* rind guest agent: resource keys -> cgroup v2 writes (cgspec.h), each value checked so that the kernel sees only what it takes.
 * Pure: no system calls, no state; the errors name the key and what it wants. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "cgspec.h"
#include "err.h"
#include "fields.h"
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define PIDS_LIMIT 4194304      /* the kernel's PID_MAX_LIMIT: the largest pids.max */
#define CPU_QUOTA_MAX 17592186044415LL /* 2^44 - 1 µs, the kernel's bound on a cpu.max quota */
#define CPULIST_MAX 4095        /* the largest CPU or memory node number taken in a list */

enum syntax { BYTES, FLAG, PIDS, CPU_MAX, WEIGHT, SHARES, CPULIST, IO_WEIGHT };

static const struct key {
	const char *key;
	int ctrl;
	const char *file;
	enum syntax syntax;
	int optional;
} keys[] = {
	{ "mem_max", CG_MEMORY, "memory.max", BYTES, 0 },
	{ "mem_high", CG_MEMORY, "memory.high", BYTES, 0 },
	{ "mem_low", CG_MEMORY, "memory.low", BYTES, 0 },
	{ "swap_max", CG_MEMORY, "memory.swap.max", BYTES, 1 },
	{ "oom_group", CG_MEMORY, "memory.oom.group", FLAG, 0 },
	{ "pids_max", CG_PIDS, "pids.max", PIDS, 0 },
	{ "cpu_max", CG_CPU, "cpu.max", CPU_MAX, 0 },
	{ "cpu_weight", CG_CPU, "cpu.weight", WEIGHT, 0 },
	{ "cpu_shares", CG_CPU, "cpu.weight", SHARES, 0 },
	{ "cpuset_cpus", CG_CPUSET, "cpuset.cpus", CPULIST, 0 },
	{ "cpuset_mems", CG_CPUSET, "cpuset.mems", CPULIST, 0 },
	{ "io_weight", CG_IO, "io.weight", IO_WEIGHT, 0 },
};
#define NKEYS (sizeof keys / sizeof keys[0])

const char *const cg_keys[] = { "mem_max", "mem_high", "mem_low", "swap_max", "oom_group", "pids_max",
				"cpu_max", "cpu_weight", "cpu_shares", "cpuset_cpus", "cpuset_mems",
				"io_weight", NULL };
_Static_assert(sizeof cg_keys / sizeof cg_keys[0] == NKEYS + 1, "cg_keys lists every key");

const char *cg_ctrl_name(int ctrl)
{
	static const char *const names[CG_NCTRL] = { "cpu", "cpuset", "io", "memory", "pids" };
	return ctrl >= 0 && ctrl < CG_NCTRL ? names[ctrl] : "?";
}

unsigned long long cpu_shares_to_weight(unsigned long long shares)
{
	return 1 + ((shares - 2) * 9999) / 262142;
}

/* "max" or a decimal in [min, max] */
static int max_or_num(const char *v, long long min, long long max)
{
	long long n;
	return !strcmp(v, "max") || parse_num(v, min, max, &n) == 0 ? 0 : -1;
}

/* "<n>[-<m>][,...]" with n <= m <= CPULIST_MAX, as cpuset.cpus and cpuset.mems take it */
static int cpulist(const char *v)
{
	const char *p = v;
	if (!*v || strlen(v) >= CG_VALUE_MAX)
		return -1;
	for (;;) {
		long long a, b;
		size_t n = strspn(p, "0123456789");
		char num[8];
		if (!n || n >= sizeof num)
			return -1;
		memcpy(num, p, n), num[n] = 0;
		if (parse_num(num, 0, CPULIST_MAX, &a))
			return -1;
		p += n;
		b = a;
		if (*p == '-') {
			p++;
			n = strspn(p, "0123456789");
			if (!n || n >= sizeof num)
				return -1;
			memcpy(num, p, n), num[n] = 0;
			if (parse_num(num, 0, CPULIST_MAX, &b) || b < a)
				return -1;
			p += n;
		}
		if (!*p)
			return 0;
		if (*p++ != ',')
			return -1;
	}
}

/* "<quota> <period>": quota "max" or 1000..2^44-1 µs, period 1000..1000000 µs */
static int cpu_max(const char *v)
{
	char q[24], per[24];
	long long n;
	const char *sp = strchr(v, ' ');
	if (!sp || sp == v || (size_t)(sp - v) >= sizeof q || strlen(sp + 1) >= sizeof per)
		return -1;
	memcpy(q, v, sp - v), q[sp - v] = 0;
	strcpy(per, sp + 1);
	return max_or_num(q, 1000, CPU_QUOTA_MAX) || parse_num(per, 1000, 1000000, &n) ? -1 : 0;
}

static const char *want(enum syntax s)
{
	switch (s) {
	case BYTES: return "bytes (a decimal) or max";
	case FLAG: return "0 or 1";
	case PIDS: return "0..4194304 or max";
	case CPU_MAX: return "\"<quota> <period>\": quota max or 1000..17592186044415 µs, period 1000..1000000 µs";
	case WEIGHT: case IO_WEIGHT: return "1..10000";
	case SHARES: return "2..262144";
	case CPULIST: return "a list like 0-2,4 (numbers up to 4095)";
	}
	return "?";
}

/* 0 if val has the key's syntax; fills the value written to the file. */
static int value(const struct key *k, const char *val, char *out)
{
	long long n = 0;
	int rc;
	switch (k->syntax) {
	case BYTES: rc = max_or_num(val, 0, INT64_MAX); break;
	case FLAG: rc = parse_num(val, 0, 1, &n); break;
	case PIDS: rc = max_or_num(val, 0, PIDS_LIMIT); break;
	case CPU_MAX: rc = cpu_max(val); break;
	case WEIGHT: case IO_WEIGHT: rc = parse_num(val, 1, 10000, &n); break;
	case SHARES: rc = parse_num(val, 2, 262144, &n); break;
	case CPULIST: rc = cpulist(val); break;
	default: rc = -1;
	}
	if (rc)
		return -1;
	if (k->syntax == SHARES)
		snprintf(out, CG_VALUE_MAX, "%llu", cpu_shares_to_weight(n));
	else if (k->syntax == IO_WEIGHT)
		snprintf(out, CG_VALUE_MAX, "default %lld", n);
	else
		snprintf(out, CG_VALUE_MAX, "%s", val);
	return 0;
}

int cgspec_key(struct cg_spec *s, const char *key, const char *val)
{
	for (size_t i = 0; i < NKEYS; i++) {
		const struct key *k = &keys[i];
		if (strcmp(key, k->key))
			continue;
		if (s->n >= CG_WRITES_MAX)
			return fail("too many resource keys");
		struct cg_write *w = &s->w[s->n];
		if (strlen(val) >= CG_VALUE_MAX || value(k, val, w->value) < 0)
			return fail("bad %s: %.64s (want %s)", key, val, want(k->syntax));
		w->key = k->key, w->ctrl = k->ctrl, w->file = k->file, w->optional = k->optional;
		s->n++;
		return 1;
	}
	return 0;
}

int cgspec_check(const struct cg_spec *s)
{
	int weight = 0;
	for (size_t i = 0; i < s->n; i++)
		weight += !strcmp(s->w[i].file, "cpu.weight");
	return weight > 1 ? fail("cpu_shares= and cpu_weight= both set cpu.weight: give one") : 0;
}
