// Thin wrappers over x86-64 instructions the kernel needs. Only arch/ code
// includes this; generic code goes through kern/arch.h.
#pragma once

#include <stdint.h>

namespace mk::x86 {

inline void outb(uint16_t port, uint8_t v) { asm volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
inline uint8_t inb(uint16_t port) {
  uint8_t v;
  asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}
inline void outl(uint16_t port, uint32_t v) { asm volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
inline uint32_t inl(uint16_t port) {
  uint32_t v;
  asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}
// A write to an unused port takes about a microsecond: the classic I/O delay.
inline void io_wait() { outb(0x80, 0); }

inline uint64_t rdmsr(uint32_t msr) {
  uint32_t lo, hi;
  asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
  return (uint64_t(hi) << 32) | lo;
}
inline void wrmsr(uint32_t msr, uint64_t v) {
  asm volatile("wrmsr" : : "c"(msr), "a"(uint32_t(v)), "d"(uint32_t(v >> 32)));
}

#define MK_CR_ACCESSORS(n)                                              \
  inline uint64_t read_cr##n() {                                        \
    uint64_t v;                                                         \
    asm volatile("mov %%cr" #n ", %0" : "=r"(v));                       \
    return v;                                                           \
  }                                                                     \
  inline void write_cr##n(uint64_t v) { asm volatile("mov %0, %%cr" #n : : "r"(v) : "memory"); }
MK_CR_ACCESSORS(0)
MK_CR_ACCESSORS(2)
MK_CR_ACCESSORS(3)
MK_CR_ACCESSORS(4)
#undef MK_CR_ACCESSORS

struct CpuidResult {
  uint32_t eax, ebx, ecx, edx;
};
inline CpuidResult cpuid(uint32_t leaf, uint32_t subleaf = 0) {
  CpuidResult r;
  asm volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx) : "a"(leaf), "c"(subleaf));
  return r;
}

inline void invlpg(uint64_t va) { asm volatile("invlpg (%0)" : : "r"(va) : "memory"); }
inline void cli() { asm volatile("cli" ::: "memory"); }
inline void sti() { asm volatile("sti" ::: "memory"); }
inline void hlt() { asm volatile("hlt" ::: "memory"); }
inline void pause() { asm volatile("pause"); }
inline uint64_t read_rflags() {
  uint64_t f;
  asm volatile("pushfq; popq %0" : "=r"(f));
  return f;
}
inline uint64_t rdtsc() {
  uint32_t lo, hi;
  asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return (uint64_t(hi) << 32) | lo;
}

constexpr uint32_t kMsrEfer = 0xC0000080;
constexpr uint32_t kMsrApicBase = 0x1B;
constexpr uint64_t kEferNxe = 1u << 11;
constexpr uint64_t kCr4Pge = 1u << 7;
constexpr uint64_t kCr4Pcide = 1u << 17;
constexpr uint64_t kRflagsIf = 1u << 9;

// CPU features the kernel adapts to, read once at boot.
struct CpuFeatures {
  bool nx, pge, pdpe1gb, pcid, apic, xsave, tsc;
  char vendor[13];
};
extern CpuFeatures g_cpu;
void detect_cpu_features();

}  // namespace mk::x86
