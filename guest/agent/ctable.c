/* rind guest agent: the container table's ids (ctable.h): free slots, duplicates, the target of a verb without cid=.
 * Pure: no system calls; unit-tested for the reuse rules. */
#include "ctable.h"
#include "err.h"
#include <stdio.h>
#include <string.h>

static int find(const struct ctable *t, const char *id)
{
	for (int i = 0; i < MAX_CONTAINERS; i++)
		if (t->e[i].used && !strcmp(t->e[i].id, id))
			return i;
	return -1;
}

int ctable_count(const struct ctable *t)
{
	int n = 0;
	for (int i = 0; i < MAX_CONTAINERS; i++)
		n += t->e[i].used;
	return n;
}

int ctable_free_slot(const struct ctable *t, const char *id)
{
	if (!id[0] && ctable_count(t))
		return fail("the container was already created");
	if (find(t, id) >= 0)
		return fail("container %s already exists", id);
	for (int i = 0; i < MAX_CONTAINERS; i++)
		if (!t->e[i].used)
			return i;
	return fail("the container table is full (%d containers)", MAX_CONTAINERS);
}

void ctable_take(struct ctable *t, int slot, const char *id)
{
	t->e[slot].used = 1;
	snprintf(t->e[slot].id, sizeof t->e[slot].id, "%s", id);
	t->e[slot].seq = t->next_seq++;
}

void ctable_drop(struct ctable *t, int slot)
{
	memset(&t->e[slot], 0, sizeof t->e[slot]);
}

int ctable_target(const struct ctable *t, const char *cid)
{
	if (cid) {
		int i = find(t, cid);
		return i >= 0 ? i : fail("unknown container: %s", cid);
	}
	int best = find(t, "");
	if (best >= 0)
		return best;
	for (int i = 0; i < MAX_CONTAINERS; i++) /* no container without an id: the oldest */
		if (t->e[i].used && (best < 0 || t->e[i].seq < t->e[best].seq))
			best = i;
	return best;
}
