/* rind agent unit tests for request.c and cgspec.c: create (its resource keys too), exec, signal, update and cid= parsing, valid and hostile.
 * Run by guest/agent/test/run.sh; the messages are built here as the host would send them. */
#define _GNU_SOURCE
#include "check.h"
#include "request.h"
#include "../../proto/limits.h"
#include <stdint.h>
#include <stdlib.h>

/* A writable copy of a NULL-terminated list of strings (the parsers split them in place). */
struct msg {
	char **kv;
	size_t n;
};
static struct msg mk(const char *const *list)
{
	struct msg m = { NULL, 0 };
	while (list[m.n])
		m.n++;
	m.kv = calloc(m.n + 1, sizeof *m.kv);
	for (size_t i = 0; i < m.n; i++)
		m.kv[i] = strdup(list[i]);
	return m;
}
static void unmk(struct msg *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->kv[i]);
	free(m->kv);
}
#define MSG(...) mk((const char *const[]){ __VA_ARGS__, NULL })

static int create(struct msg m, struct create_req *r)
{
	return parse_create(m.kv, m.n, r);
}
/* parses, frees, unmks: the return code (err_msg kept) */
static int create_rc(struct msg m)
{
	struct create_req r;
	int rc = parse_create(m.kv, m.n, &r);
	create_req_free(&r);
	unmk(&m);
	return rc;
}
static int exec_rc(struct msg m)
{
	struct exec_req r;
	int rc = parse_exec(m.kv, m.n, &r);
	proc_spec_free(&r.proc);
	unmk(&m);
	return rc;
}
#define BASE "share=rind", "rootfs=rootfs", "arg=/bin/sh"

static void test_create_valid(void)
{
	struct msg m = MSG("cid=web.1", "share=rind", "rootfs=rootfs", "readonly=1", "hostname=box",
			   "arg=/bin/sh", "arg=-c", "arg=echo a=b", "env=PATH=/bin", "env=X=", "cwd=/tmp",
			   "uid=1000", "gid=4294967295", "gids=1,2,3", "umask=18", "terminal=1", "console_size=41,97",
			   "rlimit=7,1024,-1", "rlimit=0,-1,-1",
			   "mount=/proc\x1fproc\x1fproc\x1fnosuid", "netif=eth0\x1f" "02:00:00:00:00:01\x1f" "1500",
			   "netaddr=eth0\x1f" "10.0.0.2/24", "netroute=default\x1f" "10.0.0.1\x1f" "eth0\x1f",
			   "seed=abcd", "time=", "port=3", "ns=pid", "ns=user", "uidmap=0,100000,65536", "gidmap=0,100000,65536", "nsjoin=ipc,", "mem_max=1048576", "cpu_shares=1024",
			   "cpu_max=50000 100000", "pids_max=max", "cpuset_cpus=0-1", "swap_max=0");
	struct create_req r;
	CHECK(create(m, &r) == 0, "valid create: %s", err_msg);
	CHECK(r.cid && !strcmp(r.cid, "web.1"), "cid");
	CHECK(!strcmp(r.share, "rind") && !strcmp(r.rootfs, "rootfs") && r.readonly == 1 && !strcmp(r.hostname, "box"), "root keys");
	CHECK(r.proc.nargs == 3 && !strcmp(r.proc.argv[2], "echo a=b") && !r.proc.argv[3], "args, '=' in a value");
	CHECK(r.proc.nenv == 2 && !strcmp(r.proc.envp[0], "PATH=/bin") && !strcmp(r.proc.envp[1], "X=") && !r.proc.envp[2], "env");
	CHECK(!strcmp(r.proc.cwd, "/tmp") && r.proc.uid == 1000 && r.proc.gid == 4294967295u, "cwd uid gid");
	CHECK(r.proc.ngids == 3 && r.proc.gids[2] == 3 && r.proc.umask == 18 && r.proc.terminal == 1, "gids umask terminal");
	CHECK(r.proc.rows == 41 && r.proc.cols == 97, "console_size");
	CHECK(r.proc.nrlimits == 2 && r.proc.rlimits[0].resource == 7 && r.proc.rlimits[0].soft == 1024 &&
	      r.proc.rlimits[0].hard == ~0ULL && r.proc.rlimits[1].soft == ~0ULL, "rlimits");
	CHECK(r.nmounts == 1 && r.nnetifs == 1 && r.nnetaddrs == 1 && r.nnetroutes == 1, "arrays");
	CHECK(r.seed && !strcmp(r.seed, "abcd") && !r.time, "seed given, empty time is absent");
	CHECK(r.port == 3 && r.ns.fresh == (1 << NS_PID | 1 << NS_USER) && r.ns.joined == 1 << NS_IPC && !strcmp(r.ns.join_cid[NS_IPC], "") &&
	      r.ns.nuid == 1 && r.ns.uid[0].outside == 100000, "port, namespace keys");
	CHECK(r.cg.n == 6 && !strcmp(r.cg.w[0].file, "memory.max") && !strcmp(r.cg.w[0].value, "1048576") &&
	      !strcmp(r.cg.w[1].file, "cpu.weight") && !strcmp(r.cg.w[1].value, "39") &&
	      !strcmp(r.cg.w[2].value, "50000 100000") && !strcmp(r.cg.w[3].value, "max") &&
	      r.cg.w[5].optional && !r.cg.w[0].optional, "resource keys, in order");
	create_req_free(&r);
	unmk(&m);

	m = MSG(BASE);
	CHECK(create(m, &r) == 0 && !r.cid && r.proc.umask == 022 && !strcmp(r.proc.cwd, "/") && !r.proc.ngids &&
	      !r.readonly && !r.hostname && !r.seed && r.port == -1 && !r.ns.fresh && !r.ns.joined && !r.cg.n,
	      "defaults: rind.io, the VM's PID namespace, no limits: %s", err_msg);
	create_req_free(&r);
	unmk(&m);
	m = MSG(BASE, "cid=member");
	CHECK(create(m, &r) == 0 && !r.ns.fresh && r.port == -1, "with a cid: still only what ns= says: %s", err_msg);
	create_req_free(&r);
	unmk(&m);
}

