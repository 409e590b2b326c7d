#include "lib/heap.h"

#include "lib/page.h"

namespace mk {
namespace {

constexpr uint64_t kLargeMagic = 0x45475241'4c504145ull;       // "EAPLARGE"
constexpr uint64_t kLargeFreedMagic = 0x44454552'46504145ull;  // "EAPFREED"

// At the start of the first page of a large block.
struct LargeHeader {
  uint64_t magic;
  uint64_t npages;
  const Heap* heap;
};
static_assert(sizeof(LargeHeader) <= Heap::kLargeHeaderBytes);

constexpr const char* kClassNames[Heap::kClassCount] = {"heap.16",  "heap.32",  "heap.64",  "heap.128",
                                                        "heap.256", "heap.512", "heap.1024"};
static_assert(Heap::class_size(Heap::kClassCount - 1) == Heap::kMaxSmall);

}  // namespace

kern_return_t Heap::init(PageSource* src) {
  if (!src) return KERN_INVALID_ARGUMENT;
  for (size_t i = 0; i < kClassCount; ++i) {
    // 1-page slabs keep every slab header at the start of a page, where free() looks.
    kern_return_t kr = classes_[i].init(kClassNames[i], class_size(i), kAlignment, src, 1);
    if (kr != KERN_SUCCESS) return kr;
  }
  src_ = src;
  bytes_in_use_ = large_pages_in_use_ = 0;
  return KERN_SUCCESS;
}

void* Heap::alloc(size_t size) {
  if (!src_) return nullptr;
  for (size_t i = 0; i < kClassCount; ++i) {
    if (size <= class_size(i)) {
      void* p = classes_[i].alloc();
      if (p) bytes_in_use_ += class_size(i);
      return p;
    }
  }
  if (size > ~size_t(0) - kLargeHeaderBytes - kPageSize) return nullptr;
  size_t npages = size_t(page_round_up(size + kLargeHeaderBytes) / kPageSize);
  void* base = src_->alloc_pages(npages, 1);
  if (!base) return nullptr;
  *static_cast<LargeHeader*>(base) = LargeHeader{kLargeMagic, npages, this};
  large_pages_in_use_ += npages;
  bytes_in_use_ += npages * kPageSize;
  return static_cast<char*>(base) + kLargeHeaderBytes;
}

kern_return_t Heap::free(void* p) {
  if (!p) return KERN_SUCCESS;
  uintptr_t addr = reinterpret_cast<uintptr_t>(p);
  if (!src_ || addr % kAlignment != 0) return KERN_INVALID_ADDRESS;
  void* page = reinterpret_cast<void*>(addr & ~uintptr_t(kPageMask));

  if (addr - reinterpret_cast<uintptr_t>(page) == kLargeHeaderBytes) {
    LargeHeader* h = static_cast<LargeHeader*>(page);
    if (h->magic == kLargeMagic && h->heap == this) {
      size_t npages = h->npages;
      h->magic = kLargeFreedMagic;
      large_pages_in_use_ -= npages;
      bytes_in_use_ -= npages * kPageSize;
      src_->free_pages(page, npages);
      return KERN_SUCCESS;
    }
    if (h->magic == kLargeFreedMagic && h->heap == this) return KERN_INVALID_VALUE;
  }

  Zone* zone = Zone::owner_of_page(page);
  for (Zone& z : classes_) {
    if (&z != zone) continue;
    kern_return_t kr = z.free(p);
    if (kr == KERN_SUCCESS) bytes_in_use_ -= z.elem_size();
    return kr;
  }
  return KERN_INVALID_ADDRESS;
}

}  // namespace mk
