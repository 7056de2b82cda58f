/* rind guest agent: rtnetlink requests (RTM_NEWADDR, RTM_NEWROUTE) and their acks, for net.c.
 * Declares the ABI itself: musl ships no kernel headers; no knowledge of what the requests mean. */
#ifndef RIND_NETLINK_H
#define RIND_NETLINK_H
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* the rtnetlink ABI (linux/netlink.h, rtnetlink.h, if_addr.h) */
struct nl_hdr { uint32_t len; uint16_t type, flags; uint32_t seq, pid; };
struct nl_err { int32_t error; struct nl_hdr msg; };
struct nl_ifaddr { uint8_t family, prefixlen, flags, scope; uint32_t index; };
struct nl_rtmsg { uint8_t family, dst_len, src_len, tos, table, protocol, scope, type; uint32_t flags; };
struct nl_attr { uint16_t len, type; };
struct nl_sockaddr { sa_family_t family; unsigned short pad; uint32_t pid, groups; };

enum {
	NLM_F_REQUEST = 1, NLM_F_ACK = 4, NLM_F_EXCL = 0x200, NLM_F_CREATE = 0x400,
	NLM_F_CAPPED = 0x100, NLM_F_ACK_TLVS = 0x200,   /* flags of an error message */
	NLMSG_ERROR = 2, NETLINK_CAP_ACK = 10, NETLINK_EXT_ACK = 11, NLMSGERR_ATTR_MSG = 1,
	RTM_NEWADDR = 20, RTM_NEWROUTE = 24,
	IFA_ADDRESS = 1, IFA_LOCAL = 2, IFA_BROADCAST = 4, IFA_F_NODAD = 0x02,
	RTA_DST = 1, RTA_OIF = 4, RTA_GATEWAY = 5, RTA_PRIORITY = 6,
	RT_TABLE_MAIN = 254, RTPROT_BOOT = 3, RT_SCOPE_UNIVERSE = 0, RT_SCOPE_LINK = 253, RTN_UNICAST = 1,
};
#define A4(n) (((n) + 3u) & ~3u)


/* Starts a request of `type` whose fixed header (ifaddrmsg, rtmsg) has `hlen` bytes; returns it. */
void *nl_begin(int type, size_t hlen);
void nl_attr(int type, const void *data, size_t len);
/* Sends the request and waits (<= 2 s) for its ack; EEXIST counts as done. 0, or -1 with err_msg. */
int nl_talk(const char *what);

#endif
