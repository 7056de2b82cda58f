/* rind guest agent: the ids of the container table and their rules: which slot a create gets, which container a verb means.
 * Pure: no system calls; what a slot holds beyond its id is container.c's. */
#ifndef RIND_CTABLE_H
#define RIND_CTABLE_H
#include "fields.h"

#define MAX_CONTAINERS 16

struct ctable {
	struct {
		int used;
		char id[CID_MAX + 1];   /* "" for the container created without cid= */
		unsigned long seq;      /* creation order */
	} e[MAX_CONTAINERS];
	unsigned long next_seq;
};

/* The slot a new container `id` ("": created without cid=) would get, or -1 (err_msg): an id
 * in the table, a create without cid while any container exists, a full table. */
int ctable_free_slot(const struct ctable *t, const char *id);
/* Records container `id` in slot (from ctable_free_slot). */
void ctable_take(struct ctable *t, int slot, const char *id);
/* Frees the slot (delete): its id may be used again. */
void ctable_drop(struct ctable *t, int slot);
/* The slot a verb means: cid given, that container (-1 and err_msg if it is not in the table);
 * no cid, the container created without one, else the oldest; -1 (no error) if there is none. */
int ctable_target(const struct ctable *t, const char *cid);
int ctable_count(const struct ctable *t);

#endif
