// PageAllocator: the physical page frame allocator.
//
// Two bits per page of [0, limit): "managed" (the page is RAM this allocator
// was given) and "free". The second lets free() tell a double free (managed,
// already free) from a free of memory it never managed. It only touches its
// own bitmap storage, never the pages themselves.
//
// Policy: next-fit from a rotating word hint; scans skip whole 64-page words
// with no free page. Not locked: the caller holds the lock that protects it.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <mach/kern_return.h>

#include "lib/page.h"

namespace mk {

class PageAllocator {
 public:
  constexpr PageAllocator() = default;
  PageAllocator(const PageAllocator&) = delete;
  PageAllocator& operator=(const PageAllocator&) = delete;

  // Bytes of storage init() needs to manage [0, limit) (limit rounded up to a page).
  static size_t bitmap_bytes(paddr_t limit);

  // Takes `storage` (8-byte aligned, at least bitmap_bytes(limit)) for the
  // bitmaps; every page starts unmanaged. KERN_INVALID_ARGUMENT for too little
  // or misaligned storage, or a limit that is not page aligned.
  kern_return_t init(void* storage, size_t storage_bytes, paddr_t limit);

  // Hands the whole pages inside [base, base+size) below limit() to the
  // allocator as free. Idempotent; re-adding an allocated page frees it, so
  // add all RAM first, then reserve what is in use.
  void add_free_range(paddr_t base, uint64_t size);

  // Marks every page touching [base, base+size) allocated (kernel image,
  // modules, boot data). Managed pages stay managed, so they can be freed
  // later; unmanaged pages stay unmanaged.
  void reserve_range(paddr_t base, uint64_t size);

  // One page. KERN_RESOURCE_SHORTAGE when none is free.
  kern_return_t alloc(paddr_t* out);

  // npages contiguous pages starting at a multiple of align_pages pages, all of
  // them below `below` (pa + npages * kPageSize <= below).
  // KERN_INVALID_ARGUMENT: npages == 0 or align_pages not a power of two.
  // KERN_RESOURCE_SHORTAGE: no such run.
  kern_return_t alloc_contiguous(size_t npages, size_t align_pages, paddr_t* out, paddr_t below = ~paddr_t(0));

  // KERN_INVALID_ADDRESS: pa not page aligned, the range passes limit(), or a
  // page was never managed. KERN_INVALID_VALUE: some page is already free.
  // KERN_INVALID_ARGUMENT: npages == 0. On any error nothing is freed.
  kern_return_t free(paddr_t pa);
  kern_return_t free_contiguous(paddr_t pa, size_t npages);

  size_t free_pages() const { return free_count_; }
  size_t managed_pages() const { return managed_count_; }
  paddr_t limit() const { return limit_; }

  // True when the page holding pa is managed and free (for tests and checks).
  bool is_free(paddr_t pa) const;

 private:
  void take(size_t first, size_t n);

  uint64_t* managed_ = nullptr;
  uint64_t* free_ = nullptr;
  size_t npages_ = 0;
  size_t nwords_ = 0;
  size_t free_count_ = 0;
  size_t managed_count_ = 0;
  size_t hint_word_ = 0;
  paddr_t limit_ = 0;
};

}  // namespace mk