static void test_create_missing(void)
{
	CHECK_ERR(create_rc(MSG("rootfs=rootfs", "arg=/bin/sh")), "create needs share= and rootfs=");
	CHECK_ERR(create_rc(MSG("share=rind", "arg=/bin/sh")), "create needs share= and rootfs=");
	CHECK_ERR(create_rc(MSG("share=rind", "rootfs=rootfs")), "create needs at least one arg=");
	CHECK_ERR(create_rc(MSG(BASE, "noequals")), "malformed key: noequals");
	struct create_req r;
	CHECK_ERR(parse_create(NULL, 0, &r), "create needs share=");
	create_req_free(&r);
}

static void test_create_bad_numbers(void)
{
	const char *bad[][2] = {
		{ "uid=-1", "bad uid" }, { "uid=4294967296", "bad uid" }, { "uid=", "bad uid" },
		{ "gid=1x", "bad gid" }, { "uid= 1", "bad uid" }, { "uid=+1", "bad uid" },
		{ "umask=512", "bad umask" }, { "umask=-1", "bad umask" },
		{ "terminal=2", "bad terminal" }, { "terminal=yes", "bad terminal" },
		{ "readonly=-0x1", "bad readonly" }, { "readonly=", "bad readonly" },
		{ "gids=1,x", "bad gids" }, { "gids=4294967296", "bad gids" }, { "gids=-1", "bad gids" },
		{ "rlimit=64,1,1", "bad rlimit" }, { "rlimit=7,1", "bad rlimit" }, { "rlimit=7,1,2,3", "bad rlimit" },
		{ "rlimit=7,-2,1", "bad rlimit" }, { "rlimit=7,,1", "bad rlimit" },
		{ "rlimit=7,99999999999999999999,1", "bad rlimit" }, { "cid=a/b", "bad cid" }, { "cid=", "bad cid" },
		{ "port=8", "bad port: 8" }, { "port=-1", "bad port" }, { "port=", "bad port" },
		{ "pidns=1", "unknown key: pidns" }, { "console_size=1", "bad console_size" },
		{ "console_size=65536,1", "bad console_size" }, { "console_size=,1", "bad console_size" },
		{ "console_size=12345678901234567,1", "bad console_size" }, { "ns=net", "bad ns" }, { "ns=mnt", "bad ns" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK_ERR(create_rc(MSG(BASE, bad[i][0])), bad[i][1]);
	const char *rootfs[] = { "rootfs=../x", "rootfs=c/../../etc", "rootfs=..", "rootfs=", "rootfs=/", NULL };
	for (const char **b = rootfs; *b; b++)
		CHECK_ERR(create_rc(MSG("share=rind", *b, "arg=/bin/sh")), "bad rootfs");
}

/* create and exec refuse keys they do not know: a limit the agent would not apply is an error */
static void test_unknown_keys(void)
{
	const char *unknown[] = { "future=1", "net=x", "mem_limit=1", "cpu_quota=1", "Mem_max=1", "mem_max_=1", "=1", NULL };
	for (const char **u = unknown; *u; u++) {
		char want[64];
		snprintf(want, sizeof want, "unknown key: %.*s", (int)strcspn(*u, "="), *u);
		CHECK_ERR(create_rc(MSG(BASE, *u)), want);
		CHECK_ERR(exec_rc(MSG("port=1", "arg=x", *u)), want);
	}
	CHECK_ERR(exec_rc(MSG("port=1", "arg=x", "mem_max=1")), "unknown key: mem_max");
	CHECK_ERR(exec_rc(MSG("port=1", "arg=x", "share=x")), "unknown key: share");
}

/* resource keys: their values, hostile ones, conflicts */
static void test_resources(void)
{
	const char *good[][3] = {
		{ "mem_max=0", "memory.max", "0" }, { "mem_max=max", "memory.max", "max" },
		{ "mem_max=9223372036854775807", "memory.max", "9223372036854775807" },
		{ "mem_high=268435456", "memory.high", "268435456" }, { "mem_low=max", "memory.low", "max" },
		{ "swap_max=0", "memory.swap.max", "0" }, { "oom_group=1", "memory.oom.group", "1" },
		{ "pids_max=0", "pids.max", "0" }, { "pids_max=4194304", "pids.max", "4194304" },
		{ "cpu_max=max 100000", "cpu.max", "max 100000" }, { "cpu_max=1000 1000", "cpu.max", "1000 1000" },
		{ "cpu_max=17592186044415 1000000", "cpu.max", "17592186044415 1000000" },
		{ "cpu_weight=1", "cpu.weight", "1" }, { "cpu_weight=10000", "cpu.weight", "10000" },
		{ "cpu_shares=2", "cpu.weight", "1" }, { "cpu_shares=262144", "cpu.weight", "10000" },
		{ "cpu_shares=1024", "cpu.weight", "39" }, { "cpu_shares=512", "cpu.weight", "20" },
		{ "cpuset_cpus=0", "cpuset.cpus", "0" }, { "cpuset_cpus=0-3,5,7-7", "cpuset.cpus", "0-3,5,7-7" },
		{ "cpuset_mems=0", "cpuset.mems", "0" }, { "io_weight=100", "io.weight", "default 100" },
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		struct create_req r;
		struct msg m = MSG(BASE, good[i][0]);
		int rc = create(m, &r);
		CHECK(rc == 0 && r.cg.n == 1 && !strcmp(r.cg.w[0].file, good[i][1]) && !strcmp(r.cg.w[0].value, good[i][2]),
		      "%s: %s", good[i][0], rc ? err_msg : r.cg.n ? r.cg.w[0].value : "none");
		create_req_free(&r);
		unmk(&m);
	}
	const char *bad[] = {
		"mem_max=", "mem_max=-1", "mem_max=1k", "mem_max=1G", "mem_max= 1", "mem_max=9223372036854775808",
		"mem_max=MAX", "mem_max=max ", "mem_high=0x10", "swap_max=-1", "oom_group=2", "pids_max=-1",
		"pids_max=4194305", "pids_max=1.5", "cpu_max=", "cpu_max=100000", "cpu_max=999 100000",
		"cpu_max=1000 999", "cpu_max=1000 1000001", "cpu_max=max", "cpu_max= 100000", "cpu_max=1000  1000",
		"cpu_max=1000 1000 1000", "cpu_max=17592186044416 100000", "cpu_max=-1 100000", "cpu_max=max max",
		"cpu_weight=0", "cpu_weight=10001", "cpu_shares=0", "cpu_shares=1", "cpu_shares=262145",
		"cpu_shares=-2", "cpuset_cpus=", "cpuset_cpus=a", "cpuset_cpus=1-", "cpuset_cpus=-1", "cpuset_cpus=3-1",
		"cpuset_cpus=0,", "cpuset_cpus=,0", "cpuset_cpus=0,,1", "cpuset_cpus=4096", "cpuset_cpus=0 1",
		"cpuset_cpus=0-1\n", "cpuset_cpus=00000001", "cpuset_mems=x", "io_weight=0", "io_weight=10001",
		"io_weight=default 100", NULL,
	};
	for (const char **b = bad; *b; b++) {
		char want[64];
		snprintf(want, sizeof want, "bad %.*s:", (int)strcspn(*b, "="), *b);
		CHECK_ERR(create_rc(MSG(BASE, *b)), want);
	}
	char big[300] = "cpuset_cpus=0";
	for (int i = 1; strlen(big) < 280; i++)
		sprintf(big + strlen(big), ",%d", i);
	CHECK_ERR(create_rc(MSG(BASE, big)), "bad cpuset_cpus");
	CHECK_ERR(create_rc(MSG(BASE, "cpu_shares=1024", "cpu_weight=39")), "cpu_shares= and cpu_weight= both");
	CHECK_ERR(create_rc(MSG(BASE, "mem_max=1", "mem_max=1")), "duplicate key: mem_max");
	CHECK_ERR(create_rc(MSG(BASE, "cpu_max=1000 1000", "cpu_max=1000 1000")), "duplicate key: cpu_max");
	CHECK(create_rc(MSG(BASE, "mem_max=1", "mem_high=1", "mem_low=1", "swap_max=1", "oom_group=1", "pids_max=1",
			    "cpu_max=1000 1000", "cpu_weight=1", "cpuset_cpus=0", "cpuset_mems=0", "io_weight=1")) == 0,
	      "every key once: %s", err_msg);
}

/* runc's conversion, at its ends and in between, and monotonic */
static void test_shares(void)
{
	CHECK(cpu_shares_to_weight(2) == 1, "2 -> 1");
	CHECK(cpu_shares_to_weight(262144) == 10000, "262144 -> 10000");
	CHECK(cpu_shares_to_weight(1024) == 39, "1024 -> 39");
	CHECK(cpu_shares_to_weight(100) == 4, "100 -> %llu", cpu_shares_to_weight(100));
	unsigned long long prev = 0;
	int mono = 1;
	for (unsigned long long s = 2; s <= 262144; s++) {
		unsigned long long w = cpu_shares_to_weight(s);
		mono &= w >= prev && w >= 1 && w <= 10000;
		prev = w;
	}
	CHECK(mono, "monotonic, within 1..10000");
}

static void test_create_duplicates(void)
{
	const char *twice[] = { "share=x", "rootfs=x", "cid=a", "uid=1", "gid=1", "cwd=/", "umask=1",
				"terminal=0", "gids=1", "readonly=0", "hostname=h", "seed=00", "time=1", "port=1",
				"pids_max=1", "cpuset_cpus=0", "domainname=d" };
	for (size_t i = 0; i < sizeof twice / sizeof twice[0]; i++) {
		char want[64];
		snprintf(want, sizeof want, "duplicate key: %.*s", (int)strcspn(twice[i], "="), twice[i]);
		CHECK_ERR(create_rc(MSG(BASE, twice[i], twice[i])), want);
	}
	CHECK_ERR(create_rc(MSG(BASE, "cid=a", "cid=b")), "duplicate key: cid");
	CHECK(create_rc(MSG(BASE, "arg=x", "env=A=1", "env=A=1", "mount=a\x1f" "b\x1f" "c\x1f",
			    "mount=a\x1f" "b\x1f" "c\x1f", "rlimit=1,1,1", "rlimit=1,1,1")) == 0,
	      "array keys repeat: %s", err_msg);
	CHECK_ERR(create_rc(MSG(BASE, "cidx=1", "cid=ok")), "unknown key: cidx");
}

static void test_create_huge(void)
{
	enum { N = 200000 };
	const char **list = calloc(N + 3, sizeof *list);
	list[0] = "share=rind", list[1] = "rootfs=rootfs";
	for (int i = 2; i < N + 2; i++)
		list[i] = i % 2 ? "env=A=1" : "arg=x";
	struct msg m = mk(list);
	struct create_req r;
	CHECK(create(m, &r) == 0 && r.proc.nargs == N / 2 && r.proc.nenv == N / 2 && !r.proc.argv[N / 2],
	      "%d keys: %s", N, err_msg);
	create_req_free(&r);
	unmk(&m);
	free(list);

	/* gids: at most MAX_GIDS, and a value too long for the parser's buffer */
	size_t len = 2 * (MAX_GIDS + 1) + 8;
	char *g = malloc(len), *p = g + sprintf(g, "gids=");
	for (int i = 0; i <= MAX_GIDS; i++)
		p += sprintf(p, i ? ",1" : "1");
	CHECK_ERR(create_rc(MSG(BASE, g)), "bad gids");
	free(g);
	char *big = malloc(70000);
	memset(big, 'a', 69999);
	big[69999] = 0;
	memcpy(big, "rlimit=", 7);
	CHECK_ERR(create_rc(MSG(BASE, big)), "bad rlimit");
	free(big);
}

static void test_exec(void)
{
	struct exec_req r;
	struct msg m = MSG("port=7", "cid=c1", "arg=/bin/ls", "terminal=0");
	CHECK(parse_exec(m.kv, m.n, &r) == 0 && r.port == 7 && !strcmp(r.cid, "c1") && r.proc.nargs == 1,
	      "valid exec: %s", err_msg);
	proc_spec_free(&r.proc);
	unmk(&m);
	m = MSG("port=0", "arg=x");
	CHECK(parse_exec(m.kv, m.n, &r) == 0 && r.port == 0 && !r.cid, "no cid: %s", err_msg);
	proc_spec_free(&r.proc);
	unmk(&m);
	char want[64];
	snprintf(want, sizeof want, "exec needs port=<0..%d>", RIND_EXEC_PORTS - 1);
	CHECK_ERR(exec_rc(MSG("arg=x")), want);
	CHECK_ERR(exec_rc(MSG("port=8", "arg=x")), "bad port: 8");
	CHECK_ERR(exec_rc(MSG("port=-1", "arg=x")), "bad port");
	CHECK_ERR(exec_rc(MSG("port=1x", "arg=x")), "bad port");
	CHECK_ERR(exec_rc(MSG("port=1")), "exec needs at least one arg=");
	CHECK_ERR(exec_rc(MSG("port=1", "port=2", "arg=x")), "duplicate key: port");
	CHECK_ERR(exec_rc(MSG("port=1", "arg=x", "uid=1", "uid=2")), "duplicate key: uid");
	CHECK_ERR(exec_rc(MSG("port=1", "arg=x", "cid=../x/")), "bad cid");
	CHECK_ERR(exec_rc(MSG("port=1", "arg=x", "junk")), "malformed key");
}

static void test_signal_and_cid(void)
{
	struct signal_req r;
	const char *cid = "unset";
	struct msg m = MSG("signo=15", "all=1", "cid=x");
	CHECK(parse_signal(m.kv, m.n, &r) == 0 && r.signo == 15 && r.all == 1 && !strcmp(r.cid, "x"), "signal");
	unmk(&m);
	m = MSG("signo=64");
	CHECK(parse_signal(m.kv, m.n, &r) == 0 && r.signo == 64 && !r.all && !r.cid, "signal 64, all defaults to 0");
	unmk(&m);
	const char *bad[] = { "signo=65", "signo=-1", "signo=x", "all=2", NULL };
	for (const char **b = bad; *b; b++) {
		m = MSG("signo=9", *b);
		if (!strncmp(*b, "signo", 5))
			m.kv[0][0] = 'x'; /* only the bad signo */
		CHECK_ERR(parse_signal(m.kv, m.n, &r), "bad signo= or all=");
		unmk(&m);
	}
	m = MSG("all=1");
	CHECK_ERR(parse_signal(m.kv, m.n, &r), "bad signo= or all=");
	unmk(&m);
	m = MSG("signo=1", "signo=2");
	CHECK_ERR(parse_signal(m.kv, m.n, &r), "duplicate key: signo");
	unmk(&m);

	CHECK(parse_cid(NULL, 0, &cid) == 0 && !cid, "no cid");
	m = MSG("cid=abc", "other=1");
	CHECK(parse_cid(m.kv, m.n, &cid) == 0 && !strcmp(cid, "abc"), "cid, unknown keys ignored");
	unmk(&m);
	m = MSG("cid=a", "cid=a");
	CHECK_ERR(parse_cid(m.kv, m.n, &cid), "duplicate key: cid");
	unmk(&m);
	m = MSG("cid=a b");
	CHECK_ERR(parse_cid(m.kv, m.n, &cid), "bad cid");
	unmk(&m);
}

static int update_rc(struct msg m, struct update_req *r)
{
	int rc = parse_update(m.kv, m.n, r);
	unmk(&m);
	return rc;
}

/* update: cid= and create's resource keys, through the same parser (cgspec.c) */
static void test_update(void)
{
	struct update_req r;
	struct msg m = MSG("mem_max=104857600", "pids_max=20", "cid=web", "cpu_shares=1024", "io_weight=5",
			   "cpu_max=max 100000", "swap_max=max");
	CHECK(parse_update(m.kv, m.n, &r) == 0 &&
	      !strcmp(r.cid, "web") && r.cg.n == 6 && !strcmp(r.cg.w[0].file, "memory.max") &&
	      !strcmp(r.cg.w[0].value, "104857600") && !strcmp(r.cg.w[1].file, "pids.max") &&
	      !strcmp(r.cg.w[1].value, "20") && !strcmp(r.cg.w[2].file, "cpu.weight") && !strcmp(r.cg.w[2].value, "39") &&
	      !strcmp(r.cg.w[3].value, "default 5") && !strcmp(r.cg.w[4].value, "max 100000") && r.cg.w[5].optional,
	      "update: %s", err_msg);
	unmk(&m);
	CHECK(update_rc(MSG("pids_max=max"), &r) == 0 && !r.cid && r.cg.n == 1, "update without cid: %s", err_msg);
	CHECK(parse_update(NULL, 0, &r) == 0 && !r.cid && !r.cg.n, "empty update: nothing to write");
	m = MSG("cid=x");
	CHECK(parse_update(m.kv, m.n, &r) == 0 && !strcmp(r.cid, "x") && !r.cg.n, "update with cid only");
	unmk(&m);
	/* not create's other keys, nor anything else */
	CHECK_ERR(update_rc(MSG("mem_max=1", "arg=/bin/sh"), &r), "unknown key: arg");
	CHECK_ERR(update_rc(MSG("share=rind"), &r), "unknown key: share");
	CHECK_ERR(update_rc(MSG("memory=1"), &r), "unknown key: memory");
	CHECK_ERR(update_rc(MSG("mem_max"), &r), "malformed key: mem_max");
	/* bad values: create's errors */
	CHECK_ERR(update_rc(MSG("mem_max=-1"), &r), "bad mem_max: -1 (want bytes (a decimal) or max)");
	CHECK_ERR(update_rc(MSG("pids_max=4194305"), &r), "bad pids_max: 4194305");
	CHECK_ERR(update_rc(MSG("cpu_max=100"), &r), "bad cpu_max: 100");
	CHECK_ERR(update_rc(MSG("cpu_weight=0"), &r), "bad cpu_weight: 0");
	CHECK_ERR(update_rc(MSG("cpuset_cpus=3-1"), &r), "bad cpuset_cpus: 3-1");
	CHECK_ERR(update_rc(MSG("oom_group=2"), &r), "bad oom_group: 2");
	CHECK_ERR(update_rc(MSG("mem_max="), &r), "bad mem_max: ");
	CHECK_ERR(update_rc(MSG("cid=a b", "mem_max=1"), &r), "bad cid");
	CHECK_ERR(update_rc(MSG("mem_max=1", "mem_max=2"), &r), "duplicate key: mem_max");
	CHECK_ERR(update_rc(MSG("cid=a", "cid=b"), &r), "duplicate key: cid");
	CHECK_ERR(update_rc(MSG("cpu_shares=1024", "cpu_weight=5"), &r), "both set cpu.weight");
}

/* the security keys (secspec.c has the value tests): taken, checked together, counted, refused */
#define CAPS5 "cap_bounding=a80425fb", "cap_effective=a80425fb", "cap_permitted=a80425fb", "cap_inheritable=0", "cap_ambient=0"
/* ld [0]; jeq 83 ? errno(1) : allow */
#define PROG "seccomp=IAAAAAAAAAAVAAABUwAAAAYAAAABAAUABgAAAAAA/38="
static void test_security(void)
{
	struct create_req r;
	struct msg m = MSG(BASE, CAPS5, "nnp=1", PROG, "seccomp_flags=2", "oom_score_adj=-999", "masked=/proc/kcore",
			   "masked=/sys/firmware", "readonly_path=/proc/sys", "sysctl=net.ipv4.ip_forward\x1f" "1",
			   "device=/dev/fuse\x1f" "c\x1f" "10\x1f" "229\x1f" "666\x1f" "0\x1f" "0", "rootfs_propagation=rslave");
	CHECK(create(m, &r) == 0, "every security key: %s", err_msg);
	const struct proc_sec *s = &r.proc.sec;
	CHECK(s->caps_given == 31 && s->caps[CAP_BND] == 0xa80425fb && s->caps[CAP_INH] == 0 && s->nnp == 1, "caps, nnp");
	CHECK(s->filter && s->nfilter == 4 && s->filter[1].k == 83 && s->seccomp_flags == 2 && s->has_oom && s->oom_score_adj == -999,
	      "seccomp, flags, oom_score_adj");
	CHECK(r.nmasked == 2 && !strcmp(r.masked[1], "/sys/firmware") && r.nropaths == 1 && r.nsysctls == 1 &&
	      !strcmp(r.sysctls[0].value, "1") && r.ndevices == 1 && r.devices[0].minor == 229 && r.root_prop, "paths");
	create_req_free(&r);
	unmk(&m);
	CHECK(create_rc(MSG(BASE)) == 0, "none of them");

	CHECK_ERR(create_rc(MSG(BASE, "cap_bounding=0")), "give all five or none");
	CHECK_ERR(create_rc(MSG(BASE, "cap_bounding=0", "cap_effective=0", "cap_permitted=0", "cap_inheritable=0")), "all five");
	CHECK_ERR(create_rc(MSG(BASE, CAPS5, "cap_ambient=0")), "duplicate key: cap_ambient");
	CHECK_ERR(create_rc(MSG(BASE, "cap_bounding=zz", "cap_effective=0", "cap_permitted=0", "cap_inheritable=0", "cap_ambient=0")),
		  "bad cap_bounding: zz");
	CHECK_ERR(create_rc(MSG(BASE, "cap_bounding=10000000000000000", "cap_effective=0", "cap_permitted=0",
				"cap_inheritable=0", "cap_ambient=0")), "bad cap_bounding");
	CHECK_ERR(create_rc(MSG(BASE, "nnp=2")), "bad nnp");
	CHECK_ERR(create_rc(MSG(BASE, "nnp=1", "nnp=1")), "duplicate key: nnp");
	CHECK_ERR(create_rc(MSG(BASE, "oom_score_adj=1001")), "bad oom_score_adj");
	CHECK_ERR(create_rc(MSG(BASE, "oom_score_adj=-1001")), "bad oom_score_adj");
	CHECK_ERR(create_rc(MSG(BASE, "oom_score_adj=+1")), "bad oom_score_adj");
	CHECK_ERR(create_rc(MSG(BASE, "seccomp=AAA")), "bad seccomp: ");
	CHECK_ERR(create_rc(MSG(BASE, "seccomp=")), "bad seccomp: ");
	CHECK_ERR(create_rc(MSG(BASE, PROG, PROG)), "duplicate key: seccomp");
	CHECK_ERR(create_rc(MSG(BASE, "seccomp_flags=1")), "seccomp_flags without seccomp");
	CHECK_ERR(create_rc(MSG(BASE, PROG, "seccomp_flags=8")), "bad seccomp_flags");
	CHECK_ERR(create_rc(MSG(BASE, "masked=proc/kcore")), "bad masked");
	CHECK_ERR(create_rc(MSG(BASE, "masked=/proc/../etc/shadow")), "bad masked");
	CHECK_ERR(create_rc(MSG(BASE, "readonly_path=/a/..")), "bad readonly_path");
	CHECK_ERR(create_rc(MSG(BASE, "sysctl=net.ipv4.ip_forward")), "bad sysctl");
	CHECK_ERR(create_rc(MSG(BASE, "sysctl=../x\x1f" "1")), "bad sysctl");
	CHECK_ERR(create_rc(MSG(BASE, "sysctl=net.a\x1f" "1", "sysctl=net.a\x1f" "2")), "duplicate sysctl: net.a");
	CHECK_ERR(create_rc(MSG(BASE, "device=/dev/x\x1f" "z\x1f" "1\x1f" "1\x1f" "666\x1f" "0\x1f" "0")), "bad device: /dev/x z 1");
	CHECK_ERR(create_rc(MSG(BASE, "device=/dev/../x\x1f" "c\x1f" "1\x1f" "1\x1f" "666\x1f" "0\x1f" "0")), "bad device");
	CHECK_ERR(create_rc(MSG(BASE, "device=/dev/x\x1f" "c\x1f" "1\x1f" "1\x1f" "666\x1f" "0\x1f" "0",
				"device=/dev/x\x1f" "p\x1f" "0\x1f" "0\x1f" "666\x1f" "0\x1f" "0")), "duplicate device: /dev/x");
	CHECK_ERR(create_rc(MSG(BASE, "rootfs_propagation=rwhatever")), "bad rootfs_propagation");
	CHECK_ERR(create_rc(MSG(BASE, "rootfs_propagation=private", "rootfs_propagation=private")), "duplicate key");
	CHECK_ERR(create_rc(MSG(BASE, "capabilities=0")), "unknown key: capabilities");

	/* counts: one more than allowed */
	size_t n = SEC_MAX_PATHS + 4;
	char **kv = calloc(n, sizeof *kv);
	kv[0] = strdup("share=rind"), kv[1] = strdup("rootfs=rootfs"), kv[2] = strdup("arg=/bin/sh");
	for (size_t i = 3; i < n; i++)
		kv[i] = strdup("masked=/proc/kcore");
	struct msg many = { kv, n };
	CHECK_ERR(create_rc(many), "more than 256 masked= keys");

	/* exec takes the process's keys, not the container's */
	CHECK(exec_rc(MSG("port=1", "arg=/bin/sh", CAPS5, "nnp=1", PROG, "seccomp_flags=0", "oom_score_adj=5")) == 0,
	      "exec's security keys: %s", err_msg);
	CHECK_ERR(exec_rc(MSG("port=1", "arg=/bin/sh", "masked=/proc/kcore")), "unknown key: masked");
	CHECK_ERR(exec_rc(MSG("port=1", "arg=/bin/sh", "device=/dev/x\x1f" "p\x1f" "0\x1f" "0\x1f" "666\x1f" "0\x1f" "0")),
		  "unknown key: device");
	CHECK_ERR(exec_rc(MSG("port=1", "arg=/bin/sh", "cap_ambient=0")), "all five");
	CHECK_ERR(exec_rc(MSG("port=1", "arg=/bin/sh", "seccomp=!!!!")), "bad seccomp: ");
}

int main(void)
{
	test_create_valid();
	test_create_missing();
	test_create_bad_numbers();
	test_create_duplicates();
	test_create_huge();
	test_unknown_keys();
	test_resources();
	test_shares();
	test_exec();
	test_signal_and_cid();
	test_update();
	test_security();
	return result("test_request");
}
