/* SYSCALL entry. The CPU leaves rip in rcx and rflags in r11, masks IF, DF,
 * TF, AC (IA32_FMASK), and stays on the user stack: swap to the kernel GS,
 * park the user rsp in the per-CPU area, move to this thread's kernel stack
 * and build the same TrapFrame an interrupt would (vector 0x100). */

#define CPU_KERNEL_RSP 8
#define CPU_USER_RSP 16
#define USER_SS 0x1b
#define USER_CS 0x23

#include "trap_frame.inc"

.text
.global syscall_entry
.type syscall_entry, @function
syscall_entry:
  swapgs
  movq %rsp, %gs:CPU_USER_RSP
  movq %gs:CPU_KERNEL_RSP, %rsp
  pushq $USER_SS
  pushq %gs:CPU_USER_RSP
  pushq %r11
  pushq $USER_CS
  pushq %rcx
  pushq $0
  pushq $0x100
  PUSH_GPRS
  cld
  sti
  movq %rsp, %rdi
  call syscall_dispatch
  cli
  testl %eax, %eax
  jz isr_return            /* unusual return (rip changed to something odd): iretq */
  POP_GPRS
  addq $16, %rsp           /* vector, error */
  popq %rcx                /* rip */
  addq $8, %rsp            /* cs */
  popq %r11                /* rflags */
  popq %rsp                /* user rsp */
  swapgs
  sysretq
.size syscall_entry, . - syscall_entry
