/* A minimal Linux boot protocol image (bzImage layout, protocol 2.15): one boot sector,
 * one setup sector whose real-mode code at offset 0x200 prints "linux boot protocol: real
 * mode setup entered" on COM1 and exits QEMU with isa-debug-exit code 9 (status 19), and
 * a protected-mode part (loaded at 1 MiB, never jumped to) of one sector. */
	.code16
	.section .text
	.globl _start
_start:
	.org 0x1f1
	.byte 1                 /* setup_sects */
	.word 0                 /* root_flags */
	.long 1                 /* syssize, in 16-byte paragraphs */
	.word 0                 /* ram_size */
	.word 0                 /* vid_mode */
	.word 0                 /* root_dev */
	.word 0xaa55            /* boot_flag */
	/* 0x200: the real-mode entry (cs = setup segment + 0x20) */
	jmp setup_code
	.ascii "HdrS"           /* 0x202 header */
	.word 0x020f            /* 0x206 version */
	.long 0                 /* realmode_swtch */
	.word 0                 /* start_sys_seg */
	.word 0                 /* kernel_version */
	.byte 0xff              /* 0x210 type_of_loader */
	.byte 0x01              /* 0x211 loadflags: LOADED_HIGH */
	.word 0                 /* setup_move_size */
	.long 0x100000          /* 0x214 code32_start */
	.long 0                 /* ramdisk_image */
	.long 0                 /* ramdisk_size */
	.long 0                 /* bootsect_kludge */
	.word 0                 /* 0x224 heap_end_ptr */
	.byte 0, 0
	.long 0                 /* 0x228 cmd_line_ptr */
	.long 0x7fffffff        /* 0x22c initrd_addr_max */
	.long 0x200000          /* kernel_alignment */
	.byte 0                 /* relocatable_kernel */
	.byte 0                 /* min_alignment */
	.word 0                 /* xloadflags */
	.long 255               /* 0x238 cmdline_size */
	.fill 0x260 - 0x23c, 1, 0
	.long 0x1000            /* 0x260 init_size */
setup_code:
	cli
	mov %cs, %ax
	mov %ax, %ds
	lea msg - 0x200, %si    /* %ds = %cs = setup seg + 0x20: offsets are from 0x200 */
	mov $0x3f8, %dx
1:	lodsb
	test %al, %al
	jz 2f
	out %al, %dx
	jmp 1b
2:	mov $0xf4, %dx
	mov $9, %eax
	outl %eax, %dx
3:	hlt
	jmp 3b
msg:	.asciz "linux boot protocol: real mode setup entered\n"
	.org 0x400              /* end of the setup sector */
	/* the "protected-mode kernel": one sector */
	.fill 512, 1, 0xf4
