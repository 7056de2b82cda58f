/* rind guest agent: a create request's resource keys (docs/protocol.md, "Resources") checked and turned into cgroup v2 file writes.
 * Pure: no system calls, no state; writing the files is cgroup.c's. */
#ifndef RIND_CGSPEC_H
#define RIND_CGSPEC_H
#include <stddef.h>

/* the controllers a key needs (bit i: cg_ctrl_name(i)) */
enum { CG_CPU, CG_CPUSET, CG_IO, CG_MEMORY, CG_PIDS, CG_NCTRL };
#define CG_VALUE_MAX 128
#define CG_WRITES_MAX 16

struct cg_write {
	const char *key;        /* the request key, for errors */
	int ctrl;               /* CG_* */
	const char *file;       /* e.g. "memory.max" */
	int optional;           /* the file may be missing: then there is nothing to limit (memory.swap.max without swap) */
	char value[CG_VALUE_MAX];
};
struct cg_spec {
	struct cg_write w[CG_WRITES_MAX];
	size_t n;
};

/* The resource keys, for the duplicate check: NULL-terminated. */
extern const char *const cg_keys[];
/* Offers key=val to the resource keys. 1: taken, 0: not a resource key, -1: bad value (err_msg). */
int cgspec_key(struct cg_spec *s, const char *key, const char *val);
/* After all keys: refuses contradictions (cpu_shares= with cpu_weight=). 0, or -1. */
int cgspec_check(const struct cg_spec *s);
/* runc's conversion of cgroup v1 cpu.shares (2..262144) to cgroup v2 cpu.weight (1..10000). */
unsigned long long cpu_shares_to_weight(unsigned long long shares);
/* "cpu", "cpuset", "io", "memory", "pids" */
const char *cg_ctrl_name(int ctrl);

#endif
