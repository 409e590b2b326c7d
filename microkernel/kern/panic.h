// Broken invariants stop the kernel: panic() prints the message, a symbolized
// backtrace, and ends the run (QEMU exits with the panic status in tests).
// Errors a user can cause never panic; they return a kern_return_t.
#pragma once

#include <stdint.h>

namespace mk {

[[noreturn]] void panic(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// Print "#n 0xaddr name+0xoff" lines walking the frame-pointer chain from
// `rbp`, starting with `pc` when non-zero. `sp` (or 0) is the stack pointer
// at `pc`, used to find the caller of a function that has no frame yet.
void print_backtrace(uint64_t pc, uint64_t rbp, uint64_t sp);

// Stop after an unrecoverable error whose report was already printed.
[[noreturn]] void halt_after_panic();

}  // namespace mk

#define MK_ASSERT(cond)                                                              \
  do {                                                                               \
    if (!(cond)) ::mk::panic("assertion failed: %s (%s:%d)", #cond, __FILE__, __LINE__); \
  } while (0)
