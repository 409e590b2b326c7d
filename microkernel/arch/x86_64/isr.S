/* Interrupt and exception entry. Every vector has a 16-byte stub at
 * isr_stubs + 16 * vector that pushes a dummy error code where the CPU pushes
 * none, then the vector number, and joins isr_common, which saves the general
 * registers as a TrapFrame (trap_frame.h) and calls trap_dispatch(frame). */

.altmacro
.macro ISR_STUB n
  .balign 16
  .if (\n == 8) || (\n == 10) || (\n == 11) || (\n == 12) || (\n == 13) || (\n == 14) || (\n == 17) || (\n == 21) || (\n == 29) || (\n == 30)
  .else
    pushq $0
  .endif
  pushq $\n
  jmp isr_common
.endm

#include "trap_frame.inc"

.text
.balign 16
.global isr_stubs
isr_stubs:
.set vec, 0
.rept 256
  ISR_STUB %vec
  .set vec, vec + 1
.endr

isr_common:
  /* Entered from user mode (CPL 3 in the saved CS): switch to the kernel GS. */
  testb $3, 24(%rsp)
  jz 1f
  swapgs
1:
  PUSH_GPRS
  cld
  mov %rsp, %rdi
  call trap_dispatch
.global isr_return
isr_return:
  POP_GPRS
  addq $16, %rsp
  testb $3, 8(%rsp)
  jz 2f
  swapgs
2:
  iretq
