// A task's address space (Mach's vm_map): an ordered tree of entries over
// memory objects, plus the pmap that caches it in the MMU. Lookup is
// O(log n) with a one-entry hint in front; ranges are clipped so calls can
// act on parts of entries, and neighbours that fit together are coalesced
// again so the tree stays small.
//
// All calls: VM lock held. Addresses are page-rounded by the calls (start
// down, end up) as Mach does; a range that wraps or leaves user space is
// KERN_INVALID_ADDRESS.
#pragma once

#include <mach/kern_return.h>
#include <mach/vm_inherit.h>
#include <mach/vm_prot.h>
#include <mach/vm_region.h>
#include <stdint.h>

#include <boost/intrusive/set.hpp>

#include "vm/pmap.h"
#include "vm/vm_map_entry.h"

namespace mk {

class VmMap {
 public:
  using EntryTree = boost::intrusive::set<
      VmMapEntry, boost::intrusive::member_hook<VmMapEntry, boost::intrusive::set_member_hook<>, &VmMapEntry::tree_link>,
      boost::intrusive::key_of_value<VmMapEntryKey>>;

  uint32_t ref_count = 1;
  uint64_t min_address = 0, max_address = 0;  // what the map may hold
  EntryTree entries;
  VmMapEntry* hint = nullptr;   // last entry found
  Pmap* pmap = nullptr;         // null: a map with no MMU side (copies, tests)
  uint64_t size = 0;            // bytes mapped
};

// A map of [min, max) over `pmap` (may be null). nullptr when memory is out.
VmMap* vm_map_create(Pmap* pmap, uint64_t min, uint64_t max);
void vm_map_reference(VmMap* map);
// The last reference removes every entry and destroys the pmap.
void vm_map_deallocate(VmMap* map);

// The entry containing `addr`, or nullptr.
VmMapEntry* vm_map_lookup_entry(VmMap* map, uint64_t addr);
// The first entry that ends above `addr`, or nullptr.
VmMapEntry* vm_map_first_entry_after(VmMap* map, uint64_t addr);

// Zero-fill memory. With `anywhere` the kernel picks the lowest free
// address at or above *addr (or min_address) and returns it; otherwise
// [*addr, *addr+size) must be free (KERN_NO_SPACE). The object is created
// at the first fault. Protection VM_PROT_DEFAULT, inheritance copy.
kern_return_t vm_map_allocate(VmMap* map, uint64_t* addr, uint64_t size, bool anywhere);
// Map `object` (on success the caller's reference moves to the map; on
// failure it stays with the caller) at an address as vm_map_allocate
// chooses it.
kern_return_t vm_map_enter(VmMap* map, uint64_t* addr, uint64_t size, bool anywhere, VmObject* object,
                           uint64_t offset, bool needs_copy, vm_prot_t prot, vm_prot_t max_prot,
                           vm_inherit_t inheritance);
// Remove [start, end): unmapped parts are skipped (Mach semantics).
kern_return_t vm_map_remove(VmMap* map, uint64_t start, uint64_t end);
// Set the current protection (set_max: the maximum, which can only drop and
// then also caps the current). KERN_PROTECTION_FAILURE when the new
// protection exceeds an entry's maximum; KERN_INVALID_ADDRESS on a hole.
kern_return_t vm_map_protect(VmMap* map, uint64_t start, uint64_t end, vm_prot_t prot, bool set_max);
kern_return_t vm_map_inherit(VmMap* map, uint64_t start, uint64_t end, vm_inherit_t inheritance);
// Wire (access != VM_PROT_NONE: fault every page in now with that access
// and keep it) or unwire the range. KERN_INVALID_ADDRESS on a hole,
// KERN_PROTECTION_FAILURE when access exceeds the protection,
// KERN_FAILURE when unwiring memory that is not wired.
kern_return_t vm_map_wire(VmMap* map, uint64_t start, uint64_t end, vm_prot_t access);
// The first region at or above *addr: its bounds and attributes.
// KERN_INVALID_ADDRESS when there is none.
kern_return_t vm_map_region(VmMap* map, uint64_t* addr, uint64_t* size, vm_region_basic_info_data_64_t* info);

// Merge `entry` with its neighbours where they continue each other (same
// object at the following offset, same attributes). Returns the survivor.
VmMapEntry* vm_map_simplify(VmMap* map, VmMapEntry* entry);

// A child's address space for task_create with inherited memory: share
// regions are shared, copy regions become copy-on-write copies, none
// regions are left out. nullptr when memory is out (child_pmap is then
// still the caller's).
VmMap* vm_map_fork(VmMap* parent, Pmap* child_pmap);

// Entries in all maps (vm_statistics).
extern uint64_t g_vm_map_entry_count;

}  // namespace mk
