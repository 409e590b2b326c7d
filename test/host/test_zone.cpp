#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <set>
#include <vector>

#include "lib/zone.h"
#include "test_page_source.h"

namespace {

// What the kernel would panic about; the test binary records it instead.
struct CorruptionLog {
  int calls = 0;
  const char* zone = nullptr;
  void* p = nullptr;
  kern_return_t kr = KERN_SUCCESS;
} g_corruption;

}  // namespace

void mk::zone_corruption(const char* zone_name, void* p, kern_return_t kr) {
  ++g_corruption.calls;
  g_corruption.zone = zone_name;
  g_corruption.p = p;
  g_corruption.kr = kr;
}

using mk::Zone;

TEST_CASE("Zone: init validates its arguments") {
  constinit static Zone constant_initialized;  // usable as a kernel global
  CHECK(constant_initialized.alloc() == nullptr);
  CHECK(constant_initialized.free(&constant_initialized) == KERN_INVALID_ADDRESS);

  TestPageSource src;
  Zone z;
  CHECK(z.init("z", 0, 8, &src) == KERN_INVALID_ARGUMENT);
  CHECK(z.init("z", 8, 3, &src) == KERN_INVALID_ARGUMENT);
  CHECK(z.init("z", 8, 0, &src) == KERN_INVALID_ARGUMENT);
  CHECK(z.init("z", 8, 8192, &src) == KERN_INVALID_ARGUMENT);
  CHECK(z.init("z", 8, 8, nullptr) == KERN_INVALID_ARGUMENT);
  CHECK(z.init(nullptr, 8, 8, &src) == KERN_INVALID_ARGUMENT);
  CHECK(z.init("z", 1 << 20, 8, &src) == KERN_INVALID_ARGUMENT);  // no 64-page slab holds 4
  CHECK(z.init("z", 8, 8, &src, 3) == KERN_INVALID_ARGUMENT);      // slab pages not a power of two
  CHECK(z.init("z", 8192, 8, &src, 1) == KERN_INVALID_ARGUMENT);   // nothing fits
  REQUIRE(z.init("tiny", 1, 1, &src) == KERN_SUCCESS);
  CHECK(z.elem_size() == 8);
  CHECK(std::strcmp(z.name(), "tiny") == 0);
  CHECK(z.slab_pages() == 1);
  CHECK(z.elems_per_slab() > 400);
  REQUIRE(z.init("odd", 24, 16, &src) == KERN_SUCCESS);
  CHECK(z.elem_size() == 32);
}

TEST_CASE("Zone: every element is aligned, distinct and writable") {
  for (size_t align : {1, 8, 16, 64, 256, 4096}) {
    for (size_t size : {1, 7, 24, 100, 1000, 3000}) {
      CAPTURE(align);
      CAPTURE(size);
      TestPageSource src;
      Zone z;
      REQUIRE(z.init("aligned", size, align, &src) == KERN_SUCCESS);
      CHECK(z.elems_per_slab() >= 4);
      std::vector<unsigned char*> v;
      for (size_t i = 0; i < 3 * z.elems_per_slab() + 1; ++i) {
        auto* p = static_cast<unsigned char*>(z.alloc());
        REQUIRE(p);
        CHECK(reinterpret_cast<uintptr_t>(p) % align == 0);
        std::memset(p, int(i & 0xff), size);
        v.push_back(p);
      }
      CHECK(z.slab_count() == 4);
      CHECK(z.in_use() == v.size());
      for (size_t i = 0; i < v.size(); ++i)
        for (size_t k = 0; k < size; ++k) REQUIRE(v[i][k] == (i & 0xff));  // no overlap
      for (auto* p : v) REQUIRE(z.free(p) == KERN_SUCCESS);
      CHECK(z.in_use() == 0);
      CHECK(z.slab_count() == 0);
      CHECK(src.in_use() == 0);
    }
  }
}

TEST_CASE("Zone: large elements use multi-page slabs aligned to their size") {
  TestPageSource src;
  Zone z;
  REQUIRE(z.init("big", 4096, 8, &src) == KERN_SUCCESS);
  CHECK(z.slab_pages() == 8);  // 4 pages plus a header need 5: the next power of two
  CHECK(z.elems_per_slab() == 7);
  std::vector<void*> v;
  for (int i = 0; i < 15; ++i) {
    void* p = z.alloc();
    REQUIRE(p);
    std::memset(p, 0x5a, 4096);
    v.push_back(p);
  }
  CHECK(z.slab_count() == 3);
  CHECK(src.in_use() == 24);
  // An interior pointer of an element is not an element.
  CHECK(z.free(static_cast<char*>(v[3]) + 8) == KERN_INVALID_ADDRESS);
  for (void* p : v) REQUIRE(z.free(p) == KERN_SUCCESS);
  CHECK(src.in_use() == 0);

  Zone mid;
  REQUIRE(mid.init("mid", 1500, 8, &src) == KERN_SUCCESS);
  CHECK(mid.slab_pages() == 2);
}

