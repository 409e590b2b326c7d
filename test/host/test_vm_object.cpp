// Memory objects and resident pages (vm_object.h, vm_page.h): reference
// counting, the page hash, shadow chains, collapse and eager copies.
#include <doctest/doctest.h>
#include <string.h>

#include <vector>

#include "vm_test_util.h"

using namespace vmt;

namespace {

// Fill a page with one byte value, and read the first byte back.
void tag(VmPage* page, uint8_t v) { memset(vm_page_address(page), v, P); }
uint8_t tag_of(const VmPage* page) { return *static_cast<const uint8_t*>(vm_page_address(page)); }
bool all_bytes(const VmPage* page, uint8_t v) {
  auto* b = static_cast<const uint8_t*>(vm_page_address(page));
  for (uint64_t i = 0; i < P; i++)
    if (b[i] != v) return false;
  return true;
}

VmPage* page_at(VmObject* o, uint64_t offset, uint8_t v) {
  VmPage* page = vm_page_alloc(o, offset);
  REQUIRE(page);
  tag(page, v);
  return page;
}

size_t list_size(const VmObject* o) {
  size_t n = 0;
  for (const VmPage& p : o->pages) {
    CHECK(p.object == o);
    n++;
  }
  return n;
}

}  // namespace

TEST_CASE("vm_object: allocate rounds the size, references count, the last deallocate frees") {
  VmFixture f;
  VmObject* o = vm_object_allocate(5000);
  REQUIRE(o);
  CHECK(o->size == 2 * P);
  CHECK(o->ref_count == 1);
  CHECK(o->shadow == nullptr);
  CHECK(o->resident_count == 0);
  CHECK(o->pages.empty());
  CHECK(g_vm_object_counts.objects == f.base.objects + 1);
  CHECK(host_vm::allocations_in_use() > f.base.allocations);

  vm_object_reference(o);
  vm_object_reference(o);
  CHECK(o->ref_count == 3);
  vm_object_deallocate(o);
  vm_object_deallocate(o);
  CHECK(o->ref_count == 1);  // still alive
  CHECK(g_vm_object_counts.objects == f.base.objects + 1);
  page_at(o, 0, 1);
  vm_object_deallocate(o);
  CHECK(g_vm_object_counts.objects == f.base.objects);
  CHECK(host_vm::allocations_in_use() == f.base.allocations);
  CHECK(host_vm::pages_in_use() == f.base.pages);
}

TEST_CASE("vm_page: alloc, lookup and free by (object, offset)") {
  VmFixture f;
  VmObject* a = vm_object_allocate(8 * P);
  VmObject* b = vm_object_allocate(8 * P);
  REQUIRE(a);
  REQUIRE(b);

  VmPage* a0 = page_at(a, 0, 0x10);
  VmPage* a3 = page_at(a, 3 * P, 0x13);
  VmPage* b0 = page_at(b, 0, 0x20);  // same offset, other object
  CHECK(a0 != b0);
  CHECK(a0->object == a);
  CHECK(a3->offset == 3 * P);
  CHECK(a0->phys != a3->phys);
  CHECK(a0->phys != b0->phys);
  CHECK(page_aligned(a0->phys));
  CHECK(vm_page_address(a0) == vm_env_page_address(a0->phys));
  CHECK(a->resident_count == 2);
  CHECK(list_size(a) == 2);
  CHECK(b->resident_count == 1);
  CHECK(g_vm_page_counts.active == f.base.active + 3);
  CHECK(host_vm::pages_in_use() == f.base.pages + 3);

  CHECK(vm_page_lookup(a, 0) == a0);
  CHECK(vm_page_lookup(a, 3 * P) == a3);
  CHECK(vm_page_lookup(b, 0) == b0);
  CHECK(vm_page_lookup(a, P) == nullptr);
  CHECK(vm_page_lookup(b, 3 * P) == nullptr);
  CHECK(tag_of(vm_page_lookup(a, 0)) == 0x10);
  CHECK(tag_of(vm_page_lookup(b, 0)) == 0x20);

  vm_page_free(a0);
  CHECK(vm_page_lookup(a, 0) == nullptr);
  CHECK(vm_page_lookup(a, 3 * P) == a3);
  CHECK(vm_page_lookup(b, 0) == b0);
  CHECK(a->resident_count == 1);
  CHECK(list_size(a) == 1);
  CHECK(g_vm_page_counts.active == f.base.active + 2);
  CHECK(host_vm::pages_in_use() == f.base.pages + 2);

  vm_object_deallocate(a);
  vm_object_deallocate(b);
}

