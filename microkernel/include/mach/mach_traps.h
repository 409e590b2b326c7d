/* Mach traps: the few kernel calls that are system-call instructions rather
 * than messages. A trap is `syscall` with rax = MACH_TRAP_TAG | number and the
 * arguments in rdi, rsi, rdx, r10, r8, r9 (the Linux register convention);
 * the result comes back in rax, rcx and r11 are clobbered (by SYSCALL itself).
 * The tag lives in the upper 32 bits, which no Linux system call number (nor
 * the x32 bit 0x40000000) uses, so every other rax value is a foreign system
 * call: redirected to the task's emulation entry, or fatal without one. */
#ifndef MACH_MACH_TRAPS_H
#define MACH_MACH_TRAPS_H

#define MACH_TRAP_TAG 0x4d41434800000000ull /* "MACH" in the upper half */
#define MACH_TRAP_MASK 0xffffffff00000000ull

/* debug_write(const char *buf, size_t len) -> kern_return_t
 * Temporary console output for servers until the console driver exists.
 * KERN_INVALID_ADDRESS when buf..buf+len is not readable user memory,
 * KERN_INVALID_ARGUMENT when len > 4096. */
#define MACH_TRAP_debug_write 0
/* thread_switch(): give up the rest of the time slice. -> KERN_SUCCESS */
#define MACH_TRAP_thread_switch 1
/* task_terminate_self(int status): ends the calling task; does not return. */
#define MACH_TRAP_task_terminate_self 2
/* task_set_emulation(void *entry): foreign system calls of this task now go
 * to `entry` (0 turns redirection off). KERN_INVALID_ADDRESS when entry is not
 * a user address. See mach/emulation.h for what `entry` receives. */
#define MACH_TRAP_task_set_emulation 3
/* clock_sleep(uint64_t milliseconds): block the calling thread. -> KERN_SUCCESS */
#define MACH_TRAP_clock_sleep 4
/* task_info_self(struct mach_task_basic *out) -> kern_return_t
 * KERN_INVALID_ADDRESS when out is not writable user memory. */
#define MACH_TRAP_task_info_self 5

#define MACH_TRAP_COUNT 6

struct mach_task_basic {
  unsigned long task_id;      /* kernel-wide task number */
  unsigned long thread_count;
  unsigned long ticks;        /* clock ticks since boot */
  unsigned long ticks_per_second;
};

#endif
