/* rind guest agent: parsing of ctl requests into request.h's structs (docs/protocol.md, ctl messages).
 * Pure: no system calls, no state; a key that is not an array may come once; create, exec and update refuse unknown keys. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "request.h"
#include "err.h"
#include "fields.h"
#include "../../proto/limits.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the keys that may appear once, per verb */
#define PROC_ONCE "cwd", "uid", "gid", "gids", "umask", "terminal", "console_size", "cap_bounding", "cap_effective", "cap_permitted", \
	"cap_inheritable", "cap_ambient", "nnp", "seccomp", "seccomp_flags", "oom_score_adj"
static const char *const create_once[] = { PROC_ONCE, "cid", "port", "share", "rootfs", "readonly",
					   "hostname", "seed", "time", "rootfs_propagation", "devices_bpf", NULL };
static const char *const exec_once[] = { PROC_ONCE, "cid", "port", NULL };
static const char *const signal_once[] = { "cid", "signo", "all", NULL };
static const char *const cid_once[] = { "cid", NULL };

/* Refuses a second `key=` of a key listed in `once` (before the strings are split). */
static int refuse_dups(char **kv, size_t n, const char *const *once)
{
	for (; *once; once++) {
		size_t l = strlen(*once), seen = 0;
		for (size_t i = 0; i < n; i++)
			if (!strncmp(kv[i], *once, l) && kv[i][l] == '=' && seen++)
				return fail("duplicate key: %s", *once);
	}
	return 0;
}

/* Splits "key=value" in place. */
static int split_kv(char *kv, char **val)
{
	char *eq = strchr(kv, '=');
	if (!eq)
		return fail("malformed key: %.64s", kv);
	*eq = 0;
	*val = eq + 1;
	return 0;
}

static int unknown(const char *k)
{
	return fail("unknown key: %.64s", k);
}

static int take_port(const char *val, int *port)
{
	long long v;
	if (parse_num(val, 0, RIND_EXEC_PORTS - 1, &v))
		return fail("bad port: %.64s (0..%d)", val, RIND_EXEC_PORTS - 1);
	*port = v;
	return 0;
}

static int take_cid(const char *val, const char **cid)
{
	if (!cid_valid(val))
		return fail("bad cid: %.80s (want 1..%d characters of A-Z a-z 0-9 _ . -)", val, CID_MAX);
	*cid = val;
	return 0;
}

/* ---- process keys ---- */

static int parse_rlimit(const char *s, struct rlim *rl)
{
	char buf[96], *f[3];
	long long res, v[2];
	if (strlen(s) >= sizeof buf)
		return -1;
	strcpy(buf, s);
	for (char *c = buf; (c = strchr(c, ',')); c++)
		*c = '\x1f';
	if (split_fields(buf, f, 3) || parse_num(f[0], 0, 63, &res))
		return -1;
	for (int i = 0; i < 2; i++)
		if (parse_num(f[i + 1], -1, INT64_MAX, &v[i]))
			return -1;
	rl->resource = res;
	rl->soft = v[0] < 0 ? ~0ULL : (unsigned long long)v[0];
	rl->hard = v[1] < 0 ? ~0ULL : (unsigned long long)v[1];
	return 0;
}

/* "a,b,c" (may be empty) */
static int parse_gids(const char *s, struct proc_spec *p)
{
	char buf[4096];
	long long v;
	if (strlen(s) >= sizeof buf)
		return -1;
	strcpy(buf, s);
	char *save = NULL;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (p->ngids >= MAX_GIDS || parse_num(t, 0, UINT32_MAX, &v))
			return -1;
		p->gids[p->ngids++] = v;
	}
	return 0;
}

static int proc_spec_alloc(struct proc_spec *p, size_t n)
{
	memset(p, 0, sizeof *p);
	p->umask = 022;
	p->cwd = "/";
	p->argv = calloc(n + 1, sizeof *p->argv);
	p->envp = calloc(n + 1, sizeof *p->envp);
	p->rlimits = calloc(n + 1, sizeof *p->rlimits);
	p->gids = calloc(MAX_GIDS, sizeof *p->gids);
	if (!p->argv || !p->envp || !p->rlimits || !p->gids)
		return fail("out of memory");
	return 0;
}

void proc_spec_free(struct proc_spec *p)
{
	free(p->argv), free(p->envp), free(p->rlimits), free(p->gids), free(p->sec.filter);
	p->argv = p->envp = NULL, p->rlimits = NULL, p->gids = NULL, p->sec.filter = NULL;
}

void create_req_free(struct create_req *r)
{
	proc_spec_free(&r->proc);
	free(r->mounts), free(r->netifs), free(r->netaddrs), free(r->netroutes);
	r->mounts = r->netifs = r->netaddrs = r->netroutes = NULL;
	free(r->masked), free(r->ropaths), free(r->sysctls), free(r->devices), free(r->devprog);
	r->masked = r->ropaths = NULL, r->sysctls = NULL, r->devices = NULL, r->devprog = NULL;
}

/* A security key of a process (secspec.h). 1: taken, 0: not one, -1: bad. */
static int sec_key(struct proc_sec *s, const char *k, const char *val)
{
	long long v;
	for (int i = 0; i < CAP_SETS; i++)
		if (!strcmp(k, cap_set_keys[i])) {
			if (parse_capmask(val, &s->caps[i]))
				return fail("bad %s: %.64s (want 1..16 hex digits)", k, val);
			s->caps_given |= 1u << i;
			return 1;
		}
	if (!strcmp(k, "nnp")) {
		if (parse_num(val, 0, 1, &v))
			return fail("bad nnp: %.64s", val);
		s->nnp = v;
	} else if (!strcmp(k, "oom_score_adj")) {
		if (parse_num(val, -1000, 1000, &v))
			return fail("bad oom_score_adj: %.64s (-1000..1000)", val);
		s->has_oom = 1, s->oom_score_adj = v;
	} else if (!strcmp(k, "seccomp_flags")) {
		if (parse_num(val, 0, SECCOMP_FLAGS_OK, &v))
			return fail("bad seccomp_flags: %.64s (0..%d: TSYNC, LOG, SPEC_ALLOW)", val, SECCOMP_FLAGS_OK);
		s->has_flags = 1, s->seccomp_flags = v;
	} else if (!strcmp(k, "seccomp"))
		return seccomp_decode(val, &s->filter, &s->nfilter) < 0 ? -1 : 1;
	else
		return 0;
	return 1;
}

/* After the keys: the capability sets come all together, flags only with a program. */
static int sec_check(const struct proc_sec *s)
{
	if (s->caps_given && s->caps_given != (1u << CAP_SETS) - 1)
		return fail("cap_bounding, cap_effective, cap_permitted, cap_inheritable, cap_ambient: give all five or none");
	if (s->has_flags && !s->filter)
		return fail("seccomp_flags without seccomp");
	return 0;
}

/* A numeric process key: terminal, uid, gid, umask. */
static int proc_num(struct proc_spec *p, const char *k, const char *val)
{
	long long v;
	int term = !strcmp(k, "terminal"), mask = !strcmp(k, "umask");
	if (parse_num(val, 0, term ? 1 : mask ? 0777 : UINT32_MAX, &v))
		return fail("bad %s: %.64s", k, val);
	if (term)
		p->terminal = v;
	else if (mask)
		p->umask = v;
	else if (k[0] == 'u')
		p->uid = v;
	else
		p->gid = v;
	return 1;
}

/* A process key (create and exec share them). 1: taken, 0: not a process key, -1: bad. */
static int proc_key(struct proc_spec *p, const char *k, const char *val)
{
	if (!strcmp(k, "cwd"))
		p->cwd = val;
	else if (!strcmp(k, "arg"))
		p->argv[p->nargs++] = (char *)val;
	else if (!strcmp(k, "env"))
		p->envp[p->nenv++] = (char *)val;
	else if (!strcmp(k, "rlimit")) {
		if (parse_rlimit(val, &p->rlimits[p->nrlimits++]))
			return fail("bad rlimit: %.64s", val);
	} else if (!strcmp(k, "gids")) {
		if (parse_gids(val, p))
			return fail("bad gids: %.64s", val);
	} else if (!strcmp(k, "console_size")) {
		long long rows, cols;
		const char *comma = strchr(val, ',');
		char r[16];
		if (!comma || comma - val >= (int)sizeof r)
			return fail("bad console_size: %.64s (<rows>,<cols>)", val);
		snprintf(r, sizeof r, "%.*s", (int)(comma - val), val);
		if (parse_num(r, 0, 65535, &rows) || parse_num(comma + 1, 0, 65535, &cols))
			return fail("bad console_size: %.64s (<rows>,<cols>, each 0..65535)", val);
		p->rows = rows, p->cols = cols;
	} else if (!strcmp(k, "terminal") || !strcmp(k, "uid") || !strcmp(k, "gid") || !strcmp(k, "umask"))
		return proc_num(p, k, val);
	else
		return sec_key(&p->sec, k, val);
	return 1;
}

