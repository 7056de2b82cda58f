/* rind agent unit tests for nsspec.c: namespace kinds own and joined, id maps, domain name; valid and hostile.
 * Run by guest/agent/test/run.sh. */
#include "check.h"
#include "nsspec.h"
#include <stdlib.h>

/* offers "key=value" (a copy: the parser writes into values) */
static int key(struct ns_spec *s, const char *k, const char *v)
{
	static char buf[16][256];
	static int next;
	char *b = buf[next++ % 16];
	snprintf(b, 256, "%s", v);
	return nsspec_key(s, k, b);
}

static void test_kinds(void)
{
	struct ns_spec s = { 0 };
	CHECK(key(&s, "ns", "pid") == 1 && key(&s, "ns", "uts") == 1 && key(&s, "ns", "cgroup") == 1, "own kinds: %s", err_msg);
	CHECK(s.fresh == (1 << NS_PID | 1 << NS_UTS | 1 << NS_CGROUP), "fresh mask");
	CHECK_ERR(key(&s, "ns", "pid"), "ns=pid given twice");
	CHECK_ERR(key(&s, "ns", "net"), "bad ns");
	CHECK_ERR(key(&s, "ns", "mnt"), "bad ns");
	CHECK_ERR(key(&s, "ns", ""), "bad ns");
	CHECK(key(&s, "nsjoin", "ipc,web") == 1 && s.joined == 1 << NS_IPC && !strcmp(s.join_cid[NS_IPC], "web"), "join: %s", err_msg);
	CHECK(key(&s, "nsjoin", "user,") == 1 && !strcmp(s.join_cid[NS_USER], ""), "join the container without cid");
	CHECK_ERR(key(&s, "nsjoin", "ipc,x"), "given twice");
	CHECK_ERR(key(&s, "nsjoin", "ipc"), "bad nsjoin");
	CHECK_ERR(key(&s, "nsjoin", "pidx,a"), "bad nsjoin");
	CHECK_ERR(key(&s, "nsjoin", ",a"), "bad nsjoin");
	char longcid[200];
	memset(longcid, 'a', sizeof longcid - 1), longcid[sizeof longcid - 1] = 0;
	char v[220];
	snprintf(v, sizeof v, "uts,%s", longcid);
	struct ns_spec t = { 0 };
	CHECK_ERR(key(&t, "nsjoin", v), "longer than");
	CHECK(key(&s, "other", "1") == 0, "not a namespace key");
	struct ns_spec both = { 0 };
	key(&both, "ns", "ipc"), key(&both, "nsjoin", "ipc,a");
	CHECK_ERR(nsspec_check(&both), "its own or joined");
}

static void test_maps(void)
{
	struct ns_spec s = { 0 };
	CHECK(key(&s, "uidmap", "0,100000,65536") == 1 && key(&s, "uidmap", "65536,1,1") == 1, "uid maps: %s", err_msg);
	CHECK_ERR(nsspec_check(&s), "need ns=user");
	key(&s, "ns", "user");
	CHECK_ERR(nsspec_check(&s), "needs uidmap= and gidmap=");
	CHECK(key(&s, "gidmap", "0,100000,65536") == 1 && nsspec_check(&s) == 0, "complete: %s", err_msg);
	char text[NS_MAP_TEXT];
	CHECK(idmap_text(s.uid, s.nuid, text, sizeof text) > 0 && !strcmp(text, "0 100000 65536\n65536 1 1\n"), "map text: %s", text);
	CHECK(idmap_text(s.uid, s.nuid, text, 8) == -1, "map text too small");
	const char *bad[] = { "0,1", "0,1,0", "0,1,2,3", "-1,1,1", "0,4294967296,1", "x,1,1", "0,,1", ",1,1",
			      "4294967295,0,2", "0,4294967295,2", "", NULL };
	for (int i = 0; bad[i]; i++) {
		struct ns_spec b = { 0 };
		CHECK_ERR(key(&b, "gidmap", bad[i]), "bad gidmap");
	}
	struct ns_spec full = { 0 };
	int ok = 1;
	for (int i = 0; i < NS_MAX_MAPS; i++)
		ok &= key(&full, "uidmap", "0,0,1") == 1;
	CHECK(ok, "up to NS_MAX_MAPS maps");
	CHECK_ERR(key(&full, "uidmap", "0,0,1"), "more than");
	CHECK(idmap_text(full.uid, full.nuid, text, sizeof text) > 0, "the longest map text fits");
	struct ns_spec big = { 0 };
	for (int i = 0; i < NS_MAX_MAPS; i++)
		key(&big, "uidmap", "4294967294,4294967294,1");
	CHECK(idmap_text(big.uid, big.nuid, text, sizeof text) > 0, "the widest map text fits");
}

static void test_domainname(void)
{
	struct ns_spec s = { 0 };
	CHECK(key(&s, "domainname", "example.org") == 1 && !strcmp(s.domainname, "example.org"), "domainname");
	CHECK_ERR(key(&s, "domainname", "x"), "duplicate key: domainname");
	char l[80];
	memset(l, 'd', 79), l[79] = 0;
	struct ns_spec t = { 0 };
	CHECK_ERR(key(&t, "domainname", l), "longer than 64");
	CHECK(!strcmp(ns_name(NS_MNT), "mnt") && !strcmp(ns_name(NS_CGROUP), "cgroup") && !strcmp(ns_name(99), "?"), "names");
}

int main(void)
{
	test_kinds();
	test_maps();
	test_domainname();
	return result("test_nsspec");
}
