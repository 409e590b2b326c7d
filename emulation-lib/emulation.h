// What every part of the emulation library shares: the handler type, the
// process facts from the info page, the log, and the system call numbers it
// refers to by name.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <mach/emulation.h>

#include "emulation_abi.h"
#include "linux_abi.h"

namespace emul {

// Linux x86-64 numbers 0..450 (asm/unistd_64.h).
inline constexpr unsigned long kSyscallCount = 451;

// A system call handler: the result, or -errno. Arguments in the Linux
// order: rdi, rsi, rdx, r10, r8, r9 (arg0..arg5 below).
using Handler = long (*)(const emulation_frame&);

inline unsigned long arg0(const emulation_frame& f) { return f.rdi; }
inline unsigned long arg1(const emulation_frame& f) { return f.rsi; }
inline unsigned long arg2(const emulation_frame& f) { return f.rdx; }
inline unsigned long arg3(const emulation_frame& f) { return f.r10; }
inline unsigned long arg4(const emulation_frame& f) { return f.r8; }
inline unsigned long arg5(const emulation_frame& f) { return f.r9; }
// An int argument: Linux looks only at the low 32 bits.
inline int iarg(unsigned long a) { return static_cast<int>(static_cast<uint32_t>(a)); }

// A copy of the info page, taken at start (the program could unmap or
// overwrite the page; fork copies this with the rest of the library).
extern EmulationInfo g_info;

// One line on the console (debug_write), prefixed "emulation: pid N: ".
void log(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// Linux's name for a call number, or nullptr (syscall_names.cpp).
const char* syscall_name(unsigned long nr);

inline constexpr uint64_t kPageSize = 4096;
inline uint64_t page_round_up(uint64_t x) { return (x + kPageSize - 1) & ~(kPageSize - 1); }
inline bool page_aligned(uint64_t x) { return (x & (kPageSize - 1)) == 0; }

}  // namespace emul
