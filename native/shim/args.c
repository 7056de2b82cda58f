/* rind-shim: command-line parsing and validation of the four modes (normal, --vmm-only,
 * --serial-console, exec); pure (no I/O, no globals), so every accepted and refused combination is
 * unit-tested. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	"[--ready-fd N]";

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
	       !strcmp(a, "--netns");
}

int shim_parse_args(int argc, char **argv, int readyfd, struct shim_args *o, char *err, size_t errlen)
{
	const char *vm_opt = NULL, *exit_map = NULL;
	memset(o, 0, sizeof *o);
	o->dashdash = -1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int need = !strcmp(a, "--bind") || !strcmp(a, "--bind-ro") ? 2
			 : !strcmp(a, "--state") || !strcmp(a, "--cgroup-procs") ||
			   !strcmp(a, "--console-socket") || !strcmp(a, "--ready-fd") ||
			   !strcmp(a, "--netns") || !strcmp(a, "--exec-socket") || !strcmp(a, "--exit-map") ? 1 : 0;
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
	if (o->vmm_only && (o->console || o->tty))
		return fail(err, errlen, "%s cannot be used with --vmm-only (no relay: the VMM inherits the "
			    "shim's stdio)", o->console ? "--console-socket" : "--tty");
	return 0;
}
