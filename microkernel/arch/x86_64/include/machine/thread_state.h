// Per-thread machine state that generic code embeds in Thread (BSD's
// <machine/...> convention: each architecture provides this header).
#pragma once

#include <stdint.h>

namespace mk::arch {

struct ThreadState {
  uint64_t kernel_sp = 0;     // saved by switch_context while not running
  uint64_t kernel_stack = 0;  // base of the kernel stack allocation
  uint64_t kernel_stack_top = 0;
  void* fpu_area = nullptr;   // XSAVE/FXSAVE image, 64-byte aligned
  void* fpu_alloc = nullptr;  // what kalloc returned for it
  uint64_t fs_base = 0, gs_base = 0;
};

struct AddressSpaceState {
  uint64_t root = 0;  // physical address of the PML4
  uint16_t pcid = 0;
  bool flushed = false;  // this PCID's stale entries have been dropped
};

}  // namespace mk::arch
