/* The client's pure helpers: the --root flag, the key hash, path joins. */
#include "args.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* runc's (and rind's) global flags that take a value: the subcommand is the first other word */
static const char *const value_flags[] = { "--root", "--log", "--log-format", "--accel", "--criu", "--rootless", NULL };

static int takes_value(const char *a)
{
	for (int i = 0; value_flags[i]; i++)
		if (!strcmp(a, value_flags[i]))
			return 1;
	return 0;
}

const char *rc_root_arg(int argc, char *const *argv)
{
	const char *root = "/run/rind";
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--") || a[0] != '-')
			break;
		if (!strncmp(a, "--root=", 7)) {
			root = a + 7;
		} else if (takes_value(a)) {
			if (i + 1 >= argc)
				break;
			if (!strcmp(a, "--root"))
				root = argv[i + 1];
			i++;
		}
	}
	return root[0] ? root : "/run/rind";
}

const char *rc_subcommand(int argc, char *const *argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--"))
			return i + 1 < argc ? argv[i + 1] : NULL;
		if (a[0] != '-')
			return a;
		if (takes_value(a))
			i++;
	}
	return NULL;
}

void rc_hash_hex(const char *s, size_t n, char out[17])
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ull;
	}
	snprintf(out, 17, "%016llx", (unsigned long long)h);
}

int rc_join(char *out, size_t cap, const char *dir, const char *rel)
{
	size_t d = strlen(dir);
	while (d > 0 && dir[d - 1] == '/')
		d--;
	int n = snprintf(out, cap, "%.*s/%s", (int)d, dir, rel);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}
