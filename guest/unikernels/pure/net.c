/* Ethernet, ARP, IPv4, ICMP echo and passive TCP for the web unikernel (pure: no
 * hardware access). Every field is read with bounds checked against the frame length;
 * nothing is cast onto packet bytes. Replies go to the Ethernet source of the frame
 * that caused them, so no ARP cache is needed. */
#include "net.h"

#define ETH_HLEN 14
#define ETH_P_IP 0x0800
#define ETH_P_ARP 0x0806
#define IP_HLEN 20
#define TCP_HLEN 20
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)); put16(p + 2, (uint16_t)v); }

static int seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static int seq_le(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }
static int seq_gt(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }
/* lo <= x < hi */
static int seq_in(uint32_t x, uint32_t lo, uint32_t hi) { return seq_le(lo, x) && seq_lt(x, hi); }

uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	size_t i;
	for (i = 0; i + 1 < n; i += 2) sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (i < n) sum += (uint32_t)p[i] << 8;
	while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t pseudo_sum(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len)
{
	uint8_t ph[12];
	put32(ph, src);
	put32(ph + 4, dst);
	ph[8] = 0;
	ph[9] = proto;
	put16(ph + 10, len);
	return csum_add(0, ph, sizeof ph);
}

void net_init(struct net_stack *s, const struct net_config *cfg, net_tx_fn tx, void *ctx, uint32_t seed)
{
	memset(s, 0, sizeof *s);
	s->cfg = *cfg;
	s->tx = tx;
	s->tx_ctx = ctx;
	s->isn_seed = seed;
	s->ip_id = (uint16_t)(seed ^ (seed >> 16));
}

static void send_frame(struct net_stack *s, size_t len)
{
	if (len < 60) { memset(s->out + len, 0, 60 - len); len = 60; } /* Ethernet minimum */
	s->st.tx_frames++;
	s->tx(s->tx_ctx, s->out, len);
}

static void eth_header(struct net_stack *s, const uint8_t dst[6], uint16_t type)
{
	memcpy(s->out, dst, 6);
	memcpy(s->out + 6, s->cfg.mac, 6);
	put16(s->out + 12, type);
}

/* IPv4 header at out+14 for a payload of plen bytes */
static void ip_header(struct net_stack *s, uint32_t dst, uint8_t proto, size_t plen)
{
	uint8_t *ip = s->out + ETH_HLEN;
	ip[0] = 0x45;
	ip[1] = 0;
	put16(ip + 2, (uint16_t)(IP_HLEN + plen));
	put16(ip + 4, s->ip_id++);
	put16(ip + 6, 0x4000); /* DF */
	ip[8] = 64;
	ip[9] = proto;
	put16(ip + 10, 0);
	put32(ip + 12, s->cfg.ip);
	put32(ip + 16, dst);
	put16(ip + 10, csum_fold(csum_add(0, ip, IP_HLEN)));
}

/* ---- ARP ---- */

void net_announce(struct net_stack *s)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	uint8_t *a = s->out + ETH_HLEN;
	eth_header(s, bcast, ETH_P_ARP);
	put16(a, 1);
	put16(a + 2, ETH_P_IP);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, 1);
	memcpy(a + 8, s->cfg.mac, 6);
	put32(a + 14, s->cfg.ip);
	memset(a + 18, 0, 6);
	put32(a + 24, s->cfg.ip);
	send_frame(s, ETH_HLEN + 28);
}

static void arp_input(struct net_stack *s, const uint8_t *a, size_t len)
{
	if (len < 28 || get16(a) != 1 || get16(a + 2) != ETH_P_IP || a[4] != 6 || a[5] != 4) goto drop;
	if (get16(a + 6) != 1 || get32(a + 24) != s->cfg.ip) goto drop; /* requests for us only */
	if (a[8] & 1) goto drop;                                         /* multicast sender */
	uint8_t sha[6];
	memcpy(sha, a + 8, 6);
	uint32_t spa = get32(a + 14);
	uint8_t *r = s->out + ETH_HLEN;
	eth_header(s, sha, ETH_P_ARP);
	put16(r, 1);
	put16(r + 2, ETH_P_IP);
	r[4] = 6;
	r[5] = 4;
	put16(r + 6, 2);
	memcpy(r + 8, s->cfg.mac, 6);
	put32(r + 14, s->cfg.ip);
	memcpy(r + 18, sha, 6);
	put32(r + 24, spa);
	s->st.arp_replies++;
	send_frame(s, ETH_HLEN + 28);
	return;
drop:
	s->st.rx_dropped++;
}

