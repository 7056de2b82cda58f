/* rind agent unit tests for resolve.c: mount destinations against "..", symlink escapes, loops, creation.
 * Run by guest/agent/test/run.sh on a temp directory tree; never touches anything outside it. */
#define _GNU_SOURCE
#include "check.h"
#include "resolve.h"
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[PATH_MAX], out[PATH_MAX];
static int rfd;

static void mkfile(const char *rel)
{
	int fd = openat(rfd, rel, O_WRONLY | O_CREAT, 0644);
	if (fd >= 0)
		close(fd);
}

/* out must be root + "/" + rel */
static int is(const char *rel)
{
	char want[2 * PATH_MAX];
	snprintf(want, sizeof want, "%s/%s", root, rel);
	return !strcmp(out, want);
}

static int kind(const char *rel)
{
	struct stat st;
	if (fstatat(rfd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	return S_ISDIR(st.st_mode) ? 'd' : S_ISREG(st.st_mode) ? 'f' : S_ISLNK(st.st_mode) ? 'l' : '?';
}

static int res(const char *path, int mk)
{
	out[0] = 0;
	return resolve_in(rfd, root, path, mk, out, sizeof out);
}

static void setup(const char *tmp)
{
	snprintf(root, sizeof root, "%s/root", tmp);
	mkdir(root, 0755);
	rfd = open(root, O_PATH | O_DIRECTORY);
	mkdirat(rfd, "etc", 0755);
	mkdirat(rfd, "a", 0755);
	mkdirat(rfd, "a/b", 0755);
	mkfile("file");
	symlinkat("/etc", rfd, "abs");              /* absolute: restarts at the root */
	symlinkat("a/b", rfd, "rel");
	symlinkat("../../../..", rfd, "a/up");     /* escapes */
	symlinkat("/../../..", rfd, "absup");      /* escapes from the root */
	symlinkat("..", rfd, "a/parent");          /* stays inside */
	symlinkat("loop", rfd, "loop");
	symlinkat("/nowhere/deep", rfd, "dangling");
	symlinkat("/", rfd, "slash");
	/* something outside the root, which no resolution may reach */
	char outside[PATH_MAX];
	snprintf(outside, sizeof outside, "%s/outside", tmp);
	mkdir(outside, 0755);
	symlinkat(outside, rfd, "hostpath");       /* an absolute host path means root/<that path> */
}

static void test_plain(void)
{
	CHECK(res("/etc", MK_NONE) == 0 && is("etc"), "/etc -> %s", out);
	CHECK(res("//a/./b//", MK_NONE) == 0 && is("a/b"), "slashes and dots -> %s", out);
	CHECK(res("a/b/../b", MK_NONE) == 0 && is("a/b"), "relative with .. inside -> %s", out);
	CHECK(res("/a/..//etc", MK_NONE) == 0 && is("etc"), ".. back to the root -> %s", out);
	CHECK_ERR(res("/", MK_DIR), "mount destination is the container root");
	CHECK_ERR(res("/a/..", MK_DIR), "mount destination is the container root");
	CHECK_ERR(res("/missing", MK_NONE), "missing in container root");
	CHECK_ERR(res("/file/x", MK_DIR), "file in container root: not a directory");
}

static void test_escapes(void)
{
	CHECK_ERR(res("/..", MK_DIR), "escapes the container root");
	CHECK_ERR(res("../etc", MK_DIR), "escapes the container root");
	CHECK_ERR(res("/a/../../etc", MK_DIR), "escapes the container root");
	CHECK_ERR(res("/a/up/x", MK_DIR), "escapes the container root");
	CHECK_ERR(res("/absup", MK_DIR), "escapes the container root");
	CHECK(res("/a/parent/etc", MK_NONE) == 0 && is("etc"), "a symlink to .. inside -> %s", out);
	CHECK(res("/slash/etc", MK_NONE) == 0 && is("etc"), "a symlink to / is the root -> %s", out);
	CHECK_ERR(res("/slash/..", MK_DIR), "escapes the container root");
	CHECK(res("/abs/x", MK_DIR) == 0 && is("etc/x") && kind("etc/x") == 'd', "absolute symlink -> %s", out);
	CHECK(res("/rel", MK_NONE) == 0 && is("a/b"), "relative symlink -> %s", out);
	/* the symlink's absolute target is taken inside the root: root/tmp/.../outside is made, not the host's */
	CHECK(res("/hostpath/y", MK_DIR) == 0 && strncmp(out, root, strlen(root)) == 0 && out[strlen(root)] == '/',
	      "host path stays inside -> %s", out);
	char host[PATH_MAX];
	snprintf(host, sizeof host, "%.*s/outside/y", (int)(strlen(root) - 5), root);
	CHECK(access(host, F_OK) != 0, "nothing made outside the root");
	CHECK_ERR(res("/loop", MK_DIR), "cannot follow symlink loop");
}

static void test_make(void)
{
	CHECK(res("/new/dir", MK_DIR) == 0 && is("new/dir") && kind("new/dir") == 'd', "dirs made");
	CHECK(res("/new/f", MK_FILE) == 0 && is("new/f") && kind("new/f") == 'f', "last one a file");
	CHECK(res("/dangling", MK_DIR) == 0 && is("nowhere/deep") && kind("nowhere/deep") == 'd',
	      "a dangling symlink's target is made inside -> %s", out);
	CHECK(res("/dangling", MK_NONE) == 0 && is("nowhere/deep"), "and found again");
	CHECK(kind("dangling") == 'l', "the link stays a link");
	CHECK_ERR(res("/nope/x", MK_NONE), "nope in container root");
	char big[PATH_MAX + 10];
	memset(big, 'a', sizeof big - 1);
	big[0] = '/';
	big[300] = 0;
	CHECK_ERR(res(big, MK_DIR), "in container root"); /* a component over NAME_MAX: ENAMETOOLONG */
	big[300] = 'a';
	big[sizeof big - 1] = 0;
	CHECK_ERR(res(big, MK_DIR), "path too long");
	char deep[3 * PATH_MAX];
	memset(deep, '/', sizeof deep - 1);
	deep[sizeof deep - 1] = 0;
	CHECK_ERR(res(deep, MK_NONE), "path too long");
}

int main(void)
{
	char tmp[] = "/tmp/rind-resolve-XXXXXX";
	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 1;
	}
	setup(tmp);
	test_plain();
	test_escapes();
	test_make();
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmp);
	return result("test_resolve");
}
