/* The hardware side of rind's unikernels: port and MMIO access, the COM1 console,
 * isa-debug-exit, the CPU exception handler, the TSC clock and the virtio-net driver. */
#ifndef RIND_UK_HW_H
#define RIND_UK_HW_H
#include "../pure/lib.h"

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint32_t mmio_read32(uint64_t a) { return *(volatile uint32_t *)a; }
static inline void mmio_write32(uint64_t a, uint32_t v) { *(volatile uint32_t *)a = v; }
static inline uint8_t mmio_read8(uint64_t a) { return *(volatile uint8_t *)a; }
static inline uint64_t rdtsc(void) { uint32_t lo, hi; __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi)); return (uint64_t)hi << 32 | lo; }
static inline void barrier(void) { __asm__ volatile("mfence" ::: "memory"); }
static inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }

/* exit codes the unikernels use themselves (QEMU exits with 2*code+1) */
#define EXIT_CONFIG 120     /* a bad command line */
#define EXIT_NODEV 121      /* no usable device */
#define EXIT_EXCEPTION 126  /* a CPU exception */
#define EXIT_PANIC 127      /* anything else that cannot go on */

void console_init(void);
void console_write(const void *p, size_t n);
void kprintf(const char *spec, ...);
/* isa-debug-exit (port 0xf4) with code; without that device, a triple fault (QEMU with
 * -no-reboot then exits 0). */
_Noreturn void hw_exit(uint32_t code);
_Noreturn void panic(const char *why);

void trap_init(void);
void clock_init(void);          /* calibrates the TSC against the PIT */
uint64_t clock_ms(void);        /* milliseconds since clock_init */
uint32_t clock_khz(void);       /* the TSC rate found (0: not calibrated, assumed) */

/* Programs the PIC and a 100 Hz PIT tick, routing IRQ irq (0..15, else none) to irq_hook;
 * 1 if the tick was seen, so that cpu_idle (which returns on the next interrupt) is safe. */
int idle_init(int irq, void (*irq_hook)(void));
void cpu_idle(void);

/* set when the boot command line was longer than CMDLINE_MAX - 1 bytes and cut there */
extern int cmdline_truncated;

/* The unikernel's own main, given the boot command line (writable, NUL-terminated). */
int uk_main(char *cmdline);

#endif
