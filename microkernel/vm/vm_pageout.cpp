#include "vm/vm_pageout.h"

#include "vm/pmap.h"
#include "vm/vm_object.h"
#include "vm/vm_page.h"

namespace mk {

VmPageoutCounts g_vm_pageout_counts;

namespace {

// Whether the page can be a victim at all.
bool pageable(const VmPage& page) {
  const VmObject* object = page.object;
  return !page.busy && !page.wire_count && !page.unlock_pending && !object->pageout_exempt && !object->physical;
}

}  // namespace

uint64_t vm_pageout_scan(uint64_t want, uint64_t max_scan, const VmPageoutPager& pager) {
  VmPageQueue& queue = vm_page_queue();
  uint64_t gone = 0;
  for (uint64_t n = 0; n < max_scan && gone < want && !queue.empty(); n++) {
    VmPage* page = &queue.front();
    // To the back first: whatever happens below, the clock hand moves on.
    queue.pop_front();
    queue.push_back(*page);
    g_vm_pageout_counts.scanned++;
    if (!pageable(*page)) continue;
    if (pmap_page_query_bits(page->phys) & kPmapReferenced) {
      pmap_page_clear_bits(page->phys, kPmapReferenced);
      g_vm_pageout_counts.reactivated++;
      continue;
    }
    bool dirty = page->dirty || (pmap_page_query_bits(page->phys) & kPmapModified);
    if ((dirty || page->precious) && !pager.can_return(page)) {
      g_vm_pageout_counts.kept++;
      continue;
    }
    // Out of every map; a write the MMU saw makes it dirty.
    if (pmap_page_protect(page->phys, VM_PROT_NONE) & kPmapModified) page->dirty = true;
    if (!page->dirty && !page->precious) {
      vm_page_free(page);  // zero fill or the pager gives it back
      g_vm_pageout_counts.freed++;
      gone++;
    } else if (pager.give_back(page)) {
      g_vm_pageout_counts.returned++;
      gone++;
    } else {
      g_vm_pageout_counts.kept++;
    }
  }
  return gone;
}

}  // namespace mk