/* ---- ICMP ---- */

static void icmp_input(struct net_stack *s, const uint8_t *src_mac, uint32_t src, const uint8_t *p, size_t len)
{
	if (len < 8 || p[0] != 8 || p[1] != 0) { s->st.rx_dropped++; return; } /* echo request only */
	if (csum_fold(csum_add(0, p, len)) != 0) { s->st.bad_checksum++; return; }
	if (ETH_HLEN + IP_HLEN + len > NET_FRAME_MAX) { s->st.rx_dropped++; return; }
	uint8_t mac[6];
	memcpy(mac, src_mac, 6);
	uint8_t *r = s->out + ETH_HLEN + IP_HLEN;
	memmove(r, p, len);
	r[0] = 0;
	put16(r + 2, 0);
	put16(r + 2, csum_fold(csum_add(0, r, len)));
	eth_header(s, mac, ETH_P_IP);
	ip_header(s, src, 1, len);
	s->st.icmp_replies++;
	send_frame(s, ETH_HLEN + IP_HLEN + len);
}

/* ---- TCP ---- */

struct seg {
	const uint8_t *mac;
	uint32_t src;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t wnd, mss;
	const uint8_t *data;
	uint32_t dlen;
};

static void tcp_send(struct net_stack *s, const uint8_t mac[6], uint32_t dst, uint16_t sport, uint16_t dport,
                     uint32_t seq, uint32_t ack, uint8_t flags, uint16_t wnd, int mss_opt,
                     const uint8_t *data, size_t dlen)
{
	size_t hl = TCP_HLEN + (mss_opt ? 4 : 0);
	uint8_t *t = s->out + ETH_HLEN + IP_HLEN;
	if (ETH_HLEN + IP_HLEN + hl + dlen > NET_FRAME_MAX) return;
	uint8_t m[6];
	memcpy(m, mac, 6);
	if (dlen) memmove(t + hl, data, dlen);
	put16(t, sport);
	put16(t + 2, dport);
	put32(t + 4, seq);
	put32(t + 8, ack);
	t[12] = (uint8_t)((hl / 4) << 4);
	t[13] = flags;
	put16(t + 14, wnd);
	put16(t + 16, 0);
	put16(t + 18, 0);
	if (mss_opt) { t[20] = 2; t[21] = 4; put16(t + 22, TCP_MSS); }
	uint16_t tl = (uint16_t)(hl + dlen);
	put16(t + 16, csum_fold(csum_add(pseudo_sum(s->cfg.ip, dst, 6, tl), t, tl)));
	eth_header(s, m, ETH_P_IP);
	ip_header(s, dst, 6, tl);
	if (flags & TCP_RST) s->st.tcp_rst_sent++;
	send_frame(s, ETH_HLEN + IP_HLEN + tl);
}

/* the answer to a segment that belongs to no connection (RFC 9293 3.10.7.1) */
static void tcp_reset(struct net_stack *s, const struct seg *g)
{
	if (g->flags & TCP_RST) return;
	if (g->flags & TCP_ACK)
		tcp_send(s, g->mac, g->src, g->dport, g->sport, g->ack, 0, TCP_RST, 0, 0, NULL, 0);
	else {
		uint32_t len = g->dlen + !!(g->flags & TCP_SYN) + !!(g->flags & TCP_FIN);
		tcp_send(s, g->mac, g->src, g->dport, g->sport, 0, g->seq + len, TCP_RST | TCP_ACK, 0, 0, NULL, 0);
	}
}

static uint32_t rcv_wnd(const struct tcp_conn *c)
{
	/* while the request is read the window is the room left for it; after that, what
	 * comes is discarded, so any window will do */
	return c->state == TCP_ESTABLISHED || c->state == TCP_SYN_RCVD ? (uint32_t)(HTTP_REQ_MAX - c->req_len) : HTTP_REQ_MAX;
}

static void conn_send(struct net_stack *s, struct tcp_conn *c, uint32_t seq, uint8_t flags, const uint8_t *d, size_t n)
{
	tcp_send(s, c->rmac, c->rip, s->cfg.port, c->rport, seq, c->rcv_nxt, flags, (uint16_t)rcv_wnd(c), 0, d, n);
}

