// Resident pages: a VmPage describes one physical page that holds data of
// a memory object at an offset. Pages are found by (object, offset) in one
// hash table, as in Mach's vm_page_lookup, and each object also lists its
// own pages so it can free or move them all.
#pragma once

#include <mach/kern_return.h>
#include <mach/vm_prot.h>
#include <stdint.h>

#include <boost/intrusive/list.hpp>

#include "lib/page.h"

namespace mk {

class VmObject;

struct VmPage {
  boost::intrusive::list_member_hook<> object_link;  // VmObject::pages
  boost::intrusive::list_member_hook<> queue_link;   // the page-out queue (vm_pageout.h)
  VmPage* hash_next = nullptr;                       // bucket chain
  VmObject* object = nullptr;
  uint64_t offset = 0;      // in the object, page-aligned
  paddr_t phys = 0;
  uint32_t wire_count = 0;  // vm_wire: must stay resident
  // Pager state (vm_pager.h). A busy page is a placeholder whose data the
  // pager was asked for: faults on it wait. error: the pager could not
  // supply it (the next fault reports KERN_MEMORY_ERROR and drops it).
  bool busy = false;
  bool error = false;
  // Differs from what its pager (or zero fill) would give back: eviction
  // must return it. New pages are dirty; a clean page is mapped without
  // write access, so the first write comes back to vm_fault and marks it.
  bool dirty = true;
  bool precious = false;        // returned to the pager even when clean
  bool unlock_pending = false;  // data_unlock sent: faults wait for the answer
  vm_prot_t lock = VM_PROT_NONE;  // accesses that need data_unlock first
};

// Resident pages in the order page-out considers them (oldest first).
using VmPageQueue = boost::intrusive::list<
    VmPage, boost::intrusive::member_hook<VmPage, boost::intrusive::list_member_hook<>, &VmPage::queue_link>>;
VmPageQueue& vm_page_queue();

// The hash table; once, before any page is allocated. KERN_RESOURCE_SHORTAGE.
kern_return_t vm_page_init(uint64_t buckets_hint);

// The page of `object` at `offset`, or nullptr.
VmPage* vm_page_lookup(const VmObject* object, uint64_t offset);
// A fresh physical page entered into `object` at `offset` (which must be
// free there). Contents are undefined. nullptr when memory is out.
VmPage* vm_page_alloc(VmObject* object, uint64_t offset);
// Same, zero-filled.
VmPage* vm_page_alloc_zero(VmObject* object, uint64_t offset);
// Take the page out of its object and give the physical page back.
void vm_page_free(VmPage* page);
// Move the page to another object/offset (collapse).
void vm_page_rename(VmPage* page, VmObject* object, uint64_t offset);
// The page's contents through the kernel's window on physical memory.
void* vm_page_address(const VmPage* page);

// Accounting (vm_statistics).
struct VmPageCounts {
  uint64_t active = 0;      // resident in objects
  uint64_t wired = 0;       // of which wired
  uint64_t in_transit = 0;  // on their way to a pager (VmObject::pageout_exempt)
};
extern VmPageCounts g_vm_page_counts;

}  // namespace mk
