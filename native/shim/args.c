/* rind-shim: command-line parsing and validation of the four modes (normal, --vmm-only,
 * --serial-console, exec); pure (no I/O, no globals), so every accepted and refused combination is
 * unit-tested. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include "args.h"

const char shim_usage[] =
	"usage: rind-shim --state DIR [--cgroup-procs FILE]... [--bind SRC DST]... "
	"[--bind-ro SRC DST]... [--netns PATH] [--console-socket PATH | --tty] [--ready-fd N] "
	"-- QEMU_BINARY [QEMU ARGS...]; or: rind-shim --state DIR --vmm-only [--cgroup-procs FILE]... "
	"[--bind SRC DST]... [--bind-ro SRC DST]... [--netns PATH] [--ready-fd N] -- QEMU_BINARY "
	"[QEMU ARGS...]; or: rind-shim --state DIR --serial-console [--exit-map status|debug-exit] "
	"[--cgroup-procs FILE]... [--bind SRC DST]... [--bind-ro SRC DST]... [--netns PATH] "
	"[--console-socket PATH | --tty] [--ready-fd N] -- QEMU_BINARY [QEMU ARGS...]; "
	"or: rind-shim --exec-socket PATH --state DIR [--console-socket PATH | --tty] "
	"[--ready-fd N]; jail options (any VMM mode): [--jail-ns pid,ipc,uts] [--jail-root DIR "
	"[--jail-path PATH]... [--jail-path-ro PATH]...] [--rlimit NAME=N]... [--jail-uid UID "
	"--jail-gid GID] [--jail-caps CAP,...|none] [--no-new-privs]; any mode: [--shim-root DIR]; "
	"also --bind-into, --unbind-in";

const char shim_nsbind_usage[] =
	"usage: rind-shim --bind-into PID [--bind SRC DST]... [--bind-ro SRC DST]...; "
	"or: rind-shim --unbind-in PID DST...";

static const char *const cap_names[] = {
	"chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill", "setgid", "setuid",
	"setpcap", "linux_immutable", "net_bind_service", "net_broadcast", "net_admin", "net_raw",
	"ipc_lock", "ipc_owner", "sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct",
	"sys_admin", "sys_boot", "sys_nice", "sys_resource", "sys_time", "sys_tty_config", "mknod",
	"lease", "audit_write", "audit_control", "setfcap", "mac_override", "mac_admin", "syslog",
	"wake_alarm", "block_suspend", "audit_read", "perfmon", "bpf", "checkpoint_restore",
};

const char *shim_cap_name(int cap)
{
	return cap >= 0 && cap < (int)(sizeof cap_names / sizeof cap_names[0]) ? cap_names[cap] : NULL;
}

static const struct { const char *name; int resource; } rlimit_names[] = {
	{ "nofile", RLIMIT_NOFILE }, { "nproc", RLIMIT_NPROC }, { "core", RLIMIT_CORE },
	{ "fsize", RLIMIT_FSIZE }, { "memlock", RLIMIT_MEMLOCK }, { "as", RLIMIT_AS },
};

int shim_parse_fd(const char *s)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > INT_MAX)
		return -1;
	return (int)v;
}

__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* options that only make sense for the shim that starts the vm */
static int vm_only(const char *a)
{
	return !strcmp(a, "--cgroup-procs") || !strcmp(a, "--bind") || !strcmp(a, "--bind-ro") ||
	       !strcmp(a, "--netns") || !strncmp(a, "--jail-", 7) || !strcmp(a, "--rlimit") ||
	       !strcmp(a, "--no-new-privs");
}

/* options taking one argument */
static int one_arg(const char *a)
{
	static const char *const with[] = {
		"--state", "--cgroup-procs", "--console-socket", "--ready-fd", "--netns", "--exec-socket",
		"--exit-map", "--jail-root", "--jail-path", "--jail-path-ro", "--jail-ns", "--jail-caps",
		"--jail-uid", "--jail-gid", "--rlimit", "--shim-root",
	};
	for (size_t i = 0; i < sizeof with / sizeof with[0]; i++)
		if (!strcmp(a, with[i]))
			return 1;
	return 0;
}