static void conn_ack(struct net_stack *s, struct tcp_conn *c)
{
	conn_send(s, c, c->snd_nxt, TCP_ACK, NULL, 0);
}

static void send_synack(struct net_stack *s, struct tcp_conn *c)
{
	tcp_send(s, c->rmac, c->rip, s->cfg.port, c->rport, c->iss, c->rcv_nxt, TCP_SYN | TCP_ACK, (uint16_t)rcv_wnd(c), 1, NULL, 0);
}

static int resp_sent(const struct tcp_conn *c)
{
	return c->state >= TCP_FIN_WAIT_1;
}

/* the sequence number of our FIN */
static uint32_t fin_seq(const struct tcp_conn *c) { return c->iss + 1 + c->resp_len; }

static void arm(struct tcp_conn *c, uint64_t now) { c->rto_at = now + c->rto; }

/* Sends the response and FIN from snd_nxt (or, when retransmitting, from snd_una) as far
 * as the peer's window lets; a retransmission may send one segment into a zero window. */
static int tcp_output(struct net_stack *s, struct tcp_conn *c, uint64_t now, int retransmit)
{
	int sent = 0;
	uint32_t data0 = c->iss + 1, end = fin_seq(c);
	uint32_t seq = retransmit ? c->snd_una : c->snd_nxt;
	uint32_t wnd = c->snd_wnd ? c->snd_wnd : (uint32_t)retransmit;
	uint32_t limit = c->snd_una + wnd;
	while (seq_lt(seq, end) && seq_lt(seq, limit)) {
		uint32_t n = end - seq;
		if (n > c->peer_mss) n = c->peer_mss;
		if (n > limit - seq) n = limit - seq;
		int fin = seq + n == end; /* the FIN rides on the last data */
		conn_send(s, c, seq, TCP_ACK | TCP_PSH | (fin ? TCP_FIN : 0), c->resp + (seq - data0), n);
		sent++;
		seq += n + (uint32_t)fin;
		if (retransmit) goto sent; /* one segment per timeout */
	}
	if (seq == end) { /* no data at all, or all of it acked but not the FIN */
		conn_send(s, c, seq, TCP_ACK | TCP_FIN, NULL, 0);
		sent++;
		seq++;
	}
sent:
	if (seq_gt(seq, c->snd_nxt)) c->snd_nxt = seq;
	arm(c, now);
	return sent;
}

static void conn_free(struct tcp_conn *c) { c->state = TCP_FREE; }

static void respond(struct net_stack *s, struct tcp_conn *c, int peer_closed, uint64_t now)
{
	int status = 0;
	int too_large = !http_head_complete(c->req, c->req_len) && c->req_len == HTTP_REQ_MAX;
	if (peer_closed && c->req_len == 0) c->resp_len = 0; /* a bare connect and close: just FIN */
	else {
		c->resp_len = (uint16_t)http_respond(c->req, c->req_len, too_large, c->resp, sizeof c->resp, &status);
		s->st.http_responses++;
	}
	c->state = peer_closed ? TCP_LAST_ACK : TCP_FIN_WAIT_1;
	c->rto = TCP_RTO_MS;
	c->retries = 0;
	if (!tcp_output(s, c, now, 0)) conn_ack(s, c); /* a zero window: at least ack the request */
}

static uint32_t isn(struct net_stack *s, const struct seg *g, uint64_t now)
{
	uint32_t h = s->isn_seed ^ g->src ^ ((uint32_t)g->sport << 16) ^ (++s->isn_count * 0x9e3779b9u);
	h ^= h >> 15;
	h *= 0x2c1b3c6du;
	h ^= h >> 12;
	return h + (uint32_t)(now * 250);
}

static struct tcp_conn *conn_slot(struct net_stack *s)
{
	struct tcp_conn *best = NULL;
	int best_rank = -1;
	for (int i = 0; i < NET_MAX_CONN; i++) {
		struct tcp_conn *c = &s->conn[i];
		if (c->state == TCP_FREE) return c;
		/* reclaim TIME-WAIT first, then half-open, then the rest; oldest first */
		int rank = c->state == TCP_TIME_WAIT ? 2 : c->state == TCP_SYN_RCVD ? 1 : 0;
		if (rank > best_rank || (rank == best_rank && c->last_ms < best->last_ms)) { best = c; best_rank = rank; }
	}
	s->st.tcp_evicted++;
	if (best->state != TCP_TIME_WAIT && best->state != TCP_SYN_RCVD)
		conn_send(s, best, best->snd_nxt, TCP_RST | TCP_ACK, NULL, 0);
	conn_free(best);
	return best;
}

