// Process entry. The kernel starts the first thread at _start with
//   rsp -> [argc][argv[0] .. argv[argc-1]][NULL][envp[0] ..][NULL]
// (System V layout, strings above), rsp 16-byte aligned, and calls
// libmach_start(argc, argv, envp) with the ABI's alignment; it never returns.
        .section .text._start, "ax", @progbits
        .globl _start
        .type _start, @function
_start:
        xorl %ebp, %ebp                 // the outermost frame: backtraces stop here
        movq (%rsp), %rdi               // argc
        leaq 8(%rsp), %rsi              // argv
        leaq 8(%rsi, %rdi, 8), %rdx     // envp: after argv's NULL
        andq $-16, %rsp                 // rsp % 16 == 0 before the call
        call libmach_start
        ud2
        .size _start, . - _start

        .section .note.GNU-stack, "", @progbits