TEST_CASE("vm_page: alloc_zero gives a zeroed page even when the memory was dirty") {
  VmFixture f;
  VmObject* o = vm_object_allocate(P);
  REQUIRE(o);
  // Dirty a few physical pages and give them back: the next grabs may reuse them.
  for (int i = 0; i < 4; i++) {
    VmPage* p = page_at(o, 0, 0xff);
    vm_page_free(p);
  }
  VmPage* z = vm_page_alloc_zero(o, 0);
  REQUIRE(z);
  CHECK(all_bytes(z, 0));
  CHECK(vm_page_lookup(o, 0) == z);
  vm_object_deallocate(o);
}

TEST_CASE("vm_page: many pages in many objects all found again") {
  VmFixture f;
  constexpr int kObjects = 7, kPages = 300;
  std::vector<VmObject*> objs;
  std::vector<std::vector<VmPage*>> pages(kObjects);
  for (int i = 0; i < kObjects; i++) {
    objs.push_back(vm_object_allocate(kPages * P));
    REQUIRE(objs.back());
    for (int k = 0; k < kPages; k++) pages[i].push_back(page_at(objs[i], uint64_t(k) * P, uint8_t(i * 31 + k)));
  }
  CHECK(host_vm::pages_in_use() == f.base.pages + kObjects * kPages);
  for (int i = 0; i < kObjects; i++)
    for (int k = 0; k < kPages; k++) {
      VmPage* p = vm_page_lookup(objs[i], uint64_t(k) * P);
      REQUIRE(p == pages[i][k]);
      CHECK(tag_of(p) == uint8_t(i * 31 + k));
    }
  // Free every other page, the rest stay reachable.
  for (int i = 0; i < kObjects; i++)
    for (int k = 0; k < kPages; k += 2) vm_page_free(pages[i][k]);
  for (int i = 0; i < kObjects; i++) {
    CHECK(objs[i]->resident_count == kPages / 2);
    for (int k = 0; k < kPages; k++) {
      VmPage* p = vm_page_lookup(objs[i], uint64_t(k) * P);
      if (k % 2 == 0)
        CHECK(p == nullptr);
      else
        CHECK(p == pages[i][k]);
    }
  }
  for (VmObject* o : objs) vm_object_deallocate(o);
}

TEST_CASE("vm_page: rename moves a page to another object and offset, contents and frame kept") {
  VmFixture f;
  VmObject* a = vm_object_allocate(4 * P);
  VmObject* b = vm_object_allocate(4 * P);
  VmPage* p = page_at(a, P, 0x5a);
  paddr_t phys = p->phys;
  vm_page_rename(p, b, 3 * P);
  CHECK(vm_page_lookup(a, P) == nullptr);
  CHECK(vm_page_lookup(b, 3 * P) == p);
  CHECK(p->object == b);
  CHECK(p->offset == 3 * P);
  CHECK(p->phys == phys);
  CHECK(all_bytes(p, 0x5a));
  CHECK(a->resident_count == 0);
  CHECK(a->pages.empty());
  CHECK(b->resident_count == 1);
  CHECK(list_size(b) == 1);
  CHECK(g_vm_page_counts.active == f.base.active + 1);
  // Within one object too.
  vm_page_rename(p, b, 0);
  CHECK(vm_page_lookup(b, 3 * P) == nullptr);
  CHECK(vm_page_lookup(b, 0) == p);
  vm_object_deallocate(a);
  CHECK(host_vm::pages_in_use() == f.base.pages + 1);  // a had nothing left to free
  vm_object_deallocate(b);
}

TEST_CASE("vm_object: deallocate frees every resident page") {
  VmFixture f;
  VmObject* o = vm_object_allocate(16 * P);
  for (uint64_t k = 0; k < 16; k += 3) page_at(o, k * P, uint8_t(k));
  CHECK(host_vm::pages_in_use() == f.base.pages + 6);
  CHECK(g_vm_page_counts.active == f.base.active + 6);
  vm_object_deallocate(o);
  CHECK(host_vm::pages_in_use() == f.base.pages);
  CHECK(g_vm_page_counts.active == f.base.active);
}

