// Zone: a fixed-size object allocator (Mach's zalloc, a slab allocator).
//
// A slab is 1 page when at least 4 elements fit after its header, else the
// smallest power-of-two number of pages (at most kMaxSlabPages) that holds 4.
// Slabs are aligned to their size, so free() finds the slab header by masking
// the pointer; the header (magic, owning zone, allocation bitmap, free count,
// list link) makes a foreign pointer or a double free an O(1) check. A slab
// that becomes empty goes back to the PageSource at once. Element memory is
// not cleared. Not locked: the caller serializes all calls on one zone.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <new>
#include <utility>

#include <mach/kern_return.h>

#include "lib/page_source.h"

namespace mk {

// Called by TypedZone::destroy when a pointer is refused (double free, foreign
// pointer): the kernel panics, host tests record the call.
void zone_corruption(const char* zone_name, void* p, kern_return_t kr);

class Zone {
 public:
  static constexpr size_t kMaxSlabPages = 64;
  static constexpr size_t kMinPerSlab = 4;

  // Link in the list of slabs that have a free element (Boost.Intrusive
  // circular list algorithms; a plain struct so a Zone can be constinit).
  struct Link {
    Link* next;
    Link* prev;
  };

  constexpr Zone() = default;
  Zone(const Zone&) = delete;  // slabs point back at their zone
  Zone& operator=(const Zone&) = delete;

  // elem_size >= 1 (rounded up to align and to at least 8), align a power of
  // two <= 4096. slab_pages 0 picks the size as described above; otherwise a
  // power of two <= kMaxSlabPages that holds at least one element (the heap
  // asks for 1-page slabs). KERN_INVALID_ARGUMENT otherwise.
  kern_return_t init(const char* name, size_t elem_size, size_t align, PageSource* src, size_t slab_pages = 0);

  // nullptr when the page source is out of memory.
  void* alloc();
  // KERN_INVALID_ADDRESS: not an element of this zone. KERN_INVALID_VALUE:
  // the element is already free. Nothing changes on error.
  kern_return_t free(void* p);
  // The checks free() makes, without freeing.
  kern_return_t validate(const void* p) const;

  // The zone whose slab starts at `page`, or nullptr: lets an owner of zones
  // with 1-page slabs route a pointer to its zone.
  static Zone* owner_of_page(const void* page);

  size_t in_use() const { return in_use_; }
  size_t slab_count() const { return slab_count_; }
  size_t elem_size() const { return elem_size_; }
  size_t elems_per_slab() const { return capacity_; }
  size_t slab_pages() const { return slab_pages_; }
  const char* name() const { return name_; }

 private:
  struct SlabHeader;
  kern_return_t locate(const void* p, SlabHeader** slab, size_t* index) const;

  const char* name_ = "";
  PageSource* src_ = nullptr;
  size_t elem_size_ = 0;
  size_t slab_pages_ = 0;
  size_t slab_bytes_ = 0;
  size_t header_bytes_ = 0;  // elements start here in every slab
  size_t capacity_ = 0;      // elements per slab
  size_t in_use_ = 0;
  size_t slab_count_ = 0;
  Link partial_{nullptr, nullptr};  // list head: slabs with a free element
};

// A Zone of T that constructs and destroys its objects.
template <class T>
class TypedZone {
 public:
  constexpr TypedZone() = default;

  kern_return_t init(const char* name, PageSource* src) { return zone_.init(name, sizeof(T), alignof(T), src); }

  // nullptr when out of memory.
  template <class... A>
  T* create(A&&... args) {
    void* p = zone_.alloc();
    if (!p) return nullptr;
    return new (p) T(std::forward<A>(args)...);
  }

  // Runs the destructor and frees; a pointer the zone refuses goes to
  // zone_corruption() before the destructor could touch it. nullptr is ignored.
  void destroy(T* p) {
    if (!p) return;
    kern_return_t kr = zone_.validate(p);
    if (kr != KERN_SUCCESS) {
      zone_corruption(zone_.name(), p, kr);
      return;
    }
    p->~T();
    kr = zone_.free(p);
    if (kr != KERN_SUCCESS) zone_corruption(zone_.name(), p, kr);
  }

  const Zone& zone() const { return zone_; }
  size_t in_use() const { return zone_.in_use(); }

 private:
  Zone zone_;
};

}  // namespace mk
