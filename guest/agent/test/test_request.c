/* rind agent unit tests for request.c: create, exec, signal and cid= parsing, valid and hostile.
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
			   "uid=1000", "gid=4294967295", "gids=1,2,3", "umask=18", "terminal=1",
			   "rlimit=7,1024,-1", "rlimit=0,-1,-1",
			   "mount=/proc\x1fproc\x1fproc\x1fnosuid", "netif=eth0\x1f" "02:00:00:00:00:01\x1f" "1500",
			   "netaddr=eth0\x1f" "10.0.0.2/24", "netroute=default\x1f" "10.0.0.1\x1f" "eth0\x1f",
			   "seed=abcd", "time=", "net=reserved", "future=ignored");
	struct create_req r;
	CHECK(create(m, &r) == 0, "valid create: %s", err_msg);
	CHECK(r.cid && !strcmp(r.cid, "web.1"), "cid");
	CHECK(!strcmp(r.share, "rind") && !strcmp(r.rootfs, "rootfs") && r.readonly == 1 && !strcmp(r.hostname, "box"), "root keys");
	CHECK(r.proc.nargs == 3 && !strcmp(r.proc.argv[2], "echo a=b") && !r.proc.argv[3], "args, '=' in a value");
	CHECK(r.proc.nenv == 2 && !strcmp(r.proc.envp[0], "PATH=/bin") && !strcmp(r.proc.envp[1], "X=") && !r.proc.envp[2], "env");
	CHECK(!strcmp(r.proc.cwd, "/tmp") && r.proc.uid == 1000 && r.proc.gid == 4294967295u, "cwd uid gid");
	CHECK(r.proc.ngids == 3 && r.proc.gids[2] == 3 && r.proc.umask == 18 && r.proc.terminal == 1, "gids umask terminal");
	CHECK(r.proc.nrlimits == 2 && r.proc.rlimits[0].resource == 7 && r.proc.rlimits[0].soft == 1024 &&
	      r.proc.rlimits[0].hard == ~0ULL && r.proc.rlimits[1].soft == ~0ULL, "rlimits");
	CHECK(r.nmounts == 1 && r.nnetifs == 1 && r.nnetaddrs == 1 && r.nnetroutes == 1, "arrays");
	CHECK(r.seed && !strcmp(r.seed, "abcd") && !r.time, "seed given, empty time is absent");
	create_req_free(&r);
	unmk(&m);

	m = MSG(BASE);
	CHECK(create(m, &r) == 0 && !r.cid && r.proc.umask == 022 && !strcmp(r.proc.cwd, "/") && !r.proc.ngids &&
	      !r.readonly && !r.hostname && !r.seed, "defaults: %s", err_msg);
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
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK_ERR(create_rc(MSG(BASE, bad[i][0])), bad[i][1]);
}

static void test_create_duplicates(void)
{
	const char *twice[] = { "share=x", "rootfs=x", "cid=a", "uid=1", "gid=1", "cwd=/", "umask=1",
				"terminal=0", "gids=1", "readonly=0", "hostname=h", "seed=00", "time=1" };
	for (size_t i = 0; i < sizeof twice / sizeof twice[0]; i++) {
		char want[64];
		snprintf(want, sizeof want, "duplicate key: %.*s", (int)strcspn(twice[i], "="), twice[i]);
		CHECK_ERR(create_rc(MSG(BASE, twice[i], twice[i])), want);
	}
	CHECK_ERR(create_rc(MSG(BASE, "cid=a", "cid=b")), "duplicate key: cid");
	CHECK(create_rc(MSG(BASE, "arg=x", "env=A=1", "env=A=1", "mount=a\x1f" "b\x1f" "c\x1f",
			    "mount=a\x1f" "b\x1f" "c\x1f", "rlimit=1,1,1", "rlimit=1,1,1")) == 0,
	      "array keys repeat: %s", err_msg);
	CHECK(create_rc(MSG(BASE, "cidx=1", "xcid=2", "cid=ok")) == 0, "keys that only start like cid: %s", err_msg);
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
	struct msg m = MSG("port=7", "cid=c1", "arg=/bin/ls", "terminal=0", "token=5");
	CHECK(parse_exec(m.kv, m.n, &r) == 0 && r.port == 7 && !strcmp(r.cid, "c1") && r.proc.nargs == 1,
	      "valid exec (token= is an unknown key now): %s", err_msg);
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

int main(void)
{
	test_create_valid();
	test_create_missing();
	test_create_bad_numbers();
	test_create_duplicates();
	test_create_huge();
	test_exec();
	test_signal_and_cid();
	return result("test_request");
}
