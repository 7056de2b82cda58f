/* rind-shim unit tests for args.c: the four modes, the exec-mode, --vmm-only and --serial-console
 * refusals, argument errors; run by native/shim/test/run.sh, so a bad combination is caught without starting a VM. */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include "args.h"

static int failures, checks;
#define CHECK(c, ...) do { checks++; if (!(c)) { failures++; \
	fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #c); \
	fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)

#define MAXA 32
static struct shim_args A;
static char E[1024];

/* argv from a NULL-terminated list; readyfd as main.c's pass 1 found it */
static int parse(int readyfd, const char *const *list)
{
	static char *argv[MAXA];
	int argc = 0;
	argv[argc++] = (char *)"rind-shim";
	for (; *list && argc < MAXA - 1; list++)
		argv[argc++] = (char *)*list;
	argv[argc] = NULL;
	E[0] = 0;
	return shim_parse_args(argc, argv, readyfd, &A, E, sizeof E);
}
#define P(fd, ...) parse(fd, (const char *const[]){ __VA_ARGS__, NULL })

static void expect_err(int r, const char *want, int line)
{
	checks++;
	if (r != -1 || !strstr(E, want) || strchr(E, '\n')) {
		failures++;
		fprintf(stderr, "FAIL line %d: want error containing \"%s\", got %d \"%s\"\n", line, want, r, E);
	}
}
#define ERR(want, fd, ...) expect_err(P(fd, __VA_ARGS__), want, __LINE__)

static void test_normal_mode(void)
{
	int r = P(-1, "--state", "/s", "--cgroup-procs", "/c", "--bind", "/a", "/b", "--bind-ro", "/c", "/d",
		  "--netns", "/n", "--console-socket", "/cs", "--", "/qemu", "-x");
	CHECK(r == 0, "%s", E);
	CHECK(A.state && !strcmp(A.state, "/s") && A.netns && !strcmp(A.netns, "/n") &&
	      A.console && !strcmp(A.console, "/cs") && !A.exec_sock && !A.tty && A.dashdash == 15,
	      "fields (dashdash %d)", A.dashdash);
	CHECK(P(5, "--tty", "--ready-fd", "5", "--state", "/s", "--", "/q") == 0 && A.tty && A.dashdash == 6, "%s", E);
	ERR("missing -- QEMU_BINARY", -1, "--state", "/s");
	ERR("missing -- QEMU_BINARY", -1, "--state", "/s", "--");
	ERR("missing --state", -1, "--", "/q");
	ERR("--console-socket and --tty are exclusive", -1, "--state", "/s", "--tty", "--console-socket", "/c", "--", "/q");
	ERR("unknown option --nope; usage: rind-shim", -1, "--nope", "--state", "/s", "--", "/q");
	ERR("--bind needs 2 arguments", -1, "--state", "/s", "--bind", "/a", "--", "/q");
	ERR("--state needs 1 argument;", -1, "--state", "--", "/q");
	ERR("--state needs 1 argument;", -1, "--state");
	ERR("--ready-fd 7: not an open file descriptor", -1, "--ready-fd", "7", "--state", "/s", "--", "/q");
	ERR("--ready-fd x: not an open file descriptor", 3, "--ready-fd", "x", "--state", "/s", "--", "/q");
	/* options after -- are QEMU's */
	CHECK(P(-1, "--state", "/s", "--", "/q", "--exec-socket", "/e", "--bogus") == 0 && !A.exec_sock, "%s", E);
}

