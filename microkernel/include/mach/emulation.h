/* System-call redirection ("the trampoline"). When a task with an emulation
 * entry executes `syscall` with a non-Mach number, the kernel does not run it:
 * it stores the caller's registers in a struct emulation_frame on the user
 * stack, below the 128-byte red zone and 16-byte aligned, and returns to user
 * mode at the entry with
 *     rsp = rdi = address of the frame,
 * all other registers unspecified. The entry handles the call and returns to
 * the program itself, without entering the kernel again: it restores every
 * register from the frame (rax = the result; rcx = rip and r11 = rflags, as
 * the SYSCALL instruction leaves them), reloads rflags while still on the
 * frame (a push below the program's rsp would hit its red zone), switches to
 * frame->rsp and jumps to frame->rip. */
#ifndef MACH_EMULATION_H
#define MACH_EMULATION_H

#define EMULATION_RED_ZONE 128

struct emulation_frame {
  unsigned long rax; /* system call number in; result out */
  unsigned long rdi, rsi, rdx, r10, r8, r9; /* arguments */
  unsigned long rbx, rbp, r12, r13, r14, r15; /* callee-saved, to restore */
  unsigned long rip;    /* where the program continues (after `syscall`) */
  unsigned long rflags; /* the program's flags */
  unsigned long rsp;    /* the program's stack pointer */
};

#ifdef __cplusplus
static_assert(sizeof(struct emulation_frame) == 16 * 8, "emulation_frame layout is ABI");
#endif

#endif
