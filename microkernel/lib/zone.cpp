#include "lib/zone.h"

#include <boost/intrusive/circular_list_algorithms.hpp>

#include "lib/bitmap.h"
#include "lib/page.h"

namespace mk {

// At the start of every slab; the allocation bitmap (one bit per element, set
// = allocated) follows it directly.
struct Zone::SlabHeader {
  uint64_t magic;
  Zone* zone;
  Link link;
  uint32_t free_count;
  uint32_t unused;

  uint64_t* bits() { return reinterpret_cast<uint64_t*>(this + 1); }
  const uint64_t* bits() const { return reinterpret_cast<const uint64_t*>(this + 1); }
};

namespace {

constexpr uint64_t kSlabMagic = 0x42414c53454e4f5aull;  // "ZONESLAB"

struct LinkTraits {
  using node = Zone::Link;
  using node_ptr = Zone::Link*;
  using const_node_ptr = const Zone::Link*;
  static node_ptr get_next(const_node_ptr n) { return n->next; }
  static void set_next(node_ptr n, node_ptr next) { n->next = next; }
  static node_ptr get_previous(const_node_ptr n) { return n->prev; }
  static void set_previous(node_ptr n, node_ptr prev) { n->prev = prev; }
};
using Links = boost::intrusive::circular_list_algorithms<LinkTraits>;

constexpr size_t round_up(size_t v, size_t align) { return (v + align - 1) / align * align; }
constexpr bool power_of_two(size_t v) { return v != 0 && (v & (v - 1)) == 0; }

constexpr size_t kSlabHeaderBytes = 40;  // sizeof(Zone::SlabHeader), checked in init()

// Header bytes (rounded to the element alignment) for a slab of n elements.
size_t header_bytes_for(size_t n, size_t align) {
  return round_up(kSlabHeaderBytes + bitmap::words_for(n) * sizeof(uint64_t), align < 8 ? 8 : align);
}

// Elements of elem bytes that fit in slab_bytes beside their header.
size_t capacity_for(size_t slab_bytes, size_t elem, size_t align) {
  size_t n = slab_bytes / elem;
  while (n > 0 && header_bytes_for(n, align) + n * elem > slab_bytes) {
    size_t h = header_bytes_for(n, align);
    size_t fit = h >= slab_bytes ? 0 : (slab_bytes - h) / elem;
    n = fit < n ? fit : n - 1;
  }
  return n;
}

}  // namespace

kern_return_t Zone::init(const char* name, size_t elem_size, size_t align, PageSource* src, size_t slab_pages) {
  static_assert(sizeof(SlabHeader) == kSlabHeaderBytes);
  if (!name || !src || elem_size == 0 || !power_of_two(align) || align > kPageSize) return KERN_INVALID_ARGUMENT;
  if (elem_size > kMaxSlabPages * kPageSize) return KERN_INVALID_ARGUMENT;
  size_t elem = round_up(elem_size, align);
  if (elem < 8) elem = 8;

  size_t pages = slab_pages, capacity = 0;
  if (pages == 0) {
    for (pages = 1; pages <= kMaxSlabPages; pages *= 2) {
      capacity = capacity_for(pages * kPageSize, elem, align);
      if (capacity >= kMinPerSlab) break;
    }
    if (pages > kMaxSlabPages) return KERN_INVALID_ARGUMENT;
  } else {
    if (!power_of_two(pages) || pages > kMaxSlabPages) return KERN_INVALID_ARGUMENT;
    capacity = capacity_for(pages * kPageSize, elem, align);
    if (capacity == 0) return KERN_INVALID_ARGUMENT;
  }

  name_ = name;
  src_ = src;
  elem_size_ = elem;
  slab_pages_ = pages;
  slab_bytes_ = pages * kPageSize;
  capacity_ = capacity;
  header_bytes_ = header_bytes_for(capacity, align);
  in_use_ = slab_count_ = 0;
  Links::init_header(&partial_);
  return KERN_SUCCESS;
}

void* Zone::alloc() {
  if (!src_) return nullptr;
  if (Links::unique(&partial_)) {
    void* mem = src_->alloc_pages(slab_pages_, slab_pages_);
    if (!mem) return nullptr;
    // free() finds headers by masking, so a misaligned slab would be lost.
    if (reinterpret_cast<uintptr_t>(mem) & (slab_bytes_ - 1)) {
      src_->free_pages(mem, slab_pages_);
      return nullptr;
    }
    SlabHeader* fresh = new (mem) SlabHeader{kSlabMagic, this, {nullptr, nullptr}, uint32_t(capacity_), 0};
    __builtin_memset(fresh->bits(), 0, bitmap::words_for(capacity_) * sizeof(uint64_t));
    Links::link_before(&partial_, &fresh->link);
    ++slab_count_;
  }
  SlabHeader* slab = reinterpret_cast<SlabHeader*>(reinterpret_cast<char*>(partial_.next) - offsetof(SlabHeader, link));
  size_t i = bitmap::find_first_clear(slab->bits(), 0, capacity_);
  bitmap::set(slab->bits(), i);
  if (--slab->free_count == 0) {
    Links::unlink(&slab->link);
    Links::init(&slab->link);
  }
  ++in_use_;
  return reinterpret_cast<char*>(slab) + header_bytes_ + i * elem_size_;
}

kern_return_t Zone::locate(const void* p, SlabHeader** slab, size_t* index) const {
  if (!p || !src_) return KERN_INVALID_ADDRESS;
  uintptr_t addr = reinterpret_cast<uintptr_t>(p);
  uintptr_t base = addr & ~uintptr_t(slab_bytes_ - 1);
  SlabHeader* h = reinterpret_cast<SlabHeader*>(base);
  if (h->magic != kSlabMagic || h->zone != this) return KERN_INVALID_ADDRESS;
  size_t offset = addr - base;
  if (offset < header_bytes_ || (offset - header_bytes_) % elem_size_ != 0) return KERN_INVALID_ADDRESS;
  size_t i = (offset - header_bytes_) / elem_size_;
  if (i >= capacity_) return KERN_INVALID_ADDRESS;
  if (!bitmap::test(h->bits(), i)) return KERN_INVALID_VALUE;
  *slab = h;
  *index = i;
  return KERN_SUCCESS;
}

kern_return_t Zone::validate(const void* p) const {
  SlabHeader* slab;
  size_t i;
  return locate(p, &slab, &i);
}

kern_return_t Zone::free(void* p) {
  SlabHeader* slab;
  size_t i;
  kern_return_t kr = locate(p, &slab, &i);
  if (kr != KERN_SUCCESS) return kr;
  bitmap::clear(slab->bits(), i);
  --in_use_;
  if (slab->free_count++ == 0) Links::link_before(&partial_, &slab->link);
  if (slab->free_count == capacity_) {
    Links::unlink(&slab->link);
    slab->magic = 0;  // stale pointers into the returned pages no longer match
    --slab_count_;
    src_->free_pages(slab, slab_pages_);
  }
  return KERN_SUCCESS;
}

Zone* Zone::owner_of_page(const void* page) {
  const SlabHeader* h = static_cast<const SlabHeader*>(page);
  return h->magic == kSlabMagic ? h->zone : nullptr;
}

}  // namespace mk
