// A PageSource for host tests: aligned_alloc with a page budget, so tests can
// run zones and the heap out of memory and check that everything comes back.
#pragma once

#include <cstdlib>
#include <cstring>
#include <vector>

#include "lib/page.h"
#include "lib/page_source.h"

class TestPageSource final : public mk::PageSource {
 public:
  explicit TestPageSource(size_t budget_pages = ~size_t(0), bool quarantine = false)
      : budget_(budget_pages), quarantine_(quarantine) {}
  ~TestPageSource() {
    for (void* p : parked_) std::free(p);
  }

  void* alloc_pages(size_t npages, size_t align_pages) override {
    if (npages > budget_ - in_use_) return nullptr;
    size_t align = align_pages * mk::kPageSize;
    size_t bytes = (npages * mk::kPageSize + align - 1) / align * align;
    void* p = std::aligned_alloc(align, bytes);
    if (!p) return nullptr;
    std::memset(p, 0xA5, bytes);  // catch code that expects zeroed pages
    in_use_ += npages;
    ++calls_;
    return p;
  }

  void free_pages(void* p, size_t npages) override {
    in_use_ -= npages;
    // Quarantine keeps freed memory readable so double frees can be tested.
    if (quarantine_)
      parked_.push_back(p);
    else
      std::free(p);
  }

  size_t in_use() const { return in_use_; }
  size_t calls() const { return calls_; }
  void set_budget(size_t pages) { budget_ = pages; }

 private:
  size_t budget_;
  bool quarantine_;
  size_t in_use_ = 0;
  size_t calls_ = 0;
  std::vector<void*> parked_;
};
