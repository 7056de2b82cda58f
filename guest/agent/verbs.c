/* rind guest agent: the ctl verbs: a request's strings -> its parser (request.c) -> the container or exec call -> a reply.
 * Glue only: no parsing of values, no process or channel work; each verb leaves exactly one reply in reply.c. */
#include "agent.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

/* The reply of a verb that started a process: its pid, or why it failed (err_msg, also logged). */
static void reply_pid(const char *verb, int pid)
{
	if (pid < 0) {
		logmsg("%s: %s", verb, err_msg);
		reply_error(err_msg);
		return;
	}
	reply_begin("ok");
	reply_add("pid=%d", pid);
}

/* The container a request names, or the first (NULL: none yet). -1 (err_msg) for an unknown cid. */
static int target(const char *cid, struct container **c)
{
	*c = container_get(cid);
	return !*c && cid ? -1 : 0;
}

static void reply_rc(int rc)
{
	if (rc < 0)
		reply_error(err_msg);
	else
		reply_begin("ok");
}

static void do_ping(char **kv, size_t n)
{
	struct utsname u;
	uname(&u);
	reply_begin("ok");
	reply_add("version=1");
	reply_add("kernel=%s", u.release);
	reply_add("cgroup=%s", cgroup_controllers());
	for (size_t i = 0; i < n; i++)
		if (!strncmp(kv[i], "nonce=", 6)) {
			reply_add("%s", kv[i]);
			break;
		}
}

static void do_create(char **kv, size_t n)
{
	struct create_req r;
	int pid = parse_create(kv, n, &r);
	if (pid == 0)
		pid = container_create(&r);
	create_req_free(&r);
	reply_pid("create", pid);
}

static void do_exec(char **kv, size_t n)
{
	struct exec_req r;
	struct container *c = NULL;
	int pid = parse_exec(kv, n, &r);
	if (pid == 0)
		pid = target(r.cid, &c);
	if (pid == 0)
		pid = exec_start(&r, c);
	proc_spec_free(&r.proc);
	reply_pid("exec", pid);
}

/* The verbs that take only cid=: the container, or why not (err_msg). */
static int cid_target(char **kv, size_t n, struct container **c)
{
	const char *cid;
	*c = NULL;
	return parse_cid(kv, n, &cid) < 0 || target(cid, c) < 0 ? -1 : 0;
}

static void do_start(char **kv, size_t n)
{
	struct container *c;
	reply_rc(cid_target(kv, n, &c) < 0 ? -1 : container_start(c));
}

static void do_pause(char **kv, size_t n)
{
	struct container *c;
	reply_rc(cid_target(kv, n, &c) < 0 ? -1 : container_pause(c, 1));
}

static void do_resume(char **kv, size_t n)
{
	struct container *c;
	reply_rc(cid_target(kv, n, &c) < 0 ? -1 : container_pause(c, 0));
}

static void do_delete(char **kv, size_t n)
{
	struct container *c;
	int rc = cid_target(kv, n, &c) < 0 ? -1 : container_delete(c);
	if (rc < 0)
		logmsg("delete: %s", err_msg);
	reply_rc(rc);
}

static void do_signal(char **kv, size_t n)
{
	struct signal_req r;
	struct container *c = NULL;
	if (parse_signal(kv, n, &r) < 0 || target(r.cid, &c) < 0)
		reply_rc(-1);
	else
		reply_rc(container_signal(c, r.signo, r.all));
}

static void do_update(char **kv, size_t n)
{
	struct update_req r;
	struct container *c = NULL;
	int rc = parse_update(kv, n, &r) < 0 || target(r.cid, &c) < 0 ? -1 : container_update(c, &r.cg);
	if (rc < 0)
		logmsg("update: %s", err_msg);
	reply_rc(rc);
}

/* ps and stats: of the container named, or of the first (none yet: the whole VM). */
static void do_procs(char **kv, size_t n, void (*fn)(const struct container *))
{
	const char *cid;
	struct container *c = NULL;
	if (parse_cid(kv, n, &cid) < 0 || target(cid, &c) < 0)
		reply_error(err_msg);
	else
		fn(c);
}

static void do_ps(char **kv, size_t n)
{
	do_procs(kv, n, stats_ps);
}

static void do_stats(char **kv, size_t n)
{
	do_procs(kv, n, stats_stats);
}

static void do_events(char **kv, size_t n)
{
	do_procs(kv, n, stats_events);
}

static const struct verb {
	const char *name;
	void (*fn)(char **kv, size_t n);
} verbs[] = {
	{ "ping", do_ping }, { "create", do_create }, { "start", do_start }, { "signal", do_signal },
	{ "exec", do_exec }, { "ps", do_ps }, { "stats", do_stats }, { "events", do_events },
	{ "pause", do_pause }, { "resume", do_resume }, { "delete", do_delete },
	{ "update", do_update },
};

/* Splits the message into its strings; NULL (reply built) if it is malformed. */
static char **split(char *msg, size_t len, size_t *n)
{
	if (!len || msg[len - 1]) {
		reply_error("malformed message: strings must be NUL-terminated");
		return NULL;
	}
	*n = 0;
	for (size_t i = 0; i < len; i++)
		*n += !msg[i];
	char **s = calloc(*n, sizeof *s);
	if (!s) {
		reply_error("out of memory");
		return NULL;
	}
	for (size_t i = 0, j = 0; i < len; i += strlen(msg + i) + 1)
		s[j++] = msg + i;
	return s;
}

/* One complete message: NUL-terminated strings, verb first. Leaves its reply in reply.c. */
void verbs_handle(char *msg, size_t len)
{
	size_t n;
	char **s = split(msg, len, &n);
	if (!s)
		return;
	for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
		if (!strcmp(s[0], verbs[i].name)) {
			verbs[i].fn(s + 1, n - 1);
			free(s);
			return;
		}
	char m[128];
	snprintf(m, sizeof m, "unknown verb: %.64s", s[0]);
	reply_error(m);
	free(s);
}
