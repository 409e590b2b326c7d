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
  pushq %rax
  pushq %rbx
  pushq %rcx
  pushq %rdx
  pushq %rsi
  pushq %rdi
  pushq %rbp
  pushq %r8
  pushq %r9
  pushq %r10
  pushq %r11
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  cld
  mov %rsp, %rdi
  call trap_dispatch
.global isr_return
isr_return:
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %r11
  popq %r10
  popq %r9
  popq %r8
  popq %rbp
  popq %rdi
  popq %rsi
  popq %rdx
  popq %rcx
  popq %rbx
  popq %rax
  addq $16, %rsp
  testb $3, 8(%rsp)
  jz 2f
  swapgs
2:
  iretq
