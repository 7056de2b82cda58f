/* rind guest agent: the ctl reply being built: "ok"/"error", then key=value strings, length-prefixed.
 * Builds one reply at a time and hands it over (reply_take); writing it is ctl.c's, so verbs need no channel. */
#include "agent.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define CAP_MAX (4 + RIND_CTL_MAX)

static char *out;
static size_t out_cap, out_len;  /* out_len 0: no reply begun */
static int out_over;             /* it did not fit: it is replaced by an error */

static int out_room(size_t need)
{
	if (out_len + need <= out_cap)
		return 0;
	size_t cap = out_cap ? out_cap : 8192;
	while (cap < out_len + need)
		cap *= 2;
	if (cap > CAP_MAX && out_len + need <= CAP_MAX)
		cap = CAP_MAX;
	char *b = cap <= CAP_MAX ? realloc(out, cap) : NULL;
	if (!b) {
		out_over = 1;
		return -1;
	}
	out = b;
	out_cap = cap;
	return 0;
}

/* Appends one string; newlines become spaces (a reply is one line per string). */
void reply_add(const char *fmt, ...)
{
	va_list ap, ap2;
	va_start(ap, fmt);
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || out_over || out_room(n + 1) < 0) {
		va_end(ap2);
		return;
	}
	vsnprintf(out + out_len, n + 1, fmt, ap2);
	va_end(ap2);
	for (char *c = out + out_len; c < out + out_len + n; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
	out_len += n + 1;
}

/* Starts a new reply, dropping one not taken. */
void reply_begin(const char *status)
{
	out_len = 4;
	out_over = 0;
	if (out_room(4) < 0)
		fatal("ctl: out of memory");
	reply_add("%s", status);
}

void reply_error(const char *msg)
{
	reply_begin("error");
	reply_add("msg=%s", msg);
}

/* The finished reply with its length prefix; valid until the next reply_begin. */
void reply_take(const char **buf, size_t *len)
{
	if (out_over) {
		logmsg("ctl: reply too long");
		reply_error("reply too long");
	} else if (!out_len) {
		reply_error("no reply");
	}
	uint32_t n = out_len - 4;
	out[0] = n, out[1] = n >> 8, out[2] = n >> 16, out[3] = n >> 24;
	*buf = out;
	*len = out_len;
	out_len = 0;
}
