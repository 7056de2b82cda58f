/* rind-shim: pure incremental parser of the guest->host io stream (untrusted bytes).
 * No I/O, no allocation: feed it any chunking of the stream, it yields one event per call. */
#ifndef RIND_FRAME_PARSE_H
#define RIND_FRAME_PARSE_H
#include <stddef.h>
#include <stdint.h>
#include "frame.h"

enum rind_fp_state { RIND_FP_HDR, RIND_FP_DATA, RIND_FP_EXITCODE, RIND_FP_DEAD };

enum rind_fp_kind {
	RIND_FP_EV_NONE,  /* everything given was consumed, no event (more bytes needed) */
	RIND_FP_EV_DATA,  /* type STDOUT/STDERR: data/len point into the caller's buffer */
	RIND_FP_EV_EXIT,  /* a complete, valid EXIT frame: code in 0..255 */
	RIND_FP_EV_ERROR, /* protocol violation (sticky): err says why */
};

struct rind_fp {
	uint64_t off;        /* stream bytes consumed so far */
	uint64_t frame_off;  /* stream offset of the current/last header */
	uint32_t left;       /* payload bytes left in the current STDOUT/STDERR frame */
	uint8_t state;       /* enum rind_fp_state */
	uint8_t nhdr;        /* header bytes collected in hdr */
	uint8_t ncode;       /* EXIT payload bytes collected in code */
	uint8_t type;        /* type of the current frame */
	uint8_t hdr[8];      /* raw bytes of the current/last header (for diagnostics) */
	uint8_t code[4];
	uint32_t exits;      /* complete EXIT frames seen (at most 1: a second is a violation) */
	const char *err;     /* static string, set in RIND_FP_DEAD */
};

struct rind_fp_event {
	int kind;            /* enum rind_fp_kind */
	uint8_t type;        /* RIND_F_STDOUT / RIND_F_STDERR for DATA */
	const uint8_t *data; /* DATA: inside the buffer passed to rind_fp_step */
	size_t len;          /* DATA: > 0 */
	int code;            /* EXIT */
	const char *err;     /* ERROR */
};

void rind_fp_init(struct rind_fp *p);
/* Consumes bytes of buf[0..n) up to and including the first event; returns the count
 * consumed (0 only if n == 0 or the parser is dead). Loop until n bytes are consumed. */
size_t rind_fp_step(struct rind_fp *p, const uint8_t *buf, size_t n, struct rind_fp_event *ev);
/* 1 if the stream is at a frame boundary (EOF here is clean), 0 if inside a frame. */
int rind_fp_at_boundary(const struct rind_fp *p);

#endif
