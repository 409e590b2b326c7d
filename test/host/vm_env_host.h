// The host's stand-ins for the VM's surroundings (vm/vm_env.h, vm/pmap.h):
// physical pages are malloc'd 4 KiB blocks whose "physical address" is
// their host address, and a pmap is a table of va -> (pa, prot, bits). The
// counters let tests check that nothing leaks.
#pragma once

#include <stdint.h>

#include <mach/vm_prot.h>

#include "lib/page.h"

namespace mk {
struct Pmap;
}

namespace mk::host_vm {

uint64_t pages_in_use();        // grabbed and not yet released
uint64_t allocations_in_use();  // vm_alloc blocks not yet freed
// After n more successful page grabs, fail every grab (n < 0: never fail).
void fail_page_grabs_after(int64_t n);
// Number of mappings in a pmap (all of them, any protection).
uint64_t pmap_mapping_count(const Pmap* pmap);
// Any mapping of va, uncached ones too (pmap_extract skips those).
bool pmap_lookup(const Pmap* pmap, uint64_t va, paddr_t* pa, vm_prot_t* prot, bool* uncached);
// A zeroed run of npages contiguous "physical" pages for an owning physical
// object (vm_env_phys_release frees it); runs not yet released.
paddr_t grab_run(uint64_t npages);
uint64_t runs_in_use();
// Reverse mappings (vm/pmap.h): after n more record allocations, fail
// every one, so pmap_enter of a new mapping fails (n < 0: never fail).
void fail_records_after(int64_t n);
// Records of (pmap, va) on pa's list: 1 for a recorded mapping.
uint64_t pv_record_count(const Pmap* pmap, uint64_t va, paddr_t pa);
// Over every live pmap: recorded mappings without exactly one record,
// records of no mapping, cached mappings without a record. 0 when sound.
uint64_t pv_problems();
// Pretend the MMU set referenced/modified on va's mapping.
void pmap_touch(Pmap* pmap, uint64_t va, unsigned bits);

}  // namespace mk::host_vm