TEST_CASE("vm_object_shadow: the new object takes over the reference and looks through at the offset") {
  VmFixture f;
  VmObject* a = vm_object_allocate(4 * P);
  VmObject* o = a;
  uint64_t off = P;
  REQUIRE(vm_object_shadow(&o, &off, 2 * P) == KERN_SUCCESS);
  CHECK(o != a);
  CHECK(off == 0);
  CHECK(o->shadow == a);
  CHECK(o->shadow_offset == P);
  CHECK(o->size == 2 * P);
  CHECK(o->ref_count == 1);
  CHECK(a->ref_count == 1);  // the caller's reference moved into o
  CHECK(vm_object_chain_depth(o) == 2);
  CHECK(vm_object_chain_depth(a) == 1);
  CHECK(g_vm_object_counts.objects == f.base.objects + 2);
  vm_object_deallocate(o);  // frees both
  CHECK(g_vm_object_counts.objects == f.base.objects);
}

TEST_CASE("vm_object_page_find: through a chain, nearest page wins, offsets add up") {
  VmFixture f;
  VmObject* a = vm_object_allocate(8 * P);
  page_at(a, 0, 0xa0);
  VmPage* a1 = page_at(a, P, 0xa1);
  VmPage* a2 = page_at(a, 2 * P, 0xa2);
  VmPage* a3 = page_at(a, 3 * P, 0xa3);

  VmObject* s = a;  // s sees a from offset P
  uint64_t off = P;
  REQUIRE(vm_object_shadow(&s, &off, 4 * P) == KERN_SUCCESS);
  VmPage* s1 = page_at(s, P, 0xb1);  // overrides a's 2P

  VmObject* holder = reinterpret_cast<VmObject*>(1);
  CHECK(vm_object_page_find(s, 0, &holder) == a1);
  CHECK(holder == a);
  CHECK(vm_object_page_find(s, P, &holder) == s1);
  CHECK(holder == s);
  CHECK(vm_object_page_find(s, 2 * P, &holder) == a3);
  CHECK(holder == a);
  CHECK(vm_object_page_find(s, 3 * P, &holder) == nullptr);  // a has nothing at 4P
  CHECK(holder == nullptr);
  CHECK(vm_object_page_find(s, 0, nullptr) == a1);  // holder is optional

  VmObject* c = s;  // c sees s from offset P, so a from 2P
  off = P;
  REQUIRE(vm_object_shadow(&c, &off, 2 * P) == KERN_SUCCESS);
  CHECK(vm_object_chain_depth(c) == 3);
  CHECK(vm_object_page_find(c, 0, &holder) == s1);
  CHECK(holder == s);
  CHECK(vm_object_page_find(c, P, &holder) == a3);
  CHECK(holder == a);
  (void)a2;
  vm_object_deallocate(c);
}

TEST_CASE("vm_object_collapse: a backing object used only by its shadower merges into it") {
  VmFixture f;
  VmObject* a = vm_object_allocate(4 * P);
  VmPage* a0 = page_at(a, 0, 0xa0);      // below the window: garbage
  page_at(a, P, 0xa1);                   // overridden by s: garbage
  VmPage* a2 = page_at(a, 2 * P, 0xa2);  // visible: moves up to s at P
  page_at(a, 3 * P, 0xa3);               // beyond s's size: garbage
  (void)a0;
  VmObject* s = a;
  uint64_t off = P;
  REQUIRE(vm_object_shadow(&s, &off, 2 * P) == KERN_SUCCESS);
  VmPage* s0 = page_at(s, 0, 0xb0);
  CHECK(host_vm::pages_in_use() == f.base.pages + 5);
  uint64_t collapses = g_vm_object_counts.collapses;

  vm_object_collapse(s);
  CHECK(s->shadow == nullptr);
  CHECK(vm_object_chain_depth(s) == 1);
  CHECK(g_vm_object_counts.collapses == collapses + 1);
  CHECK(g_vm_object_counts.objects == f.base.objects + 1);
  CHECK(s->resident_count == 2);
  CHECK(list_size(s) == 2);
  CHECK(vm_page_lookup(s, 0) == s0);
  CHECK(all_bytes(s0, 0xb0));
  CHECK(vm_page_lookup(s, P) == a2);  // the same page, renamed
  CHECK(a2->object == s);
  CHECK(all_bytes(a2, 0xa2));
  CHECK(host_vm::pages_in_use() == f.base.pages + 2);
  CHECK(g_vm_page_counts.active == f.base.active + 2);
  vm_object_deallocate(s);
}

