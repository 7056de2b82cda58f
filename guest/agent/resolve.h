/* rind guest agent: a mount destination resolved inside a container root, as if that root were "/".
 * Works on a directory fd only (no chroot, no globals), so a test can run it on a temp tree. */
#ifndef RIND_RESOLVE_H
#define RIND_RESOLVE_H
#include <stddef.h>

enum { MK_NONE, MK_DIR, MK_FILE }; /* what to create for missing components */

/* Resolves `path` under the directory rootfd (whose path is `root`) one component at a time:
 * absolute symlinks restart at rootfd, a ".." (written or from a symlink) that would leave it
 * is refused, and so is the root itself. Missing components are made (directories; the last
 * one an empty file with MK_FILE). `out` gets root + "/" + the resolved relative path. */
int resolve_in(int rootfd, const char *root, const char *path, int mk, char *out, size_t outlen);

#endif
