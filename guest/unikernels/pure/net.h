/* The web unikernel's network stack: Ethernet, ARP responder, IPv4, ICMP echo and a
 * passive-open TCP with the HTTP responder of http.c (pure: no hardware access; frames
 * come in through net_input and leave through the tx callback). */
#ifndef RIND_UK_NET_H
#define RIND_UK_NET_H
#include "lib.h"
#include "http.h"

#define NET_FRAME_MAX 1514    /* Ethernet header + 1500 MTU, no FCS */
#define NET_MAX_CONN 16       /* concurrent TCP connections; the oldest is reclaimed */
#define TCP_MSS 1460
#define TCP_RTO_MS 300        /* first retransmission; doubles up to TCP_RTO_MAX_MS */
#define TCP_RTO_MAX_MS 3000
#define TCP_MAX_RETRIES 6     /* then the connection is dropped */
#define TCP_TIME_WAIT_MS 2000
#define TCP_IDLE_MS 30000     /* a connection silent this long is dropped (with RST) */

typedef void (*net_tx_fn)(void *ctx, const uint8_t *frame, size_t len);

struct net_config {
	uint8_t mac[6];
	uint32_t ip, mask, gw; /* host order */
	uint16_t port;         /* TCP port of the HTTP server */
};

enum tcp_state {
	TCP_FREE = 0, TCP_SYN_RCVD, TCP_ESTABLISHED, TCP_FIN_WAIT_1, TCP_FIN_WAIT_2,
	TCP_CLOSING, TCP_LAST_ACK, TCP_TIME_WAIT,
};

struct tcp_conn {
	uint8_t state, retries, rmac[6];
	uint32_t rip;
	uint16_t rport, peer_mss;
	uint32_t iss, irs, snd_una, snd_nxt, snd_wnd, rcv_nxt;
	uint32_t rto;
	uint64_t last_ms, rto_at;
	uint16_t req_len, resp_len;
	uint8_t req[HTTP_REQ_MAX];
	uint8_t resp[HTTP_RESP_MAX];
};

struct net_stats {
	uint64_t rx_frames, rx_dropped, bad_checksum, arp_replies, icmp_replies;
	uint64_t tcp_accepted, tcp_rst_sent, tcp_retransmits, tcp_evicted, http_responses;
	uint64_t tx_frames;
};

struct net_stack {
	struct net_config cfg;
	net_tx_fn tx;
	void *tx_ctx;
	uint32_t isn_seed, isn_count;
	uint16_t ip_id;
	struct net_stats st;
	struct tcp_conn conn[NET_MAX_CONN];
	uint8_t out[NET_FRAME_MAX + 64];
};

void net_init(struct net_stack *s, const struct net_config *cfg, net_tx_fn tx, void *ctx, uint32_t seed);
/* One received Ethernet frame (without FCS); any bytes, any length. */
void net_input(struct net_stack *s, const uint8_t *frame, size_t len, uint64_t now_ms);
/* Timers: retransmission, TIME-WAIT and idle expiry. Call now and then (every few ms). */
void net_poll(struct net_stack *s, uint64_t now_ms);
/* A gratuitous ARP request announcing cfg.ip. */
void net_announce(struct net_stack *s);

/* Internet checksum helpers (RFC 1071). */
uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n);
uint16_t csum_fold(uint32_t sum);

#endif
