// Assembly half of the trampoline test: the emulation entry the kernel sends
// foreign system calls to, and the register-preservation probe.
#include "regcheck.h"

// struct emulation_frame (mach/emulation.h); trampoline.cpp checks these.
#define EF_RAX 0
#define EF_RDI 8
#define EF_RSI 16
#define EF_RDX 24
#define EF_R10 32
#define EF_R8 40
#define EF_R9 48
#define EF_RBX 56
#define EF_RBP 64
#define EF_R12 72
#define EF_R13 80
#define EF_R14 88
#define EF_R15 96
#define EF_RIP 104
#define EF_RFLAGS 112
#define EF_RSP 120

        .text

// Entered from the kernel with rsp = rdi = the frame (16-byte aligned, below
// the program's red zone), other registers unspecified. Runs emulate(frame)
// on the stack below the frame, with the program's SSE/x87 state and MXCSR
// saved around it (fxsave: the handler is compiled with SSE), then returns
// to the program without entering the kernel: every register from the frame,
// rax = result, rcx = rip and r11 = rflags as SYSCALL leaves them.
        .globl emulation_entry
        .type emulation_entry, @function
emulation_entry:
        cld                             // the C++ ABI wants DF = 0
        movq %rdi, %rbx                 // the frame, kept across the call
        subq $512, %rsp                 // fxsave area; rsp stays 16-byte aligned
        fxsave64 (%rsp)
        call emulate                    // emulate(frame): rsp % 16 == 0 at the call
        fxrstor64 (%rsp)
        movq %rbx, %rsp                 // back on the frame
        // Flags first, while the stack is still ours (a push below the
        // program's rsp would hit its red zone); nothing below changes them.
        movq EF_RFLAGS(%rsp), %r11
        pushq %r11
        popfq
        movq EF_RAX(%rsp), %rax
        movq EF_RDI(%rsp), %rdi
        movq EF_RSI(%rsp), %rsi
        movq EF_RDX(%rsp), %rdx
        movq EF_R10(%rsp), %r10
        movq EF_R8(%rsp), %r8
        movq EF_R9(%rsp), %r9
        movq EF_RBX(%rsp), %rbx
        movq EF_RBP(%rsp), %rbp
        movq EF_R12(%rsp), %r12
        movq EF_R13(%rsp), %r13
        movq EF_R14(%rsp), %r14
        movq EF_R15(%rsp), %r15
        movq EF_RIP(%rsp), %rcx
        movq EF_RFLAGS(%rsp), %r11
        movq EF_RSP(%rsp), %rsp
        jmp *%rcx
        .size emulation_entry, . - emulation_entry

// void regcheck_syscall(unsigned long nr, unsigned long set_df, struct RegCheck *out)
// Loads known values into every register a system call must preserve (all
// general registers but rax, rcx, r11; xmm0-15; MXCSR; rflags, with DF set
// when set_df), fills the 128-byte red zone below rsp with a pattern,
// executes `syscall` with rax = nr, then stores what it finds in *out
// (layout in regcheck.h) without touching the red zone.
        .globl regcheck_syscall
        .type regcheck_syscall, @function
regcheck_syscall:
        pushq %rbp
        movq %rsp, %rbp
        pushq %rbx
        pushq %r12
        pushq %r13
        pushq %r14
        pushq %r15
        pushq %rdx                      // out: at 0(%rsp) from here on

        stmxcsr RC_MXCSR_ORIG(%rdx)
        ldmxcsr rc_mxcsr(%rip)
        .irp n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
        movdqu rc_xmm_values + 16 * \n(%rip), %xmm\n
        .endr

        movq %rdi, %rax                 // the call number
        testq %rsi, %rsi
        jz 1f
        std
1:
        // rflags as the call sees them; pushfq far below the red zone.
        leaq -256(%rsp), %rsp           // lea: flags untouched
        pushfq
        popq %rcx
        leaq 256(%rsp), %rsp
        movq %rcx, RC_FLAGS_BEFORE(%rdx)

        // From here to the syscall only mov/movabs/lea: no flag changes.
        .set i, 0
        .rept 16
        movabsq $(RC_RED_BASE + i), %rcx
        movq %rcx, (-128 + 8 * i)(%rsp)
        .set i, i + 1
        .endr

        movabsq $RC_V_RBX, %rbx
        movabsq $RC_V_RBP, %rbp
        movabsq $RC_V_R12, %r12
        movabsq $RC_V_R13, %r13
        movabsq $RC_V_R14, %r14
        movabsq $RC_V_R15, %r15
        movabsq $RC_V_RDI, %rdi
        movabsq $RC_V_RSI, %rsi
        movabsq $RC_V_RDX, %rdx
        movabsq $RC_V_R8, %r8
        movabsq $RC_V_R9, %r9
        movabsq $RC_V_R10, %r10
        syscall

        leaq -256(%rsp), %rsp
        pushfq
        popq %rcx
        leaq 256(%rsp), %rsp
        movq (%rsp), %r11               // out
        movq %rax, RC_RAX(%r11)
        movq %rcx, RC_FLAGS_AFTER(%r11)
        movq %rbx, RC_RBX(%r11)
        movq %rbp, RC_RBP(%r11)
        movq %r12, RC_R12(%r11)
        movq %r13, RC_R13(%r11)
        movq %r14, RC_R14(%r11)
        movq %r15, RC_R15(%r11)
        movq %rdi, RC_RDI(%r11)
        movq %rsi, RC_RSI(%r11)
        movq %rdx, RC_RDX(%r11)
        movq %r8, RC_R8(%r11)
        movq %r9, RC_R9(%r11)
        movq %r10, RC_R10(%r11)
        stmxcsr RC_MXCSR_AFTER(%r11)
        ldmxcsr RC_MXCSR_ORIG(%r11)
        .irp n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
        movdqu %xmm\n, RC_XMM + 16 * \n(%r11)
        .endr
        .set i, 0
        .rept 16
        movq (-128 + 8 * i)(%rsp), %rcx
        movq %rcx, (RC_RED + 8 * i)(%r11)
        .set i, i + 1
        .endr

        cld
        popq %rcx
        popq %r15
        popq %r14
        popq %r13
        popq %r12
        popq %rbx
        popq %rbp
        ret
        .size regcheck_syscall, . - regcheck_syscall

        .section .rodata
        .balign 16
rc_xmm_values:
        .set i, 0
        .rept 32
        .quad RC_XMM_BASE + i
        .set i, i + 1
        .endr
rc_mxcsr:
        .long RC_MXCSR

        .section .note.GNU-stack, "", @progbits