/* "a,b,c": calls one(item) for each; an empty item or list is an error */
static int each_item(const char *list, int (*one)(const char *, size_t, void *), void *ctx)
{
	const char *p = list;
	for (;;) {
		size_t n = strcspn(p, ",");
		if (n == 0 || one(p, n, ctx) < 0)
			return -1;
		if (!p[n])
			return 0;
		p += n + 1;
	}
}

static int one_ns(const char *p, size_t n, void *ctx)
{
	int *bits = ctx;
	if (n == 3 && !strncmp(p, "pid", 3))
		*bits |= SHIM_NS_PID;
	else if (n == 3 && !strncmp(p, "ipc", 3))
		*bits |= SHIM_NS_IPC;
	else if (n == 3 && !strncmp(p, "uts", 3))
		*bits |= SHIM_NS_UTS;
	else
		return -1;
	return 0;
}

static int one_cap(const char *p, size_t n, void *ctx)
{
	unsigned long long *set = ctx;
	if (n > 4 && !strncmp(p, "cap_", 4)) {
		p += 4;
		n -= 4;
	}
	for (int c = 0; shim_cap_name(c); c++)
		if (strlen(shim_cap_name(c)) == n && !strncmp(p, shim_cap_name(c), n)) {
			*set |= 1ull << c;
			return 0;
		}
	return -1;
}

/* a decimal id below 2^32-1 (-1 is "no change" to setresuid) */
static long long parse_id(const char *s)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v >= 0xffffffffull)
		return -1;
	return (long long)v;
}

static int parse_rlimit(const char *s, struct shim_args *o, char *err, size_t errlen)
{
	const char *eq = strchr(s, '=');
	size_t n = eq ? (size_t)(eq - s) : 0;
	int res = -1;
	for (size_t i = 0; eq && i < sizeof rlimit_names / sizeof rlimit_names[0]; i++)
		if (strlen(rlimit_names[i].name) == n && !strncmp(s, rlimit_names[i].name, n))
			res = rlimit_names[i].resource;
	if (res < 0)
		return fail(err, errlen, "--rlimit %s: want NAME=N, NAME one of nofile, nproc, core, fsize, "
			    "memlock, as", s);
	unsigned long long v;
	if (!strcmp(eq + 1, "unlimited")) {
		v = RLIM_INFINITY;
	} else {
		char *end;
		errno = 0;
		v = strtoull(eq + 1, &end, 10);
		if (errno || end == eq + 1 || *end || eq[1] == '-' || v == RLIM_INFINITY)
			return fail(err, errlen, "--rlimit %s: the value must be a number or unlimited", s);
	}
	for (int i = 0; i < o->n_rlimits; i++)
		if (o->rlimits[i].resource == res) {
			o->rlimits[i].value = v; /* the last one wins */
			return 0;
		}
	if (o->n_rlimits >= SHIM_MAX_RLIMITS)
		return fail(err, errlen, "--rlimit: at most %d", SHIM_MAX_RLIMITS);
	o->rlimits[o->n_rlimits++] = (struct shim_rlimit){ .resource = res, .value = v };
	return 0;
}

/* the jail options' own values and combinations */
static int jail_option(const char *a, const char *v, struct shim_args *o, char *err, size_t errlen)
{
	if (!strcmp(a, "--jail-root") || !strcmp(a, "--jail-path") || !strcmp(a, "--jail-path-ro")) {
		if (v[0] != '/' || !strcmp(v, "/"))
			return fail(err, errlen, "%s %s: want an absolute path other than /", a, v);
		if (!strcmp(a, "--jail-root"))
			o->jail_root = v;
	} else if (!strcmp(a, "--jail-ns")) {
		if (each_item(v, one_ns, &o->jail_ns) < 0)
			return fail(err, errlen, "--jail-ns %s: want a comma list of pid, ipc, uts", v);
	} else if (!strcmp(a, "--jail-caps")) {
		o->caps_given = 1;
		o->caps = 0;
		if (strcmp(v, "none") != 0 && each_item(v, one_cap, &o->caps) < 0)
			return fail(err, errlen, "--jail-caps %s: want none or a comma list of capability "
				    "names (chown or cap_chown, ...)", v);
	} else if (!strcmp(a, "--jail-uid") || !strcmp(a, "--jail-gid")) {
		long long id = parse_id(v);
		if (id < 0)
			return fail(err, errlen, "%s %s: want a numeric id", a, v);
		*(!strcmp(a, "--jail-uid") ? &o->uid : &o->gid) = id;
	} else if (!strcmp(a, "--rlimit")) {
		return parse_rlimit(v, o, err, errlen);
	}
	return 0;
}

