#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "lib/heap.h"
#include "test_page_source.h"

using mk::Heap;

namespace {

struct Block {
  unsigned char* p;
  size_t size;
  unsigned char pattern;
};

}  // namespace

TEST_CASE("Heap: init and trivial calls") {
  constinit static Heap constant_initialized;  // usable as a kernel global
  CHECK(constant_initialized.alloc(16) == nullptr);
  CHECK(constant_initialized.free(nullptr) == KERN_SUCCESS);

  Heap h;
  CHECK(h.init(nullptr) == KERN_INVALID_ARGUMENT);
  TestPageSource src;
  REQUIRE(h.init(&src) == KERN_SUCCESS);
  CHECK(h.free(nullptr) == KERN_SUCCESS);
  void* a = h.alloc(0);
  void* b = h.alloc(0);
  REQUIRE((a && b));
  CHECK(a != b);  // size 0 gives unique pointers
  CHECK(h.bytes_in_use() == 32);
  CHECK(h.free(a) == KERN_SUCCESS);
  CHECK(h.free(b) == KERN_SUCCESS);
  CHECK(h.bytes_in_use() == 0);
  CHECK(src.in_use() == 0);
  CHECK(h.alloc(~size_t(0)) == nullptr);
  CHECK(h.alloc(~size_t(0) - 64) == nullptr);
}

TEST_CASE("Heap: size class boundaries, alignment, contents and full return") {
  TestPageSource src;
  Heap h;
  REQUIRE(h.init(&src) == KERN_SUCCESS);
  const size_t sizes[] = {1,   15,  16,  17,   31,   32,   33,   64,   65,    128,   129,   256,
                          257, 512, 513, 1023, 1024, 1025, 2000, 4032, 4033,  4096,  8192, 100000};
  std::vector<Block> blocks;
  unsigned char pattern = 1;
  for (int round = 0; round < 5; ++round) {
    for (size_t size : sizes) {
      CAPTURE(size);
      auto* p = static_cast<unsigned char*>(h.alloc(size));
      REQUIRE(p);
      CHECK(reinterpret_cast<uintptr_t>(p) % 16 == 0);
      std::memset(p, pattern, size);
      blocks.push_back({p, size, pattern});
      pattern = static_cast<unsigned char>(pattern * 7 + 3);
    }
  }
  for (const Block& b : blocks)
    for (size_t i = 0; i < b.size; ++i) REQUIRE(b.p[i] == b.pattern);  // nothing overlapped

  // Large blocks: header (64) plus data in whole pages.
  size_t large_pages = 0;
  for (size_t size : sizes)
    if (size > 1024) large_pages += (size + 64 + 4095) / 4096;
  CHECK(h.large_pages_in_use() == 5 * large_pages);
  CHECK(h.bytes_in_use() >= 5 * large_pages * 4096);

  // Free every other block first, then the rest.
  for (size_t i = 0; i < blocks.size(); i += 2) REQUIRE(h.free(blocks[i].p) == KERN_SUCCESS);
  for (size_t i = 1; i < blocks.size(); i += 2) {
    for (size_t k = 0; k < blocks[i].size; ++k) REQUIRE(blocks[i].p[k] == blocks[i].pattern);
    REQUIRE(h.free(blocks[i].p) == KERN_SUCCESS);
  }
  CHECK(h.bytes_in_use() == 0);
  CHECK(h.large_pages_in_use() == 0);
  CHECK(src.in_use() == 0);
}

TEST_CASE("Heap: block sizes per class") {
  TestPageSource src;
  Heap h;
  REQUIRE(h.init(&src) == KERN_SUCCESS);
  struct Case {
    size_t request, block;
  } cases[] = {{1, 16}, {16, 16}, {17, 32}, {1024, 1024}, {1025, 4096}, {4032, 4096}, {4033, 8192}, {100000, 25 * 4096}};
  for (const Case& c : cases) {
    CAPTURE(c.request);
    void* p = h.alloc(c.request);
    REQUIRE(p);
    CHECK(h.bytes_in_use() == c.block);
    CHECK(h.free(p) == KERN_SUCCESS);
    CHECK(h.bytes_in_use() == 0);
  }
}

TEST_CASE("Heap: bad and double frees") {
  TestPageSource src(~size_t(0), /*quarantine=*/true);
  Heap h;
  REQUIRE(h.init(&src) == KERN_SUCCESS);
  void* small = h.alloc(40);
  void* small2 = h.alloc(40);  // keeps the slab alive after small is freed
  void* large = h.alloc(10000);
  REQUIRE((small && small2 && large));
  CHECK(h.free(static_cast<char*>(small) + 8) == KERN_INVALID_ADDRESS);   // misaligned
  CHECK(h.free(static_cast<char*>(small) + 16) == KERN_INVALID_ADDRESS);  // inside a 64-byte element
  CHECK(h.free(static_cast<char*>(large) + 16) == KERN_INVALID_ADDRESS);
  alignas(4096) static unsigned char foreign[8192] = {};
  CHECK(h.free(foreign + 64) == KERN_INVALID_ADDRESS);
  CHECK(h.free(foreign + 4096 + 256) == KERN_INVALID_ADDRESS);

  // A zone element of a zone that is not one of the heap's classes.
  mk::Zone other;
  REQUIRE(other.init("other", 64, 16, &src, 1) == KERN_SUCCESS);
  void* o = other.alloc();
  REQUIRE(o);
  CHECK(h.free(o) == KERN_INVALID_ADDRESS);
  CHECK(other.free(o) == KERN_SUCCESS);

  // Another heap's large block.
  Heap h2;
  REQUIRE(h2.init(&src) == KERN_SUCCESS);
  void* l2 = h2.alloc(5000);
  CHECK(h.free(l2) == KERN_INVALID_ADDRESS);
  CHECK(h2.free(l2) == KERN_SUCCESS);

  size_t in_use = h.bytes_in_use();
  REQUIRE(h.free(small) == KERN_SUCCESS);
  CHECK(h.free(small) == KERN_INVALID_VALUE);
  REQUIRE(h.free(large) == KERN_SUCCESS);
  // The quarantining source keeps the pages readable: the freed marker shows.
  CHECK(h.free(large) == KERN_INVALID_VALUE);
  CHECK(h.bytes_in_use() == in_use - 64 - 3 * 4096);
  REQUIRE(h.free(small2) == KERN_SUCCESS);
  CHECK(h.bytes_in_use() == 0);
  CHECK(src.in_use() == 0);
}

TEST_CASE("Heap: exhaustion returns nullptr and everything comes back") {
  TestPageSource src(40);
  Heap h;
  REQUIRE(h.init(&src) == KERN_SUCCESS);
  std::vector<void*> v;
  size_t sizes[] = {16, 100, 700, 3000, 20000};
  for (int i = 0; i < 100000; ++i) {
    void* p = h.alloc(sizes[i % 5]);
    if (!p) {
      if (sizes[i % 5] < 4096) break;  // small classes exhausted: the source is full
      continue;
    }
    v.push_back(p);
  }
  CHECK(src.in_use() <= 40);
  CHECK(h.alloc(20000) == nullptr);
  for (void* p : v) REQUIRE(h.free(p) == KERN_SUCCESS);
  CHECK(src.in_use() == 0);
  CHECK(h.bytes_in_use() == 0);
}
