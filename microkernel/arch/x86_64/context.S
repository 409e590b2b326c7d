/* Kernel context switch and the first steps of new threads. */

/* void switch_context(uint64_t *save_sp, uint64_t new_sp)
 * Saves the callee-saved registers on the current stack, stores the stack
 * pointer in *save_sp, and resumes the context saved at new_sp. */
.text
.global switch_context
.type switch_context, @function
switch_context:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
.size switch_context, . - switch_context

/* A new user thread: its kernel stack holds a TrapFrame for the user entry
 * just above this return address. */
.global user_thread_entry
.type user_thread_entry, @function
user_thread_entry:
  call sched_thread_start
  jmp isr_return
.size user_thread_entry, . - user_thread_entry

/* A new kernel thread: r12 = function, r13 = argument. */
.global kernel_thread_entry
.type kernel_thread_entry, @function
kernel_thread_entry:
  call sched_thread_start
  sti
  movq %r13, %rdi
  call *%r12
  call kernel_thread_exit
  ud2
.size kernel_thread_entry, . - kernel_thread_entry