static void tcp_accept(struct net_stack *s, struct tcp_conn *c, const struct seg *g, uint64_t now)
{
	memset(c, 0, sizeof *c);
	c->state = TCP_SYN_RCVD;
	memcpy(c->rmac, g->mac, 6);
	c->rip = g->src;
	c->rport = g->sport;
	c->peer_mss = g->mss;
	c->irs = g->seq;
	c->rcv_nxt = g->seq + 1; /* data on a SYN is not accepted (nor acked) */
	c->iss = isn(s, g, now);
	c->snd_una = c->iss;
	c->snd_nxt = c->iss + 1;
	c->snd_wnd = g->wnd;
	c->rto = TCP_RTO_MS;
	c->last_ms = now;
	arm(c, now);
	s->st.tcp_accepted++;
	send_synack(s, c);
}

static void tcp_conn_input(struct net_stack *s, struct tcp_conn *c, const struct seg *g, uint64_t now)
{
	uint8_t f = g->flags;
	uint32_t seglen = g->dlen + !!(f & TCP_SYN) + !!(f & TCP_FIN);

	if ((f & TCP_SYN) && !(f & (TCP_ACK | TCP_RST))) {
		if (g->seq == c->irs) { /* the peer's SYN again: our SYN-ACK or ACK was lost */
			if (c->state == TCP_SYN_RCVD) send_synack(s, c);
			else conn_ack(s, c);
			return;
		}
		if (c->state == TCP_TIME_WAIT && seq_gt(g->seq, c->rcv_nxt)) { /* a new incarnation */
			tcp_accept(s, c, g, now);
			return;
		}
	}
	/* acceptability (RFC 9293 3.10.7.4) */
	uint32_t wnd = rcv_wnd(c);
	int ok;
	if (seglen == 0) ok = wnd ? seq_in(g->seq, c->rcv_nxt, c->rcv_nxt + wnd) : g->seq == c->rcv_nxt;
	else ok = wnd && (seq_in(g->seq, c->rcv_nxt, c->rcv_nxt + wnd) ||
	                  seq_in(g->seq + seglen - 1, c->rcv_nxt, c->rcv_nxt + wnd));
	if (!ok) {
		if (!(f & TCP_RST)) conn_ack(s, c);
		return;
	}
	if (f & TCP_RST) { /* RFC 5961: only an exact RST kills; an in-window one is challenged */
		if (g->seq == c->rcv_nxt) conn_free(c);
		else conn_ack(s, c);
		return;
	}
	if (f & TCP_SYN) { conn_ack(s, c); return; } /* in-window SYN: challenge ACK */
	if (!(f & TCP_ACK)) return;
	c->last_ms = now;

	if (c->state == TCP_SYN_RCVD) {
		if (!(seq_lt(c->snd_una, g->ack) && seq_le(g->ack, c->snd_nxt))) {
			tcp_send(s, c->rmac, c->rip, s->cfg.port, c->rport, g->ack, 0, TCP_RST, 0, 0, NULL, 0);
			return;
		}
		c->state = TCP_ESTABLISHED;
		c->snd_una = g->ack;
		c->snd_wnd = g->wnd;
		c->retries = 0;
	} else {
		if (seq_gt(g->ack, c->snd_nxt)) { conn_ack(s, c); return; } /* acks what we never sent */
		if (seq_gt(g->ack, c->snd_una)) {
			c->snd_una = g->ack;
			c->retries = 0;
			c->rto = TCP_RTO_MS;
			arm(c, now);
		}
		c->snd_wnd = g->wnd;
	}
	if (resp_sent(c) && c->snd_una == fin_seq(c) + 1) { /* our FIN is acked */
		if (c->state == TCP_FIN_WAIT_1) c->state = TCP_FIN_WAIT_2;
		else if (c->state == TCP_CLOSING) { c->state = TCP_TIME_WAIT; c->rto_at = now + TCP_TIME_WAIT_MS; }
		else if (c->state == TCP_LAST_ACK) { conn_free(c); return; }
	}

	/* data: in order only; what lies before rcv_nxt is trimmed, a gap drops the segment */
	if (seq_gt(g->seq, c->rcv_nxt)) {
		if (seglen) conn_ack(s, c); /* a gap: ask again for rcv_nxt */
		return;
	}
	const uint8_t *d = g->data;
	uint32_t n = g->dlen, skip = c->rcv_nxt - g->seq;
	int fin = !!(f & TCP_FIN);
	if (skip >= n) { /* no new data; the FIN is new only if it sits at rcv_nxt */
		fin = fin && skip == n;
		n = 0;
	} else { d += skip; n -= skip; }
	wnd = rcv_wnd(c);
	if (n > wnd) { n = wnd; fin = 0; }
	int need_ack = 0;
	if (n) {
		if (c->state == TCP_ESTABLISHED) {
			memcpy(c->req + c->req_len, d, n);
			c->req_len = (uint16_t)(c->req_len + n);
		}
		c->rcv_nxt += n;
		need_ack = 1;
	}
	if (fin) {
		c->rcv_nxt++;
		need_ack = 1;
		switch (c->state) {
		case TCP_ESTABLISHED: respond(s, c, 1, now); return; /* the response carries the ACK */
		case TCP_FIN_WAIT_1: c->state = TCP_CLOSING; break;
		case TCP_FIN_WAIT_2: c->state = TCP_TIME_WAIT; c->rto_at = now + TCP_TIME_WAIT_MS; break;
		default: break;
		}
	}
	if (c->state == TCP_ESTABLISHED && (http_head_complete(c->req, c->req_len) || c->req_len == HTTP_REQ_MAX)) {
		respond(s, c, 0, now);
		return;
	}
	if (resp_sent(c) && c->state != TCP_TIME_WAIT && seq_lt(c->snd_nxt, fin_seq(c) + 1) &&
	    tcp_output(s, c, now, 0)) /* the window opened; this carries the ACK too */
		return;
	if (need_ack) conn_ack(s, c);
}

