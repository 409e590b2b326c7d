// Threads, context switches and user-memory access on x86-64.
#include <mach/mach_traps.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/pmap.h"
#include "arch/x86_64/trap_frame.h"
#include "arch/x86_64/vm_layout.h"
#include "kern/arch.h"
#include "kern/kalloc.h"
#include "kern/panic.h"
#include "vm/vm_resident.h"

extern "C" {
void switch_context(uint64_t* save_sp, uint64_t new_sp);
void user_thread_entry();
void kernel_thread_entry();
void syscall_entry();
extern char boot_stack_bottom[], boot_stack_top[];
kern_return_t copy_user_bytes(void* dst, const void* src, size_t len);
}

namespace mk::x86 {

constinit CpuLocal g_cpu_local{};

namespace {

constexpr uint64_t kKernelStackPages = 4;
constexpr uint32_t kMsrFsBase = 0xC0000100, kMsrGsBase = 0xC0000101, kMsrKernelGsBase = 0xC0000102,
                   kMsrStar = 0xC0000081, kMsrLstar = 0xC0000082, kMsrFmask = 0xC0000084;

// Callee-saved registers as switch_context pops them, then its return address.
struct SwitchFrame {
  uint64_t r15, r14, r13, r12, rbx, rbp;
  uint64_t ret;
};

kern_return_t alloc_stack_and_fpu(arch::ThreadState& t) {
  paddr_t pa;
  if (vm_pages_grab_contiguous(kKernelStackPages, 1, &pa) != KERN_SUCCESS) return KERN_RESOURCE_SHORTAGE;
  t.kernel_stack = reinterpret_cast<uint64_t>(arch::phys_to_virt(pa));
  t.kernel_stack_top = t.kernel_stack + kKernelStackPages * kPageSize;
  t.fpu_alloc = kalloc(fpu_area_size() + 64);
  if (!t.fpu_alloc) {
    vm_pages_release_contiguous(pa, kKernelStackPages);
    t.kernel_stack = 0;
    return KERN_RESOURCE_SHORTAGE;
  }
  t.fpu_area = reinterpret_cast<void*>((reinterpret_cast<uint64_t>(t.fpu_alloc) + 63) & ~63ull);
  fpu_init_area(t.fpu_area);
  return KERN_SUCCESS;
}

}  // namespace

void cpu_local_init() {
  g_cpu_local.self = &g_cpu_local;
  wrmsr(kMsrGsBase, reinterpret_cast<uint64_t>(&g_cpu_local));
  wrmsr(kMsrKernelGsBase, 0);
}

void syscall_init() {
  wrmsr(kMsrEfer, rdmsr(kMsrEfer) | 1);  // SCE
  // SYSCALL loads CS = 0x08, SS = 0x10; SYSRET loads SS = 0x10+8, CS = 0x10+16 (RPL 3).
  wrmsr(kMsrStar, (uint64_t(0x10) << 48) | (uint64_t(kKernelCs) << 32));
  wrmsr(kMsrLstar, reinterpret_cast<uint64_t>(syscall_entry));
  wrmsr(kMsrFmask, 0x200 | 0x400 | 0x100 | 0x40000 | 0x4000);  // IF, DF, TF, AC, NT
}

}  // namespace mk::x86

namespace mk::arch {
using namespace mk::x86;

kern_return_t thread_init_user(ThreadState& t, uint64_t entry, uint64_t user_sp, uint64_t arg) {
  if (kern_return_t kr = alloc_stack_and_fpu(t); kr != KERN_SUCCESS) return kr;
  auto* tf = reinterpret_cast<TrapFrame*>(t.kernel_stack_top - sizeof(TrapFrame));
  __builtin_memset(tf, 0, sizeof *tf);
  tf->rip = entry;
  tf->rdi = arg;  // isr_return restores it with the rest of the frame
  tf->cs = kUserCs;
  tf->rflags = 0x202;  // IF
  tf->rsp = user_sp;
  tf->ss = kUserSs;
  auto* sf = reinterpret_cast<SwitchFrame*>(reinterpret_cast<uint64_t>(tf) - sizeof(SwitchFrame));
  __builtin_memset(sf, 0, sizeof *sf);
  sf->ret = reinterpret_cast<uint64_t>(user_thread_entry);
  t.kernel_sp = reinterpret_cast<uint64_t>(sf);
  return KERN_SUCCESS;
}

kern_return_t thread_init_kernel(ThreadState& t, void (*fn)(void*), void* arg) {
  if (kern_return_t kr = alloc_stack_and_fpu(t); kr != KERN_SUCCESS) return kr;
  // Leave the top 8 bytes so the entry sees a normally aligned stack.
  auto* sf = reinterpret_cast<SwitchFrame*>(t.kernel_stack_top - 8 - sizeof(SwitchFrame));
  __builtin_memset(sf, 0, sizeof *sf);
  sf->r12 = reinterpret_cast<uint64_t>(fn);
  sf->r13 = reinterpret_cast<uint64_t>(arg);
  sf->ret = reinterpret_cast<uint64_t>(kernel_thread_entry);
  t.kernel_sp = reinterpret_cast<uint64_t>(sf);
  return KERN_SUCCESS;
}

void thread_adopt_boot_context(ThreadState& t) {
  t.kernel_stack = reinterpret_cast<uint64_t>(boot_stack_bottom);
  t.kernel_stack_top = reinterpret_cast<uint64_t>(boot_stack_top);
  g_cpu_local.kernel_rsp = t.kernel_stack_top;
}

void thread_destroy(ThreadState& t) {
  if (t.kernel_stack) vm_pages_release_contiguous(virt_to_phys(reinterpret_cast<void*>(t.kernel_stack)), kKernelStackPages);
  if (t.fpu_alloc) kfree(t.fpu_alloc);
  t.kernel_stack = 0;
  t.fpu_alloc = t.fpu_area = nullptr;
}

void context_switch(ThreadState& prev, ThreadState& next, Pmap* pmap) {
  if (prev.fpu_area) {
    fpu_save(prev.fpu_area);
    prev.fs_base = rdmsr(kMsrFsBase);
  }
  g_cpu_local.kernel_rsp = next.kernel_stack_top;
  tss_set_kernel_stack(next.kernel_stack_top);
  pmap_activate(pmap);
  if (next.fpu_area) {
    fpu_restore(next.fpu_area);
    wrmsr(kMsrFsBase, next.fs_base);
  }
  switch_context(&prev.kernel_sp, next.kernel_sp);
}

uint64_t user_address_top() { return kUserTop; }

kern_return_t thread_set_fs_base(uint64_t base) {
  // Only user threads call this (from a trap), and they all have an FPU
  // area, so context_switch saves the MSR from here on.
  if (base >= kUserTop) return KERN_INVALID_ADDRESS;
  wrmsr(kMsrFsBase, base);
  return KERN_SUCCESS;
}

static bool user_range_ok(uint64_t addr, size_t len) {
  uint64_t end;
  return !__builtin_add_overflow(addr, len, &end) && end <= kUserTop;
}

kern_return_t copyin(void* dst, uint64_t user_src, size_t len) {
  if (!user_range_ok(user_src, len)) return KERN_INVALID_ADDRESS;
  return copy_user_bytes(dst, reinterpret_cast<const void*>(user_src), len);
}

kern_return_t copyout(uint64_t user_dst, const void* src, size_t len) {
  if (!user_range_ok(user_dst, len)) return KERN_INVALID_ADDRESS;
  return copy_user_bytes(reinterpret_cast<void*>(user_dst), src, len);
}

}  // namespace mk::arch
