// Mach traps from user mode: `syscall` with rax = MACH_TRAP_TAG | number and
// the arguments in rdi, rsi, rdx, r10, r8, r9 (see mach/mach_traps.h). The
// kernel clobbers rcx and r11 (SYSCALL itself does) and returns in rax.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <mach/emulation.h>
#include <mach/kern_return.h>
#include <mach/mach_traps.h>

namespace libmach {

// A raw system call: rax = number, six arguments, result from rax. Both Mach
// traps (number tagged with MACH_TRAP_TAG) and foreign (Linux-numbered) calls
// go through here.
inline unsigned long raw_syscall6(unsigned long nr, unsigned long a1, unsigned long a2, unsigned long a3,
                                  unsigned long a4, unsigned long a5, unsigned long a6) {
  register unsigned long r10 asm("r10") = a4;
  register unsigned long r8 asm("r8") = a5;
  register unsigned long r9 asm("r9") = a6;
  unsigned long ret;
  asm volatile("syscall"
               : "=a"(ret)
               : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
               : "rcx", "r11", "memory");
  return ret;
}

inline unsigned long mach_trap(unsigned long number, unsigned long a1 = 0, unsigned long a2 = 0,
                               unsigned long a3 = 0) {
  return raw_syscall6(MACH_TRAP_TAG | number, a1, a2, a3, 0, 0, 0);
}

}  // namespace libmach

// Temporary console output; KERN_INVALID_ADDRESS for a bad buffer,
// KERN_INVALID_ARGUMENT when len > 4096.
inline kern_return_t debug_write(const char* buf, size_t len) {
  return kern_return_t(libmach::mach_trap(MACH_TRAP_debug_write, reinterpret_cast<unsigned long>(buf), len));
}

// Gives up the rest of the time slice.
inline void thread_switch() { libmach::mach_trap(MACH_TRAP_thread_switch); }

// Ends the calling task with `status`.
[[noreturn]] inline void task_terminate_self(int status) {
  libmach::mach_trap(MACH_TRAP_task_terminate_self, static_cast<unsigned long>(static_cast<long>(status)));
  for (;;) asm volatile("ud2");  // the kernel never comes back; if it does, fault
}

// Foreign system calls of this task go to `entry` (see mach/emulation.h);
// nullptr turns redirection off.
inline kern_return_t task_set_emulation(void* entry) {
  return kern_return_t(libmach::mach_trap(MACH_TRAP_task_set_emulation, reinterpret_cast<unsigned long>(entry)));
}

// Blocks the calling thread for `ms` milliseconds.
inline kern_return_t clock_sleep(uint64_t ms) { return kern_return_t(libmach::mach_trap(MACH_TRAP_clock_sleep, ms)); }

// KERN_INVALID_ADDRESS when `out` is not writable user memory.
inline kern_return_t task_info_self(mach_task_basic* out) {
  return kern_return_t(libmach::mach_trap(MACH_TRAP_task_info_self, reinterpret_cast<unsigned long>(out)));
}

// Copies between two ranges of this task's memory; KERN_INVALID_ADDRESS
// when either is not accessible (mach/mach_traps.h).
inline kern_return_t user_copy(void* dst, const void* src, size_t size) {
  return kern_return_t(libmach::mach_trap(MACH_TRAP_user_copy, reinterpret_cast<unsigned long>(dst),
                                          reinterpret_cast<unsigned long>(src), size));
}

// The calling thread's FS base (its TLS pointer).
inline kern_return_t thread_set_fs_base(unsigned long base) {
  return kern_return_t(libmach::mach_trap(MACH_TRAP_thread_set_fs_base, base));
}

// A foreign (Linux-numbered) system call; the result is what rax holds after
// it (for Linux: the value, or -errno).
inline long linux_syscall6(long nr, long a1 = 0, long a2 = 0, long a3 = 0, long a4 = 0, long a5 = 0, long a6 = 0) {
  return long(libmach::raw_syscall6(static_cast<unsigned long>(nr), static_cast<unsigned long>(a1),
                                    static_cast<unsigned long>(a2), static_cast<unsigned long>(a3),
                                    static_cast<unsigned long>(a4), static_cast<unsigned long>(a5),
                                    static_cast<unsigned long>(a6)));
}
