#include <doctest/doctest.h>

#include <cstdint>
#include <set>
#include <vector>

#include "lib/page_allocator.h"

using mk::kPageSize;
using mk::paddr_t;
using mk::PageAllocator;

namespace {

constexpr paddr_t kMiB = 1024 * 1024;

// An allocator over [0, limit) with its own storage.
struct Fixture {
  explicit Fixture(paddr_t limit) : storage(PageAllocator::bitmap_bytes(limit) / 8 + 1) {
    REQUIRE(pa.init(storage.data(), storage.size() * 8, limit) == KERN_SUCCESS);
  }
  std::vector<uint64_t> storage;
  PageAllocator pa;
};

}  // namespace

TEST_CASE("PageAllocator: init checks its storage and limit") {
  constinit static PageAllocator constant_initialized;  // usable as a kernel global
  CHECK(constant_initialized.free_pages() == 0);

  CHECK(PageAllocator::bitmap_bytes(0) == 0);
  CHECK(PageAllocator::bitmap_bytes(kPageSize) == 16);
  CHECK(PageAllocator::bitmap_bytes(64 * kPageSize) == 16);
  CHECK(PageAllocator::bitmap_bytes(65 * kPageSize) == 32);
  CHECK(PageAllocator::bitmap_bytes(4ull << 30) == 2 * (1 << 20) / 64 * 8);

  uint64_t storage[64];
  PageAllocator pa;
  CHECK(pa.init(storage, sizeof storage, 1 * kMiB + 1) == KERN_INVALID_ARGUMENT);  // limit not aligned
  CHECK(pa.init(storage, 15, kPageSize) == KERN_INVALID_ARGUMENT);                 // too small
  CHECK(pa.init(reinterpret_cast<char*>(storage) + 4, 256, kPageSize) == KERN_INVALID_ARGUMENT);
  CHECK(pa.init(nullptr, 256, kPageSize) == KERN_INVALID_ARGUMENT);
  CHECK(pa.init(storage, sizeof storage, 32 * 64 * kPageSize + kPageSize) == KERN_INVALID_ARGUMENT);
  REQUIRE(pa.init(storage, sizeof storage, 32 * 64 * kPageSize) == KERN_SUCCESS);
  CHECK(pa.free_pages() == 0);
  CHECK(pa.managed_pages() == 0);
  CHECK(pa.limit() == 32 * 64 * kPageSize);
  paddr_t p;
  CHECK(pa.alloc(&p) == KERN_RESOURCE_SHORTAGE);
}

TEST_CASE("PageAllocator: ranges round inward on add, outward on reserve, clip to the limit") {
  Fixture f(4 * kMiB);
  PageAllocator& pa = f.pa;
  pa.add_free_range(0x1800, 0x3000);  // [0x1800, 0x4800) holds pages 0x2000 and 0x3000
  CHECK(pa.free_pages() == 2);
  CHECK(pa.is_free(0x2000));
  CHECK(pa.is_free(0x3000));
  CHECK(!pa.is_free(0x1000));
  CHECK(!pa.is_free(0x4000));
  pa.add_free_range(0x1800, 0x3000);  // idempotent
  CHECK(pa.free_pages() == 2);
  CHECK(pa.managed_pages() == 2);
  pa.add_free_range(0x10000, 0x800);  // less than a page: nothing
  CHECK(pa.managed_pages() == 2);
  pa.add_free_range(3 * kMiB, 100 * kMiB);  // clipped at 4 MiB
  CHECK(pa.managed_pages() == 2 + 256);
  pa.add_free_range(~uint64_t(0) - 10, 100);  // wraps: nothing, no crash
  pa.add_free_range(16 * kMiB, 1 * kMiB);     // beyond the limit
  CHECK(pa.managed_pages() == 258);

  pa.reserve_range(0x2fff, 2);  // touches pages 0x2000 and 0x3000
  CHECK(!pa.is_free(0x2000));
  CHECK(!pa.is_free(0x3000));
  CHECK(pa.free_pages() == 256);
  CHECK(pa.managed_pages() == 258);
  pa.reserve_range(0x2000, 0x1000);  // already reserved: no double count
  CHECK(pa.free_pages() == 256);
  pa.reserve_range(3 * kMiB + 0x10, 0);  // empty
  CHECK(pa.free_pages() == 256);
  pa.reserve_range(4 * kMiB - 1, ~uint64_t(0));  // saturates, clips
  CHECK(pa.free_pages() == 255);
  // A reserved, managed page can be freed later (boot data after boot).
  CHECK(pa.free(0x2000) == KERN_SUCCESS);
  CHECK(pa.free_pages() == 256);
}

TEST_CASE("PageAllocator: allocates every free page exactly once, then frees them all") {
  Fixture f(8 * kMiB);
  PageAllocator& pa = f.pa;
  pa.add_free_range(0x1000, 3 * kMiB);
  pa.add_free_range(5 * kMiB, 3 * kMiB);
  pa.reserve_range(1 * kMiB, 512 * 1024);  // the "kernel image"
  size_t start = pa.free_pages();
  CHECK(start == (3 * kMiB / kPageSize) - 128 + 3 * kMiB / kPageSize);

  std::set<paddr_t> got;
  paddr_t p;
  while (pa.alloc(&p) == KERN_SUCCESS) {
    CHECK(p % kPageSize == 0);
    CHECK(!(p >= 1 * kMiB && p < 1 * kMiB + 512 * 1024));
    CHECK(!(p >= 0x1000 + 3 * kMiB && p < 5 * kMiB));
    CHECK(p != 0);
    CHECK(got.insert(p).second);
  }
  CHECK(got.size() == start);
  CHECK(pa.free_pages() == 0);
  CHECK(pa.alloc(&p) == KERN_RESOURCE_SHORTAGE);
  for (paddr_t a : got) REQUIRE(pa.free(a) == KERN_SUCCESS);
  CHECK(pa.free_pages() == start);
}

TEST_CASE("PageAllocator: next-fit rotates through memory") {
  Fixture f(1 * kMiB);
  f.pa.add_free_range(0, 1 * kMiB);
  paddr_t a, b, c;
  REQUIRE(f.pa.alloc(&a) == KERN_SUCCESS);
  REQUIRE(f.pa.free(a) == KERN_SUCCESS);
  REQUIRE(f.pa.alloc(&b) == KERN_SUCCESS);
  CHECK(b == a);  // the hint stays on a word that still has free pages
  REQUIRE(f.pa.alloc_contiguous(64, 64, &c) == KERN_SUCCESS);
  REQUIRE(f.pa.free(b) == KERN_SUCCESS);
  REQUIRE(f.pa.alloc(&b) == KERN_SUCCESS);
  CHECK(b > c);  // after a contiguous run, allocation continues past it
}

TEST_CASE("PageAllocator: bad frees are refused without side effects") {
  Fixture f(2 * kMiB);
  PageAllocator& pa = f.pa;
  pa.add_free_range(0, 1 * kMiB);
  paddr_t p;
  REQUIRE(pa.alloc(&p) == KERN_SUCCESS);
  size_t before = pa.free_pages();
  CHECK(pa.free(p + 8) == KERN_INVALID_ADDRESS);         // misaligned
  CHECK(pa.free(1 * kMiB) == KERN_INVALID_ADDRESS);      // never managed
  CHECK(pa.free(2 * kMiB) == KERN_INVALID_ADDRESS);      // at the limit
  CHECK(pa.free(~paddr_t(0) & ~(kPageSize - 1)) == KERN_INVALID_ADDRESS);
  CHECK(pa.free_contiguous(1 * kMiB - kPageSize, 2) == KERN_INVALID_ADDRESS);  // runs into unmanaged
  CHECK(pa.free_contiguous(2 * kMiB - kPageSize, ~size_t(0)) == KERN_INVALID_ADDRESS);
  CHECK(pa.free_contiguous(p, 0) == KERN_INVALID_ARGUMENT);
  CHECK(pa.free_pages() == before);

  REQUIRE(pa.free(p) == KERN_SUCCESS);
  CHECK(pa.free(p) == KERN_INVALID_VALUE);  // double free
  CHECK(pa.free_pages() == before + 1);

  // A run with one page already free: nothing in it is freed.
  paddr_t run;
  REQUIRE(pa.alloc_contiguous(4, 1, &run) == KERN_SUCCESS);
  REQUIRE(pa.free(run + 2 * kPageSize) == KERN_SUCCESS);
  size_t mid = pa.free_pages();
  CHECK(pa.free_contiguous(run, 4) == KERN_INVALID_VALUE);
  CHECK(pa.free_pages() == mid);
  CHECK(!pa.is_free(run));
  CHECK(pa.free_contiguous(run, 2) == KERN_SUCCESS);
  CHECK(pa.free(run + 3 * kPageSize) == KERN_SUCCESS);
  CHECK(pa.free_pages() == before + 1);
}

