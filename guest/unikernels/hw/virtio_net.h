#ifndef RIND_UK_VIRTIO_NET_H
#define RIND_UK_VIRTIO_NET_H
#include "../pure/lib.h"

struct vnet_info {
	uint32_t version;      /* virtio-mmio version register: 1 legacy, 2 modern */
	uint16_t rx_num, tx_num;
	int have_mac;
	uint8_t mac[6];
};
typedef void (*vnet_rx_fn)(void *ctx, const uint8_t *frame, size_t len);

/* Resets and drives the virtio-net device at mmio_base; 0, or -1 with *err. */
int vnet_init(uint64_t mmio_base, struct vnet_info *info, const char **err);
/* Hands every received frame to fn (which may call vnet_send); the count handed. */
int vnet_recv(vnet_rx_fn fn, void *ctx);
/* Queues one frame; 0, or -1 when it is too long or the ring stays full. */
int vnet_send(const uint8_t *frame, size_t len);
int vnet_rx_pending(void);
void vnet_ack_interrupt(void);

#endif
