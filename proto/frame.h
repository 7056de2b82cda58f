/* rind io-channel framing shared by the guest agent and the host shim.
 * Fixed 8-byte little-endian header + bounded payload; see docs/protocol.md. */
#ifndef RIND_FRAME_H
#define RIND_FRAME_H
#include <stdint.h>

#define RIND_FRAME_MAX 65536u

enum rind_frame_type {
	RIND_F_STDOUT = 1,    /* guest->host: workload stdout bytes            */
	RIND_F_STDERR = 2,    /* guest->host: workload stderr bytes            */
	RIND_F_EXIT = 3,      /* guest->host: int32 exit code (128+sig if killed) */
	RIND_F_STDIN = 16,    /* host->guest: stdin bytes                      */
	RIND_F_STDIN_EOF = 17,/* host->guest: close workload stdin, len 0      */
	RIND_F_SIGNAL = 18,   /* host->guest: int32 signal number              */
	RIND_F_WINSIZE = 19,  /* host->guest: uint16 rows, uint16 cols         */
	RIND_F_EXIT_ACK = 20, /* host->guest: host got EXIT, len 0             */
	RIND_F_ONLCR = 21,    /* host->guest: int32 0|1, the engine's pty ONLCR  */
};

struct rind_frame {
	uint8_t type;
	uint8_t flags;     /* must be 0 */
	uint16_t reserved; /* must be 0 */
	uint32_t len;      /* payload bytes that follow, <= RIND_FRAME_MAX */
};

_Static_assert(sizeof(struct rind_frame) == 8, "frame header is 8 bytes");

#endif
