/* rind agent unit tests for ctable.c: which slot a create gets, duplicate and reused ids, a full table, the target of a verb without cid=.
 * Run by guest/agent/test/run.sh; the table is a plain struct here. */
#include "check.h"
#include "ctable.h"

static void test_claims(void)
{
	struct ctable t = { 0 };
	CHECK(ctable_target(&t, NULL) == -1, "empty table: no target");
	CHECK_ERR(ctable_target(&t, "a"), "unknown container: a");
	int s = ctable_free_slot(&t, "");
	CHECK(s == 0, "first slot for the container without cid: %d", s);
	ctable_take(&t, s, "");
	CHECK_ERR(ctable_free_slot(&t, ""), "the container was already created");
	s = ctable_free_slot(&t, "web");
	CHECK(s == 1, "a member gets the next slot: %d", s);
	ctable_take(&t, s, "web");
	CHECK_ERR(ctable_free_slot(&t, "web"), "container web already exists");
	CHECK(ctable_target(&t, "web") == 1 && ctable_target(&t, NULL) == 0, "by cid; no cid: the one without");
	CHECK_ERR(ctable_target(&t, "Web"), "unknown container: Web");

	/* a stopped container keeps its id until it is deleted; then the id and the slot are free */
	ctable_drop(&t, 1);
	CHECK_ERR(ctable_target(&t, "web"), "unknown container: web");
	s = ctable_free_slot(&t, "web");
	CHECK(s == 1, "cid reused after delete, same slot: %d", s);
	ctable_take(&t, s, "web");
	ctable_drop(&t, 0);
	CHECK(ctable_target(&t, NULL) == 1, "no cid, no container without one: the oldest");
	s = ctable_free_slot(&t, "");
	CHECK_ERR(s, "the container was already created");
	CHECK(ctable_count(&t) == 1, "count");
}

static void test_full(void)
{
	struct ctable t = { 0 };
	char id[16];
	for (int i = 0; i < MAX_CONTAINERS; i++) {
		snprintf(id, sizeof id, "c%d", i);
		int s = ctable_free_slot(&t, id);
		CHECK(s == i, "slot %d", s);
		ctable_take(&t, s, id);
	}
	CHECK_ERR(ctable_free_slot(&t, "one-more"), "the container table is full (16 containers)");
	CHECK_ERR(ctable_free_slot(&t, "c3"), "container c3 already exists");
	ctable_drop(&t, 5);
	CHECK(ctable_free_slot(&t, "one-more") == 5, "the freed slot is used again");
	/* the oldest is by creation order, not by slot */
	ctable_take(&t, 5, "one-more");
	ctable_drop(&t, 0);
	CHECK(ctable_target(&t, NULL) == 1, "oldest after c0 went: c1");
	ctable_take(&t, 0, "newest");
	CHECK(ctable_target(&t, NULL) == 1, "a new container in slot 0 is not the oldest");
	CHECK(ctable_target(&t, "newest") == 0 && ctable_target(&t, "one-more") == 5, "lookups");
}

int main(void)
{
	test_claims();
	test_full();
	return result("test_ctable");
}
