/* Console (COM1), exit, exceptions, clock, and the C entry point from boot/entry.S. */
#include "hw.h"
#include "../pure/cmdline.h"

#define COM1 0x3f8
#define HVM_START_MAGIC 0x336ec578u

void console_init(void)
{
	outb(COM1 + 1, 0x00); /* no interrupts */
	outb(COM1 + 3, 0x80); /* DLAB */
	outb(COM1 + 0, 0x01); /* 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03); /* 8N1 */
	outb(COM1 + 2, 0xc7); /* FIFO on, cleared */
	outb(COM1 + 4, 0x03); /* DTR, RTS */
}

void console_write(const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++) {
		for (int spin = 0; spin < 100000 && !(inb(COM1 + 5) & 0x20); spin++) cpu_relax();
		outb(COM1, b[i]);
	}
}

void kprintf(const char *spec, ...)
{
	char buf[512];
	struct fmt f;
	va_list ap;
	fmt_init(&f, buf, sizeof buf);
	va_start(ap, spec);
	fmt_vprintf(&f, spec, ap);
	va_end(ap);
	console_write(buf, f.len);
}

_Noreturn void hw_exit(uint32_t code)
{
	outl(0xf4, code);
	/* no isa-debug-exit: a triple fault (empty IDT, then an exception) */
	struct __attribute__((packed)) { uint16_t limit; uint64_t base; } none = {0, 0};
	__asm__ volatile("lidt %0; int3" : : "m"(none));
	for (;;) __asm__ volatile("cli; hlt");
}

_Noreturn void panic(const char *why)
{
	kprintf("panic: %s\n", why);
	hw_exit(EXIT_PANIC);
}

/* ---- exceptions ---- */

struct __attribute__((packed)) idt_entry {
	uint16_t off_lo, sel;
	uint8_t ist, type;
	uint16_t off_mid;
	uint32_t off_hi, zero;
};
static struct idt_entry idt[48];
extern const uint64_t isr_table[32], irq_table[16];

static void idt_set(int v, uint64_t a)
{
	idt[v] = (struct idt_entry){ (uint16_t)a, 0x08, 0, 0x8e, (uint16_t)(a >> 16), (uint32_t)(a >> 32), 0 };
}

void trap_init(void)
{
	for (int i = 0; i < 32; i++) idt_set(i, isr_table[i]);
	for (int i = 0; i < 16; i++) idt_set(32 + i, irq_table[i]);
	struct __attribute__((packed)) { uint16_t limit; uint64_t base; } p = { sizeof idt - 1, (uint64_t)idt };
	__asm__ volatile("lidt %0" : : "m"(p));
}

_Noreturn void trap_handler(const uint64_t *frame);
_Noreturn void trap_handler(const uint64_t *frame)
{
	uint64_t cr2;
	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	kprintf("exception: vector %lu error %lx rip %lx cr2 %lx\n",
	        (unsigned long)frame[0], (unsigned long)frame[1], (unsigned long)frame[2], (unsigned long)cr2);
	hw_exit(EXIT_EXCEPTION);
}

/* ---- clock: the TSC, calibrated over ~20 ms of the PIT's channel 0 (1193182 Hz) ---- */

static uint64_t tsc0;
static uint32_t tsc_khz;
static int calibrated;

static uint16_t pit_read(void)
{
	outb(0x43, 0x00); /* latch channel 0 */
	uint8_t lo = inb(0x40);
	uint8_t hi = inb(0x40);
	return (uint16_t)(hi << 8 | lo);
}

