/* rind guest agent: parsing of the `create` and `exec` requests (docs/protocol.md).
 * Key=value strings into struct create_req / exec_req; arrays are sized by the key count. */
#include "agent.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_rlimit(const char *s, struct rlim *rl)
{
	char buf[96];
	long long res, v[2];
	if (strlen(s) >= sizeof buf)
		return -1;
	strcpy(buf, s);
	char *f[3], *save = NULL;
	for (int i = 0; i < 3; i++)
		if (!(f[i] = strtok_r(i ? NULL : buf, ",", &save)))
			return -1;
	if (strtok_r(NULL, ",", &save) || parse_num(f[0], 0, 63, &res))
		return -1;
	for (int i = 0; i < 2; i++)
		if (parse_num(f[i + 1], -1, INT64_MAX, &v[i]))
			return -1;
	rl->resource = res;
	rl->soft = v[0] < 0 ? ~0ULL : (unsigned long long)v[0];
	rl->hard = v[1] < 0 ? ~0ULL : (unsigned long long)v[1];
	return 0;
}

#define MAX_GIDS 4096

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
	free(p->argv), free(p->envp), free(p->rlimits), free(p->gids);
	p->argv = p->envp = NULL, p->rlimits = NULL, p->gids = NULL;
}

void create_req_free(struct create_req *r)
{
	proc_spec_free(&r->proc);
	free(r->mounts), free(r->netifs), free(r->netaddrs), free(r->netroutes);
	r->mounts = r->netifs = r->netaddrs = r->netroutes = NULL;
}

/* A process key (create and exec share them). 1: taken, 0: not a process key, -1: bad. */
static int proc_key(struct proc_spec *p, const char *k, const char *val)
{
	long long v;
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
	} else if (!strcmp(k, "terminal")) {
		if (parse_num(val, 0, 1, &v))
			return fail("bad terminal: %.64s", val);
		p->terminal = v;
	} else if (!strcmp(k, "uid") || !strcmp(k, "gid")) {
		if (parse_num(val, 0, UINT32_MAX, &v))
			return fail("bad %s: %.64s", k, val);
		if (k[0] == 'u')
			p->uid = v;
		else
			p->gid = v;
	} else if (!strcmp(k, "umask")) {
		if (parse_num(val, 0, 0777, &v))
			return fail("bad umask: %.64s", val);
		p->umask = v;
	} else
		return 0;
	return 1;
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

/* Splits kv[i] into *k and *val and offers it to the process keys.
 * -1: error, 1: a process key (consumed), 0: the caller's own key. */
static int take_key(struct proc_spec *p, char *kvi, char **k, char **val)
{
	*k = kvi;
	if (split_kv(*k, val) < 0)
		return -1;
	return proc_key(p, *k, *val);
}

/* kv[0..n) are "key=value" strings. Arrays are sized by n, which bounds every count. */
int parse_create(char **kv, size_t n, struct create_req *r)
{
	long long v;
	memset(r, 0, sizeof *r);
	if (proc_spec_alloc(&r->proc, n) < 0)
		return -1;
	r->mounts = calloc(n + 1, sizeof *r->mounts);
	r->netifs = calloc(n + 1, sizeof *r->netifs);
	r->netaddrs = calloc(n + 1, sizeof *r->netaddrs);
	r->netroutes = calloc(n + 1, sizeof *r->netroutes);
	if (!r->mounts || !r->netifs || !r->netaddrs || !r->netroutes)
		return fail("out of memory");
	for (size_t i = 0; i < n; i++) {
		char *k, *val;
		int t = take_key(&r->proc, kv[i], &k, &val);
		if (t < 0)
			return -1;
		if (t)
			continue;
		if (!strcmp(k, "share"))
			r->share = val;
		else if (!strcmp(k, "rootfs"))
			r->rootfs = val;
		else if (!strcmp(k, "hostname"))
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
		else if (!strcmp(k, "readonly")) {
			if (parse_num(val, 0, 1, &v))
				return fail("bad readonly: %.64s", val);
			r->readonly = v;
		}
		/* unknown keys are ignored: room for later extensions */
	}
	if (!r->share || !r->rootfs)
		return fail("create needs share= and rootfs=");
	if (!r->proc.nargs)
		return fail("create needs at least one arg=");
	return 0;
}

int parse_exec(char **kv, size_t n, struct exec_req *r)
{
	long long v;
	r->port = -1;
	if (proc_spec_alloc(&r->proc, n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char *k, *val;
		int t = take_key(&r->proc, kv[i], &k, &val);
		if (t < 0)
			return -1;
		if (!t && !strcmp(k, "port")) {
			if (parse_num(val, 0, NEXEC - 1, &v))
				return fail("bad port: %.64s (0..%d)", val, NEXEC - 1);
			r->port = v;
		}
	}
	if (r->port < 0)
		return fail("exec needs port=<0..%d>", NEXEC - 1);
	if (!r->proc.nargs)
		return fail("exec needs at least one arg=");
	return 0;
}
