#include "lib/page_allocator.h"

#include "lib/bitmap.h"

namespace mk {
namespace {

constexpr size_t align_up(size_t v, size_t align) { return (v + align - 1) & ~(align - 1); }

// base + size, saturating at the top of the address space.
uint64_t saturating_end(uint64_t base, uint64_t size) { return size > ~uint64_t(0) - base ? ~uint64_t(0) : base + size; }

}  // namespace

size_t PageAllocator::bitmap_bytes(paddr_t limit) {
  size_t pages = size_t(limit / kPageSize + (page_aligned(limit) ? 0 : 1));
  return 2 * bitmap::words_for(pages) * sizeof(uint64_t);
}

kern_return_t PageAllocator::init(void* storage, size_t storage_bytes, paddr_t limit) {
  if (!storage || reinterpret_cast<uintptr_t>(storage) % alignof(uint64_t) != 0 || !page_aligned(limit) ||
      storage_bytes < bitmap_bytes(limit))
    return KERN_INVALID_ARGUMENT;
  npages_ = size_t(limit / kPageSize);
  nwords_ = bitmap::words_for(npages_);
  managed_ = static_cast<uint64_t*>(storage);
  free_ = managed_ + nwords_;
  __builtin_memset(storage, 0, 2 * nwords_ * sizeof(uint64_t));
  free_count_ = managed_count_ = 0;
  hint_word_ = 0;
  limit_ = limit;
  return KERN_SUCCESS;
}

void PageAllocator::add_free_range(paddr_t base, uint64_t size) {
  uint64_t end = page_round_down(saturating_end(base, size));
  if (base > ~uint64_t(0) - kPageMask) return;  // no whole page above base
  uint64_t start = page_round_up(base);
  if (end > limit_) end = limit_;
  if (start >= end) return;
  bitmap::for_each_word(size_t(start / kPageSize), size_t(end / kPageSize), [this](size_t i, uint64_t m) {
    managed_count_ += bitmap::popcount(m & ~managed_[i]);
    free_count_ += bitmap::popcount(m & ~free_[i]);
    managed_[i] |= m;
    free_[i] |= m;
  });
}

void PageAllocator::reserve_range(paddr_t base, uint64_t size) {
  if (size == 0) return;
  uint64_t start = page_round_down(base);
  uint64_t end = saturating_end(base, size);
  end = end > ~uint64_t(0) - kPageMask ? ~uint64_t(0) : page_round_up(end);
  if (end > limit_) end = limit_;
  if (start >= end) return;
  bitmap::for_each_word(size_t(start / kPageSize), size_t(end / kPageSize), [this](size_t i, uint64_t m) {
    free_count_ -= bitmap::popcount(m & free_[i]);
    free_[i] &= ~m;
  });
}

void PageAllocator::take(size_t first, size_t n) {
  bitmap::clear_range(free_, first, first + n);
  free_count_ -= n;
  size_t next = (first + n) / 64;
  hint_word_ = next < nwords_ ? next : 0;
}

kern_return_t PageAllocator::alloc(paddr_t* out) {
  if (free_count_ == 0) return KERN_RESOURCE_SHORTAGE;
  for (size_t k = 0; k < nwords_; ++k) {
    size_t w = hint_word_ + k < nwords_ ? hint_word_ + k : hint_word_ + k - nwords_;
    if (free_[w] == 0) continue;
    size_t page = w * 64 + size_t(__builtin_ctzll(free_[w]));
    bitmap::clear(free_, page);
    --free_count_;
    hint_word_ = w;  // this word may have more free pages
    *out = paddr_t(page) * kPageSize;
    return KERN_SUCCESS;
  }
  return KERN_RESOURCE_SHORTAGE;  // unreachable while free_count_ is right
}

kern_return_t PageAllocator::alloc_contiguous(size_t npages, size_t align_pages, paddr_t* out, paddr_t below) {
  if (npages == 0 || align_pages == 0 || (align_pages & (align_pages - 1)) != 0) return KERN_INVALID_ARGUMENT;
  size_t end = npages_;
  if (below / kPageSize < end) end = size_t(below / kPageSize);
  if (npages > end || npages > free_count_) return KERN_RESOURCE_SHORTAGE;

  // Next-fit: search from the hint to the end, then from the start.
  size_t starts[2] = {hint_word_ * 64, 0};
  for (size_t from : starts) {
    size_t p = align_up(from, align_pages);
    while (p < end && end - p >= npages) {
      size_t f = bitmap::find_first_set(free_, p, end);  // skips fully allocated words
      if (f == end) break;
      p = align_up(f, align_pages);
      if (p >= end || end - p < npages) break;
      size_t busy = bitmap::find_first_clear(free_, p, p + npages);
      if (busy == p + npages) {
        take(p, npages);
        *out = paddr_t(p) * kPageSize;
        return KERN_SUCCESS;
      }
      p = align_up(busy + 1, align_pages);
    }
  }
  return KERN_RESOURCE_SHORTAGE;
}

kern_return_t PageAllocator::free(paddr_t pa) { return free_contiguous(pa, 1); }

kern_return_t PageAllocator::free_contiguous(paddr_t pa, size_t npages) {
  if (npages == 0) return KERN_INVALID_ARGUMENT;
  if (!page_aligned(pa) || pa >= limit_ || npages > npages_ - pa / kPageSize) return KERN_INVALID_ADDRESS;
  size_t first = size_t(pa / kPageSize), last = first + npages;
  if (bitmap::find_first_clear(managed_, first, last) != last) return KERN_INVALID_ADDRESS;
  if (bitmap::find_first_set(free_, first, last) != last) return KERN_INVALID_VALUE;
  bitmap::set_range(free_, first, last);
  free_count_ += npages;
  return KERN_SUCCESS;
}

bool PageAllocator::is_free(paddr_t pa) const {
  if (pa >= limit_) return false;
  return bitmap::test(free_, size_t(pa / kPageSize));
}

}  // namespace mk
