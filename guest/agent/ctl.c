/* rind guest agent: the rind.ctl channel (docs/protocol.md, "ctl channel messages").
 * Framing (uint32 LE length + NUL-terminated strings), replies, dispatch of the verbs. */
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
static int discarding;  /* bad length seen: ignore input until the host leaves */
static int64_t last_data;
static int sender_seen; /* the port looked connected since the partial message began */

/* A sender writes a message at once. A partial message without progress for this long
 * is from a host that died mid-message (a hang-up says little: it may be stale, or go
 * unseen when the next client connected at once). */
#define CTL_STALE_MS 1000

/* The reply being built: a 4-byte length, then strings. It grows up to the message limit. */
static char *out;
static size_t out_cap, out_len;
static int out_over;            /* a reply did not fit: it is replaced by an error */

/* Replies not written yet. The port may look disconnected while a client is there: the
 * guest learns of a connection on another virtqueue than its data, so a request can be
 * read before the news. Such replies wait for the port to be writable; those of a client
 * seen connected that then left are dropped (ctl_disconnected). A client tells a stray
 * reply from its own with `ping nonce=` (docs/protocol.md). */
static char *pend;
static size_t pend_len, pend_cap;
#define PEND_MAX (2 * (4 + CTL_MAX))

/* ---- replies ---- */

static int out_room(size_t need)
{
	if (out_len + need <= out_cap)
		return 0;
	size_t cap = out_cap ? out_cap : 8192;
	while (cap < out_len + need)
		cap *= 2;
	if (cap > 4 + CTL_MAX && out_len + need <= 4 + CTL_MAX)
		cap = 4 + CTL_MAX;
	char *b = cap <= 4 + CTL_MAX ? realloc(out, cap) : NULL;
	if (!b) {
		out_over = 1;
		return -1;
	}
	out = b;
	out_cap = cap;
	return 0;
}

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

void reply_begin(const char *status)
{
	out_len = 4;
	out_over = 0;
	if (out_room(4) < 0)
		fatal("ctl: out of memory");
	reply_add("%s", status);
}

/* Writes what the port takes now; the poll loop does the rest (ctl_want_write). */
static void ctl_flush(void)
{
	size_t off = 0;
	while (off < pend_len) {
		ssize_t n = write(ctl_port.fd, pend + off, pend_len - off);
		if (n > 0)
			off += n;
		else if (n < 0 && errno == EINTR)
			continue;
		else if (n < 0 && errno == EAGAIN) /* full, or no host (yet) */
			break;
		else {
			logmsg("ctl: %zu reply bytes dropped: %s", pend_len - off, n < 0 ? strerror(errno) : "short write");
			off = pend_len;
		}
	}
	memmove(pend, pend + off, pend_len - off);
	pend_len -= off;
}

int ctl_want_write(void)
{
	return pend_len > 0;
}

void reply_send(void)
{
	if (out_over) {
		logmsg("ctl: reply too long");
		reply_begin("error");
		reply_add("msg=reply too long");
	}
	uint32_t n = out_len - 4;
	out[0] = n, out[1] = n >> 8, out[2] = n >> 16, out[3] = n >> 24;
	if (pend_len + out_len > pend_cap) {
		size_t cap = pend_len + out_len > PEND_MAX ? 0 : pend_len + out_len + 4096;
		char *b = cap ? realloc(pend, cap) : NULL;
		if (!b) { /* nobody has read the earlier replies */
			logmsg("ctl: reply dropped (%zu bytes not taken by the host)", pend_len);
			return;
		}
		pend = b, pend_cap = cap;
	}
	memcpy(pend + pend_len, out, out_len);
	pend_len += out_len;
	ctl_flush();
}

void reply_error(const char *msg)
{
	reply_begin("error");
	reply_add("msg=%s", msg);
	reply_send();
}

/* ---- verbs ---- */

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
	reply_send();
}

static void do_ping(char **kv, size_t n)
{
	struct utsname u;
	uname(&u);
	reply_begin("ok");
	reply_add("version=1");
	reply_add("kernel=%s", u.release);
	for (size_t i = 0; i < n; i++)
		if (!strncmp(kv[i], "nonce=", 6)) {
			reply_add("%s", kv[i]);
			break;
		}
	reply_send();
}

static void do_create(char **kv, size_t n)
{
	struct create_req r;
	int pid = parse_create(kv, n, &r);
	if (pid == 0)
		pid = workload_create(&r);
	create_req_free(&r);
	reply_pid("create", pid);
}

static void do_exec(char **kv, size_t n)
{
	struct exec_req r;
	int pid = parse_exec(kv, n, &r);
	if (pid == 0)
		pid = exec_start(&r);
	proc_spec_free(&r.proc);
	reply_pid("exec", pid);
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
		do_ping(s + 1, n - 1);
	else if (!strcmp(s[0], "create"))
		do_create(s + 1, n - 1);
	else if (!strcmp(s[0], "start")) {
		if (workload_start() < 0)
			reply_error(err_msg);
		else
			reply_begin("ok"), reply_send();
	} else if (!strcmp(s[0], "signal"))
		do_signal(s + 1, n - 1);
	else if (!strcmp(s[0], "exec"))
		do_exec(s + 1, n - 1);
	else if (!strcmp(s[0], "ps"))
		do_ps();
	else if (!strcmp(s[0], "stats"))
		do_stats();
	else {
		char m[128];
		snprintf(m, sizeof m, "unknown verb: %.64s", s[0]);
		reply_error(m);
	}
	free(s);
}

/* The port looks disconnected: wait for a host (SIGIO). If the last request's sender was
 * seen connected, it left: its partial message and unwritten replies go. A request read
 * while the port already looked disconnected is from a client whose connection the guest
 * has not heard of yet (see pend): all is kept. ctl_tick drops what stays partial. */
static void ctl_disconnected(void)
{
	if (sender_seen) {
		if (pend_len)
			logmsg("ctl: reply dropped (host gone)");
		in_len = pend_len = 0;
		discarding = 0;
	}
	port_off(&ctl_port);
}

void ctl_event(short revents)
{
	int connected = !(revents & (POLLHUP | POLLERR));
	if ((revents & POLLOUT) && pend_len)
		ctl_flush();
	if (connected)
		sender_seen = 1;
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
		if (!in_len && !discarding) /* a message begins */
			sender_seen = connected;
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
