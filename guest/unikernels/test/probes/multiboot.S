/* A minimal multiboot (v1) kernel, a 32-bit ELF: prints "multiboot: entered, eax=<magic
 * in hex>" on COM1 and exits QEMU with isa-debug-exit code 7 (status 15). */
	.text
	.balign 4
	.long 0x1badb002        /* magic */
	.long 0x00000003        /* flags: page-align modules, memory info */
	.long -(0x1badb002 + 3) /* checksum */

	.code32
	.globl _start
_start:
	cli
	mov %eax, %ebx
	mov $msg, %esi
	mov $0x3f8, %dx
1:	lodsb
	test %al, %al
	jz 2f
	out %al, %dx
	jmp 1b
2:	mov $8, %ecx            /* eax in hex */
3:	rol $4, %ebx
	mov %ebx, %eax
	and $15, %eax
	mov hex(%eax), %al
	out %al, %dx
	loop 3b
	mov $'\n', %al
	out %al, %dx
	mov $0xf4, %dx
	mov $7, %eax
	outl %eax, %dx
4:	hlt
	jmp 4b
	.section .rodata
msg:	.asciz "multiboot: entered, eax="
hex:	.ascii "0123456789abcdef"
	.section .note.GNU-stack, "", @progbits