/* Splits kvi into *k and *val and offers it to the process keys.
 * -1: error, 1: a process key (consumed), 0: the caller's own key. */
static int take_key(struct proc_spec *p, char *kvi, char **k, char **val)
{
	*k = kvi;
	if (split_kv(*k, val) < 0)
		return -1;
	return p ? proc_key(p, *k, *val) : 0;
}

/* ---- create ---- */

static int create_alloc(struct create_req *r, size_t n)
{
	if (proc_spec_alloc(&r->proc, n) < 0)
		return -1;
	r->mounts = calloc(n + 1, sizeof *r->mounts);
	r->netifs = calloc(n + 1, sizeof *r->netifs);
	r->netaddrs = calloc(n + 1, sizeof *r->netaddrs);
	r->netroutes = calloc(n + 1, sizeof *r->netroutes);
	r->masked = calloc(n + 1, sizeof *r->masked);
	r->ropaths = calloc(n + 1, sizeof *r->ropaths);
	r->sysctls = calloc(n + 1, sizeof *r->sysctls);
	r->devices = calloc(n + 1, sizeof *r->devices);
	if (!r->mounts || !r->netifs || !r->netaddrs || !r->netroutes || !r->masked || !r->ropaths || !r->sysctls ||
	    !r->devices)
		return fail("out of memory");
	return 0;
}

/* masked=, readonly_path=: an absolute path without "..", at most SEC_MAX_PATHS of each */
static int take_sec_path(const char *k, const char *val, const char **list, size_t *n)
{
	if (!sec_path_valid(val))
		return fail("bad %s: %.64s (an absolute path without .., at most %d bytes)", k, val, SEC_PATH_MAX);
	if (*n >= SEC_MAX_PATHS)
		return fail("more than %d %s= keys", SEC_MAX_PATHS, k);
	list[(*n)++] = val;
	return 0;
}

static int take_sysctl(struct create_req *r, char *val)
{
	struct sysctl_kv s;
	if (r->nsysctls >= SEC_MAX_SYSCTLS)
		return fail("more than %d sysctl= keys", SEC_MAX_SYSCTLS);
	if (sysctl_parse(val, &s))
		return fail("bad sysctl: %.64s (want <a.b.c>\\x1f<value>, a value of at most %d bytes)", val, SYSCTL_VALUE_MAX);
	for (size_t i = 0; i < r->nsysctls; i++)
		if (!strcmp(r->sysctls[i].name, s.name))
			return fail("duplicate sysctl: %.64s", s.name);
	r->sysctls[r->nsysctls++] = s;
	return 0;
}

static int take_device(struct create_req *r, char *val)
{
	struct dev_node d;
	char shown[80];
	snprintf(shown, sizeof shown, "%s", val);
	for (char *c = shown; *c; c++)
		if (*c == '\x1f')
			*c = ' ';
	if (r->ndevices >= SEC_MAX_DEVICES)
		return fail("more than %d device= keys", SEC_MAX_DEVICES);
	if (device_parse(val, &d))
		return fail("bad device: %s (want /dev/<path> c|b|p <major 0..4095> <minor 0..1048575> <octal mode> <uid> <gid>)", shown);
	for (size_t i = 0; i < r->ndevices; i++)
		if (!strcmp(r->devices[i].path, d.path))
			return fail("duplicate device: %.64s", d.path);
	r->devices[r->ndevices++] = d;
	return 0;
}

/* A key of create's own (or a resource key). 0, or -1. */
static int create_key(struct create_req *r, const char *k, char *val)
{
	long long v;
	int t = cgspec_key(&r->cg, k, val);
	if (!t)
		t = nsspec_key(&r->ns, k, val);
	if (t)
		return t < 0 ? -1 : 0;
	if (!strcmp(k, "cid"))
		return take_cid(val, &r->cid);
	if (!strcmp(k, "port"))
		return take_port(val, &r->port);
	if (!strcmp(k, "share"))
		r->share = val;
	else if (!strcmp(k, "rootfs")) {
		if (!share_path_valid(val))
			return fail("bad rootfs: %.64s (a path in the share, without ..)", val);
		r->rootfs = val;
	} else if (!strcmp(k, "hostname"))
		r->hostname = val;
	else if (!strcmp(k, "mount"))
		r->mounts[r->nmounts++] = val;
	else if (!strcmp(k, "netif"))
		r->netifs[r->nnetifs++] = val;
	else if (!strcmp(k, "netaddr"))
		r->netaddrs[r->nnetaddrs++] = val;
	else if (!strcmp(k, "netroute"))
		r->netroutes[r->nnetroutes++] = val;
	else if (!strcmp(k, "seed"))
		r->seed = val[0] ? val : NULL;
	else if (!strcmp(k, "time"))
		r->time = val[0] ? val : NULL;
	else if (!strcmp(k, "masked"))
		return take_sec_path(k, val, r->masked, &r->nmasked);
	else if (!strcmp(k, "readonly_path"))
		return take_sec_path(k, val, r->ropaths, &r->nropaths);
	else if (!strcmp(k, "sysctl"))
		return take_sysctl(r, val);
	else if (!strcmp(k, "device"))
		return take_device(r, val);
	else if (!strcmp(k, "devices_bpf"))
		return devprog_decode(val, &r->devprog, &r->ndevprog);
	else if (!strcmp(k, "rootfs_propagation")) {
		if (propagation_parse(val, &r->root_prop))
			return fail("bad rootfs_propagation: %.64s", val);
	} else if (!strcmp(k, "readonly")) {
		if (parse_num(val, 0, 1, &v))
			return fail("bad %s: %.64s", k, val);
		r->readonly = v;
	} else
		return unknown(k);
	return 0;
}

