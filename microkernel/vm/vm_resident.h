// The pool of physical pages (Mach's vm_resident): one PageAllocator for all
// of RAM behind a lock. Page contents are reached through the direct map.
#pragma once

#include <mach/kern_return.h>
#include <stddef.h>

#include "kern/boot_memory.h"
#include "lib/multiboot2.h"
#include "lib/page.h"

namespace mk {

// Hands every available page of the memory map to the pool except the
// reserved ranges. Panics when there is no room for the pool's own bitmap.
void vm_resident_init(const BootInfo& info, BootReservations& reserved);

// One page. KERN_RESOURCE_SHORTAGE when none is left.
kern_return_t vm_page_grab(paddr_t* out);
// Physically contiguous pages (DMA buffers, multi-page slabs).
kern_return_t vm_pages_grab_contiguous(size_t npages, size_t align_pages, paddr_t* out);
// Return pages; a double or foreign free is a kernel bug and panics.
void vm_page_release(paddr_t pa);
void vm_pages_release_contiguous(paddr_t pa, size_t npages);

size_t vm_page_free_count();
size_t vm_page_total_count();

}  // namespace mk
