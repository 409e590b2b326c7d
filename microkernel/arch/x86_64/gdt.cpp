#include "arch/x86_64/gdt.h"

#include "kern/arch.h"

namespace mk::x86 {
namespace {

constexpr uint64_t kIstStackSize = 8192;
alignas(16) uint8_t g_ist_stacks[3][kIstStackSize];

// The TSS with an I/O permission bitmap behind it (the CPU reads up to the
// byte after the bitmap, which must be all ones). iomap_base points at the
// bitmap for a task with I/O grants, beyond the limit otherwise.
struct [[gnu::packed]] TssIo {
  Tss tss;
  uint8_t iomap[mk::arch::kIoBitmapBytes];
  uint8_t end;
};
constexpr uint16_t kIomapOn = sizeof(Tss);
constexpr uint16_t kIomapOff = 0xFFFF;  // beyond the limit: every port refused
alignas(16) constinit TssIo g_tss_io{};
Tss& g_tss = g_tss_io.tss;
const uint8_t* g_iomap_loaded = nullptr;  // whose bitmap is in g_tss_io.iomap
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
  g_tss.iomap_base = kIomapOff;  // no task with I/O grants yet
  __builtin_memset(g_tss_io.iomap, 0xFF, sizeof g_tss_io.iomap);
  g_tss_io.end = 0xFF;

  uint64_t base = reinterpret_cast<uint64_t>(&g_tss_io);
  uint64_t limit = sizeof(TssIo) - 1;
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

namespace mk::arch {

void io_bitmap_activate(const uint8_t* bitmap) {
  using namespace x86;
  if (!bitmap) {
    g_tss.iomap_base = kIomapOff;
    return;
  }
  if (bitmap != g_iomap_loaded) {
    __builtin_memcpy(g_tss_io.iomap, bitmap, kIoBitmapBytes);
    g_iomap_loaded = bitmap;
  }
  g_tss.iomap_base = kIomapOn;
}

void io_bitmap_forget(const uint8_t* bitmap) {
  if (x86::g_iomap_loaded == bitmap) x86::g_iomap_loaded = nullptr;
}

}  // namespace mk::arch
