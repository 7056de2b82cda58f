/* virtio-net over virtio-mmio, legacy (version 1, QEMU's default) or modern (version 2),
 * one receive and one transmit queue, no offloads, no mergeable buffers: the driver reads
 * frames by polling the used rings (an interrupt only wakes the CPU from hlt). */
#include "hw.h"
#include "virtio_net.h"

#define R_MAGIC 0x000
#define R_VERSION 0x004
#define R_DEVICE_ID 0x008
#define R_DEV_FEATURES 0x010
#define R_DEV_FEATURES_SEL 0x014
#define R_DRV_FEATURES 0x020
#define R_DRV_FEATURES_SEL 0x024
#define R_GUEST_PAGE_SIZE 0x028 /* legacy */
#define R_QUEUE_SEL 0x030
#define R_QUEUE_NUM_MAX 0x034
#define R_QUEUE_NUM 0x038
#define R_QUEUE_ALIGN 0x03c     /* legacy */
#define R_QUEUE_PFN 0x040       /* legacy */
#define R_QUEUE_READY 0x044     /* modern */
#define R_QUEUE_NOTIFY 0x050
#define R_INTERRUPT_STATUS 0x060
#define R_INTERRUPT_ACK 0x064
#define R_STATUS 0x070
#define R_QUEUE_DESC 0x080      /* modern, low then high */
#define R_QUEUE_AVAIL 0x090
#define R_QUEUE_USED 0x0a0
#define R_CONFIG 0x100

#define S_ACKNOWLEDGE 1
#define S_DRIVER 2
#define S_DRIVER_OK 4
#define S_FEATURES_OK 8

#define F_MAC (1u << 5)
#define F_VERSION_1_HI (1u << 0) /* feature bit 32 */

#define QMAX 256
#define BUF 2048
#define DESC_F_WRITE 2
#define PAGE 4096

struct vdesc { uint64_t addr; uint32_t len; uint16_t flags, next; };

struct vq {
	uint16_t num, last_used, avail_idx;
	volatile struct vdesc *desc;
	volatile uint16_t *avail; /* flags, idx, ring[num], used_event */
	volatile uint16_t *used;  /* flags, idx, then {u32 id, u32 len}[num] at +4 bytes */
};

/* the legacy layout (align 4096), which a modern device accepts as well */
static uint8_t rxq_mem[3 * PAGE] __attribute__((aligned(PAGE)));
static uint8_t txq_mem[3 * PAGE] __attribute__((aligned(PAGE)));
static uint8_t rx_buf[QMAX][BUF] __attribute__((aligned(16)));
static uint8_t tx_buf[QMAX][BUF] __attribute__((aligned(16)));

static struct vq rxq, txq;
static uint64_t base;
static size_t hdr_len;

static uint32_t rd(uint32_t off) { return mmio_read32(base + off); }
static void wr(uint32_t off, uint32_t v) { mmio_write32(base + off, v); }

static volatile uint32_t *used_elem(struct vq *q, uint16_t i)
{
	return (volatile uint32_t *)((volatile uint8_t *)q->used + 4 + 8 * (size_t)i);
}

static int queue_setup(int idx, struct vq *q, uint8_t *mem, int version, const char **err)
{
	wr(R_QUEUE_SEL, (uint32_t)idx);
	uint32_t max = rd(R_QUEUE_NUM_MAX);
	if (max == 0) { *err = "queue not available"; return -1; }
	if (version == 2 && rd(R_QUEUE_READY)) { *err = "queue already in use"; return -1; }
	uint16_t num = max < QMAX ? (uint16_t)max : QMAX;
	memset(mem, 0, 3 * PAGE);
	q->num = num;
	q->last_used = q->avail_idx = 0;
	q->desc = (volatile struct vdesc *)mem;
	q->avail = (volatile uint16_t *)(mem + 16 * (size_t)num);
	size_t used_off = (16 * (size_t)num + 6 + 2 * (size_t)num + PAGE - 1) & ~(size_t)(PAGE - 1);
	q->used = (volatile uint16_t *)(mem + used_off);
	wr(R_QUEUE_NUM, num);
	uint64_t a = (uint64_t)mem;
	if (version == 1) {
		wr(R_QUEUE_ALIGN, PAGE);
		wr(R_QUEUE_PFN, (uint32_t)(a / PAGE));
	} else {
		uint64_t av = (uint64_t)q->avail, us = (uint64_t)q->used;
		wr(R_QUEUE_DESC, (uint32_t)a); wr(R_QUEUE_DESC + 4, (uint32_t)(a >> 32));
		wr(R_QUEUE_AVAIL, (uint32_t)av); wr(R_QUEUE_AVAIL + 4, (uint32_t)(av >> 32));
		wr(R_QUEUE_USED, (uint32_t)us); wr(R_QUEUE_USED + 4, (uint32_t)(us >> 32));
		wr(R_QUEUE_READY, 1);
	}
	return 0;
}

