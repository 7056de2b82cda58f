/* What the client reads from its command line (nothing else: the daemon parses the rest). */
#ifndef RIND_CLIENT_ARGS_H
#define RIND_CLIENT_ARGS_H

#include <stddef.h>

/* The --root value among the global flags (before the subcommand), or "/run/rind". */
const char *rc_root_arg(int argc, char *const *argv);

/* The subcommand (first word that is neither a global flag nor its value), or NULL. */
const char *rc_subcommand(int argc, char *const *argv);

/* Hex of a 64-bit FNV-1a over s (16 hex digits + NUL into out[17]). */
void rc_hash_hex(const char *s, size_t n, char out[17]);

/* dir + "/" + rel into out (cap bytes); -1 when it does not fit. */
int rc_join(char *out, size_t cap, const char *dir, const char *rel);

#endif