int parse_create(char **kv, size_t n, struct create_req *r)
{
	memset(r, 0, sizeof *r);
	r->port = -1;
	if (refuse_dups(kv, n, create_once) < 0 || refuse_dups(kv, n, cg_keys) < 0 || create_alloc(r, n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char *k, *val;
		int t = take_key(&r->proc, kv[i], &k, &val);
		if (t < 0 || (!t && create_key(r, k, val) < 0))
			return -1;
	}
	if (!r->share || !r->rootfs)
		return fail("create needs share= and rootfs=");
	if (!r->proc.nargs)
		return fail("create needs at least one arg=");
	if (sec_check(&r->proc.sec) < 0 || nsspec_check(&r->ns) < 0)
		return -1;
	return cgspec_check(&r->cg);
}

/* ---- exec, signal, update, cid ---- */

int parse_exec(char **kv, size_t n, struct exec_req *r)
{
	memset(r, 0, sizeof *r);
	r->port = -1;
	if (refuse_dups(kv, n, exec_once) < 0 || proc_spec_alloc(&r->proc, n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char *k, *val;
		int t = take_key(&r->proc, kv[i], &k, &val);
		if (t < 0)
			return -1;
		if (t)
			continue;
		if (!strcmp(k, "cid") ? take_cid(val, &r->cid) < 0
		    : !strcmp(k, "port") ? take_port(val, &r->port) < 0 : unknown(k) < 0)
			return -1;
	}
	if (r->port < 0)
		return fail("exec needs port=<0..%d>", RIND_EXEC_PORTS - 1);
	if (!r->proc.nargs)
		return fail("exec needs at least one arg=");
	return sec_check(&r->proc.sec);
}

int parse_signal(char **kv, size_t n, struct signal_req *r)
{
	long long signo = -1, all = 0;
	memset(r, 0, sizeof *r);
	if (refuse_dups(kv, n, signal_once) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char *k, *val;
		if (take_key(NULL, kv[i], &k, &val) < 0)
			return -1;
		if (!strcmp(k, "cid") && take_cid(val, &r->cid) < 0)
			return -1;
		if (!strcmp(k, "signo") && parse_num(val, 0, 64, &signo))
			signo = -1;
		else if (!strcmp(k, "all") && parse_num(val, 0, 1, &all))
			all = -1;
	}
	if (signo < 0 || all < 0)
		return fail("bad signo= or all=");
	r->signo = signo;
	r->all = all;
	return 0;
}

int parse_update(char **kv, size_t n, struct update_req *r)
{
	memset(r, 0, sizeof *r);
	if (refuse_dups(kv, n, cid_once) < 0 || refuse_dups(kv, n, cg_keys) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char *k, *val;
		if (take_key(NULL, kv[i], &k, &val) < 0)
			return -1;
		int t = cgspec_key(&r->cg, k, val);
		if (t < 0 || (!t && (strcmp(k, "cid") ? unknown(k) : take_cid(val, &r->cid)) < 0))
			return -1;
	}
	return cgspec_check(&r->cg);
}

int parse_cid(char **kv, size_t n, const char **cid)
{
	*cid = NULL;
	if (refuse_dups(kv, n, cid_once) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char *k, *val;
		if (take_key(NULL, kv[i], &k, &val) < 0)
			return -1;
		if (!strcmp(k, "cid") && take_cid(val, cid) < 0)
			return -1;
	}
	return 0;
}