static void test_exec_mode(void)
{
	CHECK(P(-1, "--exec-socket", "/e", "--state", "/s") == 0 && A.exec_sock && !strcmp(A.exec_sock, "/e") &&
	      A.dashdash == -1 && !A.console && !A.tty, "%s", E);
	CHECK(P(4, "--state", "/s", "--ready-fd", "4", "--console-socket", "/c", "--exec-socket", "/e") == 0 &&
	      !strcmp(A.console, "/c"), "%s", E);
	CHECK(P(-1, "--exec-socket", "/e", "--state", "/s", "--tty") == 0 && A.tty, "%s", E);
	ERR("--exec-socket takes no -- QEMU_BINARY", -1, "--exec-socket", "/e", "--state", "/s", "--", "/q");
	ERR("--exec-socket takes no -- QEMU_BINARY", -1, "--exec-socket", "/e", "--state", "/s", "--");
	ERR("--cgroup-procs cannot be used with --exec-socket", -1, "--exec-socket", "/e", "--state", "/s",
	    "--cgroup-procs", "/c");
	ERR("--bind cannot be used with --exec-socket", -1, "--bind", "/a", "/b", "--exec-socket", "/e", "--state", "/s");
	ERR("--bind-ro cannot be used with --exec-socket", -1, "--exec-socket", "/e", "--bind-ro", "/a", "/b",
	    "--state", "/s");
	ERR("--netns cannot be used with --exec-socket", -1, "--exec-socket", "/e", "--state", "/s", "--netns", "/n");
	/* the first offending option is named */
	ERR("--netns cannot be used", -1, "--netns", "/n", "--bind", "/a", "/b", "--exec-socket", "/e", "--state", "/s");
	ERR("missing --state", -1, "--exec-socket", "/e");
	ERR("--console-socket and --tty are exclusive", -1, "--exec-socket", "/e", "--state", "/s", "--tty",
	    "--console-socket", "/c");
	ERR("--exec-socket needs 1 argument", -1, "--state", "/s", "--exec-socket");
	ERR("--exec-socket needs 1 argument", -1, "--state", "/s", "--exec-socket", "--");
	/* the full usage fits the error buffer the shim uses */
	CHECK(strlen(shim_usage) + 64 < sizeof E, "usage is %zu bytes", strlen(shim_usage));
	CHECK(strstr(shim_usage, "rind-shim --exec-socket PATH --state DIR [--console-socket PATH | --tty] "
				 "[--ready-fd N]") != NULL, "usage: %s", shim_usage);
}

static void test_vmm_only_mode(void)
{
	int r = P(4, "--state", "/s", "--vmm-only", "--ready-fd", "4", "--cgroup-procs", "/c", "--netns", "/n",
		  "--bind", "/a", "/b", "--bind-ro", "/c", "/d", "--", "/qemu", "-m", "128M");
	CHECK(r == 0 && A.vmm_only && !A.exec_sock && !A.console && !A.tty && A.dashdash == 16 &&
	      !strcmp(A.netns, "/n") && !strcmp(A.state, "/s"), "%s (dashdash %d)", E, A.dashdash);
	CHECK(P(-1, "--vmm-only", "--state", "/s", "--", "/q") == 0 && A.vmm_only && A.dashdash == 4, "%s", E);
	CHECK(P(-1, "--state", "/s", "--", "/q") == 0 && !A.vmm_only, "normal mode is not vmm-only: %s", E);
	/* after --, --vmm-only is QEMU's */
	CHECK(P(-1, "--state", "/s", "--", "/q", "--vmm-only") == 0 && !A.vmm_only, "%s", E);
	ERR("--console-socket cannot be used with --vmm-only", -1, "--state", "/s", "--vmm-only",
	    "--console-socket", "/c", "--", "/q");
	ERR("--tty cannot be used with --vmm-only", -1, "--tty", "--vmm-only", "--state", "/s", "--", "/q");
	ERR("--vmm-only and --exec-socket are exclusive", -1, "--vmm-only", "--exec-socket", "/e", "--state", "/s");
	ERR("--vmm-only and --exec-socket are exclusive", -1, "--exec-socket", "/e", "--state", "/s", "--vmm-only",
	    "--", "/q");
	ERR("missing -- QEMU_BINARY", -1, "--state", "/s", "--vmm-only");
	ERR("missing -- QEMU_BINARY", -1, "--state", "/s", "--vmm-only", "--");
	ERR("missing --state", -1, "--vmm-only", "--", "/q");
	ERR("--ready-fd 9: not an open file descriptor", -1, "--vmm-only", "--ready-fd", "9", "--state", "/s", "--", "/q");
	ERR("--netns needs 1 argument", -1, "--vmm-only", "--state", "/s", "--netns", "--", "/q");
	ERR("unknown option --vmm", -1, "--vmm", "--state", "/s", "--", "/q");
	CHECK(strstr(shim_usage, "rind-shim --state DIR --vmm-only [--cgroup-procs FILE]... [--bind SRC DST]... "
				 "[--bind-ro SRC DST]... [--netns PATH] [--ready-fd N] -- QEMU_BINARY") != NULL,
	      "usage: %s", shim_usage);
}

