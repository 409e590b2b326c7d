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
#include <stddef.h>
#include <stdint.h>

#include "lib/page.h"

namespace mk {

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

// Memory for maps, entries, objects and page descriptors; nullptr when out.
void* vm_alloc(size_t size);
void vm_free(void* p);

}  // namespace mk
