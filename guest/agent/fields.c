/* rind guest agent: strict decimals, \x1f-separated fields and container ids (fields.h).
 * Pure: no state, no system calls, no error text (callers say what was wrong). */
#include "fields.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

int parse_num(const char *s, long long min, long long max, long long *v)
{
	const char *d = s[0] == '-' ? s + 1 : s;
	char *end;
	if (!*d || strspn(d, "0123456789") != strlen(d))
		return -1; /* strtoll would also take blanks and '+' */
	errno = 0;
	*v = strtoll(s, &end, 10);
	return !*end && !errno && *v >= min && *v <= max ? 0 : -1;
}

int split_fields(char *buf, char **f, int nf)
{
	char *p = buf;
	for (int i = 0; i < nf; i++) {
		f[i] = p;
		p = strchr(p, '\x1f');
		if ((p == NULL) != (i == nf - 1))
			return -1;
		if (p)
			*p++ = 0;
	}
	return 0;
}

int cid_valid(const char *s)
{
	size_t n = strlen(s);
	return n >= 1 && n <= CID_MAX &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

int share_path_valid(const char *s)
{
	while (*s == '/')
		s++;
	if (!*s)
		return 0;
	for (const char *c = s; *c;) {
		size_t n = strcspn(c, "/");
		if (n == 2 && c[0] == '.' && c[1] == '.')
			return 0;
		c += n;
		while (*c == '/')
			c++;
	}
	return 1;
}
