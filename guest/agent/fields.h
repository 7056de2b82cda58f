/* rind guest agent: the value syntax of ctl keys: strict decimals, \x1f-separated fields, container ids.
 * Pure: no state, no system calls; errors are the caller's to word. */
#ifndef RIND_FIELDS_H
#define RIND_FIELDS_H
#include <stddef.h>

#define CID_MAX 64      /* a container id: 1..CID_MAX characters of [A-Za-z0-9_.-] */

/* A decimal in [min, max]: an optional '-', digits, nothing else. 0, or -1. */
int parse_num(const char *s, long long min, long long max, long long *v);
/* Splits buf in place at \x1f into exactly nf fields f[0..nf). 0, or -1 for another count. */
int split_fields(char *buf, char **f, int nf);
/* Whether s is a valid container id. */
int cid_valid(const char *s);
/* Whether s is a path inside the share: not empty, no ".." component (leading slashes are
 * taken as relative to the share root). */
int share_path_valid(const char *s);

#endif
