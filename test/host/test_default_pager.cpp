// The default pager's allocation map and page tables
// (pagers/default_pager/swap_map.h): allocation, free, exhaustion, reuse,
// large sparse objects, termination freeing every slot, no leaked memory.
#include <doctest/doctest.h>

#include <cstdlib>

#include "../../pagers/default_pager/swap_map.h"

namespace {
size_t g_live_bytes = 0;  // what dp::mem_alloc_zeroed handed out and is not freed
size_t g_fail_after = ~size_t(0);  // allocations left before one fails
}  // namespace

namespace dp {
void* mem_alloc_zeroed(size_t bytes) {
  if (g_fail_after == 0) return nullptr;
  --g_fail_after;
  g_live_bytes += bytes;
  return std::calloc(1, bytes);
}
void mem_free(void* p, size_t bytes) {
  g_live_bytes -= bytes;
  std::free(p);
}
}  // namespace dp

using dp::kNoSlot;
using dp::PageTable;
using dp::Slot;
using dp::Status;
using dp::SwapMap;

TEST_CASE("default pager: swap map allocates every slot once, then runs out") {
  {
    SwapMap m;
    REQUIRE(m.init(130) == Status::kOk);  // not a multiple of 64: the tail word
    CHECK(m.total() == 130);
    bool seen[130] = {};
    for (int i = 0; i < 130; ++i) {
      Slot s = kNoSlot;
      REQUIRE(m.allocate(&s) == Status::kOk);
      REQUIRE(s < 130);
      CHECK(!seen[s]);
      seen[s] = true;
      CHECK(m.allocated(s));
    }
    CHECK(m.used() == 130);
    CHECK(m.available() == 0);
    Slot s = 7;
    CHECK(m.allocate(&s) == Status::kNoSpace);
    CHECK(s == 7);  // untouched on failure
  }
  CHECK(g_live_bytes == 0);
}

TEST_CASE("default pager: freed slots are reused; bad frees change nothing") {
  SwapMap m;
  REQUIRE(m.init(64) == Status::kOk);
  Slot s;
  for (int i = 0; i < 64; ++i) REQUIRE(m.allocate(&s) == Status::kOk);
  CHECK(m.free(10));
  CHECK(m.free(63));
  CHECK_FALSE(m.free(10));  // twice
  CHECK_FALSE(m.free(64));  // out of range
  CHECK_FALSE(m.free(kNoSlot));
  CHECK(m.used() == 62);
  Slot a, b;
  REQUIRE(m.allocate(&a) == Status::kOk);
  REQUIRE(m.allocate(&b) == Status::kOk);
  CHECK(((a == 10 && b == 63) || (a == 63 && b == 10)));
  CHECK(m.allocate(&s) == Status::kNoSpace);
}

TEST_CASE("default pager: the hint puts pages on neighbouring slots") {
  SwapMap m;
  REQUIRE(m.init(1000) == Status::kOk);
  Slot s;
  REQUIRE(m.allocate(&s, 499) == Status::kOk);
  CHECK(s == 500);
  REQUIRE(m.allocate(&s, s) == Status::kOk);
  CHECK(s == 501);
  REQUIRE(m.allocate(&s, 999) == Status::kOk);  // wraps to the start
  CHECK(s == 0);
  CHECK(m.free(501));
  REQUIRE(m.allocate(&s, 500) == Status::kOk);
  CHECK(s == 501);
}

TEST_CASE("default pager: an empty map or no memory for the bitmap") {
  SwapMap m;
  REQUIRE(m.init(0) == Status::kOk);
  Slot s;
  CHECK(m.allocate(&s) == Status::kNoSpace);
  g_fail_after = 0;
  CHECK(m.init(100) == Status::kNoMemory);
  g_fail_after = ~size_t(0);
  CHECK(m.total() == 0);
}