TEST_CASE("vm_object_collapse: runs down a chain of private objects, offsets added") {
  VmFixture f;
  VmObject* a = vm_object_allocate(8 * P);
  page_at(a, 2 * P, 0xa2);  // seen by c at 0
  page_at(a, 3 * P, 0xa3);  // overridden by b at 2P (c at P)
  page_at(a, 5 * P, 0xa5);  // seen by c at 3P
  VmObject* b = a;
  uint64_t off = P;
  REQUIRE(vm_object_shadow(&b, &off, 6 * P) == KERN_SUCCESS);
  page_at(b, 2 * P, 0xb2);
  VmObject* c = b;
  off = P;
  REQUIRE(vm_object_shadow(&c, &off, 4 * P) == KERN_SUCCESS);
  CHECK(vm_object_chain_depth(c) == 3);
  // What c sees before the collapse...
  uint8_t before[4];
  for (int k = 0; k < 4; k++) {
    VmPage* p = vm_object_page_find(c, uint64_t(k) * P, nullptr);
    before[k] = p ? tag_of(p) : 0;
  }
  CHECK(before[0] == 0xa2);
  CHECK(before[1] == 0xb2);
  CHECK(before[2] == 0);
  CHECK(before[3] == 0xa5);

  vm_object_collapse(c);
  // ...it sees after, with every page in c itself.
  CHECK(vm_object_chain_depth(c) == 1);
  for (int k = 0; k < 4; k++) {
    VmObject* holder = nullptr;
    VmPage* p = vm_object_page_find(c, uint64_t(k) * P, &holder);
    CHECK((p ? tag_of(p) : 0) == before[k]);
    if (p) CHECK(holder == c);
  }
  CHECK(c->resident_count == 3);
  CHECK(host_vm::pages_in_use() == f.base.pages + 3);
  CHECK(g_vm_object_counts.objects == f.base.objects + 1);
  vm_object_deallocate(c);
}

TEST_CASE("vm_object_collapse: stops at an object someone else also uses") {
  VmFixture f;
  VmObject* a = vm_object_allocate(4 * P);
  page_at(a, 0, 0xa0);
  VmObject* b = a;
  uint64_t off = 0;
  REQUIRE(vm_object_shadow(&b, &off, 4 * P) == KERN_SUCCESS);
  page_at(b, P, 0xb1);
  VmObject* c = b;
  off = 0;
  REQUIRE(vm_object_shadow(&c, &off, 4 * P) == KERN_SUCCESS);

  SUBCASE("the direct backing object has a second reference: nothing moves") {
    vm_object_reference(b);
    uint64_t collapses = g_vm_object_counts.collapses;
    vm_object_collapse(c);
    CHECK(c->shadow == b);
    CHECK(b->shadow == a);
    CHECK(vm_object_chain_depth(c) == 3);
    CHECK(c->resident_count == 0);
    CHECK(b->resident_count == 1);
    CHECK(a->resident_count == 1);
    CHECK(g_vm_object_counts.collapses == collapses);
    vm_object_deallocate(b);
  }
  SUBCASE("a deeper object has a second reference: collapse stops there") {
    vm_object_reference(a);
    vm_object_collapse(c);
    CHECK(c->shadow == a);
    CHECK(vm_object_chain_depth(c) == 2);
    CHECK(a->ref_count == 2);  // b's reference on a moved to c
    CHECK(vm_page_lookup(c, P) != nullptr);
    CHECK(a->resident_count == 1);
    VmObject* holder = nullptr;
    REQUIRE(vm_object_page_find(c, 0, &holder));
    CHECK(holder == a);
    vm_object_deallocate(a);
  }
  vm_object_deallocate(c);
}

TEST_CASE("vm_object_copy_slowly: a private copy of what is visible through the chain") {
  VmFixture f;
  VmObject* a = vm_object_allocate(4 * P);
  VmPage* a1 = page_at(a, P, 0xa1);
  page_at(a, 3 * P, 0xa3);
  VmObject* s = a;
  uint64_t off = 0;
  REQUIRE(vm_object_shadow(&s, &off, 4 * P) == KERN_SUCCESS);
  page_at(s, 3 * P, 0xb3);
  uint64_t copied = g_vm_object_counts.pages_copied;

  VmObject* copy = vm_object_copy_slowly(s, P, 3 * P);
  REQUIRE(copy);
  CHECK(copy->size == 3 * P);
  CHECK(copy->shadow == nullptr);
  CHECK(copy->ref_count == 1);
  VmPage* c0 = vm_object_page_find(copy, 0, nullptr);
  REQUIRE(c0);
  CHECK(c0 != a1);
  CHECK(c0->phys != a1->phys);
  CHECK(all_bytes(c0, 0xa1));
  VmPage* c1 = vm_object_page_find(copy, P, nullptr);
  if (c1) CHECK(all_bytes(c1, 0));  // nothing there: zeros
  VmPage* c2 = vm_object_page_find(copy, 2 * P, nullptr);
  REQUIRE(c2);
  CHECK(all_bytes(c2, 0xb3));  // s's page, not a's
  CHECK(g_vm_object_counts.pages_copied >= copied + 2);

  // Private: changes to the source are not seen.
  tag(a1, 0x77);
  CHECK(all_bytes(c0, 0xa1));
  vm_object_deallocate(s);
  CHECK(all_bytes(vm_object_page_find(copy, 0, nullptr), 0xa1));
  vm_object_deallocate(copy);
}