void clock_init(void)
{
	outb(0x43, 0x34); /* channel 0, lo/hi byte, mode 2, binary */
	outb(0x40, 0);
	outb(0x40, 0);    /* reload 65536 */
	uint16_t last = pit_read();
	uint64_t start = rdtsc(), elapsed = 0, spins = 0;
	while (elapsed < 23864) { /* 20 ms of PIT ticks */
		uint16_t now = pit_read();
		elapsed += (uint16_t)(last - now); /* counts down, wraps at 65536 */
		last = now;
		if (++spins > 50000000) break;     /* no PIT: give up */
	}
	uint64_t cycles = rdtsc() - start;
	if (elapsed >= 23864 && cycles > 0) {
		tsc_khz = (uint32_t)(cycles * 1193182 / elapsed / 1000);
		calibrated = tsc_khz > 0;
	}
	if (!calibrated) tsc_khz = 2000000; /* assume 2 GHz */
	tsc0 = rdtsc();
}

uint64_t clock_ms(void) { return (rdtsc() - tsc0) / tsc_khz; }
uint32_t clock_khz(void) { return calibrated ? tsc_khz : 0; }

/* ---- idle: the PIT at 100 Hz and one device line through the 8259 PIC wake hlt ---- */

static volatile uint64_t ticks;
static int hook_irq = -1;
static void (*hook)(void);

void irq_handler(uint32_t vector);
void irq_handler(uint32_t vector)
{
	int irq = (int)vector - 32;
	if (irq == 0) ticks++;
	if (irq == hook_irq && hook) hook();
	if (irq >= 8) outb(0xa0, 0x20);
	outb(0x20, 0x20); /* EOI */
}

int idle_init(int irq, void (*irq_hook)(void))
{
	hook_irq = irq >= 0 && irq < 16 && irq != 2 ? irq : -1;
	hook = irq_hook;
	outb(0x20, 0x11); outb(0xa0, 0x11); /* ICW1: init, ICW4 follows */
	outb(0x21, 0x20); outb(0xa1, 0x28); /* vectors 32..47 */
	outb(0x21, 0x04); outb(0xa1, 0x02); /* cascade on IRQ2 */
	outb(0x21, 0x01); outb(0xa1, 0x01); /* 8086 mode */
	uint16_t mask = (uint16_t)~(1u << 0 | 1u << 2);
	if (hook_irq >= 0) mask &= (uint16_t)~(1u << hook_irq);
	outb(0x21, (uint8_t)mask);
	outb(0xa1, (uint8_t)(mask >> 8));
	/* the local APIC passes the PIC's INTR on only with LINT0 in ExtINT mode (virtual
	 * wire), which no firmware set up here */
	uint64_t lapic = 0xfee00000;
	mmio_write32(lapic + 0xf0, mmio_read32(lapic + 0xf0) | 0x100); /* software enable */
	mmio_write32(lapic + 0x350, 0x700);                              /* LVT LINT0: ExtINT */
	outb(0x43, 0x34); /* channel 0, mode 2, 1193182 / 11932 = 100 Hz */
	outb(0x40, 11932 & 0xff);
	outb(0x40, 11932 >> 8);
	__asm__ volatile("sti");
	uint64_t until = clock_ms() + 50;
	while (!ticks && clock_ms() < until) cpu_relax();
	__asm__ volatile("cli");
	return ticks != 0;
}

void cpu_idle(void)
{
	__asm__ volatile("sti; hlt; cli" ::: "memory"); /* sti's shadow covers the hlt */
}

/* ---- entry ---- */

static char cmdline[CMDLINE_MAX];
int cmdline_truncated;

_Noreturn void kmain(uint32_t start_info);
_Noreturn void kmain(uint32_t start_info)
{
	console_init();
	trap_init();
	const volatile uint32_t *si = (const uint32_t *)(uint64_t)start_info;
	if (!start_info || si[0] != HVM_START_MAGIC) panic("no PVH start_info");
	uint64_t cl = (uint64_t)si[6] | (uint64_t)si[7] << 32; /* cmdline_paddr at offset 24 */
	size_t n = 0;
	if (cl && cl < 0x100000000ull) {
		const volatile char *p = (const char *)cl;
		while (n < sizeof cmdline - 1 && p[n]) { cmdline[n] = p[n]; n++; }
		cmdline_truncated = p[n] != 0;
	}
	cmdline[n] = 0;
	hw_exit((uint32_t)uk_main(cmdline));
}
