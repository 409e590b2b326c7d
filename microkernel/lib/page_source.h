// PageSource: where zones and the heap get their memory. Pages are
// kernel-virtual, aligned to align_pages * kPageSize; nullptr means out of
// memory. The kernel implements it over PageAllocator and the direct map; host
// tests implement it over aligned_alloc with a page budget.
#pragma once

#include <stddef.h>

namespace mk {

class PageSource {
 public:
  virtual void* alloc_pages(size_t npages, size_t align_pages) = 0;
  // p and npages exactly as returned by / passed to alloc_pages.
  virtual void free_pages(void* p, size_t npages) = 0;

 protected:
  ~PageSource() = default;
};

}  // namespace mk
