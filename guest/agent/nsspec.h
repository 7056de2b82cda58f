/* rind guest agent: a create request's namespace keys (docs/protocol.md, "Namespaces"): the container's own namespaces, those it joins, its user namespace's id mappings, its domain name.
 * Pure: no system calls, no state; creating and joining the namespaces is child.c's and spawn.c's. */
#ifndef RIND_NSSPEC_H
#define RIND_NSSPEC_H
#include <stddef.h>

/* NS_MNT is never a key's: every container gets a mount namespace of its own (exec joins it) */
enum { NS_PID, NS_IPC, NS_UTS, NS_CGROUP, NS_USER, NS_MNT, NS_KINDS };
#define NS_MAX_MAPS 32          /* uidmap= / gidmap= lines each (the kernel's limit is 340) */
#define NS_MAP_TEXT (NS_MAX_MAPS * 36)

struct id_map {
	unsigned long long inside, outside, count;
};
struct ns_spec {
	int fresh;              /* bit 1<<NS_*: a namespace of its own (ns=<kind>) */
	int joined;             /* bit 1<<NS_*: another container's (nsjoin=<kind>,<cid>) */
	const char *join_cid[NS_KINDS]; /* "" : the VM's container created without cid */
	struct id_map uid[NS_MAX_MAPS], gid[NS_MAX_MAPS];
	size_t nuid, ngid;
	const char *domainname; /* NULL: absent */
};

/* Offers key=val to the namespace keys. 1: taken, 0: not a namespace key, -1: bad value (err_msg). */
int nsspec_key(struct ns_spec *s, const char *key, char *val);
/* After all keys: a kind both own and joined, mappings without a user namespace of its own, a user
 * namespace without both mappings. 0, or -1. */
int nsspec_check(const struct ns_spec *s);
/* The name of a kind under /proc/PID/ns ("pid", "ipc", "uts", "cgroup", "user", "mnt"). */
const char *ns_name(int kind);
/* The text for /proc/PID/{uid,gid}_map: "inside outside count\n" per mapping; its length, or -1 if out is too small. */
int idmap_text(const struct id_map *m, size_t n, char *out, size_t len);

#endif
