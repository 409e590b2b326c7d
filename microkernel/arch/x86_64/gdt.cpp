#include "arch/x86_64/gdt.h"

namespace mk::x86 {
namespace {

constexpr uint64_t kIstStackSize = 8192;
alignas(16) uint8_t g_ist_stacks[3][kIstStackSize];

constinit Tss g_tss{};
alignas(16) constinit uint64_t g_gdt[7] = {
    0,
    0x00af9a000000ffff,  // kernel code, 64-bit
    0x00cf92000000ffff,  // kernel data
    0x00cff2000000ffff,  // user data (DPL 3)
    0x00affa000000ffff,  // user code, 64-bit (DPL 3)
    0, 0,                // TSS descriptor (16 bytes), filled at init
};

struct [[gnu::packed]] DescriptorPointer {
  uint16_t limit;
  uint64_t base;
};

}  // namespace

void gdt_init() {
  for (int i = 0; i < 3; ++i) g_tss.ist[i] = reinterpret_cast<uint64_t>(&g_ist_stacks[i][kIstStackSize]);
  g_tss.iomap_base = sizeof(Tss);  // no I/O bitmap yet: user I/O is refused

  uint64_t base = reinterpret_cast<uint64_t>(&g_tss);
  uint64_t limit = sizeof(Tss) - 1;
  g_gdt[5] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (uint64_t(0x89) << 40) |
             (((limit >> 16) & 0xF) << 48) | (((base >> 24) & 0xFF) << 56);
  g_gdt[6] = base >> 32;

  DescriptorPointer gdtr{sizeof(g_gdt) - 1, reinterpret_cast<uint64_t>(g_gdt)};
  asm volatile(
      "lgdt %0\n"
      "pushq %1\n"
      "leaq 1f(%%rip), %%rax\n"
      "pushq %%rax\n"
      "lretq\n"
      "1:\n"
      "movw %w2, %%ds\n"
      "movw %w2, %%es\n"
      "movw %w2, %%ss\n"
      :
      : "m"(gdtr), "i"(kKernelCs), "r"(uint32_t(kKernelSs))
      : "rax", "memory");
  asm volatile("ltr %w0" : : "r"(uint32_t(kTssSel)));
}

void tss_set_kernel_stack(uint64_t rsp0) { g_tss.rsp[0] = rsp0; }

}  // namespace mk::x86