static void test_serial_mode(void)
{
	int r = P(4, "--state", "/s", "--serial-console", "--ready-fd", "4", "--cgroup-procs", "/c", "--netns", "/n",
		  "--bind", "/a", "/b", "--exit-map", "debug-exit", "--", "/qemu", "-m", "64M");
	CHECK(r == 0 && A.serial && A.exit_map == EXIT_MAP_DEBUG_EXIT && !A.vmm_only && !A.exec_sock &&
	      A.dashdash == 15 && !strcmp(A.netns, "/n"), "%s (dashdash %d)", E, A.dashdash);
	CHECK(P(-1, "--serial-console", "--state", "/s", "--", "/q") == 0 && A.serial &&
	      A.exit_map == EXIT_MAP_STATUS, "default exit map is status: %s", E);
	CHECK(P(-1, "--exit-map", "status", "--serial-console", "--state", "/s", "--", "/q") == 0 &&
	      A.exit_map == EXIT_MAP_STATUS, "%s", E);
	CHECK(P(-1, "--serial-console", "--console-socket", "/c", "--state", "/s", "--", "/q") == 0 && A.serial &&
	      !strcmp(A.console, "/c"), "%s", E);
	CHECK(P(-1, "--serial-console", "--tty", "--state", "/s", "--", "/q") == 0 && A.serial && A.tty, "%s", E);
	CHECK(P(-1, "--state", "/s", "--", "/q", "--serial-console") == 0 && !A.serial, "after --: QEMU's: %s", E);
	ERR("--serial-console and --vmm-only are exclusive", -1, "--serial-console", "--vmm-only", "--state", "/s",
	    "--", "/q");
	ERR("--serial-console and --exec-socket are exclusive", -1, "--exec-socket", "/e", "--serial-console",
	    "--state", "/s");
	ERR("--serial-console and --exec-socket are exclusive", -1, "--exec-socket", "/e", "--serial-console",
	    "--state", "/s", "--", "/q");
	ERR("--exit-map needs --serial-console", -1, "--exit-map", "debug-exit", "--state", "/s", "--", "/q");
	ERR("--exit-map needs --serial-console", -1, "--exit-map", "status", "--vmm-only", "--state", "/s", "--", "/q");
	ERR("--exit-map debug: want status or debug-exit", -1, "--serial-console", "--exit-map", "debug",
	    "--state", "/s", "--", "/q");
	ERR("--exit-map needs 1 argument", -1, "--serial-console", "--state", "/s", "--exit-map", "--", "/q");
	ERR("--console-socket and --tty are exclusive", -1, "--serial-console", "--tty", "--console-socket", "/c", "--state", "/s",
	    "--", "/q");
	ERR("missing -- QEMU_BINARY", -1, "--serial-console", "--state", "/s");
	CHECK(strstr(shim_usage, "rind-shim --state DIR --serial-console [--exit-map status|debug-exit] "
				 "[--cgroup-procs FILE]...") != NULL, "usage: %s", shim_usage);
	CHECK(strlen(shim_usage) + 64 < sizeof E, "usage is %zu bytes", strlen(shim_usage));
}

