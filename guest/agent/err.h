/* rind guest agent: the error text of the request being served (fail() sets it, the reply carries it).
 * A fixed buffer and nothing else: no allocation, no logging, so the pure parsers can use it under test. */
#ifndef RIND_ERR_H
#define RIND_ERR_H

#define ERR_MAX 512
extern char err_msg[ERR_MAX];

/* Records why the current request fails; returns -1. */
int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
