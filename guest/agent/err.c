/* rind guest agent: fail(), which records in err_msg why a request failed and returns -1.
 * Only formats into a fixed buffer: no allocation, no I/O, safe for the pure parsers. */
#include "err.h"
#include <stdarg.h>
#include <stdio.h>

char err_msg[ERR_MAX];

int fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err_msg, sizeof err_msg, fmt, ap);
	va_end(ap);
	return -1;
}