static void test_jail_options(void)
{
	int r = P(-1, "--state", "/s", "--jail-ns", "pid,ipc,uts", "--jail-root", "/j", "--jail-path", "/dev/kvm",
		  "--jail-path-ro", "/k", "--rlimit", "nofile=1024", "--rlimit", "core=0", "--rlimit", "fsize=unlimited",
		  "--jail-uid", "1500", "--jail-gid", "1501", "--jail-caps", "chown,cap_dac_override,fowner,fsetid",
		  "--no-new-privs", "--", "/q");
	CHECK(r == 0, "%s", E);
	CHECK(A.jail_ns == (SHIM_NS_PID | SHIM_NS_IPC | SHIM_NS_UTS) && !strcmp(A.jail_root, "/j") &&
	      A.uid == 1500 && A.gid == 1501 && A.no_new_privs && A.caps_given &&
	      A.caps == ((1ull << 0) | (1ull << 1) | (1ull << 3) | (1ull << 4)) && A.dashdash == 24,
	      "fields: ns %d uid %lld gid %lld caps %llx dashdash %d", A.jail_ns, A.uid, A.gid, A.caps, A.dashdash);
	CHECK(A.n_rlimits == 3 && A.rlimits[0].resource == RLIMIT_NOFILE && A.rlimits[0].value == 1024 &&
	      A.rlimits[1].resource == RLIMIT_CORE && A.rlimits[1].value == 0 &&
	      A.rlimits[2].resource == RLIMIT_FSIZE && A.rlimits[2].value == (unsigned long long)RLIM_INFINITY,
	      "rlimits: %d", A.n_rlimits);
	/* nothing asked: nothing done */
	CHECK(P(-1, "--state", "/s", "--", "/q") == 0 && !A.jail_ns && !A.jail_root && A.uid == -1 && A.gid == -1 &&
	      !A.caps_given && !A.no_new_privs && !A.n_rlimits, "defaults");
	CHECK(P(-1, "--state", "/s", "--jail-caps", "none", "--jail-ns", "uts", "--", "/q") == 0 && A.caps_given &&
	      A.caps == 0 && A.jail_ns == SHIM_NS_UTS, "%s", E);
	CHECK(P(-1, "--state", "/s", "--jail-caps", "net_admin", "--jail-caps", "mknod", "--", "/q") == 0 &&
	      A.caps == 1ull << 27, "the last --jail-caps wins: %llx", A.caps);
	CHECK(P(-1, "--state", "/s", "--rlimit", "nofile=1", "--rlimit", "nofile=2", "--", "/q") == 0 &&
	      A.n_rlimits == 1 && A.rlimits[0].value == 2, "the last --rlimit of a kind wins");
	CHECK(P(-1, "--state", "/s", "--jail-caps", "checkpoint_restore,cap_chown", "--", "/q") == 0 &&
	      A.caps == ((1ull << 40) | 1), "%s", E);
	CHECK(P(-1, "--vmm-only", "--state", "/s", "--jail-ns", "pid", "--jail-root", "/j", "--", "/q") == 0 &&
	      A.vmm_only && A.jail_ns == SHIM_NS_PID, "%s", E);
	CHECK(P(-1, "--serial-console", "--state", "/s", "--no-new-privs", "--jail-uid", "0", "--jail-gid", "0",
		"--", "/q") == 0 && A.uid == 0, "%s", E);
	CHECK(P(-1, "--state", "/s", "--", "/q", "--jail-root", "/j") == 0 && !A.jail_root, "after --: QEMU's");
	CHECK(!strcmp(shim_cap_name(0), "chown") && !strcmp(shim_cap_name(27), "mknod") &&
	      !strcmp(shim_cap_name(12), "net_admin") && !strcmp(shim_cap_name(40), "checkpoint_restore") &&
	      shim_cap_name(41) == NULL && shim_cap_name(-1) == NULL, "cap names");
	ERR("--jail-ns pid,net: want a comma list of pid, ipc, uts", -1, "--state", "/s", "--jail-ns", "pid,net", "--", "/q");
	ERR("--jail-ns pid,: want", -1, "--state", "/s", "--jail-ns", "pid,", "--", "/q");
	ERR("--jail-ns : want", -1, "--state", "/s", "--jail-ns", "", "--", "/q");
	ERR("--jail-caps chown,bogus: want none or a comma list", -1, "--state", "/s", "--jail-caps", "chown,bogus",
	    "--", "/q");
	ERR("--jail-caps cap_: want", -1, "--state", "/s", "--jail-caps", "cap_", "--", "/q");
	ERR("--jail-caps CHOWN: want", -1, "--state", "/s", "--jail-caps", "CHOWN", "--", "/q");
	ERR("--jail-root j: want an absolute path other than /", -1, "--state", "/s", "--jail-root", "j", "--", "/q");
	ERR("--jail-root /: want an absolute path", -1, "--state", "/s", "--jail-root", "/", "--", "/q");
	ERR("--jail-path-ro k: want an absolute path", -1, "--state", "/s", "--jail-root", "/j", "--jail-path-ro", "k",
	    "--", "/q");
	ERR("--jail-path needs --jail-root", -1, "--state", "/s", "--jail-path", "/dev/kvm", "--", "/q");
	ERR("--jail-path-ro needs --jail-root", -1, "--state", "/s", "--jail-path-ro", "/k", "--", "/q");
	ERR("--jail-uid and --jail-gid go together", -1, "--state", "/s", "--jail-uid", "5", "--", "/q");
	ERR("--jail-uid and --jail-gid go together", -1, "--state", "/s", "--jail-gid", "5", "--", "/q");
	ERR("--jail-uid -1: want a numeric id", -1, "--state", "/s", "--jail-uid", "-1", "--jail-gid", "1", "--", "/q");
	ERR("--jail-gid 4294967295: want a numeric id", -1, "--state", "/s", "--jail-uid", "1", "--jail-gid",
	    "4294967295", "--", "/q");
	ERR("--jail-uid x: want a numeric id", -1, "--state", "/s", "--jail-uid", "x", "--jail-gid", "1", "--", "/q");
	ERR("--rlimit nofile: want NAME=N", -1, "--state", "/s", "--rlimit", "nofile", "--", "/q");
	ERR("--rlimit stack=1: want NAME=N", -1, "--state", "/s", "--rlimit", "stack=1", "--", "/q");
	ERR("--rlimit nofile=-1: the value must be a number or unlimited", -1, "--state", "/s", "--rlimit",
	    "nofile=-1", "--", "/q");
	ERR("--rlimit core=: the value must be", -1, "--state", "/s", "--rlimit", "core=", "--", "/q");
	ERR("--rlimit needs 1 argument", -1, "--state", "/s", "--rlimit", "--", "/q");
	ERR("--jail-caps needs 1 argument", -1, "--state", "/s", "--jail-caps");
	ERR("unknown option --jail-bogus", -1, "--state", "/s", "--jail-bogus", "--", "/q");
	/* an exec shim starts no vm: no jail */
	ERR("--jail-root cannot be used with --exec-socket", -1, "--exec-socket", "/e", "--state", "/s",
	    "--jail-root", "/j");
	ERR("--no-new-privs cannot be used with --exec-socket", -1, "--exec-socket", "/e", "--state", "/s",
	    "--no-new-privs");
	ERR("--rlimit cannot be used with --exec-socket", -1, "--exec-socket", "/e", "--state", "/s",
	    "--rlimit", "core=0");
	ERR("--jail-caps cannot be used with --exec-socket", -1, "--jail-caps", "none", "--exec-socket", "/e",
	    "--state", "/s");
	CHECK(strstr(shim_usage, "jail options (any VMM mode): [--jail-ns pid,ipc,uts] [--jail-root DIR") != NULL,
	      "usage: %s", shim_usage);
	CHECK(strlen(shim_usage) + 64 < sizeof E, "usage is %zu bytes", strlen(shim_usage));
}

