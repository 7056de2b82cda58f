/* rind agent unit tests for fields.c: strict decimals, \x1f fields, container ids, paths in the share.
 * Run by guest/agent/test/run.sh; needs nothing of the VM. */
#define _GNU_SOURCE
#include "check.h"
#include "fields.h"
#include <stdint.h>

static void test_parse_num(void)
{
	long long v = 0;
	CHECK(parse_num("0", 0, 1, &v) == 0 && v == 0, "0");
	CHECK(parse_num("007", 0, 10, &v) == 0 && v == 7, "leading zeros are decimal");
	CHECK(parse_num("-1", -1, 5, &v) == 0 && v == -1, "-1");
	CHECK(parse_num("9223372036854775807", 0, INT64_MAX, &v) == 0 && v == INT64_MAX, "INT64_MAX");
	const char *bad[] = { "", "-", "+5", " 5", "5 ", "5x", "0x10", "1e3", "--1", "9223372036854775808",
			      "99999999999999999999999", "4294967296", "\n1", NULL };
	for (const char **b = bad; *b; b++)
		CHECK(parse_num(*b, 0, UINT32_MAX, &v) == -1, "\"%s\" is refused", *b);
	CHECK(parse_num("11", 0, 10, &v) == -1, "above max");
	CHECK(parse_num("-1", 0, 10, &v) == -1, "below min");
}

static void test_split_fields(void)
{
	char b[64], *f[4];
	strcpy(b, "a\x1f" "b\x1f\x1f" "d");
	CHECK(split_fields(b, f, 4) == 0 && !strcmp(f[0], "a") && !strcmp(f[1], "b") && !f[2][0] && !strcmp(f[3], "d"),
	      "four fields, one empty");
	strcpy(b, "a\x1f" "b");
	CHECK(split_fields(b, f, 3) == -1, "too few");
	strcpy(b, "a\x1f" "b\x1f" "c\x1f" "d");
	CHECK(split_fields(b, f, 3) == -1, "too many");
	strcpy(b, "");
	CHECK(split_fields(b, f, 1) == 0 && !f[0][0], "one empty field");
}

static void test_cid(void)
{
	char longest[CID_MAX + 2];
	memset(longest, 'a', CID_MAX);
	longest[CID_MAX] = 0;
	CHECK(cid_valid("a") && cid_valid("Web_1.prod-2") && cid_valid(longest), "valid ids");
	longest[CID_MAX] = 'a', longest[CID_MAX + 1] = 0;
	CHECK(!cid_valid(longest), "65 characters");
	const char *bad[] = { "", "a/b", "a b", "a=b", "ä", "a\x1f", "a\n", "a,b", NULL };
	for (const char **b = bad; *b; b++)
		CHECK(!cid_valid(*b), "\"%s\" is refused", *b);
}

static void test_share_path(void)
{
	const char *good[] = { "rootfs", "c/web.1/rootfs", "/binds/0", "c/x/binds/12", "a/..b/c", "a/b../c", "./a", "a//b/", NULL };
	for (const char **g = good; *g; g++)
		CHECK(share_path_valid(*g), "\"%s\" is a share path", *g);
	const char *bad[] = { "", "/", "//", "..", "../x", "a/..", "a/../b", "/../../etc", "c//../x", "a/../", NULL };
	for (const char **b = bad; *b; b++)
		CHECK(!share_path_valid(*b), "\"%s\" is refused", *b);
}

int main(void)
{
	test_parse_num();
	test_split_fields();
	test_cid();
	test_share_path();
	return result("test_fields");
}
