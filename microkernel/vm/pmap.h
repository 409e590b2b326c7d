// The physical map: the machine-dependent half of a task's address space
// (page tables on x86-64). The machine-independent VM (vm_map, vm_fault)
// decides what is mapped; the pmap only caches it in the MMU and may be
// rebuilt from the map at any time. Each architecture implements these
// (arch/x86_64/pmap.cpp); the host tests have a fake (test/host/).
//
// Every change goes through pmap_tlb_invalidate, the one place that drops
// stale translations (and, with several CPUs, will shoot them down).
// Callers serialize all calls on one pmap (the VM lock).
//
// Every user mapping of a page of the page pool is recorded by the pmap
// (Mach's pv lists), so the VM can reach all mappings of a page (page-out,
// flush). The records are shared by every pmap: the VM lock covers them
// too, so calls that change mappings (and pmap_destroy of a pmap that
// still has some) are made with it held.
#pragma once

#include <mach/kern_return.h>
#include <mach/vm_prot.h>
#include <stdint.h>

#include "lib/page.h"

namespace mk {

struct Pmap;  // defined by the architecture

// Boot, once, after kalloc_init and before the first pmap_enter: the table
// of records for the pool's frames, which lie below pool_end.
void pmap_init(paddr_t pool_end);

// An empty user address space (the kernel half shared). nullptr when memory
// runs out.
Pmap* pmap_create();
// Free the page tables (never the mapped pages: memory objects own them)
// and the records of the mappings left. The pmap must not be loaded on any
// CPU.
void pmap_destroy(Pmap* pmap);

// Map va -> pa with `prot` (VM_PROT_NONE is refused), replacing what was
// there. KERN_RESOURCE_SHORTAGE when a page table or the page's record
// cannot be allocated (the mapping is left as it was), KERN_INVALID_ADDRESS
// when va is not a page-aligned user address.
kern_return_t pmap_enter(Pmap* pmap, uint64_t va, paddr_t pa, vm_prot_t prot);
// The same with a memory type: kPmapUncached for device registers (x86-64:
// PCD|PWT). pmap_extract does not report uncached mappings: nothing in the
// kernel may reach device memory through the direct map (the IPC fast path
// copies into receivers' pages that way), so they count as absent there.
enum class PmapAttr : unsigned { kCached = 0, kUncached = 1 };
kern_return_t pmap_enter_attr(Pmap* pmap, uint64_t va, paddr_t pa, vm_prot_t prot, PmapAttr attr);
// Drop every mapping in [start, end) (page-aligned).
void pmap_remove(Pmap* pmap, uint64_t start, uint64_t end);
// Lower the protection of every mapping in [start, end) to at most `prot`
// (VM_PROT_NONE removes them).
void pmap_protect(Pmap* pmap, uint64_t start, uint64_t end, vm_prot_t prot);
// The page behind va and its protection; false when not mapped (or mapped
// uncached, see pmap_enter_attr).
bool pmap_extract(const Pmap* pmap, uint64_t va, paddr_t* pa, vm_prot_t* prot);

// Referenced/modified bits the MMU sets on the mapping of va.
enum PmapBits : unsigned { kPmapReferenced = 1, kPmapModified = 2 };
unsigned pmap_query_bits(const Pmap* pmap, uint64_t va);  // 0 when not mapped
void pmap_clear_bits(Pmap* pmap, uint64_t va, unsigned bits);

// The same by physical page: what page-out needs. Mappings outside the
// pool (device registers) have no record and are not reached.
// Lower every mapping of physical page pa to at most prot (VM_PROT_NONE
// removes them, each with its TLB invalidation); returns the OR of the
// kPmapReferenced/kPmapModified bits those mappings had (before the change).
unsigned pmap_page_protect(paddr_t pa, vm_prot_t prot);
// OR of the referenced/modified bits over every mapping of pa; clear them.
unsigned pmap_page_query_bits(paddr_t pa);
void pmap_page_clear_bits(paddr_t pa, unsigned bits);
// How many mappings of pa exist (tests, leak checks).
uint64_t pmap_page_mapping_count(paddr_t pa);

// Drop stale translations of [start, end) in `pmap` (every CPU that may
// cache them). The calls above use it; exposed for the VM's own batching.
void pmap_tlb_invalidate(Pmap* pmap, uint64_t start, uint64_t end);

// Pages of page tables the pmap holds (statistics, leak checks).
uint64_t pmap_table_pages(const Pmap* pmap);

}  // namespace mk
