/* rind guest agent: the security keys of create and exec (docs/protocol.md, "Security"): capability masks, seccomp
 * programs (base64 of classic BPF), masked/read-only paths, sysctls, device nodes, root propagation.
 * Pure: no state, no system calls; errors are set with fail() (err.h). */
#ifndef RIND_SECSPEC_H
#define RIND_SECSPEC_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SECCOMP_MAX_INSNS 4096  /* instructions of a seccomp= program (the kernel's BPF_MAXINSNS) */
#define SEC_MAX_PATHS 256       /* masked= and readonly_path= entries, each */
#define SEC_MAX_SYSCTLS 256     /* sysctl= entries */
#define SEC_MAX_DEVICES 256     /* device= entries */
#define SEC_PATH_MAX 1024       /* bytes of such a path */
#define SYSCTL_VALUE_MAX 4096   /* bytes of a sysctl's value */
#define SECCOMP_FLAGS_OK 7      /* TSYNC | LOG | SPEC_ALLOW: the flags the host may send */

enum { CAP_BND, CAP_EFF, CAP_PRM, CAP_INH, CAP_AMB, CAP_SETS };
extern const char *const cap_set_keys[CAP_SETS]; /* "cap_bounding", ... in that order */

/* one classic BPF instruction (struct sock_filter) */
struct bpf_insn {
	uint16_t code;
	uint8_t jt, jf;
	uint32_t k;
};

/* A process's security settings (create and exec). */
struct proc_sec {
	unsigned caps_given;    /* bit i: cap_<set i>= was given; all five or none */
	uint64_t caps[CAP_SETS];
	int nnp;
	int has_oom;
	int oom_score_adj;
	struct bpf_insn *filter; /* NULL: no seccomp= (allocated: proc_sec_free) */
	size_t nfilter;
	unsigned seccomp_flags; /* SECCOMP_FILTER_FLAG_* */
	int has_flags;
};

struct sysctl_kv {
	const char *name, *value; /* name as given (a.b.c) */
};
struct dev_node {
	const char *path;       /* /dev/... */
	char type;              /* 'c', 'b' or 'p' */
	unsigned major, minor;
	mode_t mode;            /* permission bits (07777) */
	uid_t uid;
	gid_t gid;
};

/* 1..16 hex digits, no prefix. 0, or -1. */
int parse_capmask(const char *s, uint64_t *m);
/* Strict base64 (RFC 4648 alphabet, '=' padding to a multiple of 4). The decoded length to *outlen,
 * at most outmax bytes. 0, or -1 (err_msg: why). */
int base64_decode(const char *s, unsigned char *out, size_t outmax, size_t *outlen);
/* seccomp=: base64 of 8-byte little-endian sock_filter records, 1..SECCOMP_MAX_INSNS of them, checked as the
 * kernel's seccomp filter checker would (opcodes it takes, loads within seccomp_data, jumps in range, a
 * return last). Allocates *insns. 0, or -1 with err_msg "bad seccomp: ...". */
int seccomp_decode(const char *b64, struct bpf_insn **insns, size_t *n);
/* devices_bpf=: base64 of 8-byte eBPF instructions (a cgroup device program), 1..DEVPROG_MAX_INSNS of
 * them; the kernel's verifier checks the program itself. Allocates *prog. 0, or -1 with err_msg "bad devices_bpf: ...". */
#define DEVPROG_MAX_INSNS 4096
int devprog_decode(const char *b64, unsigned char **prog, size_t *ninsns);
/* An absolute path without "..", at most SEC_PATH_MAX bytes. */
int sec_path_valid(const char *p);
/* sysctl=<name>\x1f<value>, split in place. 0, or -1. */
int sysctl_parse(char *val, struct sysctl_kv *s);
/* The /proc/sys path of a sysctl name (. → /). 0, or -1 (too long). */
int sysctl_path(const char *name, char *out, size_t outlen);
/* device=<path>\x1f<c|b|p>\x1f<major>\x1f<minor>\x1f<octal mode>\x1f<uid>\x1f<gid>, split in place. 0, or -1. */
int device_parse(char *val, struct dev_node *d);
/* rootfs_propagation=: the mount(2) flags (MS_PRIVATE ... with MS_REC for the r* names). 0, or -1. */
int propagation_parse(const char *s, unsigned long *flags);

#endif
