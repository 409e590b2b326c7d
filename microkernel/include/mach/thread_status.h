/* Thread states for thread_create_running (task.defs 3412): XNU's flavor
 * numbers and x86_THREAD_STATE64 layout. The kernel takes rip, rsp and rdi
 * of a new thread from it (the rest start at zero; rflags gets IF). */
#ifndef MACH_THREAD_STATUS_H
#define MACH_THREAD_STATUS_H

#include <stdint.h>

typedef int thread_state_flavor_t;
typedef uint32_t* thread_state_t; /* natural_t words */

#define x86_THREAD_STATE64 4

typedef struct x86_thread_state64 {
  uint64_t rax, rbx, rcx, rdx, rdi, rsi, rbp, rsp;
  uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
  uint64_t rip, rflags, cs, fs, gs;
} x86_thread_state64_t;

#define x86_THREAD_STATE64_COUNT ((unsigned)(sizeof(x86_thread_state64_t) / sizeof(uint32_t)))
#define THREAD_STATE_MAX 64u /* words: the largest state a message carries */

#endif