static void parse_mss(const uint8_t *o, size_t n, uint16_t *mss)
{
	size_t i = 0;
	while (i < n) {
		uint8_t k = o[i];
		if (k == 0) break;
		if (k == 1) { i++; continue; }
		if (i + 1 >= n) break;
		uint8_t l = o[i + 1];
		if (l < 2 || i + l > n) break; /* malformed: ignore the rest */
		if (k == 2 && l == 4) {
			uint16_t m = get16(o + i + 2);
			if (m < 64) m = 64;
			if (m > TCP_MSS) m = TCP_MSS;
			*mss = m;
		}
		i += l;
	}
}

static void tcp_input(struct net_stack *s, const uint8_t *mac, uint32_t src, const uint8_t *t, size_t len, uint64_t now)
{
	if (len < TCP_HLEN) goto drop;
	size_t hl = (size_t)(t[12] >> 4) * 4;
	if (hl < TCP_HLEN || hl > len) goto drop;
	if (csum_fold(csum_add(pseudo_sum(src, s->cfg.ip, 6, (uint16_t)len), t, len)) != 0) { s->st.bad_checksum++; return; }
	struct seg g = {
		.mac = mac, .src = src, .sport = get16(t), .dport = get16(t + 2),
		.seq = get32(t + 4), .ack = get32(t + 8), .flags = (uint8_t)(t[13] & 0x3f),
		.wnd = get16(t + 14), .mss = 536, .data = t + hl, .dlen = (uint32_t)(len - hl),
	};
	if (g.sport == 0 || g.dport == 0) goto drop;
	if (g.flags & TCP_SYN) parse_mss(t + TCP_HLEN, hl - TCP_HLEN, &g.mss);
	if (g.dport != s->cfg.port) { tcp_reset(s, &g); return; }
	for (int i = 0; i < NET_MAX_CONN; i++) {
		struct tcp_conn *c = &s->conn[i];
		if (c->state != TCP_FREE && c->rip == src && c->rport == g.sport) {
			tcp_conn_input(s, c, &g, now);
			return;
		}
	}
	/* LISTEN (RFC 9293 3.10.7.2): RST ignored, ACK reset, SYN accepted, the rest dropped */
	if (g.flags & TCP_RST) return;
	if (g.flags & TCP_ACK) { tcp_reset(s, &g); return; }
	if ((g.flags & TCP_SYN) && !(g.flags & TCP_FIN)) { tcp_accept(s, conn_slot(s), &g, now); return; }
	goto drop; /* SYN+FIN, FIN, none */
drop:
	s->st.rx_dropped++;
}

