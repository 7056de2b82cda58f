/* rind guest agent: one rtnetlink socket, a request buffer, and the wait for each request's ack.
 * Knows the message format only; what to configure is net.c's. */
#include "agent.h"
#include "netlink.h"
#include <errno.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static int nl_fd = -1;
static uint32_t nl_seq;
static union { struct nl_hdr h; unsigned char b[256]; } req;
static union { struct nl_hdr h; unsigned char b[8192]; } ack;

void *nl_begin(int type, size_t hlen)
{
	memset(&req, 0, sizeof req);
	req.h.type = type;
	req.h.flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
	req.h.len = sizeof req.h + A4(hlen);
	return req.b + sizeof req.h;
}

void nl_attr(int type, const void *data, size_t len)
{
	struct nl_attr a = { .len = sizeof a + len, .type = type };
	if (req.h.len + A4(a.len) > sizeof req.b) /* sizes here are fixed and small */
		fatal("netlink request too large");
	memcpy(req.b + req.h.len, &a, sizeof a);
	memcpy(req.b + req.h.len + sizeof a, data, len);
	req.h.len += A4(a.len);
}

/* The kernel's explanation in an extended ack, or NULL. */
static const char *ext_ack(const struct nl_hdr *h)
{
	const struct nl_err *e = (const void *)(h + 1);
	if (!(h->flags & NLM_F_ACK_TLVS))
		return NULL;
	size_t off = sizeof *h + sizeof e->error +
		     (h->flags & NLM_F_CAPPED ? sizeof e->msg : A4(e->msg.len));
	while (off + sizeof(struct nl_attr) <= h->len) {
		const struct nl_attr *a = (const void *)((const unsigned char *)h + off);
		if (a->len < sizeof *a || off + a->len > h->len)
			break;
		const char *s = (const char *)(a + 1);
		if (a->type == NLMSGERR_ATTR_MSG && a->len > sizeof *a && !s[a->len - sizeof *a - 1])
			return s;
		off += A4(a->len);
	}
	return NULL;
}

static int nl_open(const char *what)
{
	int one = 1;
	struct timeval tv = { .tv_sec = 2 };
	nl_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0 /* NETLINK_ROUTE */);
	if (nl_fd < 0)
		return fail("%s: netlink socket: %s", what, strerror(errno));
	/* optional: shorter acks and the kernel's error text */
	setsockopt(nl_fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
	setsockopt(nl_fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
	setsockopt(nl_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	return 0;
}

/* The ack of our request: 0 (EEXIST counts as done: a failed create is retried), or -1. */
static int ack_result(const struct nl_hdr *h, const char *what)
{
	if (h->len < sizeof *h + sizeof(int32_t))
		return fail("%s: short netlink ack", what);
	int err = -((const struct nl_err *)(h + 1))->error;
	if (!err || err == EEXIST)
		return 0;
	const char *why = ext_ack(h);
	return fail("%s: %s%s%s", what, strerror(err), why ? ": " : "", why ? why : "");
}

int nl_talk(const char *what)
{
	struct nl_sockaddr kernel = { .family = AF_NETLINK };
	if (nl_fd < 0 && nl_open(what) < 0)
		return -1;
	req.h.seq = ++nl_seq;
	if (sendto(nl_fd, req.b, req.h.len, 0, (struct sockaddr *)&kernel, sizeof kernel) != (ssize_t)req.h.len)
		return fail("%s: netlink send: %s", what, strerror(errno));
	for (;;) {
		ssize_t n = recv(nl_fd, ack.b, sizeof ack.b, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail("%s: netlink: %s", what, errno == EAGAIN ? "no answer" : strerror(errno));
		for (size_t off = 0; off + sizeof(struct nl_hdr) <= (size_t)n;) {
			const struct nl_hdr *h = (const void *)(ack.b + off);
			if (h->len < sizeof *h || h->len > n - off)
				break;
			if (h->seq == nl_seq && h->type == NLMSG_ERROR)
				return ack_result(h, what);
			off += A4(h->len);
		}
	}
}
