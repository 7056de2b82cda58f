/* rind guest agent: parsing and checking of a create request's namespace keys (nsspec.h).
 * Pure: no system calls, no state; strings point into the message. */
#include "nsspec.h"
#include "err.h"
#include "fields.h"
#include <stdio.h>
#include <string.h>

static const char *const names[NS_KINDS] = { "pid", "ipc", "uts", "cgroup", "user", "mnt" };

const char *ns_name(int kind)
{
	return kind >= 0 && kind < NS_KINDS ? names[kind] : "?";
}

/* A kind a key may name (not mnt), or -1. */
static int kind_of(const char *s, size_t len)
{
	for (int k = 0; k < NS_MNT; k++)
		if (strlen(names[k]) == len && !strncmp(names[k], s, len))
			return k;
	return -1;
}

static int take_fresh(struct ns_spec *s, const char *val)
{
	int k = kind_of(val, strlen(val));
	if (k < 0)
		return fail("bad ns: %.64s (pid, ipc, uts, cgroup or user)", val);
	if (s->fresh & 1 << k)
		return fail("ns=%s given twice", val);
	s->fresh |= 1 << k;
	return 1;
}

/* nsjoin=<kind>,<cid>: the cid may be empty (the container created without one) */
static int take_join(struct ns_spec *s, char *val)
{
	char *comma = strchr(val, ',');
	int k = comma ? kind_of(val, comma - val) : -1;
	if (k < 0)
		return fail("bad nsjoin: %.64s (<kind>,<cid>)", val);
	if (s->joined & 1 << k)
		return fail("nsjoin=%s given twice", names[k]);
	if (strlen(comma + 1) > CID_MAX)
		return fail("bad nsjoin: cid longer than %d bytes", CID_MAX);
	s->joined |= 1 << k;
	s->join_cid[k] = comma + 1;
	return 1;
}

/* uidmap=/gidmap=<inside>,<outside>,<count>: ids below 2^32, count >= 1, no range past 2^32 */
static int take_map(struct id_map *m, size_t *n, const char *k, char *val)
{
	long long v[3];
	char *p = val;
	for (int i = 0; i < 3; i++) {
		char *end = strchr(p, ',');
		if ((i < 2) != (end != NULL))
			return fail("bad %s: %.64s (<inside>,<outside>,<count>)", k, val);
		if (end)
			*end = 0;
		int bad = parse_num(p, i == 2 ? 1 : 0, 4294967295LL, &v[i]);
		if (end)
			*end = ',';
		if (bad)
			return fail("bad %s: %.64s (<inside>,<outside>,<count>)", k, val);
		p = end ? end + 1 : p;
	}
	if (v[0] + v[2] > 4294967296LL || v[1] + v[2] > 4294967296LL)
		return fail("bad %s: %.64s (a range past 2^32)", k, val);
	if (*n >= NS_MAX_MAPS)
		return fail("more than %d %s= keys", NS_MAX_MAPS, k);
	m[*n] = (struct id_map){ v[0], v[1], v[2] };
	(*n)++;
	return 1;
}

int nsspec_key(struct ns_spec *s, const char *key, char *val)
{
	if (!strcmp(key, "ns"))
		return take_fresh(s, val);
	if (!strcmp(key, "nsjoin"))
		return take_join(s, val);
	if (!strcmp(key, "uidmap"))
		return take_map(s->uid, &s->nuid, key, val);
	if (!strcmp(key, "gidmap"))
		return take_map(s->gid, &s->ngid, key, val);
	if (!strcmp(key, "domainname")) {
		if (s->domainname)
			return fail("duplicate key: domainname");
		if (strlen(val) > 64)
			return fail("bad domainname: longer than 64 bytes");
		s->domainname = val;
		return 1;
	}
	return 0;
}

int nsspec_check(const struct ns_spec *s)
{
	int both = s->fresh & s->joined;
	for (int k = 0; k < NS_MNT; k++)
		if (both & 1 << k)
			return fail("ns=%s and nsjoin=%s: a namespace is its own or joined, not both", names[k], names[k]);
	int own_user = s->fresh & 1 << NS_USER;
	if (!own_user && (s->nuid || s->ngid))
		return fail("uidmap=/gidmap= need ns=user");
	if (own_user && (!s->nuid || !s->ngid))
		return fail("ns=user needs uidmap= and gidmap=");
	return 0;
}

int idmap_text(const struct id_map *m, size_t n, char *out, size_t len)
{
	size_t used = 0;
	out[0] = 0;
	for (size_t i = 0; i < n; i++) {
		int w = snprintf(out + used, len - used, "%llu %llu %llu\n", m[i].inside, m[i].outside, m[i].count);
		if (w < 0 || (size_t)w >= len - used)
			return -1;
		used += w;
	}
	return (int)used;
}