/* ---- IPv4 ---- */

static int bad_source(const struct net_stack *s, uint32_t a)
{
	uint32_t top = a >> 24;
	if (a == s->cfg.ip || top == 0 || top == 127 || top >= 224) return 1; /* self, this net, loopback, class D/E */
	if (s->cfg.mask != 0xffffffffu && s->cfg.mask != 0xfffffffeu &&
	    (a & s->cfg.mask) == (s->cfg.ip & s->cfg.mask) && (a | s->cfg.mask) == 0xffffffffu)
		return 1; /* our subnet's broadcast */
	return 0;
}

static void ip_input(struct net_stack *s, const uint8_t *mac, const uint8_t *ip, size_t len, uint64_t now)
{
	if (len < IP_HLEN || ip[0] >> 4 != 4) goto drop;
	size_t hl = (size_t)(ip[0] & 15) * 4, tot = get16(ip + 2);
	if (hl < IP_HLEN || tot < hl || tot > len || hl > len) goto drop;
	if (csum_fold(csum_add(0, ip, hl)) != 0) { s->st.bad_checksum++; return; }
	if (get16(ip + 6) & 0x3fff) goto drop;        /* a fragment (MF or an offset) */
	if (get32(ip + 16) != s->cfg.ip) goto drop;   /* not for us (broadcasts included) */
	uint32_t src = get32(ip + 12);
	if (bad_source(s, src)) goto drop;
	const uint8_t *p = ip + hl;
	size_t plen = tot - hl;
	switch (ip[9]) {
	case 1: icmp_input(s, mac, src, p, plen); return;
	case 6: tcp_input(s, mac, src, p, plen, now); return;
	default: goto drop;
	}
drop:
	s->st.rx_dropped++;
}

void net_input(struct net_stack *s, const uint8_t *f, size_t len, uint64_t now)
{
	s->st.rx_frames++;
	if (len < ETH_HLEN || len > NET_FRAME_MAX + 4) goto drop;
	const uint8_t *dst = f, *src = f + 6;
	if (src[0] & 1) goto drop; /* a multicast source is never answered */
	int to_us = memcmp(dst, s->cfg.mac, 6) == 0;
	int bcast = dst[0] == 0xff && dst[1] == 0xff && dst[2] == 0xff && dst[3] == 0xff && dst[4] == 0xff && dst[5] == 0xff;
	uint16_t type = get16(f + 12);
	if (type == ETH_P_ARP && (to_us || bcast)) { arp_input(s, f + ETH_HLEN, len - ETH_HLEN); return; }
	if (type == ETH_P_IP && to_us) { ip_input(s, src, f + ETH_HLEN, len - ETH_HLEN, now); return; }
drop:
	s->st.rx_dropped++;
}

void net_poll(struct net_stack *s, uint64_t now)
{
	for (int i = 0; i < NET_MAX_CONN; i++) {
		struct tcp_conn *c = &s->conn[i];
		switch (c->state) {
		case TCP_FREE:
			break;
		case TCP_TIME_WAIT:
			if (now >= c->rto_at) conn_free(c);
			break;
		case TCP_SYN_RCVD:
		case TCP_FIN_WAIT_1:
		case TCP_CLOSING:
		case TCP_LAST_ACK:
			if (now < c->rto_at) break;
			if (++c->retries > TCP_MAX_RETRIES) { conn_free(c); break; }
			s->st.tcp_retransmits++;
			c->rto = c->rto * 2 > TCP_RTO_MAX_MS ? TCP_RTO_MAX_MS : c->rto * 2;
			if (c->state == TCP_SYN_RCVD) { send_synack(s, c); arm(c, now); }
			else tcp_output(s, c, now, 1);
			break;
		default: /* ESTABLISHED, FIN_WAIT_2: wait for the peer, but not forever */
			if (now - c->last_ms >= TCP_IDLE_MS) {
				conn_send(s, c, c->snd_nxt, TCP_RST | TCP_ACK, NULL, 0);
				conn_free(c);
			}
			break;
		}
	}
}
