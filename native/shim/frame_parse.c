/* rind-shim: incremental validator/parser of guest->host frames (STDOUT, STDERR, EXIT), docs/protocol.md
 * rules (8-byte LE header, flags==0, reserved==0, len<=RIND_FRAME_MAX); no copy, no allocation, no I/O. */
#include <string.h>
#include "frame_parse.h"

void rind_fp_init(struct rind_fp *p)
{
	memset(p, 0, sizeof *p);
	p->state = RIND_FP_HDR;
}

int rind_fp_at_boundary(const struct rind_fp *p)
{
	return p->state == RIND_FP_HDR && p->nhdr == 0;
}

static uint32_t le32(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static const char *check_header(struct rind_fp *p)
{
	const uint8_t *h = p->hdr;
	uint32_t len = le32(h + 4);
	if (h[1] != 0)
		return "non-zero flags";
	if (h[2] != 0 || h[3] != 0)
		return "non-zero reserved field";
	if (len > RIND_FRAME_MAX)
		return "frame longer than RIND_FRAME_MAX";
	switch (h[0]) {
	case RIND_F_STDOUT:
	case RIND_F_STDERR:
		return NULL;
	case RIND_F_EXIT:
		if (len != 4)
			return "EXIT payload is not 4 bytes";
		if (p->exits)
			return "second EXIT frame";
		return NULL;
	default:
		return "unknown or host->guest frame type";
	}
}

size_t rind_fp_step(struct rind_fp *p, const uint8_t *buf, size_t n, struct rind_fp_event *ev)
{
	size_t used = 0, take;
	memset(ev, 0, sizeof *ev);
	ev->kind = RIND_FP_EV_NONE;
	while (used < n && ev->kind == RIND_FP_EV_NONE) {
		switch (p->state) {
		case RIND_FP_HDR:
			if (p->nhdr == 0)
				p->frame_off = p->off + used;
			take = 8u - p->nhdr;
			if (take > n - used)
				take = n - used;
			memcpy(p->hdr + p->nhdr, buf + used, take);
			p->nhdr += (uint8_t)take;
			used += take;
			if (p->nhdr < 8)
				break;
			p->nhdr = 0;
			p->type = p->hdr[0];
			p->err = check_header(p);
			if (p->err) {
				p->state = RIND_FP_DEAD;
				break;
			}
			if (p->type == RIND_F_EXIT) {
				p->ncode = 0;
				p->state = RIND_FP_EXITCODE;
			} else {
				p->left = le32(p->hdr + 4);
				p->state = p->left ? RIND_FP_DATA : RIND_FP_HDR; /* empty output frame: no event */
			}
			break;
		case RIND_FP_DATA:
			take = p->left;
			if (take > n - used)
				take = n - used;
			ev->kind = RIND_FP_EV_DATA;
			ev->type = p->type;
			ev->data = buf + used;
			ev->len = take;
			p->left -= (uint32_t)take;
			used += take;
			if (p->left == 0)
				p->state = RIND_FP_HDR;
			break;
		case RIND_FP_EXITCODE:
			take = 4u - p->ncode;
			if (take > n - used)
				take = n - used;
			memcpy(p->code + p->ncode, buf + used, take);
			p->ncode += (uint8_t)take;
			used += take;
			if (p->ncode < 4)
				break;
			/* int32 LE in 0..255: the three high bytes must be zero */
			if (p->code[1] || p->code[2] || p->code[3]) {
				p->err = "EXIT code outside 0..255";
				p->state = RIND_FP_DEAD;
				break;
			}
			p->exits++;
			p->state = RIND_FP_HDR;
			ev->kind = RIND_FP_EV_EXIT;
			ev->code = p->code[0];
			break;
		default: /* RIND_FP_DEAD */
			n = used; /* stop consuming */
			break;
		}
	}
	p->off += used;
	if (p->state == RIND_FP_DEAD) {
		ev->kind = RIND_FP_EV_ERROR;
		ev->err = p->err;
		ev->data = NULL;
		ev->len = 0;
	}
	return used;
}
