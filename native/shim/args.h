/* rind-shim: the parsed command line (four modes) and its parser; pure, so main.c only acts on the
 * result and a refusal is one line on the ready fd, never a half-done set-up. */
#ifndef RIND_SHIM_ARGS_H
#define RIND_SHIM_ARGS_H
#include <stddef.h>

struct shim_args {
	const char *state;     /* --state DIR */
	const char *console;   /* --console-socket PATH */
	const char *netns;     /* --netns PATH */
	const char *exec_sock; /* --exec-socket PATH: exec mode */
	int tty;               /* --tty */
	int vmm_only;          /* --vmm-only: no relay, the VMM inherits stdio, exit = VMM status */
	int serial;            /* --serial-console: agentless guest, stdio <-> the VMM's serial line */
	int exit_map;          /* --exit-map (enum shim_exit_map), --serial-console only */
	int dashdash;          /* index of "--" in argv (QEMU_BINARY follows), -1 in exec mode */
};

/* how --serial-console turns QEMU's wait status into the container's exit code */
enum shim_exit_map {
	EXIT_MAP_STATUS,     /* "status" (default): QEMU's exit code as it is, 128+signal */
	EXIT_MAP_DEBUG_EXIT, /* "debug-exit": isa-debug-exit, odd s -> s >> 1, 0 -> 0, other -> 255 */
};

extern const char shim_usage[];

/* decimal fd number, -1 if s is not one */
int shim_parse_fd(const char *s);
/* Parses argv (--cgroup-procs/--bind/--bind-ro are left in argv[1..dashdash) for jail.c to
 * walk). readyfd: the fd that --ready-fd names if it is open, else -1. Returns 0, or -1 with a
 * one-line reason in err. */
int shim_parse_args(int argc, char **argv, int readyfd, struct shim_args *a, char *err, size_t errlen);

#endif