TEST_CASE("Zone: exhaustion of the page source returns nullptr and recovers") {
  TestPageSource src(3);
  Zone z;
  REQUIRE(z.init("budget", 512, 16, &src) == KERN_SUCCESS);
  size_t per_slab = z.elems_per_slab();
  std::vector<void*> v;
  while (void* p = z.alloc()) v.push_back(p);
  CHECK(v.size() == 3 * per_slab);
  CHECK(z.alloc() == nullptr);  // stays out, no crash
  CHECK(z.slab_count() == 3);
  REQUIRE(z.free(v.back()) == KERN_SUCCESS);
  v.pop_back();
  void* again = z.alloc();  // the freed element is reused without a new slab
  CHECK(again != nullptr);
  v.push_back(again);
  for (void* p : v) REQUIRE(z.free(p) == KERN_SUCCESS);
  CHECK(src.in_use() == 0);
  CHECK(z.slab_count() == 0);
  void* back = z.alloc();  // memory is back
  CHECK(back != nullptr);
  CHECK(z.free(back) == KERN_SUCCESS);
}

TEST_CASE("Zone: double frees and foreign pointers are refused in O(1) without side effects") {
  TestPageSource src;
  Zone a, b;
  REQUIRE(a.init("a", 64, 8, &src) == KERN_SUCCESS);
  REQUIRE(b.init("b", 64, 8, &src) == KERN_SUCCESS);
  void* p = a.alloc();
  void* q = a.alloc();
  void* r = b.alloc();
  REQUIRE((p && q && r));

  CHECK(a.free(r) == KERN_INVALID_ADDRESS);  // another zone's element
  CHECK(b.free(p) == KERN_INVALID_ADDRESS);
  CHECK(a.free(static_cast<char*>(p) + 1) == KERN_INVALID_ADDRESS);  // misaligned within the slab
  CHECK(a.free(nullptr) == KERN_INVALID_ADDRESS);
  alignas(4096) static unsigned char not_a_slab[4096];
  CHECK(a.free(not_a_slab + 128) == KERN_INVALID_ADDRESS);  // no slab magic
  // The header area itself is not an element.
  CHECK(a.free(reinterpret_cast<void*>(reinterpret_cast<uintptr_t>(p) & ~uintptr_t(4095))) ==
        KERN_INVALID_ADDRESS);
  CHECK(a.in_use() == 2);

  REQUIRE(a.free(p) == KERN_SUCCESS);
  CHECK(a.free(p) == KERN_INVALID_VALUE);
  CHECK(a.validate(p) == KERN_INVALID_VALUE);
  CHECK(a.validate(q) == KERN_SUCCESS);
  CHECK(a.in_use() == 1);
  // The slab is still held by q, so the next allocation reuses p's slot.
  CHECK(a.alloc() == p);
  REQUIRE(a.free(p) == KERN_SUCCESS);
  REQUIRE(a.free(q) == KERN_SUCCESS);
  REQUIRE(b.free(r) == KERN_SUCCESS);
  CHECK(src.in_use() == 0);
}

TEST_CASE("Zone: owner_of_page finds the zone of a 1-page slab") {
  TestPageSource src;
  Zone z;
  REQUIRE(z.init("owner", 32, 16, &src, 1) == KERN_SUCCESS);
  void* p = z.alloc();
  REQUIRE(p);
  void* page = reinterpret_cast<void*>(reinterpret_cast<uintptr_t>(p) & ~uintptr_t(4095));
  CHECK(Zone::owner_of_page(page) == &z);
  alignas(4096) static unsigned char plain[4096] = {};
  CHECK(Zone::owner_of_page(plain) == nullptr);
  REQUIRE(z.free(p) == KERN_SUCCESS);
}

namespace {

struct Counted {
  static inline int constructed = 0;
  static inline int destroyed = 0;
  explicit Counted(int v, const char* t) : value(v), tag(t) { ++constructed; }
  ~Counted() { ++destroyed; }
  alignas(32) int value;
  const char* tag;
  char pad[50];
};

}  // namespace

TEST_CASE("TypedZone: constructs, destroys and reports corruption") {
  TestPageSource src(2);
  mk::TypedZone<Counted> zone;
  REQUIRE(zone.init("counted", &src) == KERN_SUCCESS);
  CHECK(zone.zone().elem_size() % 32 == 0);
  Counted::constructed = Counted::destroyed = 0;

  std::vector<Counted*> v;
  while (Counted* c = zone.create(int(v.size()), "t")) {
    CHECK(reinterpret_cast<uintptr_t>(c) % 32 == 0);
    v.push_back(c);
  }
  CHECK(v.size() == 2 * zone.zone().elems_per_slab());
  CHECK(Counted::constructed == int(v.size()));  // no constructor ran for the failed create
  for (size_t i = 0; i < v.size(); ++i) CHECK(v[i]->value == int(i));
  CHECK(zone.in_use() == v.size());

  g_corruption = {};
  for (Counted* c : v) zone.destroy(c);
  CHECK(Counted::destroyed == int(v.size()));
  CHECK(g_corruption.calls == 0);
  CHECK(src.in_use() == 0);

  // Destroying twice: reported, and the destructor does not run again. keep
  // holds the slab so the stale pointer still points into live memory.
  Counted* keep = zone.create(7, "keep");
  Counted* stale = zone.create(8, "stale");
  REQUIRE((keep && stale));
  zone.destroy(stale);
  int destroyed = Counted::destroyed;
  zone.destroy(stale);
  CHECK(g_corruption.calls == 1);
  CHECK(g_corruption.kr == KERN_INVALID_VALUE);
  CHECK(g_corruption.p == stale);
  CHECK(std::strcmp(g_corruption.zone, "counted") == 0);
  CHECK(Counted::destroyed == destroyed);
  zone.destroy(nullptr);
  CHECK(g_corruption.calls == 1);
  zone.destroy(keep);
  CHECK(src.in_use() == 0);
}