TEST_CASE("vm_object_copy_slowly: out of pages gives nullptr and leaks nothing") {
  VmFixture f;
  VmObject* a = vm_object_allocate(4 * P);
  for (uint64_t k = 0; k < 4; k++) page_at(a, k * P, uint8_t(k));
  Snapshot before = Snapshot::take();
  host_vm::fail_page_grabs_after(2);
  CHECK(vm_object_copy_slowly(a, 0, 4 * P) == nullptr);
  host_vm::fail_page_grabs_after(-1);
  check_same(before, Snapshot::take());
  for (uint64_t k = 0; k < 4; k++) CHECK(all_bytes(vm_page_lookup(a, k * P), uint8_t(k)));
  vm_object_deallocate(a);
}

TEST_CASE("vm_object_shadow: dropping the shadow drops only its own reference on the shadowed object") {
  VmFixture f;
  VmObject* a = vm_object_allocate(P);
  page_at(a, 0, 0x42);
  vm_object_reference(a);
  VmObject* o = a;
  uint64_t off = 0;
  REQUIRE(vm_object_shadow(&o, &off, P) == KERN_SUCCESS);
  vm_object_deallocate(o);  // the shadow goes, and drops its reference on a
  CHECK(a->ref_count == 1);
  CHECK(all_bytes(vm_page_lookup(a, 0), 0x42));
  vm_object_deallocate(a);
}

TEST_CASE("vm_object: a 10,000-deep shadow chain is found through and freed without recursion") {
  VmFixture f;
  constexpr int kDepth = 10000;
  VmObject* bottom = vm_object_allocate(P);
  REQUIRE(bottom);
  page_at(bottom, 0, 0x99);
  VmObject* o = bottom;
  for (int i = 0; i < kDepth; i++) {
    uint64_t off = 0;
    REQUIRE(vm_object_shadow(&o, &off, P) == KERN_SUCCESS);
    if (i % 1000 == 999) page_at(o, 0, uint8_t(i / 1000));  // some levels hold a page
  }
  CHECK(vm_object_chain_depth(o) == kDepth + 1);
  CHECK(g_vm_object_counts.objects == f.base.objects + kDepth + 1);
  VmObject* holder = nullptr;
  VmPage* p = vm_object_page_find(o, 0, &holder);
  REQUIRE(p);
  CHECK(holder == o);  // level 9999 holds one
  CHECK(tag_of(p) == 9);
  vm_object_deallocate(o);
  CHECK(g_vm_object_counts.objects == f.base.objects);
  CHECK(host_vm::pages_in_use() == f.base.pages);
}

TEST_CASE("vm_object: a 10,000-deep chain of private objects collapses into one") {
  VmFixture f;
  constexpr int kDepth = 10000;
  VmObject* o = vm_object_allocate(2 * P);
  page_at(o, 0, 0x01);
  for (int i = 0; i < kDepth; i++) {
    uint64_t off = 0;
    REQUIRE(vm_object_shadow(&o, &off, 2 * P) == KERN_SUCCESS);
    if (i == kDepth / 2) page_at(o, P, 0x02);
    if (i == kDepth - 1) page_at(o, 0, 0x03);  // overrides the bottom page
  }
  vm_object_collapse(o);
  CHECK(vm_object_chain_depth(o) == 1);
  CHECK(g_vm_object_counts.objects == f.base.objects + 1);
  CHECK(o->resident_count == 2);
  CHECK(tag_of(vm_page_lookup(o, 0)) == 0x03);
  CHECK(tag_of(vm_page_lookup(o, P)) == 0x02);
  CHECK(host_vm::pages_in_use() == f.base.pages + 2);
  vm_object_deallocate(o);
}
