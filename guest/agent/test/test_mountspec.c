/* rind agent unit tests for mountspec.c: mount options to flags/data, mount= entries, destinations named.
 * Run by guest/agent/test/run.sh; mounts nothing. */
#define _GNU_SOURCE
#include "check.h"
#include "mountspec.h"
#include <stdlib.h>
#include <sys/mount.h>

static struct mount_opts o;

static void test_flags(void)
{
	CHECK(mount_opts_parse("", &o) == 0 && !o.flags && !o.prop && !o.data[0], "empty");
	CHECK(mount_opts_parse("ro,nosuid,nodev,noexec", &o) == 0 &&
	      o.flags == (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC) && !o.data[0], "flags");
	CHECK(mount_opts_parse("ro,rw", &o) == 0 && !(o.flags & MS_RDONLY), "rw clears ro");
	CHECK(mount_opts_parse("rw,ro", &o) == 0 && (o.flags & MS_RDONLY), "the last one wins");
	CHECK(mount_opts_parse("rbind", &o) == 0 && o.flags == (MS_BIND | MS_REC), "rbind");
	CHECK(mount_opts_parse("bind,rprivate", &o) == 0 && o.flags == MS_BIND && o.prop == (MS_PRIVATE | MS_REC),
	      "propagation apart");
	CHECK(mount_opts_parse("shared,slave", &o) == 0 && o.prop == MS_SLAVE, "the last propagation wins");
	CHECK(mount_opts_parse("defaults,tmpcopyup,idmap", &o) == 0 && !o.flags && !o.data[0], "no-op options");
	CHECK(mount_opts_parse(",,ro,,", &o) == 0 && o.flags == MS_RDONLY, "empty options skipped");
}

static void test_data(void)
{
	CHECK(mount_opts_parse("nosuid,size=64m,mode=1777", &o) == 0 && o.flags == MS_NOSUID &&
	      !strcmp(o.data, "size=64m,mode=1777"), "data: %s", o.data);
	CHECK(mount_opts_parse("x-systemd.automount,uid=5", &o) == 0 && !strcmp(o.data, "uid=5"), "x-* dropped");
	char *longopts = malloc(5000);
	memset(longopts, 'a', 4999);
	longopts[4999] = 0;
	CHECK_ERR(mount_opts_parse(longopts, &o), "mount options too long");
	longopts[4095] = 0; /* fits the options, not the data with its terminator */
	CHECK_ERR(mount_opts_parse(longopts, &o), "mount data too long");
	longopts[4000] = 0;
	CHECK(mount_opts_parse(longopts, &o) == 0 && strlen(o.data) == 4000, "a long data option");
	free(longopts);
}

static void test_entries(void)
{
	static struct mount_entry m;
	CHECK(mount_entry_parse("/data\x1f" "bind\x1f" "binds/0\x1f" "ro,rbind", &m) == 0 && !strcmp(m.dest, "/data") &&
	      !strcmp(m.type, "bind") && !strcmp(m.source, "binds/0") && !strcmp(m.options, "ro,rbind"), "four fields");
	CHECK(mount_entry_parse("/t\x1f" "tmpfs\x1f" "tmpfs\x1f", &m) == 0 && !m.options[0], "empty options");
	CHECK_ERR(mount_entry_parse("/t\x1f" "tmpfs\x1f" "tmpfs", &m), "malformed mount entry");
	CHECK_ERR(mount_entry_parse("/t\x1f" "tmpfs\x1f" "tmpfs\x1f" "ro\x1f" "x", &m), "malformed mount entry");
	CHECK_ERR(mount_entry_parse("", &m), "malformed mount entry");
	char *huge = malloc(3 * PATH_MAX + 10);
	memset(huge, 'a', 3 * PATH_MAX + 9);
	huge[3 * PATH_MAX + 9] = 0;
	CHECK_ERR(mount_entry_parse(huge, &m), "mount entry too long");
	free(huge);
}

static void test_targets(void)
{
	char *mounts[] = { "/proc\x1fproc\x1fproc\x1f", "//dev///\x1ftmpfs\x1ftmpfs\x1f", "/a/b\x1f" "bind\x1fx\x1f" };
	CHECK(same_path("/dev", "//dev/") && same_path("/", "///") && !same_path("/dev", "/dev/pts") &&
	      !same_path("/dev", "/devx") && !same_path("/a/b", "/a"), "same_path");
	CHECK(mounts_target(mounts, 3, "/dev"), "//dev/// is /dev");
	CHECK(!mounts_target(mounts, 3, "/dev/pts"), "/dev/pts is not mounted");
	CHECK(mounts_target(mounts, 3, "/a/b/") && !mounts_target(mounts, 3, "/a"), "/a/b");
	CHECK(!mounts_target(mounts, 0, "/proc"), "no mounts");
}

int main(void)
{
	test_flags();
	test_data();
	test_entries();
	test_targets();
	return result("test_mountspec");
}
