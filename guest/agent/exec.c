/* rind guest agent: the exec verb (docs/protocol.md, "exec sessions"): a process started at once in a container,
 * its stdio on an exec port's session. The port's session is portsess.c's, the container's namespaces container.c's. */
#include "agent.h"

/* Starts r's process in container c now (no start barrier) with its stdio on port r->port. */
int exec_start(const struct exec_req *r, struct container *c)
{
	if (container_exec_check(c) < 0)
		return -1;
	struct sess *s = portsess_claim(r->port);
	if (!s)
		return -1;
	int pid = container_exec(c, &r->proc, s);
	if (pid < 0) {
		portsess_abandon(s);
		return -1;
	}
	portsess_open(s);
	return pid;
}
