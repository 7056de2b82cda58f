/* rind-shim: the parsed command line (four modes) and its parser; pure, so main.c only acts on the
 * result and a refusal is one line on the ready fd, never a half-done set-up. */
#ifndef RIND_SHIM_ARGS_H
#define RIND_SHIM_ARGS_H
#include <stddef.h>

#define SHIM_MAX_RLIMITS 8
#define SHIM_NS_PID 1
#define SHIM_NS_IPC 2
#define SHIM_NS_UTS 4

struct shim_rlimit {
	int resource;             /* RLIMIT_* */
	unsigned long long value; /* soft = hard; RLIM_INFINITY for "unlimited" */
};

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
	/* the jail (jail.c; each step off unless asked for); --jail-path/--jail-path-ro stay in argv */
	const char *jail_root; /* --jail-root DIR: pivot_root into a tmpfs mounted there */
	int jail_ns;           /* --jail-ns pid,ipc,uts: SHIM_NS_* bits */
	int no_new_privs;      /* --no-new-privs */
	int caps_given;        /* --jail-caps LIST|none */
	unsigned long long caps; /* bit n: capability n is kept */
	long long uid, gid;    /* --jail-uid / --jail-gid, -1: unchanged */
	int n_rlimits;         /* --rlimit NAME=N... */
	struct shim_rlimit rlimits[SHIM_MAX_RLIMITS];
	const char *shim_root; /* --shim-root DIR: the shim itself pivots into DIR once the VMM runs */
};

/* the one-shot modes --bind-into PID and --unbind-in PID (nsbind.c): no state dir, no VMM */
#define SHIM_MAX_NSBINDS 256
struct shim_nsbind {
	const char *src, *dst; /* src: NULL for --unbind-in */
	int ro;                /* --bind-ro */
};
struct shim_nsbind_args {
	int unbind;            /* --unbind-in */
	int pid;               /* the process whose mount namespace is entered */
	int n;
	struct shim_nsbind b[SHIM_MAX_NSBINDS];
};

/* how --serial-console turns QEMU's wait status into the container's exit code */
enum shim_exit_map {
	EXIT_MAP_STATUS,     /* "status" (default): QEMU's exit code as it is, 128+signal */
	EXIT_MAP_DEBUG_EXIT, /* "debug-exit": isa-debug-exit, odd s -> s >> 1, 0 -> 0, other -> 255 */
};

extern const char shim_usage[];
extern const char shim_nsbind_usage[];

/* the capability names --jail-caps takes ("chown" or "cap_chown"), by number; NULL past the end */
const char *shim_cap_name(int cap);

/* decimal fd number, -1 if s is not one */
int shim_parse_fd(const char *s);
/* Parses argv (--cgroup-procs/--bind/--bind-ro/--jail-path/--jail-path-ro are left in
 * argv[1..dashdash) for jail.c to walk). readyfd: the fd that --ready-fd names if it is open,
 * else -1. Returns 0, or -1 with a one-line reason in err. */
int shim_parse_args(int argc, char **argv, int readyfd, struct shim_args *a, char *err, size_t errlen);

/* argv[1] is --bind-into or --unbind-in */
int shim_is_nsbind(int argc, char **argv);
/* --bind-into PID (--bind SRC DST | --bind-ro SRC DST)... or --unbind-in PID DST...: DST absolute,
 * at least one; returns 0, or -1 with a one-line reason in err */
int shim_parse_nsbind(int argc, char **argv, struct shim_nsbind_args *o, char *err, size_t errlen);

#endif
