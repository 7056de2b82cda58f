/* rind guest agent: the rind.ctl channel (docs/protocol.md, "ctl channel messages"): uint32 LE length + body.
 * Reads requests, hands each to verbs.c, queues the reply it built; knows no verb and no reply content. */
#include "agent.h"
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct port ctl_port = { .fd = -1 };

static char in[4 + RIND_CTL_MAX];
static size_t in_len;
static int discarding;  /* bad length seen: ignore input until the host leaves */
static int64_t last_data;
static int sender_seen; /* the port looked connected since the partial message began */

/* A sender writes a message at once. A partial message without progress for this long
 * is from a host that died mid-message (a hang-up says little: it may be stale, or go
 * unseen when the next client connected at once). */
#define CTL_STALE_MS 1000

/* Replies not written yet. The port may look disconnected while a client is there: the
 * guest learns of a connection on another virtqueue than its data, so a request can be
 * read before the news. Such replies wait for the port to be writable; those of a client
 * seen connected that then left are dropped (ctl_disconnected). A client tells a stray
 * reply from its own with `ping nonce=` (docs/protocol.md). */
static char *pend;
static size_t pend_len, pend_cap;
#define PEND_MAX (2 * (4 + RIND_CTL_MAX))

/* ---- replies out ---- */

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

/* Queues the reply reply.c holds and writes what the port takes. */
static void send_reply(void)
{
	const char *r;
	size_t len;
	reply_take(&r, &len);
	if (pend_len + len > pend_cap) {
		size_t cap = pend_len + len > PEND_MAX ? 0 : pend_len + len + 4096;
		char *b = cap ? realloc(pend, cap) : NULL;
		if (!b) { /* nobody has read the earlier replies */
			logmsg("ctl: reply dropped (%zu bytes not taken by the host)", pend_len);
			return;
		}
		pend = b, pend_cap = cap;
	}
	memcpy(pend + pend_len, r, len);
	pend_len += len;
	ctl_flush();
}

/* ---- requests in ---- */

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

/* Serves the complete messages in `in`. */
static void take_messages(void)
{
	while (in_len >= 4) {
		unsigned char *h = (unsigned char *)in;
		uint32_t len = h[0] | h[1] << 8 | h[2] << 16 | (uint32_t)h[3] << 24;
		if (len > RIND_CTL_MAX) {
			reply_error("message too long");
			send_reply();
			discarding = 1;
			in_len = 0;
			return;
		}
		if (in_len < 4 + len)
			return;
		verbs_handle(in + 4, len);
		send_reply();
		in_len -= 4 + len;
		memmove(in, in + 4 + len, in_len);
	}
}

/* Reads what the port has; 0 once it would block, -1 once it is disconnected. */
static int read_some(int connected)
{
	ssize_t n = read(ctl_port.fd, in + in_len, sizeof in - in_len);
	if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
		ctl_disconnected();
		return -1;
	}
	if (n < 0)
		return errno == EINTR ? 1 : 0;
	last_data = now_ms();
	if (!in_len && !discarding) /* a message begins */
		sender_seen = connected;
	if (!discarding) {
		in_len += n;
		take_messages();
	}
	return 1;
}

void ctl_event(short revents)
{
	int connected = !(revents & (POLLHUP | POLLERR));
	if ((revents & POLLOUT) && pend_len)
		ctl_flush();
	if (connected)
		sender_seen = 1;
	if (revents & POLLIN)
		while (read_some(connected) > 0)
			;
	else if (revents & (POLLHUP | POLLERR))
		ctl_disconnected();
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
