/* rind guest agent: ctl requests parsed into structs (create, exec, signal, update, and the cid= of the rest).
 * Pure: strings point into the message, arrays are sized by its key count; no system calls. */
#ifndef RIND_REQUEST_H
#define RIND_REQUEST_H
#include <stddef.h>
#include <sys/types.h>
#include "cgspec.h"
#include "secspec.h"
#include "nsspec.h"

#define MAX_GIDS 4096   /* entries of gids= */

struct rlim {
	int resource;
	unsigned long long soft, hard;
};
/* A process as create and exec describe it. */
struct proc_spec {
	const char *cwd;
	int terminal;
	unsigned short rows, cols; /* console_size=: the pty's first size (0,0: none) */
	uid_t uid;
	gid_t gid;
	mode_t umask;
	gid_t *gids;
	size_t ngids;
	char **argv, **envp;    /* NULL-terminated */
	size_t nargs, nenv;
	struct rlim *rlimits;
	size_t nrlimits;
	struct proc_sec sec;    /* capabilities, no_new_privs, seccomp, oom_score_adj */
};
struct create_req {
	const char *cid;        /* NULL: absent */
	int port;               /* the exec port carrying its stdio; -1: rind.io */
	const char *share, *rootfs, *hostname; /* hostname: set in its UTS namespace (its own or joined) */
	struct ns_spec ns;      /* its namespaces beyond the mount namespace (default: the VM's) */
	int readonly;
	struct cg_spec cg;      /* its cgroup's limits */
	struct proc_spec proc;
	char **mounts;          /* "dest\x1ftype\x1fsource\x1foptions" (mountspec.c parses them) */
	size_t nmounts;
	char **netifs, **netaddrs, **netroutes; /* raw values, netparse.c parses them */
	size_t nnetifs, nnetaddrs, nnetroutes;
	const char *seed, *time; /* NULL: absent */
	const char **masked, **ropaths; /* masked=, readonly_path= */
	size_t nmasked, nropaths;
	struct sysctl_kv *sysctls;
	size_t nsysctls;
	struct dev_node *devices;
	size_t ndevices;
	unsigned long root_prop; /* rootfs_propagation= as mount flags; 0: absent */
	unsigned char *devprog; /* devices_bpf=: the cgroup's device program (allocated), NULL: none */
	size_t ndevprog;        /* its instructions */
};
struct exec_req {
	const char *cid;        /* NULL: absent */
	int port;
	struct proc_spec proc;
};
struct update_req {
	const char *cid;        /* NULL: absent */
	struct cg_spec cg;      /* the limits to write, as create's resource keys */
};
struct signal_req {
	const char *cid;        /* NULL: absent */
	int signo, all;
};

/* kv[0..n) are the message's "key=value" strings, split in place. 0, or -1 with err_msg set;
 * create_req_free / proc_spec_free are due either way. */
int parse_create(char **kv, size_t n, struct create_req *r);
int parse_exec(char **kv, size_t n, struct exec_req *r);
int parse_signal(char **kv, size_t n, struct signal_req *r);
/* update: cid= and create's resource keys (cgspec.c), nothing else; no key at all is valid (nothing to write). */
int parse_update(char **kv, size_t n, struct update_req *r);
/* The optional cid= of a verb that takes nothing else (start, ps, stats, events, pause, resume, delete). */
int parse_cid(char **kv, size_t n, const char **cid);
void proc_spec_free(struct proc_spec *p);
void create_req_free(struct create_req *r);

#endif
