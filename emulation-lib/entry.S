// The library's two ways in: emulation_start, the first instruction of every
// Unix process, and emulation_entry, where the kernel sends each of the
// program's (non-Mach) system calls (microkernel/include/mach/emulation.h).
//
// Both run on the library's own stack below, never on the program's: the
// program's red zone stays untouched and a deep handler cannot overflow a
// small program stack. One static stack is enough while Unix processes have
// a single thread; threads (clone) will need one stack per thread, found
// from the thread (not from FS, which belongs to the program).

// struct emulation_frame (mach/emulation.h)
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

#define STACK_SIZE 65536

        .section .text.emulation_start, "ax", @progbits

// Entered with rsp = the program's initial stack (argc, argv, envp, auxv),
// every other register zero. emulation_init (init.cpp) reads the info page,
// registers emulation_entry with the kernel and leaves the program's entry
// and stack in emulation_program_entry/_stack; then the program starts as
// if the kernel had started it: registers clear, rdx = 0 (no atexit
// function, as the ELF ABI wants).
        .globl emulation_start
        .type emulation_start, @function
emulation_start:
        leaq emulation_stack_top(%rip), %rsp
        xorl %ebp, %ebp
        cld
        call emulation_init             // rsp % 16 == 0 at the call
        // The library's C++ code may have left values in the vector registers.
        .irp n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
        pxor %xmm\n, %xmm\n
        .endr
        movq emulation_program_stack(%rip), %rsp
        xorl %eax, %eax
        xorl %ebx, %ebx
        xorl %ecx, %ecx
        xorl %edx, %edx
        xorl %esi, %esi
        xorl %edi, %edi
        xorl %ebp, %ebp
        xorl %r8d, %r8d
        xorl %r9d, %r9d
        xorl %r10d, %r10d
        xorl %r11d, %r11d
        xorl %r12d, %r12d
        xorl %r13d, %r13d
        xorl %r14d, %r14d
        xorl %r15d, %r15d
        jmp *emulation_program_entry(%rip)
        .size emulation_start, . - emulation_start

        .text

// Entered from the kernel with rsp = rdi = the frame (16-byte aligned, below
// the program's red zone), other registers unspecified. Runs emulate(frame)
// on the library's stack with the program's SSE/x87 state and MXCSR saved
// around it (the handlers are compiled with SSE), then returns to the
// program without entering the kernel: every register from the frame,
// rax = result, rcx = rip and r11 = rflags as SYSCALL leaves them.
        .globl emulation_entry
        .type emulation_entry, @function
emulation_entry:
        movq %rdi, %rbx                 // the frame, kept across the call
        leaq emulation_fpu_area(%rip), %rsp  // the stack's top 512 bytes hold the FPU state
        cld                             // the C++ ABI wants DF = 0
        fxsave64 (%rsp)                 // (signal delivery copies it to and from the program)
        call emulate                    // emulate(frame): rsp % 16 == 0 at the call
return_to_program:
        leaq emulation_fpu_area(%rip), %rsp
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

// The first instruction of a forked child (unix_fork's child_entry), with
// rsp = rdi = its copy of the parent's frame. The
// child's memory is the parent's as it was in the fork call: its FPU state
// is in the copy of emulation_fpu_area. emulation_fork_child_init (C++)
// makes the library's state the child's; then the call returns 0.
        .globl emulation_fork_child
        .type emulation_fork_child, @function
emulation_fork_child:
        movq %rdi, %rbx
        leaq emulation_fpu_area(%rip), %rsp
        cld
        call emulation_fork_child_init  // (frame)
        jmp return_to_program
        .size emulation_fork_child, . - emulation_fork_child

        .bss
        .balign 16
emulation_stack:
        .skip STACK_SIZE - 512
        .globl emulation_fpu_area
emulation_fpu_area:                     // 16-byte aligned; fxsave64's area
        .skip 512
emulation_stack_top:

        .section .note.GNU-stack, "", @progbits