int shim_parse_args(int argc, char **argv, int readyfd, struct shim_args *o, char *err, size_t errlen)
{
	const char *vm_opt = NULL, *exit_map = NULL, *jail_path = NULL;
	memset(o, 0, sizeof *o);
	o->dashdash = -1;
	o->uid = o->gid = -1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int need = !strcmp(a, "--bind") || !strcmp(a, "--bind-ro") ? 2 : one_arg(a);
		if (!strcmp(a, "--")) {
			o->dashdash = i;
			break;
		}
		if (need && (i + need >= argc || !strcmp(argv[i + 1], "--") ||
			     (need > 1 && !strcmp(argv[i + 2], "--"))))
			return fail(err, errlen, "%s needs %d argument%s; %s", a, need, need > 1 ? "s" : "",
				    shim_usage);
		if (!strcmp(a, "--state"))
			o->state = argv[i + 1];
		else if (!strcmp(a, "--console-socket"))
			o->console = argv[i + 1];
		else if (!strcmp(a, "--netns"))
			o->netns = argv[i + 1];
		else if (!strcmp(a, "--exec-socket"))
			o->exec_sock = argv[i + 1];
		else if (!strcmp(a, "--tty"))
			o->tty = 1;
		else if (!strcmp(a, "--vmm-only"))
			o->vmm_only = 1;
		else if (!strcmp(a, "--serial-console"))
			o->serial = 1;
		else if (!strcmp(a, "--no-new-privs"))
			o->no_new_privs = 1;
		else if (!strcmp(a, "--shim-root")) {
			const char *v = argv[i + 1];
			if (v[0] != '/' || v[strspn(v, "/")] == 0)
				return fail(err, errlen, "--shim-root %s: want an absolute path other than /", v);
			o->shim_root = v;
		}
		else if (!strcmp(a, "--bind-into") || !strcmp(a, "--unbind-in"))
			return fail(err, errlen, "%s must be the first argument (a one-shot mode of its own); %s",
				    a, shim_nsbind_usage);
		else if ((!strncmp(a, "--jail-", 7) || !strcmp(a, "--rlimit")) && need) {
			if (jail_option(a, argv[i + 1], o, err, errlen) < 0)
				return -1;
			if (!strcmp(a, "--jail-path") || !strcmp(a, "--jail-path-ro"))
				jail_path = a;
		}
		else if (!strcmp(a, "--exit-map")) {
			const char *m = argv[i + 1];
			if (!strcmp(m, "status"))
				o->exit_map = EXIT_MAP_STATUS;
			else if (!strcmp(m, "debug-exit"))
				o->exit_map = EXIT_MAP_DEBUG_EXIT;
			else
				return fail(err, errlen, "--exit-map %s: want status or debug-exit", m);
			exit_map = a;
		}
		else if (!strcmp(a, "--ready-fd")) {
			if (shim_parse_fd(argv[i + 1]) != readyfd || readyfd < 0)
				return fail(err, errlen, "--ready-fd %s: not an open file descriptor", argv[i + 1]);
		} else if (!need)
			return fail(err, errlen, "unknown option %s; %s", a, shim_usage);
		if (!vm_opt && vm_only(a))
			vm_opt = a;
		i += need;
	}
	if (o->exec_sock && o->vmm_only)
		return fail(err, errlen, "--vmm-only and --exec-socket are exclusive");
	if (o->serial && (o->exec_sock || o->vmm_only))
		return fail(err, errlen, "--serial-console and %s are exclusive",
			    o->exec_sock ? "--exec-socket" : "--vmm-only");
	if (exit_map && !o->serial)
		return fail(err, errlen, "--exit-map needs --serial-console (the other modes take the exit "
			    "code from the guest's agent or from the VMM's status as it is)");
	if (o->exec_sock) {
		if (o->dashdash >= 0)
			return fail(err, errlen, "--exec-socket takes no -- QEMU_BINARY (an exec joins a "
				    "running vm); %s", shim_usage);
		if (vm_opt)
			return fail(err, errlen, "%s cannot be used with --exec-socket (an exec shim starts "
				    "no vm: it joins no cgroup, makes no binds, enters no network namespace)",
				    vm_opt);
	} else if (o->dashdash < 0 || o->dashdash + 1 >= argc) {
		return fail(err, errlen, "missing -- QEMU_BINARY; %s", shim_usage);
	}
	if (!o->state)
		return fail(err, errlen, "missing --state; %s", shim_usage);
	if (o->console && o->tty)
		return fail(err, errlen, "--console-socket and --tty are exclusive");
	if (jail_path && !o->jail_root)
		return fail(err, errlen, "%s needs --jail-root (it binds a path into the jail)", jail_path);
	if ((o->uid < 0) != (o->gid < 0))
		return fail(err, errlen, "--jail-uid and --jail-gid go together");
	if (o->vmm_only && (o->console || o->tty))
		return fail(err, errlen, "%s cannot be used with --vmm-only (no relay: the VMM inherits the "
			    "shim's stdio)", o->console ? "--console-socket" : "--tty");
	return 0;
}

