#include "arch/x86_64/cpu.h"

namespace mk::x86 {

constinit CpuFeatures g_cpu{};

void detect_cpu_features() {
  CpuidResult v = cpuid(0);
  __builtin_memcpy(g_cpu.vendor + 0, &v.ebx, 4);
  __builtin_memcpy(g_cpu.vendor + 4, &v.edx, 4);
  __builtin_memcpy(g_cpu.vendor + 8, &v.ecx, 4);
  g_cpu.vendor[12] = 0;
  CpuidResult f = cpuid(1);
  g_cpu.tsc = f.edx & (1u << 4);
  g_cpu.apic = f.edx & (1u << 9);
  g_cpu.pge = f.edx & (1u << 13);
  g_cpu.pcid = f.ecx & (1u << 17);
  g_cpu.xsave = f.ecx & (1u << 26);
  if (cpuid(0x80000000).eax >= 0x80000001) {
    CpuidResult e = cpuid(0x80000001);
    g_cpu.nx = e.edx & (1u << 20);
    g_cpu.pdpe1gb = e.edx & (1u << 26);
  }
}

}  // namespace mk::x86
