/* rind-shim: --shim-root DIR: once the VMM runs (exec mode: once the port is connected), the shim
 * itself moves into a mount namespace of its own whose root is DIR (the container's rootfs on the
 * host), so tools that enter the waitable pid's mount namespace (podman cp, nsenter -t PID -m)
 * see the container's files, not the host's. After this the host's paths are gone for the shim:
 * everything it still uses is an fd opened before (the state dir: statefd and *at() calls,
 * shim.log, the io/serial socket or exec port, the pty, the ready fd, /dev/null: S.nullfd). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "shim.h"

/* unshare, / rslave (nothing we mount reaches the host; the host's unmounts still reach us),
 * DIR bound recursively onto itself (a mount point), then pivot_root into it and the old root
 * detached. pivot_root, not chroot: setns(CLONE_NEWNS) puts the joiner at the namespace's root
 * mount, which a chroot would leave at the host's "/". A failure is a set-up failure (the VMM is
 * killed, `error: ...` on the ready fd). */
void shim_root_enter(const char *dir)
{
	if (!dir)
		return;
	S.nullfd = open("/dev/null", O_RDWR | O_CLOEXEC); /* the rootfs's /dev/null could be anything */
	if (S.nullfd < 0)
		setup_fail("shim root: open /dev/null: %s", strerror(errno));
	if (unshare(CLONE_NEWNS) < 0)
		setup_fail("shim root: unshare(CLONE_NEWNS): %s", strerror(errno));
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		setup_fail("shim root: make / rslave: %s", strerror(errno));
	if (mount(dir, dir, NULL, MS_BIND | MS_REC, NULL) < 0)
		setup_fail("shim root: bind %s: %s", dir, strerror(errno));
	if (chdir(dir) < 0)
		setup_fail("shim root: chdir %s: %s", dir, strerror(errno));
	/* pivot_root(".", "."): the old root is stacked on the new one, then detached */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		setup_fail("shim root: pivot_root %s: %s", dir, strerror(errno));
	if (umount2(".", MNT_DETACH) < 0)
		setup_fail("shim root: detach the old root: %s", strerror(errno));
	if (chdir("/") < 0)
		setup_fail("shim root: chdir /: %s", strerror(errno));
}
