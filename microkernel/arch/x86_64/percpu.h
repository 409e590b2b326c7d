// Per-CPU data reached through GS in the kernel. syscall.S uses the field
// offsets directly, hence the static_asserts.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace mk::x86 {

struct CpuLocal {
  CpuLocal* self;
  uint64_t kernel_rsp;  // top of the running thread's kernel stack
  uint64_t user_rsp;    // scratch for syscall entry
};
static_assert(offsetof(CpuLocal, kernel_rsp) == 8);
static_assert(offsetof(CpuLocal, user_rsp) == 16);

extern CpuLocal g_cpu_local;

// GS base, SYSCALL MSRs, FPU/SSE/XSAVE enablement for this CPU.
void cpu_local_init();
void syscall_init();
void fpu_init();
uint32_t fpu_area_size();
void fpu_save(void* area);
void fpu_restore(void* area);
void fpu_init_area(void* area);

}  // namespace mk::x86
