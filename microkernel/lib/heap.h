// Heap: the general kernel heap (kmalloc) over a PageSource.
//
// Requests up to 1024 bytes come from size-class zones (16 ... 1024 bytes,
// 1-page slabs); larger ones get whole pages with a 64-byte header (magic,
// page count) at the start of the first page and the pointer just after it.
// free() tells the kinds apart by the magic at the start of the pointer's
// page. Every pointer is 16-byte aligned. alloc(0) returns a unique pointer
// (a 16-byte block) that must be freed like any other. Not locked: the caller
// serializes all calls.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <mach/kern_return.h>

#include "lib/page_source.h"
#include "lib/zone.h"

namespace mk {

class Heap {
 public:
  static constexpr size_t kClassCount = 7;
  static constexpr size_t kMaxSmall = 1024;
  static constexpr size_t kLargeHeaderBytes = 64;
  static constexpr size_t kAlignment = 16;

  constexpr Heap() = default;
  Heap(const Heap&) = delete;
  Heap& operator=(const Heap&) = delete;

  // KERN_INVALID_ARGUMENT for a null source.
  kern_return_t init(PageSource* src);

  // nullptr when out of memory (or size is too large to represent).
  void* alloc(size_t size);

  // free(nullptr) is KERN_SUCCESS. KERN_INVALID_ADDRESS: not a pointer this
  // heap handed out. KERN_INVALID_VALUE: already freed (always caught for
  // small blocks; for large ones only while the pages have not been reused).
  kern_return_t free(void* p);

  // Bytes in allocated blocks, counted at block size: the size class, or the
  // whole pages of a large block.
  size_t bytes_in_use() const { return bytes_in_use_; }
  size_t large_pages_in_use() const { return large_pages_in_use_; }

  static constexpr size_t class_size(size_t i) { return size_t(16) << i; }

 private:
  PageSource* src_ = nullptr;
  Zone classes_[kClassCount];
  size_t bytes_in_use_ = 0;
  size_t large_pages_in_use_ = 0;
};

}  // namespace mk
