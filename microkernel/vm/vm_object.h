// Memory objects (Mach's vm_object): the pages a region of memory is made
// of. Anonymous memory is a temporary object whose missing pages read as
// zeros. Copy-on-write is a shadow object in front of another: it holds the
// pages written since the copy and looks through to its shadow for the
// rest. When a shadowed object is left with a single user (its shadower) the
// two are merged (collapse), so chains stay short.
#pragma once

#include <mach/kern_return.h>
#include <stdint.h>

#include <boost/intrusive/list.hpp>

#include "vm/vm_page.h"

namespace mk {

class VmObject {
 public:
  using PageList = boost::intrusive::list<
      VmPage, boost::intrusive::member_hook<VmPage, boost::intrusive::list_member_hook<>, &VmPage::object_link>>;

  uint32_t ref_count = 1;
  uint64_t size = 0;               // bytes, page-aligned
  VmObject* shadow = nullptr;      // the object behind this one (one reference)
  uint64_t shadow_offset = 0;      // where this object's offset 0 falls in shadow
  PageList pages;                  // resident pages
  uint64_t resident_count = 0;
  // A physical object: [phys_base, phys_base + size) is its memory.
  bool physical = false;
  bool uncached = false;     // device memory: mapped with caching off
  bool owns_pages = false;   // the run came from the page pool: released with the object
  paddr_t phys_base = 0;
  // Memory backed by a pager (vm_pager.h). pager: the kernel's state for
  // it (its ports and queue), null for memory only the kernel holds.
  // external: a mapped memory object: every page not resident comes from
  // its pager. Temporary objects get the default pager when page-out first
  // evicts one of their pages; `existence` then has a bit for each page the
  // default pager holds, so only those are asked for.
  struct VmPager* pager = nullptr;
  bool external = false;
  uint64_t* existence = nullptr;
  // Non-zero once the pager is gone (or gave the object up): faults that
  // need it fail with KERN_MEMORY_ERROR.
  kern_return_t pager_error = KERN_SUCCESS;
  // Pages on their way to a pager (data_return): page-out leaves them.
  bool pageout_exempt = false;
};

// A new temporary (anonymous, zero-fill) object of `size` bytes with one
// reference. nullptr when memory is out.
VmObject* vm_object_allocate(uint64_t size);
// A physical object over [phys_base, phys_base + size) (page-aligned),
// one reference. With owns_pages the run is the pool's and goes back to it
// (vm_env_phys_release) when the last reference goes. nullptr when out.
VmObject* vm_object_allocate_physical(paddr_t phys_base, uint64_t size, bool uncached, bool owns_pages);
void vm_object_reference(VmObject* object);
// Drop a reference; the last frees the pages and drops the reference the
// object held on its shadow (iteratively: long chains cannot overflow the
// kernel stack). An object with a pager goes to vm_env_object_unreferenced
// instead, which ends it later with vm_object_terminate.
void vm_object_deallocate(VmObject* object);
// Free an unreferenced object now: its pages, its existence map, its
// reference on its shadow.
void vm_object_terminate(VmObject* object);

// Whether the page at `offset` (not resident) must come from the object's
// pager rather than from the shadow or zero fill.
bool vm_object_pager_has_page(const VmObject* object, uint64_t offset);
// Record that the default pager now holds the page at `offset`. False when
// the existence map cannot be allocated.
bool vm_object_existence_set(VmObject* object, uint64_t offset);

// Put a new object in front of *object for copy-on-write of `length` bytes
// starting at *offset: the new object takes over the caller's reference to
// the old, and *object/*offset now name the new one (offset 0).
// KERN_RESOURCE_SHORTAGE leaves both untouched.
kern_return_t vm_object_shadow(VmObject** object, uint64_t* offset, uint64_t length);

// Merge backing objects that only `object` uses into it (never objects
// with a pager: their missing pages are the pager's): their pages that
// `object` can see and does not hold itself move up, the rest are freed,
// and `object` then shadows what they shadowed. Repeats down the chain.
void vm_object_collapse(VmObject* object);

// The page visible at `offset` through `object` and its shadows, with the
// object that holds it (nullptr: no page anywhere, reads as zeros).
VmPage* vm_object_page_find(VmObject* object, uint64_t offset, VmObject** holder);

// A new object holding a private copy of [offset, offset+length) as seen
// through `object` (eager copy: for memory others map writable). nullptr
// when memory is out, or when a page is only at a pager (it cannot be
// waited for here).
VmObject* vm_object_copy_slowly(VmObject* object, uint64_t offset, uint64_t length);

// Number of objects in the chain starting at `object` (1 for no shadow).
uint32_t vm_object_chain_depth(const VmObject* object);

// Statistics.
struct VmObjectCounts {
  uint64_t objects = 0;
  uint64_t collapses = 0;
  uint64_t pages_copied = 0;
};
extern VmObjectCounts g_vm_object_counts;

}  // namespace mk
