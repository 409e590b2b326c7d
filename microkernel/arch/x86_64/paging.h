// x86-64 4-level page tables: the kernel's own address space now, and the
// pmap layer of the VM system later.
#pragma once

#include <mach/kern_return.h>
#include <stdint.h>

#include "lib/multiboot2.h"
#include "lib/page.h"

namespace mk::x86 {

constexpr uint64_t kPtePresent = 1ull << 0;
constexpr uint64_t kPteWrite = 1ull << 1;
constexpr uint64_t kPteUser = 1ull << 2;
constexpr uint64_t kPteWriteThrough = 1ull << 3;
constexpr uint64_t kPteCacheDisable = 1ull << 4;
constexpr uint64_t kPteAccessed = 1ull << 5;
constexpr uint64_t kPteDirty = 1ull << 6;
constexpr uint64_t kPteHuge = 1ull << 7;
constexpr uint64_t kPteGlobal = 1ull << 8;
constexpr uint64_t kPteNx = 1ull << 63;
constexpr uint64_t kPteAddrMask = 0x000ffffffffff000ull;

// Supplies zeroed page-table pages; returns 0 when out of memory.
using TableAllocator = paddr_t (*)();

// Map [va, va+size) to [pa, pa+size) with `flags` (kPte*; NX is dropped on
// CPUs without it). 2 MiB pages are used where both addresses and the
// remaining size allow it and `allow_huge` is set. KERN_RESOURCE_SHORTAGE when
// a table page cannot be had; KERN_INVALID_ARGUMENT for unaligned input;
// KERN_NO_SPACE when a huge page already covers part of the range.
kern_return_t map_range(paddr_t root, uint64_t va, paddr_t pa, uint64_t size, uint64_t flags,
                        bool allow_huge, TableAllocator alloc);

// Translate through `root`; returns false when va is not mapped.
bool translate(paddr_t root, uint64_t va, paddr_t* pa, uint64_t* pte_flags);

// Clear the 4 KiB mapping of va; false when there is none. The caller
// invalidates the TLB and owns the page *pa.
bool unmap_page(paddr_t root, uint64_t va, paddr_t* pa);

paddr_t kernel_root();
// A zeroed page-table page from the page pool (0 when none), and the kernel
// address of a table page.
paddr_t alloc_table_page();
uint64_t* table_virt(paddr_t pa);

// Build the kernel's final page tables (kernel image with per-section
// permissions, direct map of all RAM) from table pages in the boot plan's
// reserved spot, and switch to them. The boot identity map is gone after.
void paging_init(paddr_t table_spot, uint64_t table_spot_pages, const BootInfo& info);
// Upper bound of table pages paging_init needs.
uint64_t paging_table_pages_needed(const BootInfo& info);

// Map a device's registers (uncached) into the direct-map window.
void* map_device(paddr_t pa, uint64_t size);

}  // namespace mk::x86
