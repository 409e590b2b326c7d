// The program's address space, handled in the library with Mach calls on
// its own task: brk, anonymous mmap, munmap, mprotect (file mappings go to
// the Unix server, sys_file.cpp's file_mmap). Mach's vm_allocate memory is
// zero-filled and private, which is what MAP_PRIVATE|MAP_ANONYMOUS and the
// break need.
#include <libmach/mach_ipc.h>
#include <mach/mach_types.h>
#include <mach/vm_prot.h>
#include <vm_rpc.h>

#include "file_mmap.h"
#include "process_state.h"
#include "syscalls.h"

extern "C" char _end[];  // emulation.ld: the end of the library's image

namespace emul {

using namespace linux_abi;

namespace {

// The break: [g_brk_start, g_brk) is the program's heap; pages up to
// g_brk_mapped (page rounded) are allocated.
constinit uint64_t g_brk_start = 0, g_brk = 0, g_brk_mapped = 0;

// The library and its info page: the program may not map over, unmap or
// reprotect them (Linux has no such range; here the program would lose its
// system calls).
bool hits_library(uint64_t addr, uint64_t len) {
  uint64_t lo = EMULATION_INFO, hi = reinterpret_cast<uint64_t>(_end);
  return addr < hi && addr + len > lo;
}

// Anything past this is not a sane user address (the top of the lower half).
constexpr uint64_t kUserTop = 0x800000000000ull;

vm_prot_t to_vm_prot(int prot) {
  vm_prot_t p = VM_PROT_NONE;
  if (prot & kPROT_READ) p |= VM_PROT_READ;
  if (prot & kPROT_WRITE) p |= VM_PROT_WRITE;
  if (prot & kPROT_EXEC) p |= VM_PROT_EXECUTE;
  return p;
}

long vm_errno(kern_return_t kr) {
  switch (kr) {
    case KERN_SUCCESS: return 0;
    case KERN_INVALID_ARGUMENT: return -kEINVAL;
    case KERN_PROTECTION_FAILURE: return -kEACCES;
    default: return -kENOMEM;  // no space, no memory, a hole
  }
}

long map_anonymous(uint64_t addr, uint64_t len, int prot, int flags) {
  vm_address_t at = addr;
  if (flags & (kMAP_FIXED | kMAP_FIXED_NOREPLACE)) {
    if (hits_library(addr, len)) return -kENOMEM;
    // MAP_FIXED replaces whatever was there, as Linux does.
    if (flags & kMAP_FIXED) (void)vm_deallocate(mach_task_self(), addr, len);
    kern_return_t kr = rpc_vm_allocate(mach_task_self(), &at, len, VM_FLAGS_FIXED);
    if (kr == KERN_NO_SPACE && (flags & kMAP_FIXED_NOREPLACE)) return -kEEXIST;
    if (kr != KERN_SUCCESS) return vm_errno(kr);
  } else {
    // The address is a hint: the lowest free range at or above it, but
    // never among the program's low segments and break.
    at = addr > EMULATION_MMAP_BASE ? addr : EMULATION_MMAP_BASE;
    kern_return_t kr = rpc_vm_allocate(mach_task_self(), &at, len, VM_FLAGS_ANYWHERE);
    if (kr != KERN_SUCCESS && at != EMULATION_MMAP_BASE) {
      at = EMULATION_MMAP_BASE;
      kr = rpc_vm_allocate(mach_task_self(), &at, len, VM_FLAGS_ANYWHERE);
    }
    if (kr != KERN_SUCCESS) return vm_errno(kr);
    if (hits_library(at, len)) {  // the space below the library ran out
      (void)vm_deallocate(mach_task_self(), at, len);
      return -kENOMEM;
    }
  }
  vm_prot_t p = to_vm_prot(prot);
  if (p != VM_PROT_DEFAULT) {
    if (kern_return_t kr = rpc_vm_protect(mach_task_self(), at, len, 0, p); kr != KERN_SUCCESS) {
      (void)vm_deallocate(mach_task_self(), at, len);
      return vm_errno(kr);
    }
  }
  return long(at);
}

}  // namespace

void init_memory_state() { g_brk_start = g_brk = g_brk_mapped = page_round_up(g_info.brk); }

// brk(addr): the new break, or the old one when addr is 0, below the start,
// or cannot be had (Linux's convention; libc checks the value it gets).
long sys_brk(const emulation_frame& f) {
  uint64_t want = arg0(f);
  if (want < g_brk_start || want >= EMULATION_MMAP_BASE) return long(g_brk);
  uint64_t end = page_round_up(want);
  if (end > g_brk_mapped) {
    vm_address_t at = g_brk_mapped;
    if (rpc_vm_allocate(mach_task_self(), &at, end - g_brk_mapped, VM_FLAGS_FIXED) != KERN_SUCCESS)
      return long(g_brk);
  } else if (end < g_brk_mapped) {
    (void)vm_deallocate(mach_task_self(), end, g_brk_mapped - end);
  }
  g_brk_mapped = end;
  g_brk = want;
  return long(g_brk);
}

// mmap(addr, len, prot, flags, fd, offset)
long sys_mmap(const emulation_frame& f) {
  uint64_t addr = arg0(f), len = arg1(f), offset = arg5(f);
  int prot = iarg(arg2(f)), flags = iarg(arg3(f)), fd = iarg(arg4(f));
  if (len == 0 || !page_aligned(offset)) return -kEINVAL;
  int type = flags & kMAP_TYPE;
  if (type != kMAP_SHARED && type != kMAP_PRIVATE && type != 3 /* MAP_SHARED_VALIDATE */) return -kEINVAL;
  if ((flags & (kMAP_FIXED | kMAP_FIXED_NOREPLACE)) && !page_aligned(addr)) return -kEINVAL;
  uint64_t size = page_round_up(len);
  if (size < len || size > kUserTop) return -kENOMEM;
  if ((flags & (kMAP_FIXED | kMAP_FIXED_NOREPLACE)) && addr + size > kUserTop) return -kENOMEM;
  if (!(flags & (kMAP_FIXED | kMAP_FIXED_NOREPLACE))) addr = page_round_up(addr);
  // MAP_SHARED anonymous memory is private for now: the same until fork,
  // when the child should keep sharing it with the parent (vm_inherit SHARE
  // once fork exists).
  if (flags & kMAP_ANONYMOUS) return map_anonymous(addr, size, prot, flags);
  if (flags & (kMAP_FIXED | kMAP_FIXED_NOREPLACE)) {
    if (hits_library(addr, size)) return -kENOMEM;
  } else if (addr < EMULATION_MMAP_BASE) {
    addr = EMULATION_MMAP_BASE;  // as for anonymous memory: above the break
  }
  return file_mmap(addr, size, prot, flags, fd, int64_t(offset));
}

// munmap(addr, len): holes are fine, as on Linux.
long sys_munmap(const emulation_frame& f) {
  uint64_t addr = arg0(f), len = arg1(f);
  if (!page_aligned(addr) || len == 0) return -kEINVAL;
  uint64_t size = page_round_up(len);
  if (size < len || addr + size > kUserTop || addr + size < addr) return -kEINVAL;
  if (hits_library(addr, size)) return -kEINVAL;
  return vm_errno(vm_deallocate(mach_task_self(), addr, size)) == 0 ? 0 : -kEINVAL;
}

// mprotect(addr, len, prot): ENOMEM when part of the range is unmapped.
long sys_mprotect(const emulation_frame& f) {
  uint64_t addr = arg0(f), len = arg1(f);
  int prot = iarg(arg2(f));
  if (!page_aligned(addr)) return -kEINVAL;
  if (prot & ~(kPROT_READ | kPROT_WRITE | kPROT_EXEC | 0x01000000 /* GROWSDOWN */ | 0x02000000 /* GROWSUP */))
    return -kEINVAL;
  if (len == 0) return 0;
  uint64_t size = page_round_up(len);
  if (size < len || addr + size > kUserTop || addr + size < addr) return -kENOMEM;
  if (hits_library(addr, size)) return -kENOMEM;
  kern_return_t kr = rpc_vm_protect(mach_task_self(), addr, size, 0, to_vm_prot(prot));
  if (kr == KERN_INVALID_ADDRESS) return -kENOMEM;
  return vm_errno(kr);
}

// Growing or moving a mapping needs its backing (anonymous or a file):
// libcs fall back to mmap + copy when this fails.
long sys_mremap(const emulation_frame&) { return -kENOSYS; }

// Advice only; MADV_DONTNEED's zeroing is not emulated yet.
long sys_madvise(const emulation_frame&) { return 0; }

}  // namespace emul