int shim_is_nsbind(int argc, char **argv)
{
	return argc > 1 && (!strcmp(argv[1], "--bind-into") || !strcmp(argv[1], "--unbind-in"));
}

int shim_parse_nsbind(int argc, char **argv, struct shim_nsbind_args *o, char *err, size_t errlen)
{
	memset(o, 0, sizeof *o);
	if (!shim_is_nsbind(argc, argv))
		return fail(err, errlen, "want --bind-into or --unbind-in first; %s", shim_nsbind_usage);
	const char *mode = argv[1];
	o->unbind = !strcmp(mode, "--unbind-in");
	if (argc < 3)
		return fail(err, errlen, "%s needs a PID; %s", mode, shim_nsbind_usage);
	char *end;
	errno = 0;
	long pid = strtol(argv[2], &end, 10);
	if (errno || end == argv[2] || *end || argv[2][0] == '-' || argv[2][0] == '+' || pid <= 0 || pid > INT_MAX)
		return fail(err, errlen, "%s %s: want a process id", mode, argv[2]);
	o->pid = (int)pid;
	for (int i = 3; i < argc; i++) {
		struct shim_nsbind b = { 0 };
		if (o->unbind) {
			b.dst = argv[i];
		} else {
			const char *a = argv[i];
			b.ro = !strcmp(a, "--bind-ro");
			if (!b.ro && strcmp(a, "--bind") != 0)
				return fail(err, errlen, "--bind-into: unexpected %s (want --bind SRC DST or --bind-ro "
					    "SRC DST)", a);
			if (i + 2 >= argc)
				return fail(err, errlen, "%s needs 2 arguments (SRC DST)", a);
			b.src = argv[++i];
			b.dst = argv[++i];
			if (!b.src[0])
				return fail(err, errlen, "%s: empty SRC", a);
		}
		if (b.dst[0] != '/')
			return fail(err, errlen, "%s: DST %s: want an absolute path (it is resolved in the target's "
				    "mount namespace)", mode, b.dst);
		if (o->n >= SHIM_MAX_NSBINDS)
			return fail(err, errlen, "%s: at most %d paths", mode, SHIM_MAX_NSBINDS);
		o->b[o->n++] = b;
	}
	if (!o->n)
		return fail(err, errlen, "%s %s: %s; %s", mode, argv[2],
			    o->unbind ? "needs at least one DST" : "needs at least one --bind or --bind-ro",
			    shim_nsbind_usage);
	return 0;
}
