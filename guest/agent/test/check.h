/* rind agent unit tests: CHECK() and the one result line every test program prints.
 * No framework: counts checks and failures; FAIL lines go to stderr, the result line to stdout. */
#ifndef RIND_AGENT_CHECK_H
#define RIND_AGENT_CHECK_H
#include <stdio.h>
#include <string.h>
#include "err.h"

static int failures, checks;
#define CHECK(c, ...) do { checks++; if (!(c)) { failures++; \
	fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #c); \
	fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)

/* rc is -1 and err_msg contains `want` */
#define CHECK_ERR(rc, want) do { int rc_ = (rc); CHECK(rc_ == -1 && strstr(err_msg, want), \
	"want error \"%s\", got %d \"%s\"", want, rc_, rc_ ? err_msg : ""); } while (0)

/* prints "<name>: <checks> checks, <failures> failed"; the exit status */
static int result(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, checks, failures);
	return failures != 0;
}

#endif
