/* rind guest agent: mount= entries and their options as mount(2) wants them (mountspec.h).
 * Pure: no system calls, no state; an unknown option is passed on as mount data. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "mountspec.h"
#include "err.h"
#include "fields.h"
#include <string.h>
#include <sys/mount.h>

struct opt {
	const char *name;
	int clear;
	unsigned long flag;
};

static const struct opt flag_opts[] = {
	{ "ro", 0, MS_RDONLY }, { "rw", 1, MS_RDONLY }, { "rro", 0, MS_RDONLY },
	{ "nosuid", 0, MS_NOSUID }, { "suid", 1, MS_NOSUID },
	{ "nodev", 0, MS_NODEV }, { "dev", 1, MS_NODEV },
	{ "noexec", 0, MS_NOEXEC }, { "exec", 1, MS_NOEXEC },
	{ "sync", 0, MS_SYNCHRONOUS }, { "async", 1, MS_SYNCHRONOUS },
	{ "dirsync", 0, MS_DIRSYNC },
	{ "mand", 0, MS_MANDLOCK }, { "nomand", 1, MS_MANDLOCK },
	{ "relatime", 0, MS_RELATIME }, { "norelatime", 1, MS_RELATIME },
	{ "strictatime", 0, MS_STRICTATIME }, { "nostrictatime", 1, MS_STRICTATIME },
	{ "noatime", 0, MS_NOATIME }, { "atime", 1, MS_NOATIME },
	{ "nodiratime", 0, MS_NODIRATIME }, { "diratime", 1, MS_NODIRATIME },
	{ "bind", 0, MS_BIND }, { "rbind", 0, MS_BIND | MS_REC },
	{ "silent", 0, MS_SILENT }, { "loud", 1, MS_SILENT },
	{ "defaults", 0, 0 },
	/* runtime-level options with no meaning for mount(2) here */
	{ "tmpcopyup", 0, 0 }, { "notmpcopyup", 0, 0 }, { "copy-symlink", 0, 0 },
	{ "idmap", 0, 0 }, { "ridmap", 0, 0 },
};

static const struct opt prop_opts[] = {
	{ "private", 0, MS_PRIVATE }, { "rprivate", 0, MS_PRIVATE | MS_REC },
	{ "slave", 0, MS_SLAVE }, { "rslave", 0, MS_SLAVE | MS_REC },
	{ "shared", 0, MS_SHARED }, { "rshared", 0, MS_SHARED | MS_REC },
	{ "unbindable", 0, MS_UNBINDABLE }, { "runbindable", 0, MS_UNBINDABLE | MS_REC },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct opt *find_opt(const struct opt *t, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(t[i].name, name))
			return &t[i];
	return NULL;
}

/* Appends option o to the data string (length *dl). */
static int add_data(struct mount_opts *o, size_t *dl, const char *opt)
{
	size_t l = strlen(opt);
	if (*dl + l + 2 > sizeof o->data)
		return fail("mount data too long");
	if (*dl)
		o->data[(*dl)++] = ',';
	memcpy(o->data + *dl, opt, l + 1);
	*dl += l;
	return 0;
}

/* Splits comma-separated options into mount flags, propagation flags and data. */
int mount_opts_parse(const char *opts, struct mount_opts *o)
{
	char buf[4096], *save = NULL;
	size_t dl = 0;
	o->flags = o->prop = 0;
	o->data[0] = 0;
	if (strlen(opts) >= sizeof buf)
		return fail("mount options too long");
	strcpy(buf, opts);
	for (char *s = strtok_r(buf, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
		const struct opt *f;
		if ((f = find_opt(flag_opts, N(flag_opts), s))) {
			if (f->clear)
				o->flags &= ~f->flag;
			else
				o->flags |= f->flag;
		} else if ((f = find_opt(prop_opts, N(prop_opts), s))) {
			o->prop = f->flag;
		} else if (strncmp(s, "x-", 2) && add_data(o, &dl, s) < 0) { /* x-*: hints for mount helpers */
			return -1;
		}
	}
	return 0;
}

int mount_entry_parse(const char *entry, struct mount_entry *m)
{
	char *f[4];
	if (strlen(entry) >= sizeof m->buf)
		return fail("mount entry too long");
	strcpy(m->buf, entry);
	if (split_fields(m->buf, f, 4) < 0)
		return fail("malformed mount entry: %.64s", entry);
	m->dest = f[0], m->type = f[1], m->source = f[2], m->options = f[3];
	return 0;
}

int same_path(const char *a, const char *b)
{
	for (;;) {
		while (*a == '/')
			a++;
		while (*b == '/')
			b++;
		if (!*a || !*b)
			return !*a && !*b;
		while (*a && *a != '/' && *a == *b)
			a++, b++;
		if ((*a && *a != '/') || (*b && *b != '/'))
			return 0;
	}
}

int mounts_target(char *const *mounts, size_t n, const char *dest)
{
	for (size_t i = 0; i < n; i++) {
		char d[PATH_MAX];
		size_t l = strcspn(mounts[i], "\x1f");
		if (l < sizeof d) {
			memcpy(d, mounts[i], l);
			d[l] = 0;
			if (same_path(d, dest))
				return 1;
		}
	}
	return 0;
}
