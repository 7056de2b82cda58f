/* rind guest agent: a process's security settings applied in the child (secspec.h says what they are):
 * oom_score_adj, the capability bounding set, ambient/effective/permitted/inheritable sets, no_new_privs, the
 * seccomp filter, and a container's sysctls. README.md "Security" gives the order. Runs in the child only. */
#include "agent.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define CAP_VERSION_3 0x20080522
#define SECCOMP_SET_MODE_FILTER 1

struct cap_header {
	uint32_t version;
	int pid;
};
struct cap_data {
	uint32_t effective, permitted, inheritable;
};
struct sock_fprog {
	unsigned short len;
	const struct bpf_insn *filter; /* the layout of struct sock_filter */
};

static int write_file(const char *path, const char *v)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t n = strlen(v);
	ssize_t w = write(fd, v, n);
	int e = errno;
	close(fd);
	errno = e;
	return w == (ssize_t)n ? 0 : -1;
}

int sec_oom(const struct proc_sec *s)
{
	char v[16];
	if (!s->has_oom)
		return 0;
	snprintf(v, sizeof v, "%d", s->oom_score_adj);
	if (write_file("/proc/self/oom_score_adj", v) < 0)
		return fail("oom_score_adj %d: %s", s->oom_score_adj, strerror(errno));
	return 0;
}

int sec_sysctls(const struct create_req *r)
{
	char path[512];
	for (size_t i = 0; i < r->nsysctls; i++) {
		const struct sysctl_kv *k = &r->sysctls[i];
		if (sysctl_path(k->name, path, sizeof path) < 0)
			return fail("sysctl %s: name too long", k->name);
		if (write_file(path, k->value) < 0)
			return fail("sysctl %s: writing \"%.64s\": %s", k->name, k->value,
				    errno == ENOENT ? "the guest kernel has no such sysctl" : strerror(errno));
	}
	return 0;
}

/* The highest capability number the kernel knows. */
static int last_cap(void)
{
	int i = 0;
	while (i < 64 && prctl(PR_CAPBSET_READ, i, 0, 0, 0) >= 0)
		i++;
	return i - 1;
}

int sec_bounding(const struct proc_sec *s)
{
	if (!s->caps_given)
		return 0;
	int last = last_cap();
	for (int set = 0; set < CAP_SETS; set++)
		if (last < 63 && s->caps[set] >> (last + 1))
			return fail("%s=%llx: capability %d is not known to the guest kernel (its last is %d)", cap_set_keys[set],
				    (unsigned long long)s->caps[set], 63 - __builtin_clzll(s->caps[set]), last);
	for (int i = 0; i <= last; i++)
		if (!(s->caps[CAP_BND] >> i & 1) && prctl(PR_CAPBSET_READ, i, 0, 0, 0) == 1 &&
		    prctl(PR_CAPBSET_DROP, i, 0, 0, 0) < 0)
			return fail("drop capability %d from the bounding set: %s", i, strerror(errno));
	return 0;
}

int sec_keepcaps(const struct proc_sec *s, int on)
{
	if (s->caps_given && prctl(PR_SET_KEEPCAPS, on, 0, 0, 0) < 0)
		return fail("keep capabilities across setuid: %s", strerror(errno));
	return 0;
}

int sec_caps(const struct proc_sec *s)
{
	if (!s->caps_given)
		return 0;
	struct cap_header h = { CAP_VERSION_3, 0 };
	struct cap_data d[2];
	for (int w = 0; w < 2; w++) {
		d[w].effective = s->caps[CAP_EFF] >> (32 * w);
		d[w].permitted = s->caps[CAP_PRM] >> (32 * w);
		d[w].inheritable = s->caps[CAP_INH] >> (32 * w);
	}
	if (syscall(SYS_capset, &h, d) < 0)
		return fail("capset (effective %llx, permitted %llx, inheritable %llx): %s",
			    (unsigned long long)s->caps[CAP_EFF], (unsigned long long)s->caps[CAP_PRM],
			    (unsigned long long)s->caps[CAP_INH], strerror(errno));
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		return fail("clear the ambient set: %s", strerror(errno));
	for (int i = 0; i < 64; i++)
		if ((s->caps[CAP_AMB] >> i & 1) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, i, 0, 0) < 0)
			return fail("raise ambient capability %d: %s%s", i, strerror(errno),
				    errno == EPERM ? " (it must be permitted and inheritable)" : "");
	return 0;
}

int sec_nnp(const struct proc_sec *s)
{
	if (s->nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return fail("no_new_privs: %s", strerror(errno));
	return 0;
}

int sec_seccomp(const struct proc_sec *s)
{
	struct sock_fprog prog = { (unsigned short)s->nfilter, s->filter };
	if (!s->filter)
		return 0;
	long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, s->seccomp_flags, &prog);
	if (rc != 0)
		return fail("seccomp filter (%zu instructions, flags %u): %s", s->nfilter, s->seccomp_flags,
			    rc > 0 ? "another thread" : errno == EACCES ? "needs no_new_privs or CAP_SYS_ADMIN" : strerror(errno));
	return 0;
}