static void test_shim_root(void)
{
	CHECK(P(-1, "--state", "/s", "--", "/q") == 0 && !A.shim_root, "off by default");
	CHECK(P(-1, "--state", "/s", "--shim-root", "/b/rootfs", "--console-socket", "/c", "--", "/q") == 0 &&
	      !strcmp(A.shim_root, "/b/rootfs") && A.dashdash == 7, "%s", E);
	CHECK(P(-1, "--vmm-only", "--state", "/s", "--shim-root", "/r", "--", "/q") == 0 && A.shim_root, "%s", E);
	CHECK(P(-1, "--serial-console", "--state", "/s", "--shim-root", "/r", "--", "/q") == 0 && A.shim_root, "%s", E);
	/* an exec shim (a pod member's waitable pid) takes it too: no VMM, its own rootfs */
	CHECK(P(-1, "--exec-socket", "/e", "--state", "/s", "--shim-root", "/r") == 0 && !strcmp(A.shim_root, "/r"),
	      "%s", E);
	CHECK(P(-1, "--state", "/s", "--", "/q", "--shim-root", "/r") == 0 && !A.shim_root, "after --: QEMU's");
	ERR("--shim-root r: want an absolute path other than /", -1, "--state", "/s", "--shim-root", "r", "--", "/q");
	ERR("--shim-root /: want an absolute path other than /", -1, "--state", "/s", "--shim-root", "/", "--", "/q");
	ERR("--shim-root //: want an absolute path other than /", -1, "--state", "/s", "--shim-root", "//", "--", "/q");
	ERR("--shim-root : want", -1, "--state", "/s", "--shim-root", "", "--", "/q");
	ERR("--shim-root needs 1 argument", -1, "--state", "/s", "--shim-root", "--", "/q");
	CHECK(strstr(shim_usage, "[--shim-root DIR]") != NULL, "usage: %s", shim_usage);
}

static struct shim_nsbind_args NB;

static int parse_nsbind(const char *const *list)
{
	static char *argv[MAXA];
	int argc = 0;
	argv[argc++] = (char *)"rind-shim";
	for (; *list && argc < MAXA - 1; list++)
		argv[argc++] = (char *)*list;
	argv[argc] = NULL;
	E[0] = 0;
	CHECK(shim_is_nsbind(argc, argv) == (argc > 1 && (!strcmp(argv[1], "--bind-into") ||
							  !strcmp(argv[1], "--unbind-in"))), "is_nsbind");
	return shim_parse_nsbind(argc, argv, &NB, E, sizeof E);
}
#define NBP(...) parse_nsbind((const char *const[]){ __VA_ARGS__, NULL })
#define NBERR(want, ...) expect_err(NBP(__VA_ARGS__), want, __LINE__)

