/* Multiboot2 entry. GRUB leaves us in 32-bit protected mode with paging off,
 * eax = magic, ebx = physical address of the boot information. We build
 * throw-away page tables that map the first 1 GiB twice (identity, so this
 * code keeps running when paging turns on, and at KERNEL_VMA, where the kernel
 * is linked), enter long mode and call kernel_main(magic, info_phys) on the
 * higher half. kernel_main builds the real page tables and drops these. */

#define KERNEL_VMA 0xffffffff80000000
#define MB2_MAGIC 0xe85250d6
#define MB2_BOOTLOADER_MAGIC 0x36d76289
#define PHYS(x) ((x) - KERNEL_VMA)

.section .multiboot, "a"
.balign 8
mb2_header:
  .long MB2_MAGIC
  .long 0                                   /* architecture: i386 protected mode */
  .long mb2_header_end - mb2_header
  .long 0x100000000 - (MB2_MAGIC + (mb2_header_end - mb2_header))
  .balign 8
  .short 0, 0                               /* end tag */
  .long 8
mb2_header_end:

.section .boot.text, "ax"
.code32
.global _start
_start:
  cli
  cld
  mov $boot_stack32_top, %esp
  mov %eax, %edi                            /* magic, first argument */
  mov %ebx, %esi                            /* info, second argument */

  cmp $MB2_BOOTLOADER_MAGIC, %eax
  jne .Lno_multiboot

  /* Long mode needs CPUID leaf 0x80000001 EDX.LM. */
  mov $0x80000000, %eax
  cpuid
  cmp $0x80000001, %eax
  jb .Lno_long_mode
  mov $0x80000001, %eax
  cpuid
  test $(1 << 29), %edx
  jz .Lno_long_mode
  mov %edx, %ebp                            /* keep NX support bit (20) */

  /* Zero the boot page tables (4 pages). */
  push %edi
  mov $boot_pml4, %edi
  xor %eax, %eax
  mov $(4 * 4096 / 4), %ecx
  rep stosl
  pop %edi

  /* 512 x 2 MiB pages: the first GiB. */
  mov $boot_pd, %ebx
  mov $0x83, %eax                           /* present | writable | 2 MiB */
  xor %ecx, %ecx
1:
  mov %eax, (%ebx, %ecx, 8)
  add $0x200000, %eax
  inc %ecx
  cmp $512, %ecx
  jne 1b

  mov $boot_pd, %eax
  or $3, %eax
  mov %eax, boot_pdpt_low
  mov %eax, boot_pdpt_high + 510 * 8        /* 0xffffffff80000000 -> 0 */
  mov $boot_pdpt_low, %eax
  or $3, %eax
  mov %eax, boot_pml4
  mov $boot_pdpt_high, %eax
  or $3, %eax
  mov %eax, boot_pml4 + 511 * 8

  mov $boot_pml4, %eax
  mov %eax, %cr3
  mov %cr4, %eax
  or $(1 << 5), %eax                        /* PAE */
  mov %eax, %cr4

  mov $0xC0000080, %ecx                     /* EFER */
  rdmsr
  or $(1 << 8), %eax                        /* LME */
  test $(1 << 20), %ebp
  jz 2f
  or $(1 << 11), %eax                       /* NXE when the CPU has NX */
2:
  wrmsr

  mov %cr0, %eax
  or $((1 << 31) | (1 << 16) | 1), %eax     /* PG | WP | PE */
  mov %eax, %cr0

  lgdt boot_gdt_ptr
  ljmp $0x08, $long_mode_entry

/* No usable CPU or loader: say so on COM1 and stop. */
.Lno_multiboot:
  mov $msg_no_multiboot, %esi
  jmp .Lfail32
.Lno_long_mode:
  mov $msg_no_long_mode, %esi
.Lfail32:
  mov $0x3f8, %dx
3:
  lodsb
  test %al, %al
  jz 4f
  out %al, %dx
  jmp 3b
4:
  hlt
  jmp 4b

.code64
long_mode_entry:
  mov $0x10, %eax
  mov %eax, %ds
  mov %eax, %es
  mov %eax, %ss
  xor %eax, %eax
  mov %eax, %fs
  mov %eax, %gs
  movabs $higher_half_entry, %rax
  jmp *%rax

.section .boot.data, "a"
.balign 8
boot_gdt:
  .quad 0
  .quad 0x00af9a000000ffff                  /* 0x08: 64-bit code */
  .quad 0x00cf92000000ffff                  /* 0x10: data */
boot_gdt_end:
boot_gdt_ptr:
  .short boot_gdt_end - boot_gdt - 1
  .long boot_gdt
msg_no_multiboot:
  .asciz "machina: not started by a Multiboot2 loader\r\n"
msg_no_long_mode:
  .asciz "machina: this CPU has no 64-bit long mode\r\n"

.section .boot.bss, "aw", @nobits
.balign 4096
boot_pml4: .skip 4096
boot_pdpt_low: .skip 4096
boot_pdpt_high: .skip 4096
boot_pd: .skip 4096
.balign 16
  .skip 1024
boot_stack32_top:

.text
.global higher_half_entry
.type higher_half_entry, @function
higher_half_entry:
  movabs $boot_stack_top, %rsp
  xor %ebp, %ebp
  mov %edi, %edi                            /* zero-extend the arguments */
  mov %esi, %esi
  call kernel_main
5:
  cli
  hlt
  jmp 5b
.size higher_half_entry, . - higher_half_entry

.bss
.balign 16
.global boot_stack_bottom
boot_stack_bottom:
  .skip 16384
.global boot_stack_top
boot_stack_top:
