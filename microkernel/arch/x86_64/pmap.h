// The x86-64 pmap (vm/pmap.h): a PML4 whose upper half is the kernel's,
// tagged with a PCID. Arch-private: generic code sees only `struct Pmap`.
#pragma once

#include <machine/thread_state.h>
#include <stdint.h>

namespace mk {

struct Pmap {
  arch::AddressSpaceState as;  // PML4, PCID, whether that PCID's stale entries are gone
  uint64_t table_pages = 0;    // page-table pages held, the PML4 included
};

}  // namespace mk

namespace mk::x86 {

// Load `pmap` (the kernel's tables when null) into CR3 on this CPU, keeping
// its PCID's TLB entries only when nothing made them stale. context_switch
// calls it with interrupts off.
void pmap_activate(Pmap* pmap);

}  // namespace mk::x86
