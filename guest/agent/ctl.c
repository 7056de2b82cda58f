/* rind guest agent: the rind.ctl channel (docs/protocol.md, "ctl channel messages").
 * Framing (uint32 LE length + NUL-terminated strings), request parsing, replies. */
#include "agent.h"
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

struct port ctl_port = { .fd = -1 };

static char in[4 + CTL_MAX];
static size_t in_len;
static int discarding;  /* bad length seen: ignore input until the host disconnects */
static int64_t last_data;

/* A sender writes a message at once. A partial message without progress for this long
 * is from a host that died mid-message; its hang-up can go unseen if the next client
 * connected at once (virtio-console then reports "connected" throughout). */
#define CTL_STALE_MS 1000

static char out[8192];
static size_t out_len;

/* ---- replies ---- */

static void reply_add(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void reply_add(const char *fmt, ...)
{
	va_list ap;
	size_t room = sizeof out - out_len;
	va_start(ap, fmt);
	int n = vsnprintf(out + out_len, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room)
		n = room - 1; /* truncated; vsnprintf terminated it */
	for (char *c = out + out_len; c < out + out_len + n; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
	out_len += n + 1;
}

static void reply_begin(const char *status)
{
	out_len = 4;
	reply_add("%s", status);
}

/* The host may have left already: a reply that cannot go out in ~2 s is dropped. */
static void reply_send(void)
{
	uint32_t n = out_len - 4;
	out[0] = n, out[1] = n >> 8, out[2] = n >> 16, out[3] = n >> 24;
	if (write_full(ctl_port.fd, out, out_len, 2000) < 0)
		logmsg("ctl: reply dropped (host gone)");
}

static void reply_error(const char *msg)
{
	reply_begin("error");
	reply_add("msg=%s", msg);
	reply_send();
}

/* ---- request parsing ---- */

static int parse_num(const char *s, long long min, long long max, long long *v)
{
	char *end;
	errno = 0;
	*v = strtoll(s, &end, 10);
	return *s && !*end && !errno && *v >= min && *v <= max ? 0 : -1;
}

static int parse_rlimit(const char *s, struct rlim *rl)
{
	char buf[96];
	long long res, v[2];
	if (strlen(s) >= sizeof buf)
		return -1;
	strcpy(buf, s);
	char *f[3], *save = NULL;
	for (int i = 0; i < 3; i++)
		if (!(f[i] = strtok_r(i ? NULL : buf, ",", &save)))
			return -1;
	if (strtok_r(NULL, ",", &save) || parse_num(f[0], 0, 63, &res))
		return -1;
	for (int i = 0; i < 2; i++)
		if (parse_num(f[i + 1], -1, INT64_MAX, &v[i]))
			return -1;
	rl->resource = res;
	rl->soft = v[0] < 0 ? ~0ULL : (unsigned long long)v[0];
	rl->hard = v[1] < 0 ? ~0ULL : (unsigned long long)v[1];
	return 0;
}

static int parse_gids(const char *s, struct create_req *r, size_t cap)
{
	char buf[4096];
	long long v;
	if (strlen(s) >= sizeof buf)
		return -1;
	strcpy(buf, s);
	char *save = NULL;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (r->ngids >= cap || parse_num(t, 0, UINT32_MAX, &v))
			return -1;
		r->gids[r->ngids++] = v;
	}
	return 0;
}

/* kv[0..n) are "key=value" strings. Arrays are sized by n, which bounds every count. */
static int parse_create(char **kv, size_t n, struct create_req *r)
{
	long long v;
	size_t na = 0, ne = 0;
	memset(r, 0, sizeof *r);
	r->umask = 022;
	r->cwd = "/";
	r->argv = calloc(n + 1, sizeof *r->argv);
	r->envp = calloc(n + 1, sizeof *r->envp);
	r->mounts = calloc(n + 1, sizeof *r->mounts);
	r->rlimits = calloc(n + 1, sizeof *r->rlimits);
	r->gids = calloc(4096, sizeof *r->gids);
	if (!r->argv || !r->envp || !r->mounts || !r->rlimits || !r->gids)
		return fail("out of memory");
	for (size_t i = 0; i < n; i++) {
		char *k = kv[i], *val = strchr(k, '=');
		if (!val)
			return fail("malformed key: %.64s", k);
		*val++ = 0;
		if (!strcmp(k, "share"))
			r->share = val;
		else if (!strcmp(k, "rootfs"))
			r->rootfs = val;
		else if (!strcmp(k, "hostname"))
			r->hostname = val;
		else if (!strcmp(k, "cwd"))
			r->cwd = val;
		else if (!strcmp(k, "arg"))
			r->argv[na++] = val;
		else if (!strcmp(k, "env"))
			r->envp[ne++] = val;
		else if (!strcmp(k, "mount"))
			r->mounts[r->nmounts++] = val;
		else if (!strcmp(k, "rlimit")) {
			if (parse_rlimit(val, &r->rlimits[r->nrlimits++]))
				return fail("bad rlimit: %.64s", val);
		} else if (!strcmp(k, "gids")) {
			if (parse_gids(val, r, 4096))
				return fail("bad gids: %.64s", val);
		} else if (!strcmp(k, "readonly") || !strcmp(k, "terminal")) {
			if (parse_num(val, 0, 1, &v))
				return fail("bad %s: %.64s", k, val);
			*(k[0] == 'r' ? &r->readonly : &r->terminal) = v;
		} else if (!strcmp(k, "uid") || !strcmp(k, "gid")) {
			if (parse_num(val, 0, UINT32_MAX, &v))
				return fail("bad %s: %.64s", k, val);
			if (k[0] == 'u')
				r->uid = v;
			else
				r->gid = v;
		} else if (!strcmp(k, "umask")) {
			if (parse_num(val, 0, 0777, &v))
				return fail("bad umask: %.64s", val);
			r->umask = v;
		}
		/* unknown keys (net=...) are ignored: room for later extensions */
	}
	if (!r->share || !r->rootfs)
		return fail("create needs share= and rootfs=");
	if (!na)
		return fail("create needs at least one arg=");
	return 0;
}

/* ---- verbs ---- */

static void do_ping(void)
{
	struct utsname u;
	uname(&u);
	reply_begin("ok");
	reply_add("version=1");
	reply_add("kernel=%s", u.release);
	reply_send();
}

static void do_create(char **kv, size_t n)
{
	struct create_req r;
	int pid = parse_create(kv, n, &r);
	if (pid == 0)
		pid = workload_create(&r);
	free(r.argv), free(r.envp), free(r.mounts), free(r.rlimits), free(r.gids);
	if (pid < 0) {
		logmsg("create: %s", err_msg);
		reply_error(err_msg);
		return;
	}
	reply_begin("ok");
	reply_add("pid=%d", pid);
	reply_send();
}

static void do_signal(char **kv, size_t n)
{
	long long signo = -1, all = 0;
	for (size_t i = 0; i < n; i++) {
		if (!strncmp(kv[i], "signo=", 6) && parse_num(kv[i] + 6, 0, 64, &signo))
			signo = -1;
		else if (!strncmp(kv[i], "all=", 4) && parse_num(kv[i] + 4, 0, 1, &all))
			all = -1;
	}
	if (signo < 0 || all < 0)
		reply_error("bad signo= or all=");
	else if (workload_signal(signo, all) < 0)
		reply_error(err_msg);
	else
		reply_begin("ok"), reply_send();
}

/* One complete message: NUL-terminated strings, verb first. */
static void handle(char *msg, size_t len)
{
	if (!len || msg[len - 1]) {
		reply_error("malformed message: strings must be NUL-terminated");
		return;
	}
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += !msg[i];
	char **s = calloc(n, sizeof *s);
	if (!s) {
		reply_error("out of memory");
		return;
	}
	for (size_t i = 0, j = 0; i < len; i += strlen(msg + i) + 1)
		s[j++] = msg + i;
	if (!strcmp(s[0], "ping"))
		do_ping();
	else if (!strcmp(s[0], "create"))
		do_create(s + 1, n - 1);
	else if (!strcmp(s[0], "start")) {
		if (workload_start() < 0)
			reply_error(err_msg);
		else
			reply_begin("ok"), reply_send();
	} else if (!strcmp(s[0], "signal"))
		do_signal(s + 1, n - 1);
	else {
		char m[128];
		snprintf(m, sizeof m, "unknown verb: %.64s", s[0]);
		reply_error(m);
	}
	free(s);
}

/* The host left: forget any partial message and wait for it to come back. */
static void ctl_disconnected(void)
{
	in_len = 0;
	discarding = 0;
	port_off(&ctl_port);
}

void ctl_event(short revents)
{
	if (!(revents & POLLIN)) {
		if (revents & (POLLHUP | POLLERR))
			ctl_disconnected();
		return;
	}
	for (;;) {
		ssize_t n = read(ctl_port.fd, in + in_len, sizeof in - in_len);
		if (n == 0) {
			ctl_disconnected();
			return;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				ctl_disconnected();
			return;
		}
		last_data = now_ms();
		if (discarding)
			continue;
		in_len += n;
		while (in_len >= 4) {
			unsigned char *h = (unsigned char *)in;
			uint32_t len = h[0] | h[1] << 8 | h[2] << 16 | (uint32_t)h[3] << 24;
			if (len > CTL_MAX) {
				reply_error("message too long");
				discarding = 1;
				in_len = 0;
				break;
			}
			if (in_len < 4 + len)
				break;
			handle(in + 4, len);
			in_len -= 4 + len;
			memmove(in, in + 4 + len, in_len);
		}
	}
}

/* Drops a stale partial message; returns the ms until the next check, or -1. */
int ctl_tick(int64_t now)
{
	if (!in_len && !discarding)
		return -1;
	if (now - last_data < CTL_STALE_MS)
		return last_data + CTL_STALE_MS - now;
	logmsg("ctl: dropping a partial message, its sender is gone");
	in_len = 0;
	discarding = 0;
	return -1;
}
