// FPU/SSE/AVX state. Saved and restored eagerly on every switch between
// threads that have an area (kernel code is built without vector registers).
// XSAVE where the CPU has it (covers AVX), FXSAVE otherwise.
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/percpu.h"
#include "kern/console.h"

namespace mk::x86 {
namespace {
constinit bool g_use_xsave = false;
constinit uint32_t g_area_size = 512;
constinit uint64_t g_xcr0 = 0;
}  // namespace

void fpu_init() {
  uint64_t cr0 = read_cr0();
  cr0 &= ~((1ull << 2) | (1ull << 3));  // EM, TS off: no traps on FPU use
  cr0 |= (1ull << 1) | (1ull << 5);     // MP, NE (native x87 errors)
  write_cr0(cr0);
  uint64_t cr4 = read_cr4() | (1ull << 9) | (1ull << 10);  // OSFXSR, OSXMMEXCPT
  if (g_cpu.xsave) cr4 |= 1ull << 18;                       // OSXSAVE
  write_cr4(cr4);
  if (g_cpu.xsave) {
    g_xcr0 = 0x3;  // x87, SSE
    if (cpuid(1).ecx & (1u << 28)) g_xcr0 |= 0x4;  // AVX
    asm volatile("xsetbv" : : "c"(0), "a"(uint32_t(g_xcr0)), "d"(uint32_t(g_xcr0 >> 32)));
    g_area_size = cpuid(0xD, 0).ebx;
    g_use_xsave = true;
  }
  asm volatile("fninit");
  kprintf("fpu: %s, %u-byte state per thread%s\n", g_use_xsave ? "XSAVE" : "FXSAVE", g_area_size,
          (g_xcr0 & 4) ? " (x87, SSE, AVX)" : " (x87, SSE)");
}

uint32_t fpu_area_size() { return g_area_size; }

void fpu_init_area(void* area) {
  auto* p = static_cast<uint8_t*>(area);
  __builtin_memset(p, 0, g_area_size);
  uint16_t fcw = 0x37F;   // all x87 exceptions masked, 64-bit precision
  uint32_t mxcsr = 0x1F80;  // all SSE exceptions masked, round to nearest
  __builtin_memcpy(p + 0, &fcw, 2);
  __builtin_memcpy(p + 24, &mxcsr, 4);
}

void fpu_save(void* area) {
  if (g_use_xsave)
    asm volatile("xsave64 (%0)" : : "r"(area), "a"(uint32_t(g_xcr0)), "d"(uint32_t(g_xcr0 >> 32)) : "memory");
  else
    asm volatile("fxsave64 (%0)" : : "r"(area) : "memory");
}

void fpu_restore(void* area) {
  if (g_use_xsave)
    asm volatile("xrstor64 (%0)" : : "r"(area), "a"(uint32_t(g_xcr0)), "d"(uint32_t(g_xcr0 >> 32)) : "memory");
  else
    asm volatile("fxrstor64 (%0)" : : "r"(area) : "memory");
}

}  // namespace mk::x86