static void test_nsbind(void)
{
	int r = NBP("--bind-into", "4242", "--bind", "/host/rootfs", "/s/share/c/x/rootfs", "--bind-ro", "rel/src",
		    "/s/share/c/x/binds/0", "--bind", "/f", "/s/share/c/x/binds/1");
	CHECK(r == 0 && !NB.unbind && NB.pid == 4242 && NB.n == 3, "%s (n %d)", E, NB.n);
	CHECK(!strcmp(NB.b[0].src, "/host/rootfs") && !strcmp(NB.b[0].dst, "/s/share/c/x/rootfs") && !NB.b[0].ro &&
	      !strcmp(NB.b[1].src, "rel/src") && NB.b[1].ro && !NB.b[2].ro, "binds in order");
	r = NBP("--unbind-in", "7", "/s/share/c/x/binds/1", "/s/share/c/x/rootfs");
	CHECK(r == 0 && NB.unbind && NB.pid == 7 && NB.n == 2 && !NB.b[0].src &&
	      !strcmp(NB.b[1].dst, "/s/share/c/x/rootfs"), "%s", E);
	NBERR("--bind-into needs a PID; usage: rind-shim --bind-into PID", "--bind-into");
	NBERR("--unbind-in needs a PID", "--unbind-in");
	NBERR("--bind-into x: want a process id", "--bind-into", "x", "--bind", "/a", "/b");
	NBERR("--bind-into 0: want a process id", "--bind-into", "0", "--bind", "/a", "/b");
	NBERR("--bind-into -5: want a process id", "--bind-into", "-5", "--bind", "/a", "/b");
	NBERR("--bind-into +5: want a process id", "--bind-into", "+5", "--bind", "/a", "/b");
	NBERR("--bind-into 99999999999: want a process id", "--bind-into", "99999999999", "--bind", "/a", "/b");
	NBERR("--bind-into 12: needs at least one --bind or --bind-ro", "--bind-into", "12");
	NBERR("--unbind-in 12: needs at least one DST", "--unbind-in", "12");
	NBERR("--bind-into: unexpected /a (want --bind SRC DST", "--bind-into", "1", "/a", "/b");
	NBERR("--bind-into: unexpected --state", "--bind-into", "1", "--bind", "/a", "/b", "--state", "/s");
	NBERR("--bind-ro needs 2 arguments (SRC DST)", "--bind-into", "1", "--bind-ro", "/a");
	NBERR("--bind: empty SRC", "--bind-into", "1", "--bind", "", "/b");
	NBERR("--bind-into: DST b: want an absolute path", "--bind-into", "1", "--bind", "/a", "b");
	NBERR("--unbind-in: DST rel: want an absolute path", "--unbind-in", "1", "/ok", "rel");
	NBERR("want --bind-into or --unbind-in first", "--state", "/s", "--bind-into", "1");
	/* in the other modes they are not options */
	ERR("--bind-into must be the first argument", -1, "--state", "/s", "--bind-into", "1", "--", "/q");
	ERR("--unbind-in must be the first argument", -1, "--exec-socket", "/e", "--unbind-in", "1", "/d");
	CHECK(strstr(shim_usage, "--bind-into") != NULL, "usage: %s", shim_usage);
}

static void test_parse_fd(void)
{
	CHECK(shim_parse_fd("0") == 0 && shim_parse_fd("17") == 17 && shim_parse_fd("2147483647") == 2147483647, "ok");
	CHECK(shim_parse_fd("") == -1 && shim_parse_fd("-1") == -1 && shim_parse_fd("3x") == -1 &&
	      shim_parse_fd("2147483648") == -1 && shim_parse_fd("99999999999999999999") == -1, "bad");
}

int main(void)
{
	test_normal_mode();
	test_exec_mode();
	test_vmm_only_mode();
	test_serial_mode();
	test_jail_options();
	test_shim_root();
	test_nsbind();
	test_parse_fd();
	printf("args: %d checks, %d failures\n", checks, failures);
	return failures ? 1 : 0;
}
