/* web: an HTTP server on a virtio-net NIC. Its command line (after the words of fw_cfg file
 * opt/io.rind/net, rind's network hint, if QEMU has one): ip=A.B.C.D/N (required),
 * gw=A.B.C.D, port=N (default 8080), body=TEXT (the page: TEXT and a newline), and the virtio_mmio.device= words QEMU's microvm
 * appends. Serial output (LF line ends):
 *   rind web unikernel
 *   clock: tsc <khz> kHz | clock: tsc uncalibrated, assuming 2 GHz
 *   virtio-net: mmio 0x<base> irq <irq> version <1|2> mac <aa:bb:..> queues <rx>/<tx>
 *   idle: hlt | idle: spin
 *   web: listening on <ip>/<prefix> gw <gw|none> port <port>
 * or, on failure, "web: <reason>" and exit 120 (bad command line) or 121 (no NIC). */
#include "hw/hw.h"
#include "hw/fwcfg.h"
#include "hw/virtio_net.h"
#include "pure/cmdline.h"
#include "pure/net.h"
#include "pure/http.h"

static struct net_stack stack;
static uint64_t now_ms;

static void tx(void *ctx, const uint8_t *frame, size_t len)
{
	(void)ctx;
	vnet_send(frame, len);
}

static void rx(void *ctx, const uint8_t *frame, size_t len)
{
	(void)ctx;
	net_input(&stack, frame, len, now_ms);
}

static int prefix_len(uint32_t mask)
{
	int n = 0;
	while (mask & 0x80000000u) { n++; mask <<= 1; }
	return n;
}

int uk_main(char *cmdline)
{
	static char *argv[ARGV_MAX];
	static struct web_config cfg;
	char err[160];
	static char hint[256];
	int overflow;
	int argc = 0;
	/* rind's network hint first, so that words on the command line win */
	int n = fwcfg_read_file("opt/io.rind/net", hint, sizeof hint - 1);
	if (n > 0) {
		hint[n] = 0;
		argc = cmdline_split(hint, argv, ARGV_MAX, &overflow);
	}
	argc += cmdline_split(cmdline, argv + argc, ARGV_MAX - argc, &overflow);
	kprintf("rind web unikernel\n");
	if (web_config_parse(argc, argv, &cfg, err, sizeof err)) {
		kprintf("web: %s\n", err);
		return EXIT_CONFIG;
	}
	if (cfg.body) http_set_page(cfg.body);
	clock_init();
	if (clock_khz()) kprintf("clock: tsc %u kHz\n", clock_khz());
	else kprintf("clock: tsc uncalibrated, assuming 2 GHz\n");

	struct vnet_info info;
	int found = -1;
	for (int i = 0; i < cfg.n_mmio && found < 0; i++) {
		const char *why;
		if (vnet_init(cfg.mmio_base[i], &info, &why) == 0) found = i;
	}
	if (found < 0) {
		kprintf("web: no virtio-net device among %d virtio_mmio.device= entries\n", cfg.n_mmio);
		return EXIT_NODEV;
	}
	struct net_config nc = { .ip = cfg.ip, .mask = cfg.mask, .gw = cfg.gw, .port = cfg.port };
	memcpy(nc.mac, info.mac, 6);
	if (!info.have_mac) { /* locally administered, from the TSC */
		uint64_t t = rdtsc();
		uint8_t m[6] = {0x52, 0x54, 0x00, (uint8_t)(t >> 16), (uint8_t)(t >> 8), (uint8_t)t};
		memcpy(nc.mac, m, 6);
	}
	char mac[18];
	struct fmt f;
	fmt_init(&f, mac, sizeof mac);
	fmt_mac(&f, nc.mac);
	kprintf("virtio-net: mmio 0x%lx irq %u version %u mac %s queues %u/%u\n",
	        (unsigned long)cfg.mmio_base[found], cfg.mmio_irq[found], info.version, mac,
	        (unsigned)info.rx_num, (unsigned)info.tx_num);
	int can_idle = idle_init((int)cfg.mmio_irq[found], vnet_ack_interrupt);
	kprintf("idle: %s\n", can_idle ? "hlt" : "spin");

	net_init(&stack, &nc, tx, NULL, (uint32_t)rdtsc());
	char ip[16], gw[16];
	fmt_init(&f, ip, sizeof ip);
	fmt_ip(&f, cfg.ip);
	fmt_init(&f, gw, sizeof gw);
	if (cfg.gw) fmt_ip(&f, cfg.gw);
	else fmt_str(&f, "none");
	kprintf("web: listening on %s/%d gw %s port %u\n", ip, prefix_len(cfg.mask), gw, (unsigned)cfg.port);
	net_announce(&stack);

	uint64_t last_poll = 0;
	for (;;) {
		now_ms = clock_ms();
		int got = vnet_recv(rx, NULL);
		if (now_ms != last_poll) {
			net_poll(&stack, now_ms);
			last_poll = now_ms;
		}
		if (!got && can_idle && !vnet_rx_pending()) cpu_idle();
		else if (!got) cpu_relax();
	}
}
