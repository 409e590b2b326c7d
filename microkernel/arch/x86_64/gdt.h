// Segments: x86-64 still needs a GDT for the privilege levels and one TSS per
// CPU for the kernel stack on entry from user mode and the IST stacks.
#pragma once

#include <stdint.h>

namespace mk::x86 {

// Selector layout fixed by SYSCALL/SYSRET: kernel CS, kernel SS, then user
// SS (= STAR.SYSRET base + 8) and user CS (base + 16).
constexpr uint16_t kKernelCs = 0x08;
constexpr uint16_t kKernelSs = 0x10;
constexpr uint16_t kUserSs = 0x18 | 3;
constexpr uint16_t kUserCs = 0x20 | 3;
constexpr uint16_t kTssSel = 0x28;

// IST slots (1-based as the IDT encodes them).
constexpr int kIstDoubleFault = 1;
constexpr int kIstNmi = 2;
constexpr int kIstMachineCheck = 3;

struct [[gnu::packed]] Tss {
  uint32_t reserved0;
  uint64_t rsp[3];
  uint64_t reserved1;
  uint64_t ist[7];
  uint64_t reserved2;
  uint16_t reserved3;
  uint16_t iomap_base;
};
static_assert(sizeof(Tss) == 104);

void gdt_init();
void tss_set_kernel_stack(uint64_t rsp0);

}  // namespace mk::x86
