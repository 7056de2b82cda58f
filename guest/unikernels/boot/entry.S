/* PVH entry (Xen ELF note XEN_ELFNOTE_PHYS32_ENTRY): the loader jumps to pvh_start32 in
 * 32-bit protected mode, paging off, with %ebx = physical address of struct
 * hvm_start_info. We load our own GDT, identity-map the first 4 GiB with 2 MiB pages
 * (the top GiB, where the virtio-mmio and other device windows are, uncached), enter
 * long mode, zero .bss, and call kmain(start_info) on our own stack. */

#define XEN_ELFNOTE_PHYS32_ENTRY 18

	.section .note.Xen, "a", @note
	.balign 4
	.long 4                         /* namesz: "Xen\0" */
	.long 4                         /* descsz */
	.long XEN_ELFNOTE_PHYS32_ENTRY
	.asciz "Xen"
	.balign 4
	.long pvh_start32

	.section .boot32, "ax"
	.code32
	.globl pvh_start32
pvh_start32:
	cli
	cld
	mov %ebx, %esi                  /* start_info, kept in %esi (and %rsi) */
	lgdt gdt_ptr
	mov $0x10, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	mov %eax, %fs
	mov %eax, %gs
	mov %cr4, %eax
	or $0x20, %eax                  /* PAE */
	mov %eax, %cr4
	mov $pml4, %eax
	mov %eax, %cr3
	mov $0xc0000080, %ecx           /* EFER */
	rdmsr
	or $0x100, %eax                 /* LME */
	wrmsr
	mov %cr0, %eax
	or $0x80000001, %eax            /* PG | PE */
	mov %eax, %cr0
	ljmp $0x08, $start64

	.code64
start64:
	mov $0x10, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	mov %eax, %fs
	mov %eax, %gs
	mov %esi, %r12d                 /* zero-extends */
	mov $__bss_start, %edi
	mov $__bss_end, %ecx
	sub %edi, %ecx
	xor %eax, %eax
	rep stosb
	mov $stack_top, %esp
	xor %ebp, %ebp
	mov %r12d, %edi
	call kmain
1:	cli
	hlt
	jmp 1b

/* CPU exception stubs: push a zero error code where the CPU pushes none, then the vector,
 * and hand the frame to trap_handler (which never returns). */
	.text
.macro ISR_NOERR n
isr\n:
	pushq $0
	pushq $\n
	jmp isr_common
.endm
.macro ISR_ERR n
isr\n:
	pushq $\n
	jmp isr_common
.endm
.irp n, 0,1,2,3,4,5,6,7,9,15,16,18,19,20,22,23,24,25,26,27,28,31
ISR_NOERR \n
.endr
.irp n, 8,10,11,12,13,14,17,21,29,30
ISR_ERR \n
.endr
isr_common:
	mov %rsp, %rdi                  /* [vector, error, rip, cs, rflags, rsp, ss] */
	and $-16, %rsp
	call trap_handler
2:	cli
	hlt
	jmp 2b

/* IRQ stubs, vectors 32..47 (the remapped 8259 PIC): save the caller-saved registers
 * (the C side uses no SSE: -mgeneral-regs-only), call irq_handler(vector), return. */
.macro IRQ n
irq\n:
	push %rax
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %r8
	push %r9
	push %r10
	push %r11
	mov $\n, %edi                   /* 5 + 9 quads pushed: %rsp is 16-aligned here */
	call irq_handler
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rax
	iretq
.endm
.irp n, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
IRQ \n
.endr

	.section .rodata
	.balign 8
	.globl irq_table
irq_table:
.irp n, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
	.quad irq\n
.endr
	.globl isr_table
isr_table:
.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad isr\n
.endr

	.section .data
	.balign 16
gdt:
	.quad 0
	.quad 0x00af9a000000ffff        /* 0x08: 64-bit code */
	.quad 0x00cf92000000ffff        /* 0x10: data */
gdt_end:
gdt_ptr:
	.word gdt_end - gdt - 1
	.quad gdt

	.balign 4096
pml4:
	.quad pdpt + 0x003              /* present, writable */
	.fill 511, 8, 0
pdpt:
	.quad pd + 0x0003
	.quad pd + 0x1003
	.quad pd + 0x2003
	.quad pd + 0x3003
	.fill 508, 8, 0
pd:
	.set i, 0
	.rept 2048
	.if i < 1536
	.quad (i << 21) | 0x083         /* 2 MiB page: present, writable, PS */
	.else
	.quad (i << 21) | 0x09b         /* the 4th GiB: also PWT | PCD (devices) */
	.endif
	.set i, i + 1
	.endr

	.section .bss
	.balign 16
stack:
	.skip 65536
stack_top:

	.section .note.GNU-stack, "", @progbits