TEST_CASE("PageAllocator: contiguous runs honour alignment and the below bound") {
  Fixture f(64 * kMiB);
  PageAllocator& pa = f.pa;
  pa.add_free_range(0x3000, 64 * kMiB);
  paddr_t p;
  CHECK(pa.alloc_contiguous(1, 1, &p, 0x3000) == KERN_RESOURCE_SHORTAGE);  // pages 0-2 unmanaged
  CHECK(pa.alloc_contiguous(1, 1, &p, 0) == KERN_RESOURCE_SHORTAGE);
  REQUIRE(pa.alloc_contiguous(1, 1, &p, 0x4fff) == KERN_SUCCESS);  // only page 0x3000 ends below
  CHECK(p == 0x3000);
  CHECK(pa.alloc_contiguous(1, 1, &p, 0x5000) == KERN_SUCCESS);
  CHECK(p == 0x4000);
  CHECK(pa.alloc_contiguous(2, 1, &p, 0x6fff) == KERN_RESOURCE_SHORTAGE);
  CHECK(pa.alloc_contiguous(0, 1, &p) == KERN_INVALID_ARGUMENT);
  CHECK(pa.alloc_contiguous(1, 0, &p) == KERN_INVALID_ARGUMENT);
  CHECK(pa.alloc_contiguous(1, 3, &p) == KERN_INVALID_ARGUMENT);

  for (size_t align : {1, 2, 16, 512}) {
    CAPTURE(align);
    REQUIRE(pa.alloc_contiguous(5, align, &p) == KERN_SUCCESS);
    CHECK(p % (align * kPageSize) == 0);
    for (size_t i = 0; i < 5; ++i) CHECK(!pa.is_free(p + i * kPageSize));
  }
  // Below 16 MiB (ISA DMA style): the whole run ends at or below the bound.
  for (int i = 0; i < 20; ++i) {
    REQUIRE(pa.alloc_contiguous(3, 1, &p, 16 * kMiB) == KERN_SUCCESS);
    CHECK(p + 3 * kPageSize <= 16 * kMiB);
  }
  CHECK(pa.alloc_contiguous(64 * kMiB / kPageSize, 1, &p) == KERN_RESOURCE_SHORTAGE);
}

TEST_CASE("PageAllocator: fragmentation leaves single pages but no runs") {
  Fixture f(1 * kMiB);
  PageAllocator& pa = f.pa;
  pa.add_free_range(0, 1 * kMiB);
  std::vector<paddr_t> pages;
  paddr_t p;
  while (pa.alloc(&p) == KERN_SUCCESS) pages.push_back(p);
  REQUIRE(pages.size() == 256);
  for (paddr_t a : pages)
    if ((a / kPageSize) % 2 == 0) REQUIRE(pa.free(a) == KERN_SUCCESS);
  CHECK(pa.free_pages() == 128);
  CHECK(pa.alloc_contiguous(2, 1, &p) == KERN_RESOURCE_SHORTAGE);
  REQUIRE(pa.alloc_contiguous(1, 1, &p) == KERN_SUCCESS);
  CHECK((p / kPageSize) % 2 == 0);
  REQUIRE(pa.free(p) == KERN_SUCCESS);
  // Freeing one odd page joins its neighbours into the only 3-page run.
  REQUIRE(pa.free(101 * kPageSize) == KERN_SUCCESS);
  CHECK(pa.alloc_contiguous(4, 1, &p) == KERN_RESOURCE_SHORTAGE);
  CHECK(pa.alloc_contiguous(2, 4, &p, 100 * kPageSize) == KERN_RESOURCE_SHORTAGE);
  REQUIRE(pa.alloc_contiguous(3, 1, &p) == KERN_SUCCESS);
  CHECK(p == 100 * kPageSize);
  CHECK(pa.alloc_contiguous(2, 1, &p) == KERN_RESOURCE_SHORTAGE);
}
