/* rind guest agent: a create request's mount= entries: their fields, their options, their targets.
 * Pure: turns text into mount(2) flags and data; mounting is rootfs.c's. */
#ifndef RIND_MOUNTSPEC_H
#define RIND_MOUNTSPEC_H
#include <limits.h>
#include <stddef.h>

#define MOUNT_DATA_MAX 4096

struct mount_opts {
	unsigned long flags;    /* MS_* for mount(2) */
	unsigned long prop;     /* MS_PRIVATE etc., or 0 */
	char data[MOUNT_DATA_MAX]; /* the options mount(2) takes as data, comma-separated */
};
/* "dest\x1ftype\x1fsource\x1foptions" split into a copy of its own */
struct mount_entry {
	char buf[3 * PATH_MAX];
	const char *dest, *type, *source, *options;
};

int mount_opts_parse(const char *opts, struct mount_opts *o);
int mount_entry_parse(const char *entry, struct mount_entry *m);
/* Whether one of mounts[0..n) has destination `dest` (absolute paths, slashes normalized). */
int mounts_target(char *const *mounts, size_t n, const char *dest);
/* Compares two absolute paths, ignoring repeated and trailing slashes. */
int same_path(const char *a, const char *b);

#endif