int vnet_init(uint64_t mmio_base, struct vnet_info *info, const char **err)
{
	base = mmio_base;
	if (rd(R_MAGIC) != 0x74726976) { *err = "no virtio-mmio magic"; return -1; }
	uint32_t version = rd(R_VERSION);
	if (version != 1 && version != 2) { *err = "unknown virtio-mmio version"; return -1; }
	if (rd(R_DEVICE_ID) != 1) { *err = "not a network device"; return -1; }
	wr(R_STATUS, 0);
	wr(R_STATUS, S_ACKNOWLEDGE);
	wr(R_STATUS, S_ACKNOWLEDGE | S_DRIVER);
	wr(R_DEV_FEATURES_SEL, 0);
	uint32_t f0 = rd(R_DEV_FEATURES);
	wr(R_DEV_FEATURES_SEL, 1);
	uint32_t f1 = rd(R_DEV_FEATURES);
	uint32_t status = S_ACKNOWLEDGE | S_DRIVER;
	wr(R_DRV_FEATURES_SEL, 0);
	wr(R_DRV_FEATURES, f0 & F_MAC);
	if (version == 2) {
		if (!(f1 & F_VERSION_1_HI)) { *err = "modern device without VERSION_1"; return -1; }
		wr(R_DRV_FEATURES_SEL, 1);
		wr(R_DRV_FEATURES, F_VERSION_1_HI);
		status |= S_FEATURES_OK;
		wr(R_STATUS, status);
		if (!(rd(R_STATUS) & S_FEATURES_OK)) { *err = "features not accepted"; return -1; }
		hdr_len = 12;
	} else {
		wr(R_GUEST_PAGE_SIZE, PAGE);
		hdr_len = 10;
	}
	if (queue_setup(0, &rxq, rxq_mem, (int)version, err) || queue_setup(1, &txq, txq_mem, (int)version, err)) return -1;
	for (uint16_t i = 0; i < rxq.num; i++) {
		rxq.desc[i].addr = (uint64_t)rx_buf[i];
		rxq.desc[i].len = BUF;
		rxq.desc[i].flags = DESC_F_WRITE;
		rxq.desc[i].next = 0;
		rxq.avail[2 + i] = i;
	}
	rxq.avail_idx = rxq.num;
	barrier();
	rxq.avail[1] = rxq.avail_idx;
	info->have_mac = !!(f0 & F_MAC);
	for (int i = 0; i < 6; i++) info->mac[i] = info->have_mac ? mmio_read8(base + R_CONFIG + (uint32_t)i) : 0;
	status |= S_DRIVER_OK;
	wr(R_STATUS, status);
	barrier();
	wr(R_QUEUE_NOTIFY, 0);
	info->version = version;
	info->rx_num = rxq.num;
	info->tx_num = txq.num;
	return 0;
}

int vnet_recv(vnet_rx_fn fn, void *ctx)
{
	int n = 0;
	while (rxq.last_used != rxq.used[1]) {
		barrier();
		volatile uint32_t *e = used_elem(&rxq, rxq.last_used % rxq.num);
		uint32_t id = e[0], len = e[1];
		rxq.last_used++;
		if (id >= rxq.num) continue; /* a device bug; nothing to give back */
		if (len > hdr_len && len <= BUF) fn(ctx, rx_buf[id] + hdr_len, len - hdr_len);
		rxq.avail[2 + rxq.avail_idx % rxq.num] = (uint16_t)id;
		barrier();
		rxq.avail[1] = ++rxq.avail_idx;
		n++;
	}
	if (n) { barrier(); wr(R_QUEUE_NOTIFY, 0); }
	return n;
}

int vnet_send(const uint8_t *frame, size_t len)
{
	if (len + hdr_len > BUF) return -1;
	/* descriptors are used in ring order and QEMU completes them in order */
	for (uint32_t spin = 0; (uint16_t)(txq.avail_idx - txq.last_used) >= txq.num; spin++) {
		while (txq.last_used != txq.used[1]) txq.last_used++;
		if (spin > 1000000) return -1;
		cpu_relax();
	}
	while (txq.last_used != txq.used[1]) txq.last_used++;
	uint16_t slot = txq.avail_idx % txq.num;
	memset(tx_buf[slot], 0, hdr_len);
	memcpy(tx_buf[slot] + hdr_len, frame, len);
	txq.desc[slot].addr = (uint64_t)tx_buf[slot];
	txq.desc[slot].len = (uint32_t)(hdr_len + len);
	txq.desc[slot].flags = 0;
	txq.desc[slot].next = 0;
	txq.avail[2 + slot] = slot;
	barrier();
	txq.avail[1] = ++txq.avail_idx;
	barrier();
	wr(R_QUEUE_NOTIFY, 1);
	return 0;
}

int vnet_rx_pending(void)
{
	return rxq.last_used != rxq.used[1];
}

void vnet_ack_interrupt(void)
{
	uint32_t st = rd(R_INTERRUPT_STATUS);
	if (st) wr(R_INTERRUPT_ACK, st);
}