TEST_CASE("default pager: page table of a 1 GiB object is sparse") {
  constexpr uint64_t kPages = (1ull << 30) / dp::kSlotSize;  // 262144
  {
    PageTable t;
    REQUIRE(t.init(kPages) == Status::kOk);
    size_t dir = g_live_bytes;
    CHECK(dir == (kPages / PageTable::kLeafEntries) * sizeof(void*));  // 2 KiB
    CHECK(t.lookup(0) == kNoSlot);
    CHECK(t.lookup(kPages - 1) == kNoSlot);
    CHECK(t.lookup(kPages) == kNoSlot);  // beyond: never stored
    REQUIRE(t.set(0, 0) == Status::kOk);  // slot 0 is a real slot
    REQUIRE(t.set(kPages - 1, 12345) == Status::kOk);
    REQUIRE(t.set(kPages / 2, 77) == Status::kOk);
    CHECK(t.set(kPages, 1) == Status::kInvalid);
    CHECK(t.lookup(0) == 0);
    CHECK(t.lookup(1) == kNoSlot);
    CHECK(t.lookup(kPages - 1) == 12345);
    CHECK(t.lookup(kPages / 2) == 77);
    CHECK(t.stored() == 3);
    CHECK(g_live_bytes == dir + 3 * PageTable::kLeafEntries * sizeof(uint32_t));  // three leaves
    REQUIRE(t.set(kPages / 2, 78) == Status::kOk);  // overwrite
    CHECK(t.stored() == 3);
    REQUIRE(t.set(kPages / 2, kNoSlot) == Status::kOk);
    CHECK(t.stored() == 2);
    REQUIRE(t.set(5000, kNoSlot) == Status::kOk);  // clearing an absent leaf makes none
    CHECK(g_live_bytes == dir + 3 * PageTable::kLeafEntries * sizeof(uint32_t));
    REQUIRE(t.set(3, dp::kLostSlot) == Status::kOk);  // lost: remembered, not a slot
    CHECK(t.lookup(3) == dp::kLostSlot);
    CHECK(t.stored() == 2);
    uint64_t n = 0, last = 0;
    t.for_each([&](uint64_t page, Slot s) {
      CHECK((n == 0 || page > last));
      CHECK(PageTable::is_slot(s));
      last = page;
      ++n;
    });
    CHECK(n == 2);
  }
  CHECK(g_live_bytes == 0);
  PageTable t;
  CHECK(t.init(0) == Status::kInvalid);
  CHECK(t.init((1ull << 40) + 1) == Status::kInvalid);
  g_fail_after = 1;  // the directory, then no leaf
  REQUIRE(t.init(4096) == Status::kOk);
  CHECK(t.set(0, 1) == Status::kNoMemory);
  g_fail_after = ~size_t(0);
  CHECK(t.lookup(0) == kNoSlot);
}

TEST_CASE("default pager: terminating objects frees all their slots") {
  SwapMap m;
  REQUIRE(m.init(600) == Status::kOk);
  PageTable a, b;
  REQUIRE(a.init(512) == Status::kOk);
  REQUIRE(b.init(1ull << 20) == Status::kOk);
  Slot s = kNoSlot;
  for (uint64_t p = 0; p < 512; ++p) {  // all of a
    REQUIRE(m.allocate(&s, s) == Status::kOk);
    REQUIRE(a.set(p, s) == Status::kOk);
  }
  for (uint64_t p = 0; p < 88; ++p) {  // b: sparse, far apart
    REQUIRE(m.allocate(&s, s) == Status::kOk);
    REQUIRE(b.set(p * 11903, s) == Status::kOk);
  }
  CHECK(m.available() == 0);
  CHECK(m.allocate(&s) == Status::kNoSpace);
  a.release(&m);
  CHECK(m.used() == 88);
  CHECK(a.pages() == 0);
  CHECK(a.lookup(0) == kNoSlot);
  // The slots a had are reused for b's next pages.
  for (uint64_t p = 0; p < 512; ++p) {
    REQUIRE(m.allocate(&s, s) == Status::kOk);
    REQUIRE(b.set(p * 2 + 1, s) == Status::kOk);
  }
  CHECK(m.allocate(&s) == Status::kNoSpace);
  b.release(&m);
  CHECK(m.used() == 0);
  m.release();
  CHECK(g_live_bytes == 0);
}
