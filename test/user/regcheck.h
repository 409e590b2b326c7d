/* Shared by trampoline.cpp and trampoline_entry.S: the values the register
 * check loads before `syscall` and the layout of what it stores after. */
#ifndef TEST_USER_REGCHECK_H
#define TEST_USER_REGCHECK_H

#define RC_V_RBX 0x1b1b1b1b1b1b1b1b
#define RC_V_RBP 0x2b2b2b2b2b2b2b2b
#define RC_V_R12 0x1212121212121212
#define RC_V_R13 0x1313131313131313
#define RC_V_R14 0x1414141414141414
#define RC_V_R15 0x1515151515151515
#define RC_V_RDI 0xd1d1d1d1d1d1d1d1
#define RC_V_RSI 0x5151515151515151
#define RC_V_RDX 0xdddddddddddddddd
#define RC_V_R8 0x0808080808080808
#define RC_V_R9 0x0909090909090909
#define RC_V_R10 0x1010101010101010
/* Red-zone qword i (at -128 + 8*i from rsp) holds RC_RED_BASE + i. */
#define RC_RED_BASE 0x5245445a4f4e4500
/* xmm n holds the qwords RC_XMM_BASE + 2n (low) and RC_XMM_BASE + 2n + 1. */
#define RC_XMM_BASE 0x584d4d0000000000
/* MXCSR during the call: all exceptions masked, round toward zero. */
#define RC_MXCSR 0x7f80

/* struct RegCheck offsets */
#define RC_RAX 0
#define RC_FLAGS_AFTER 8
#define RC_FLAGS_BEFORE 16
#define RC_RBX 24
#define RC_RBP 32
#define RC_R12 40
#define RC_R13 48
#define RC_R14 56
#define RC_R15 64
#define RC_RDI 72
#define RC_RSI 80
#define RC_RDX 88
#define RC_R8 96
#define RC_R9 104
#define RC_R10 112
#define RC_MXCSR_ORIG 120
#define RC_MXCSR_AFTER 124
#define RC_RED 128
#define RC_XMM 256
#define RC_SIZE 512

#endif
