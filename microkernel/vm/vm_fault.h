// Page faults (Mach's vm_fault): find the entry, resolve copy-on-write,
// find the page in the object chain, ask its pager or zero-fill it, copy it
// up on a write through a shadow, and enter the mapping in the pmap.
#pragma once

#include <mach/kern_return.h>
#include <mach/vm_prot.h>
#include <stdint.h>

#include "lib/page.h"

namespace mk {

class VmMap;
class VmObject;

// A fault that has to wait for a pager: the page at (object, offset) is
// being asked for (vm_env_pager_request went out, or an earlier fault's
// request is pending). The caller holds a reference on object; it drops its
// locks, lets the request go out, sleeps until that page changes
// (vm_pager_wait) and retries the access.
struct VmFaultWait {
  VmObject* object = nullptr;
  uint64_t offset = 0;
};
// vm_fault's answer in that case (never seen outside the kernel).
inline constexpr kern_return_t kVmFaultWait = 0x7f000001;

// Resolve an access to `addr` in `map`. KERN_INVALID_ADDRESS: nothing is
// mapped there; KERN_PROTECTION_FAILURE: the region forbids that access;
// KERN_RESOURCE_SHORTAGE: no page could be had; KERN_MEMORY_ERROR: the
// pager could not supply the page (or is gone). kVmFaultWait (only when
// `wait` is given; without it such a fault is KERN_MEMORY_ERROR after the
// request went out). VM lock held. On success *pa (if not null) is the page
// now mapped (contents writable through the direct map when `access`
// included write).
kern_return_t vm_fault(VmMap* map, uint64_t addr, vm_prot_t access, paddr_t* pa, VmFaultWait* wait = nullptr);
// The same, and the page ends up in the entry's own object even on a read
// (a pending copy is made, a page behind is copied up): for wiring, whose
// pages must not move later. Shared entries always fault this way.
kern_return_t vm_fault_own_page(VmMap* map, uint64_t addr, vm_prot_t access, paddr_t* pa,
                                VmFaultWait* wait = nullptr);

// Statistics.
struct VmFaultCounts {
  uint64_t faults = 0;
  uint64_t zero_fills = 0;
  uint64_t cow_copies = 0;
  uint64_t max_depth = 0;
  uint64_t pager_requests = 0;  // data_request / data_unlock sent
};
extern VmFaultCounts g_vm_fault_counts;

}  // namespace mk
