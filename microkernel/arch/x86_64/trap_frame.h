// The register frame isr.S builds on every interrupt or exception.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace mk::x86 {

struct TrapFrame {
  uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
  uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
  uint64_t vector, error;
  // Pushed by the CPU.
  uint64_t rip, cs, rflags, rsp, ss;
};
static_assert(sizeof(TrapFrame) == 22 * 8);
static_assert(offsetof(TrapFrame, cs) == 18 * 8, "isr.S tests CS at this offset");

inline bool from_user(const TrapFrame& f) { return (f.cs & 3) != 0; }

}  // namespace mk::x86
