// Page-out (Mach's vm_pageout): when free memory runs low, resident pages
// leave memory in clock order. The queue is every resident page, oldest
// first (vm_page_queue); a page the MMU saw referenced since its last visit
// gets a second chance at the back. A victim is unmapped everywhere (the
// pmap's reverse mappings); a clean page whose data can be had again (zero
// fill, or its pager) is freed, a dirty or precious one goes to its pager:
// a mapped memory object's own, the default pager for temporary memory.
//
// The scan is machine-independent (host-tested); the daemon that runs it
// and the waits for free memory are the kernel's (vm_pageout_daemon.cpp).
#pragma once

#include <stdint.h>

namespace mk {

struct VmPage;

struct VmPageoutCounts {
  uint64_t scanned = 0;
  uint64_t reactivated = 0;  // referenced: second chance
  uint64_t freed = 0;        // clean pages dropped
  uint64_t returned = 0;     // pages handed to a pager
  uint64_t kept = 0;         // victims that could not go (no pager for them)
};
extern VmPageoutCounts g_vm_pageout_counts;

// Hands a dirty (or precious) victim to its pager; true when the page left
// its object. The kernel's is vm_pager_return_page. can_return says
// beforehand whether it could (the page is then left mapped if not: a
// page that cannot go must not cost its users a fault).
struct VmPageoutPager {
  bool (*can_return)(const VmPage* page);
  bool (*give_back)(VmPage* page);
};

// Look at up to `max_scan` pages from the front of the queue and evict
// until `want` pages left memory. Busy, wired and in-transit pages are
// passed over. Returns the number that left (freed or returned). VM lock
// held (and, for the kernel's return function, the IPC lock).
uint64_t vm_pageout_scan(uint64_t want, uint64_t max_scan, const VmPageoutPager& pager);

// Kernel: start the daemon (after the scheduler is up).
void vm_pageout_init();
// Kernel, from a fault that found no free page (no lock held): wake the
// daemon and wait for memory. False when waiting is pointless (nothing can
// be paged out); the fault then fails with KERN_RESOURCE_SHORTAGE.
bool vm_pageout_wait_for_memory();
// Kernel, before a fault (no lock held): below the low-water mark, wait for
// the daemon first, so the pagers always have memory to work with.
void vm_pageout_throttle();

}  // namespace mk
