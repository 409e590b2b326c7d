// The few services the machine-independent VM needs from its surroundings:
// physical pages and their contents, and kernel memory for its own
// structures. The kernel implements them over vm_resident and kalloc
// (vm_env_kernel.cpp); the host tests over malloc (test/host/vm_env_host.cpp).
//
// Locking: every function of the VM core runs with the VM lock held (the
// kernel's g_vm_lock, taken by the trap, fault and kernel-call layers;
// ordered after the IPC lock and before the scheduler lock). The core never
// blocks and never touches user memory through the MMU.
#pragma once

#include <mach/kern_return.h>
#include <mach/vm_prot.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/page.h"

namespace mk {

class VmObject;

// A free physical page / give one back. KERN_RESOURCE_SHORTAGE when none.
kern_return_t vm_env_page_grab(paddr_t* out);
void vm_env_page_release(paddr_t pa);
// Give back a run of `npages` pages a physical object owned (io_dma_allocate
// took it from the pool as one contiguous run).
void vm_env_phys_release(paddr_t pa, uint64_t npages);
// The page's contents, writable by the kernel.
void* vm_env_page_address(paddr_t pa);
// Free pages left (vm_statistics).
uint64_t vm_env_free_pages();
uint64_t vm_env_total_pages();

// Pagers (the kernel: vm/vm_pager.cpp). Ask the pager of `object` for the
// page at `offset` (a busy placeholder is in the object already) with
// `access`; unlock: the page is resident but its lock forbids `access`
// (data_unlock). The message goes out once the VM lock is dropped.
void vm_env_pager_request(VmObject* object, uint64_t offset, vm_prot_t access, bool unlock);
// The last reference to an object with a pager is gone: dirty pages go
// back, the pager is told, and vm_object_terminate ends the object (now
// or later).
void vm_env_object_unreferenced(VmObject* object);

// Memory for maps, entries, objects and page descriptors; nullptr when out.
void* vm_alloc(size_t size);
void vm_free(void* p);

}  // namespace mk
