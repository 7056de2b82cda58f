/* rind guest agent: mount destinations resolved inside a container root (resolve.h).
 * lstat-walks one component at a time from a directory fd; no chroot, no following of symlinks by the kernel. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "resolve.h"
#include "err.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_LINKS 40

/* The walk: `rest` still to resolve (from p), `cur` resolved so far (relative, cl bytes). */
struct walk {
	const char *path;       /* as given, for errors */
	char rest[2 * PATH_MAX], *p;
	char cur[PATH_MAX];
	size_t cl;
	int links;
};

/* The next component (NUL-terminated in place), or NULL at the end; *last: nothing follows. */
static char *next_part(struct walk *w, int *last)
{
	while (*w->p == '/')
		w->p++;
	if (!*w->p)
		return NULL;
	char *c = w->p;
	while (*w->p && *w->p != '/')
		w->p++;
	if (*w->p)
		*w->p++ = 0;
	const char *q = w->p;
	while (*q == '/')
		q++;
	*last = !*q;
	return c;
}

static int go_up(struct walk *w)
{
	if (!w->cl)
		return fail("mount destination escapes the container root: %s", w->path);
	while (w->cl && w->cur[w->cl - 1] != '/')
		w->cl--;
	if (w->cl)
		w->cl--;
	w->cur[w->cl] = 0;
	return 0;
}

/* Appends component c to cur (cl is not advanced) and lstats it, making it if missing. */
static int lookup(int dfd, struct walk *w, const char *c, int mk, int last, struct stat *st)
{
	size_t clen = strlen(c), nl = w->cl + (w->cl ? 1 : 0) + clen;
	if (nl >= sizeof w->cur)
		return fail("path too long: %.64s", w->path);
	if (w->cl)
		w->cur[w->cl] = '/';
	memcpy(w->cur + nl - clen, c, clen + 1);
	int r = fstatat(dfd, w->cur, st, AT_SYMLINK_NOFOLLOW);
	if (r < 0 && errno == ENOENT && mk != MK_NONE) {
		if (last && mk == MK_FILE) {
			r = openat(dfd, w->cur, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
			if (r >= 0)
				close(r);
		} else {
			r = mkdirat(dfd, w->cur, 0755);
		}
		if (r >= 0)
			r = fstatat(dfd, w->cur, st, AT_SYMLINK_NOFOLLOW);
	}
	if (r < 0)
		return fail("%s in container root: %s", w->cur, strerror(errno));
	return 0;
}

/* cur names a symlink: the rest of the path now starts with its target. */
static int follow(int dfd, struct walk *w)
{
	char link[PATH_MAX], tail[PATH_MAX];
	ssize_t ll = readlinkat(dfd, w->cur, link, sizeof link - 1);
	if (ll < 0 || ++w->links > MAX_LINKS)
		return fail("cannot follow symlink %s in container root", w->cur);
	link[ll] = 0;
	if (strlen(w->p) >= sizeof tail || (size_t)ll + 1 + strlen(w->p) >= sizeof w->rest)
		return fail("path too long: %.64s", w->path);
	strcpy(tail, w->p);
	snprintf(w->rest, sizeof w->rest, "%s/%s", link, tail);
	w->p = w->rest;
	w->cur[w->cl] = 0; /* drop the link itself */
	if (link[0] == '/')
		w->cl = 0, w->cur[0] = 0;
	return 0;
}

/* One component: 0 to go on, -1 on error. */
static int step(int dfd, struct walk *w, char *c, int mk, int last)
{
	struct stat st;
	if (!strcmp(c, "."))
		return 0;
	if (!strcmp(c, ".."))
		return go_up(w);
	if (lookup(dfd, w, c, mk, last, &st) < 0)
		return -1;
	if (S_ISLNK(st.st_mode))
		return follow(dfd, w);
	if (!last && !S_ISDIR(st.st_mode))
		return fail("%s in container root: not a directory", w->cur);
	w->cl = strlen(w->cur);
	return 0;
}

int resolve_in(int rootfd, const char *root, const char *path, int mk, char *out, size_t outlen)
{
	struct walk w;
	int last = 0;
	char *c;
	if (strlen(path) >= sizeof w.rest)
		return fail("path too long: %.64s", path);
	w.path = path;
	strcpy(w.rest, path);
	w.p = w.rest;
	w.cur[0] = 0;
	w.cl = 0;
	w.links = 0;
	while ((c = next_part(&w, &last)))
		if (step(rootfd, &w, c, mk, last) < 0)
			return -1;
	if (!w.cl)
		return fail("mount destination is the container root: %s", path);
	if ((size_t)snprintf(out, outlen, "%s/%s", root, w.cur) >= outlen)
		return fail("path too long: %.64s", path);
	return 0;
}
