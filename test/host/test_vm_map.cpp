// Address maps (vm_map.h): allocation, lookup, clipping and coalescing,
// protection, inheritance, removal, region reports, entering objects and
// teardown. Wiring and fork failures: test_vm_wire.cpp.
#include <doctest/doctest.h>

#include <vector>

#include "vm_test_util.h"

using namespace vmt;

namespace {

constexpr uint64_t A = 0x40000000;  // a base well inside the map

}  // namespace

TEST_CASE("vm_map_create: bounds page-rounded inward, empty, deallocate frees it") {
  VmFixture f;
  Pmap* pmap = pmap_create();
  REQUIRE(pmap);
  VmMap* m = vm_map_create(pmap, kMin + 1, kMax - 1);
  REQUIRE(m);
  CHECK(m->min_address == kMin + P);
  CHECK(m->max_address == kMax - P);
  CHECK(m->pmap == pmap);
  CHECK(m->ref_count == 1);
  CHECK(m->size == 0);
  CHECK(m->entries.empty());
  CHECK(vm_map_lookup_entry(m, kMin + P) == nullptr);
  CHECK(vm_map_first_entry_after(m, 0) == nullptr);
  vm_map_deallocate(m);
  CHECK(host_vm::allocations_in_use() == f.base.allocations);
}

TEST_CASE("vm_map_reference: the map lives until the last reference goes") {
  VmFixture f;
  Pmap* pmap = pmap_create();
  VmMap* m = vm_map_create(pmap, kMin, kMax);
  REQUIRE(m);
  uint64_t addr = A;
  REQUIRE(vm_map_allocate(m, &addr, 2 * P, false) == KERN_SUCCESS);
  stamp(m, A, 2, 1);
  vm_map_reference(m);
  CHECK(m->ref_count == 2);
  vm_map_deallocate(m);
  CHECK(m->ref_count == 1);
  CHECK(byte_at(m, A + P) == 2);  // still usable
  CHECK(g_vm_map_entry_count == f.base.entries + 1);
  vm_map_deallocate(m);
  CHECK(g_vm_map_entry_count == f.base.entries);
  CHECK(host_vm::pages_in_use() == f.base.pages);
}

TEST_CASE("vm_map_allocate anywhere: lowest free address, sizes rounded up") {
  VmFixture f;
  VmMap* m = f.map();
  uint64_t a = 0;
  REQUIRE(vm_map_allocate(m, &a, 1, true) == KERN_SUCCESS);
  CHECK(a == kMin);
  CHECK(m->size == P);
  VmMapEntry* e = vm_map_lookup_entry(m, a);
  REQUIRE(e);
  CHECK(e->start == kMin);
  CHECK(e->end == kMin + P);
  CHECK(e->protection == VM_PROT_DEFAULT);
  CHECK(e->max_protection == VM_PROT_ALL);
  CHECK(e->inheritance == VM_INHERIT_COPY);
  CHECK(e->object == nullptr);  // created at the first fault
  CHECK(e->wired_count == 0);

  uint64_t b = 0;
  REQUIRE(vm_map_allocate(m, &b, 2 * P + 1, true) == KERN_SUCCESS);
  CHECK(b == kMin + P);
  CHECK(m->size == 4 * P);
  // Two untouched zero-fill neighbours with the same attributes are one entry.
  CHECK(entry_count(m) == 1);
  CHECK(vm_map_lookup_entry(m, kMin)->end == kMin + 4 * P);
  check_map(m);

  SUBCASE("a hint: the lowest free page-aligned address at or above it") {
    alloc_fixed(m, A + 10 * P, 2 * P);
    uint64_t c = A + 9 * P;
    REQUIRE(vm_map_allocate(m, &c, 3 * P, true) == KERN_SUCCESS);
    CHECK(c == A + 12 * P);  // the page below the fixed region is too small
    uint64_t d = A + 9 * P;
    REQUIRE(vm_map_allocate(m, &d, P, true) == KERN_SUCCESS);
    CHECK(d == A + 9 * P);  // that one fits
    uint64_t g = A + 20 * P + 5;
    REQUIRE(vm_map_allocate(m, &g, P, true) == KERN_SUCCESS);
    CHECK(g == A + 21 * P);
  }
  SUBCASE("a hole that fits exactly is taken, a smaller one skipped") {
    alloc_fixed(m, kMin + 6 * P, P);   // hole [4P, 6P)
    alloc_fixed(m, kMin + 8 * P, P);   // hole [7P, 8P)
    uint64_t c = 0;
    REQUIRE(vm_map_allocate(m, &c, 2 * P, true) == KERN_SUCCESS);
    CHECK(c == kMin + 4 * P);
    uint64_t d = 0;
    REQUIRE(vm_map_allocate(m, &d, 2 * P, true) == KERN_SUCCESS);
    CHECK(d == kMin + 9 * P);
    uint64_t g = 0;
    REQUIRE(vm_map_allocate(m, &g, P, true) == KERN_SUCCESS);
    CHECK(g == kMin + 7 * P);
  }
  check_map(m);
}

TEST_CASE("vm_map_allocate anywhere: KERN_NO_SPACE when nothing fits") {
  VmFixture f;
  VmMap* m = f.map(kMin, kMin + 4 * P);
  uint64_t a = 0;
  CHECK(vm_map_allocate(m, &a, 5 * P, true) == KERN_NO_SPACE);
  CHECK(entry_count(m) == 0);
  REQUIRE(vm_map_allocate(m, &a, 3 * P, true) == KERN_SUCCESS);
  CHECK(a == kMin);
  uint64_t b = 0;
  CHECK(vm_map_allocate(m, &b, 2 * P, true) == KERN_NO_SPACE);
  REQUIRE(vm_map_allocate(m, &b, P, true) == KERN_SUCCESS);
  CHECK(b == kMin + 3 * P);
  uint64_t c = 0;
  CHECK(vm_map_allocate(m, &c, 1, true) == KERN_NO_SPACE);
  uint64_t d = 0;
  CHECK(vm_map_allocate(m, &d, ~uint64_t(0) - 10, true) != KERN_SUCCESS);  // rounds past 2^64
  CHECK(m->size == 4 * P);
  check_map(m);
}

TEST_CASE("vm_map_allocate fixed: start rounded down, overlaps refused, bounds checked") {
  VmFixture f;
  VmMap* m = f.map();
  uint64_t a = A + 3 * P + 0x123;
  REQUIRE(vm_map_allocate(m, &a, 0x10, false) == KERN_SUCCESS);
  CHECK(a == A + 3 * P);
  VmMapEntry* e = vm_map_lookup_entry(m, A + 3 * P);
  REQUIRE(e);
  CHECK(e->start == A + 3 * P);
  CHECK(e->end == A + 4 * P);

  uint64_t b = A + 10 * P + 0x123;
  REQUIRE(vm_map_allocate(m, &b, P + 1, false) == KERN_SUCCESS);  // two pages
  CHECK(b == A + 10 * P);
  CHECK(vm_map_lookup_entry(m, A + 11 * P) != nullptr);
  CHECK(vm_map_lookup_entry(m, A + 12 * P) == nullptr);
  size_t n = entry_count(m);
  uint64_t size = m->size;

  // [A+3P, A+4P) and [A+10P, A+12P) are taken.
  for (auto [start, len] : std::vector<std::pair<uint64_t, uint64_t>>{
           {A + 3 * P, P},           // same
           {A + 2 * P, 2 * P},       // over the start
           {A + 3 * P + 5, 1},       // inside
           {A + 11 * P, 4 * P},      // over the end
           {A, 20 * P},              // around both
           {A + 9 * P, 2 * P}}) {    // up to the second
    INFO("range ", start, " + ", len);
    uint64_t x = start;
    CHECK(vm_map_allocate(m, &x, len, false) == KERN_NO_SPACE);
  }
  CHECK(entry_count(m) == n);
  CHECK(m->size == size);

  // Right next to both is fine.
  alloc_fixed(m, A + 2 * P, P);
  alloc_fixed(m, A + 12 * P, P);

  uint64_t x = kMin - P;
  CHECK(vm_map_allocate(m, &x, P, false) == KERN_INVALID_ADDRESS);
  x = kMin - P;
  CHECK(vm_map_allocate(m, &x, 3 * P, false) == KERN_INVALID_ADDRESS);  // starts below min
  x = kMax - P;
  CHECK(vm_map_allocate(m, &x, 2 * P, false) == KERN_INVALID_ADDRESS);  // ends above max
  x = kMax;
  CHECK(vm_map_allocate(m, &x, P, false) == KERN_INVALID_ADDRESS);
  x = ~uint64_t(0) - P + 1;
  CHECK(vm_map_allocate(m, &x, 4 * P, false) == KERN_INVALID_ADDRESS);  // wraps
  x = kMax - P;
  REQUIRE(vm_map_allocate(m, &x, P, false) == KERN_SUCCESS);  // the last page
  x = kMin;
  REQUIRE(vm_map_allocate(m, &x, P, false) == KERN_SUCCESS);  // the first page
  check_map(m);
}

TEST_CASE("vm_map_lookup_entry and vm_map_first_entry_after") {
  VmFixture f;
  VmMap* m = f.map();
  alloc_fixed(m, A, 2 * P);
  alloc_fixed(m, A + 5 * P, P);
  VmMapEntry* e1 = vm_map_lookup_entry(m, A);
  VmMapEntry* e2 = vm_map_lookup_entry(m, A + 5 * P);
  REQUIRE(e1);
  REQUIRE(e2);
  CHECK(e1 != e2);
  CHECK(e1->start == A);
  CHECK(e1->end == A + 2 * P);
  CHECK(e2->start == A + 5 * P);

  CHECK(vm_map_lookup_entry(m, A + 2 * P - 1) == e1);
  CHECK(vm_map_lookup_entry(m, A + 2 * P) == nullptr);
  CHECK(vm_map_lookup_entry(m, A - 1) == nullptr);
  CHECK(vm_map_lookup_entry(m, A + 6 * P - 1) == e2);
  CHECK(vm_map_lookup_entry(m, A + 6 * P) == nullptr);
  CHECK(vm_map_lookup_entry(m, 0) == nullptr);
  // The hint must not answer for addresses outside it.
  CHECK(vm_map_lookup_entry(m, A + P) == e1);
  CHECK(vm_map_lookup_entry(m, A + 3 * P) == nullptr);
  CHECK(vm_map_lookup_entry(m, A + 5 * P + 7) == e2);
  CHECK(vm_map_lookup_entry(m, A + P) == e1);

  CHECK(vm_map_first_entry_after(m, 0) == e1);
  CHECK(vm_map_first_entry_after(m, A - 1) == e1);
  CHECK(vm_map_first_entry_after(m, A + P) == e1);  // contains it: ends above
  CHECK(vm_map_first_entry_after(m, A + 2 * P - 1) == e1);
  CHECK(vm_map_first_entry_after(m, A + 2 * P) == e2);
  CHECK(vm_map_first_entry_after(m, A + 4 * P) == e2);
  CHECK(vm_map_first_entry_after(m, A + 6 * P - 1) == e2);
  CHECK(vm_map_first_entry_after(m, A + 6 * P) == nullptr);
  CHECK(vm_map_first_entry_after(m, ~uint64_t(0)) == nullptr);
}

TEST_CASE("clipping: protect, inherit and remove on part of an entry split it, offsets follow") {
  VmFixture f;
  VmMap* m = f.map();
  alloc_fixed(m, A, 8 * P);
  stamp(m, A, 8, 0x10);  // gives the entry its object
  VmMapEntry* e = vm_map_lookup_entry(m, A);
  REQUIRE(e);
  REQUIRE(e->object);
  VmObject* obj = e->object;
  CHECK(obj->ref_count == 1);
  uint64_t entries = g_vm_map_entry_count;

  SUBCASE("protect") {
    // Unaligned ends round outward: [A+2P, A+5P).
    REQUIRE(vm_map_protect(m, A + 2 * P + 1, A + 5 * P - 1, VM_PROT_READ, false) == KERN_SUCCESS);
    auto es = entries_of(m);
    REQUIRE(es.size() == 3);
    CHECK(g_vm_map_entry_count == entries + 2);
    CHECK(es[0]->start == A);
    CHECK(es[0]->end == A + 2 * P);
    CHECK(es[0]->offset == 0);
    CHECK(es[0]->protection == VM_PROT_DEFAULT);
    CHECK(es[1]->start == A + 2 * P);
    CHECK(es[1]->end == A + 5 * P);
    CHECK(es[1]->offset == 2 * P);
    CHECK(es[1]->protection == VM_PROT_READ);
    CHECK(es[2]->start == A + 5 * P);
    CHECK(es[2]->end == A + 8 * P);
    CHECK(es[2]->offset == 5 * P);
    CHECK(es[2]->protection == VM_PROT_DEFAULT);
    for (auto* x : es) CHECK(x->object == obj);
    CHECK(obj->ref_count == 3);
    CHECK(m->size == 8 * P);
    // The data did not move.
    for (uint64_t k = 0; k < 8; k++) CHECK(byte_at(m, A + k * P) == 0x10 + k);
    check_map(m);
    check_pmap(m);
  }
  SUBCASE("inherit") {
    REQUIRE(vm_map_inherit(m, A + 6 * P, A + 8 * P, VM_INHERIT_SHARE) == KERN_SUCCESS);
    auto es = entries_of(m);
    REQUIRE(es.size() == 2);
    CHECK(es[0]->end == A + 6 * P);
    CHECK(es[0]->inheritance == VM_INHERIT_COPY);
    CHECK(es[1]->start == A + 6 * P);
    CHECK(es[1]->offset == 6 * P);
    CHECK(es[1]->inheritance == VM_INHERIT_SHARE);
    REQUIRE(vm_map_inherit(m, A, A + P, VM_INHERIT_NONE) == KERN_SUCCESS);
    es = entries_of(m);
    REQUIRE(es.size() == 3);
    CHECK(es[0]->inheritance == VM_INHERIT_NONE);
    CHECK(es[0]->end == A + P);
    CHECK(es[1]->offset == P);
    CHECK(obj->ref_count == 3);
    CHECK(vm_map_inherit(m, A, A + P, VM_INHERIT_LAST_VALID + 1) != KERN_SUCCESS);
    check_map(m);
  }
  SUBCASE("remove") {
    REQUIRE(vm_map_remove(m, A + 2 * P, A + 5 * P) == KERN_SUCCESS);
    auto es = entries_of(m);
    REQUIRE(es.size() == 2);
    CHECK(g_vm_map_entry_count == entries + 1);
    CHECK(es[0]->start == A);
    CHECK(es[0]->end == A + 2 * P);
    CHECK(es[0]->offset == 0);
    CHECK(es[1]->start == A + 5 * P);
    CHECK(es[1]->end == A + 8 * P);
    CHECK(es[1]->offset == 5 * P);
    CHECK(obj->ref_count == 2);
    CHECK(m->size == 5 * P);
    CHECK(vm_map_lookup_entry(m, A + 3 * P) == nullptr);
    paddr_t pa;
    CHECK(vm_fault(m, A + 3 * P, VM_PROT_READ, &pa) == KERN_INVALID_ADDRESS);
    CHECK_FALSE(mapping(m, A + 3 * P).present);
    CHECK(byte_at(m, A + P) == 0x11);
    CHECK(byte_at(m, A + 5 * P) == 0x15);
    CHECK(byte_at(m, A + 7 * P) == 0x17);
    check_map(m);
    check_pmap(m);
    // Removing the rest frees the object and its pages.
    REQUIRE(vm_map_remove(m, A, A + 8 * P) == KERN_SUCCESS);
    CHECK(entry_count(m) == 0);
    CHECK(m->size == 0);
    CHECK(host_vm::pages_in_use() == f.base.pages);
    CHECK(host_vm::pmap_mapping_count(m->pmap) == 0);
  }
}

TEST_CASE("clipping: a range over two entries is clipped at both ends") {
  VmFixture f;
  VmMap* m = f.map();
  alloc_fixed(m, A, 4 * P);
  stamp(m, A, 4, 0x10);
  alloc_fixed(m, A + 4 * P, 4 * P);
  stamp(m, A + 4 * P, 4, 0x20);
  REQUIRE(entry_count(m) == 2);  // two objects
  VmObject* o1 = vm_map_lookup_entry(m, A)->object;
  VmObject* o2 = vm_map_lookup_entry(m, A + 4 * P)->object;
  REQUIRE(o1 != o2);
  REQUIRE(vm_map_protect(m, A + 2 * P, A + 6 * P, VM_PROT_READ, false) == KERN_SUCCESS);
  auto es = entries_of(m);
  REQUIRE(es.size() == 4);
  uint64_t starts[] = {A, A + 2 * P, A + 4 * P, A + 6 * P};
  uint64_t offsets[] = {0, 2 * P, 0, 2 * P};
  VmObject* objs[] = {o1, o1, o2, o2};
  vm_prot_t prots[] = {VM_PROT_DEFAULT, VM_PROT_READ, VM_PROT_READ, VM_PROT_DEFAULT};
  for (int i = 0; i < 4; i++) {
    CAPTURE(i);
    CHECK(es[i]->start == starts[i]);
    CHECK(es[i]->end == starts[i] + 2 * P);
    CHECK(es[i]->offset == offsets[i]);
    CHECK(es[i]->object == objs[i]);
    CHECK(es[i]->protection == prots[i]);
  }
  for (uint64_t k = 0; k < 8; k++) CHECK(byte_at(m, A + k * P) == (k < 4 ? 0x10 + k : 0x20 + k - 4));
  REQUIRE(vm_map_remove(m, A + P, A + 7 * P) == KERN_SUCCESS);
  es = entries_of(m);
  REQUIRE(es.size() == 2);
  CHECK(es[0]->end == A + P);
  CHECK(es[1]->start == A + 7 * P);
  CHECK(es[1]->offset == 3 * P);
  CHECK(byte_at(m, A + 7 * P) == 0x23);
  check_map(m);
  check_pmap(m);
}

TEST_CASE("coalescing: a clipped range set back to its neighbours' attributes merges again") {
  VmFixture f;
  VmMap* m = f.map();
  alloc_fixed(m, A, 4 * P);
  alloc_fixed(m, A + 4 * P, 4 * P);
  uint64_t entries = g_vm_map_entry_count;
  size_t n = entry_count(m);
  bool touched = false;

  SUBCASE("untouched zero-fill memory") {}
  SUBCASE("with objects behind it") {
    stamp(m, A, 8, 0x40);
    touched = true;
    n = entry_count(m);
    entries = g_vm_map_entry_count;
  }
  std::vector<VmObject*> objs;
  for (auto* e : entries_of(m)) objs.push_back(e->object);

  REQUIRE(vm_map_protect(m, A + 3 * P, A + 5 * P, VM_PROT_READ, false) == KERN_SUCCESS);
  CHECK(entry_count(m) > n);
  REQUIRE(vm_map_protect(m, A + 3 * P, A + 5 * P, VM_PROT_DEFAULT, false) == KERN_SUCCESS);
  CHECK(entry_count(m) == n);
  CHECK(g_vm_map_entry_count == entries);
  size_t i = 0;
  for (auto* e : entries_of(m)) {
    REQUIRE(i < objs.size());
    CHECK(e->object == objs[i++]);
    if (e->object) CHECK(e->object->ref_count == 1);
  }

  // Same for inheritance, and for a range in the middle of one entry.
  REQUIRE(vm_map_inherit(m, A + P, A + 2 * P, VM_INHERIT_NONE) == KERN_SUCCESS);
  CHECK(entry_count(m) == n + 2);
  REQUIRE(vm_map_inherit(m, A + P, A + 2 * P, VM_INHERIT_COPY) == KERN_SUCCESS);
  CHECK(entry_count(m) == n);
  CHECK(g_vm_map_entry_count == entries);
  if (touched)
    for (uint64_t k = 0; k < 8; k++) CHECK(byte_at(m, A + k * P) == 0x40 + k);
  check_map(m);
  check_pmap(m);
}

TEST_CASE("coalescing: alternating protections over one entry all set back give one entry") {
  VmFixture f;
  VmMap* m = f.map();
  alloc_fixed(m, A, 10 * P);
  stamp(m, A, 10, 0x60);
  REQUIRE(entry_count(m) == 1);
  for (uint64_t k = 1; k < 10; k += 2)
    REQUIRE(vm_map_protect(m, A + k * P, A + (k + 1) * P, VM_PROT_READ, false) == KERN_SUCCESS);
  CHECK(entry_count(m) == 10);
  REQUIRE(vm_map_protect(m, A, A + 10 * P, VM_PROT_DEFAULT, false) == KERN_SUCCESS);
  // Every neighbour now continues the one before it.
  CHECK(entry_count(m) == 1);
  VmMapEntry* e = vm_map_lookup_entry(m, A);
  REQUIRE(e);
  CHECK(e->object->ref_count == 1);
  for (uint64_t k = 0; k < 10; k++) CHECK(byte_at(m, A + k * P) == 0x60 + k);
  check_map(m);
}

TEST_CASE("vm_map_protect: current and maximum protection") {
  VmFixture f;
  VmMap* m = f.map();
  alloc_fixed(m, A, 4 * P);
  stamp(m, A, 4, 1);
  check_pmap(m);
  CHECK((mapping(m, A).prot & VM_PROT_WRITE) != 0);

  SUBCASE("lowering takes write away from the pmap; raising gives it back at the next fault") {
    REQUIRE(vm_map_protect(m, A, A + 4 * P, VM_PROT_READ, false) == KERN_SUCCESS);
    Mapping mp = mapping(m, A);
    if (mp.present) CHECK((mp.prot & VM_PROT_WRITE) == 0);
    paddr_t pa;
    CHECK(vm_fault(m, A, VM_PROT_WRITE, &pa) == KERN_PROTECTION_FAILURE);
    CHECK(vm_fault(m, A, VM_PROT_READ, &pa) == KERN_SUCCESS);
    check_pmap(m);
    REQUIRE(vm_map_protect(m, A, A + 4 * P, VM_PROT_DEFAULT, false) == KERN_SUCCESS);
    CHECK(vm_fault(m, A, VM_PROT_WRITE, &pa) == KERN_SUCCESS);
    CHECK((mapping(m, A).prot & VM_PROT_WRITE) != 0);
    check_pmap(m);
  }
  SUBCASE("VM_PROT_NONE: no access at all, no translation left") {
    REQUIRE(vm_map_protect(m, A + P, A + 2 * P, VM_PROT_NONE, false) == KERN_SUCCESS);
    CHECK_FALSE(mapping(m, A + P).present);
    paddr_t pa;
    CHECK(vm_fault(m, A + P, VM_PROT_READ, &pa) == KERN_PROTECTION_FAILURE);
    CHECK(vm_fault(m, A, VM_PROT_READ, &pa) == KERN_SUCCESS);
    check_pmap(m);
  }
  SUBCASE("set_max lowers the maximum and caps the current protection") {
    REQUIRE(vm_map_protect(m, A, A + 2 * P, VM_PROT_READ, true) == KERN_SUCCESS);
    VmMapEntry* e = vm_map_lookup_entry(m, A);
    REQUIRE(e);
    CHECK(e->max_protection == VM_PROT_READ);
    CHECK(e->protection == VM_PROT_READ);
    CHECK(e->end == A + 2 * P);
    CHECK((mapping(m, A).prot & VM_PROT_WRITE) == 0);
    CHECK(vm_map_protect(m, A, A + P, VM_PROT_DEFAULT, false) == KERN_PROTECTION_FAILURE);
    CHECK(vm_map_protect(m, A, A + P, VM_PROT_EXECUTE, false) == KERN_PROTECTION_FAILURE);
    CHECK(vm_map_protect(m, A, A + P, VM_PROT_NONE, false) == KERN_SUCCESS);
    CHECK(vm_map_protect(m, A, A + P, VM_PROT_READ, false) == KERN_SUCCESS);
    // The maximum can only drop.
    CHECK(vm_map_protect(m, A, A + 2 * P, VM_PROT_ALL, true) == KERN_PROTECTION_FAILURE);
    e = vm_map_lookup_entry(m, A);
    CHECK(e->max_protection == VM_PROT_READ);
    CHECK(vm_map_protect(m, A, A + 2 * P, VM_PROT_DEFAULT, false) == KERN_PROTECTION_FAILURE);
    check_map(m);
  }
  SUBCASE("a range over two entries where one forbids it changes nothing") {
    REQUIRE(vm_map_protect(m, A + 2 * P, A + 4 * P, VM_PROT_READ, true) == KERN_SUCCESS);
    REQUIRE(vm_map_protect(m, A, A + 2 * P, VM_PROT_READ, false) == KERN_SUCCESS);
    size_t n = entry_count(m);
    CHECK(vm_map_protect(m, A + P, A + 3 * P, VM_PROT_DEFAULT, false) == KERN_PROTECTION_FAILURE);
    CHECK(entry_count(m) == n);
    CHECK(vm_map_lookup_entry(m, A + P)->protection == VM_PROT_READ);
    CHECK(vm_map_lookup_entry(m, A + P)->start == A);
  }
  SUBCASE("a hole anywhere in the range: KERN_INVALID_ADDRESS and nothing changed") {
    alloc_fixed(m, A + 6 * P, 2 * P);  // hole [A+4P, A+6P)
    size_t n = entry_count(m);
    CHECK(vm_map_protect(m, A + 3 * P, A + 7 * P, VM_PROT_READ, false) == KERN_INVALID_ADDRESS);
    CHECK(vm_map_protect(m, A + 4 * P, A + 6 * P, VM_PROT_READ, false) == KERN_INVALID_ADDRESS);
    CHECK(vm_map_protect(m, A + 7 * P, A + 9 * P, VM_PROT_READ, false) == KERN_INVALID_ADDRESS);
    CHECK(vm_map_protect(m, A - P, A + P, VM_PROT_READ, false) == KERN_INVALID_ADDRESS);
    CHECK(entry_count(m) == n);
    for (auto* e : entries_of(m)) CHECK(e->protection == VM_PROT_DEFAULT);
    CHECK(vm_map_inherit(m, A + 3 * P, A + 7 * P, VM_INHERIT_NONE) == KERN_INVALID_ADDRESS);
    for (auto* e : entries_of(m)) CHECK(e->inheritance == VM_INHERIT_COPY);
    CHECK(entry_count(m) == n);
  }
  SUBCASE("bad arguments") {
    CHECK(vm_map_protect(m, A, A + P, 0x10, false) != KERN_SUCCESS);
    CHECK(vm_map_protect(m, kMax, kMax + P, VM_PROT_READ, false) == KERN_INVALID_ADDRESS);
    CHECK(vm_map_protect(m, ~uint64_t(0) - P, ~uint64_t(0), VM_PROT_READ, false) == KERN_INVALID_ADDRESS);
    CHECK(vm_map_lookup_entry(m, A)->protection == VM_PROT_DEFAULT);
  }
  check_map(m);
}

TEST_CASE("vm_map_remove: holes in the range are skipped") {
  VmFixture f;
  VmMap* m = f.map();
  alloc_fixed(m, A, 2 * P);
  alloc_fixed(m, A + 4 * P, 2 * P);
  alloc_fixed(m, A + 8 * P, P);
  alloc_fixed(m, A + 10 * P, 2 * P);
  stamp(m, A, 2, 1);
  stamp(m, A + 4 * P, 2, 1);
  stamp(m, A + 10 * P, 2, 1);
  uint64_t entries = g_vm_map_entry_count;

  REQUIRE(vm_map_remove(m, A + P, A + 11 * P) == KERN_SUCCESS);
  auto es = entries_of(m);
  REQUIRE(es.size() == 2);
  CHECK(es[0]->start == A);
  CHECK(es[0]->end == A + P);
  CHECK(es[1]->start == A + 11 * P);
  CHECK(es[1]->end == A + 12 * P);
  CHECK(es[1]->offset == P);
  CHECK(m->size == 2 * P);
  CHECK(g_vm_map_entry_count == entries - 2);
  // The middle object went with its pages; the clipped ones may keep theirs
  // until the object goes.
  CHECK(host_vm::pages_in_use() >= f.base.pages + 2);
  CHECK(host_vm::pages_in_use() <= f.base.pages + 4);
  CHECK(byte_at(m, A) == 1);
  CHECK(byte_at(m, A + 11 * P) == 2);
  check_map(m);
  check_pmap(m);

  // Only holes: nothing to do, and fine.
  CHECK(vm_map_remove(m, A + 2 * P, A + 10 * P) == KERN_SUCCESS);
  CHECK(vm_map_remove(m, A, A) == KERN_SUCCESS);
  CHECK(entry_count(m) == 2);
  // Outside the map or wrapping.
  CHECK(vm_map_remove(m, kMax - P, kMax + P) == KERN_INVALID_ADDRESS);
  CHECK(vm_map_remove(m, A + P, A) != KERN_SUCCESS);
  CHECK(entry_count(m) == 2);
  REQUIRE(vm_map_remove(m, A, A + 12 * P) == KERN_SUCCESS);
  CHECK(entry_count(m) == 0);
  CHECK(host_vm::pages_in_use() == f.base.pages);
}

TEST_CASE("vm_map_region: the first region at or above the address") {
  VmFixture f;
  VmMap* m = f.map();
  alloc_fixed(m, A, 4 * P);
  alloc_fixed(m, A + 6 * P, 2 * P);
  stamp(m, A, 4, 1);
  REQUIRE(vm_map_protect(m, A + P, A + 3 * P, VM_PROT_READ, false) == KERN_SUCCESS);
  REQUIRE(vm_map_inherit(m, A + 6 * P, A + 8 * P, VM_INHERIT_NONE) == KERN_SUCCESS);

  vm_region_basic_info_data_64_t info;
  uint64_t addr = 0, size = 0;
  REQUIRE(vm_map_region(m, &addr, &size, &info) == KERN_SUCCESS);
  CHECK(addr == A);
  CHECK(size == P);
  CHECK(info.protection == VM_PROT_DEFAULT);
  CHECK(info.max_protection == VM_PROT_ALL);
  CHECK(info.inheritance == VM_INHERIT_COPY);
  CHECK(uint64_t(info.offset) == 0);  // packed: read by value
  CHECK(info.shared == 0);
  CHECK(info.user_wired_count == 0);

  addr = A + P + 123;  // inside the second: its start comes back
  REQUIRE(vm_map_region(m, &addr, &size, &info) == KERN_SUCCESS);
  CHECK(addr == A + P);
  CHECK(size == 2 * P);
  CHECK(info.protection == VM_PROT_READ);
  CHECK(uint64_t(info.offset) == P);

  addr = A + 4 * P;  // in the hole: the next one
  REQUIRE(vm_map_region(m, &addr, &size, &info) == KERN_SUCCESS);
  CHECK(addr == A + 6 * P);
  CHECK(size == 2 * P);
  CHECK(info.inheritance == VM_INHERIT_NONE);

  addr = A + 8 * P;
  CHECK(vm_map_region(m, &addr, &size, &info) == KERN_INVALID_ADDRESS);

  // Wiring and sharing show.
  REQUIRE(vm_map_wire(m, A, A + P, VM_PROT_READ) == KERN_SUCCESS);
  addr = A;
  REQUIRE(vm_map_region(m, &addr, &size, &info) == KERN_SUCCESS);
  CHECK(info.user_wired_count == 1);
  REQUIRE(vm_map_wire(m, A, A + P, VM_PROT_NONE) == KERN_SUCCESS);
  REQUIRE(vm_map_inherit(m, A + 3 * P, A + 4 * P, VM_INHERIT_SHARE) == KERN_SUCCESS);
  VmMap* child = f.fork(m);
  addr = A + 3 * P;
  REQUIRE(vm_map_region(m, &addr, &size, &info) == KERN_SUCCESS);
  CHECK(addr == A + 3 * P);
  CHECK(info.shared == 1);
  addr = A + 3 * P;
  REQUIRE(vm_map_region(child, &addr, &size, &info) == KERN_SUCCESS);
  CHECK(addr == A + 3 * P);
  CHECK(info.shared == 1);
  CHECK(info.inheritance == VM_INHERIT_SHARE);
}

TEST_CASE("g_vm_map_entry_count follows every entry made and freed") {
  VmFixture f;
  uint64_t start = g_vm_map_entry_count;
  VmMap* m = f.map();
  alloc_fixed(m, A, 4 * P);
  alloc_fixed(m, A + 8 * P, 4 * P);
  CHECK(g_vm_map_entry_count == start + 2);
  REQUIRE(vm_map_protect(m, A + P, A + 2 * P, VM_PROT_READ, false) == KERN_SUCCESS);
  CHECK(g_vm_map_entry_count == start + 4);
  CHECK(g_vm_map_entry_count - start == entry_count(m));
  VmMap* child = f.fork(m);
  CHECK(g_vm_map_entry_count - start == entry_count(m) + entry_count(child));
  f.drop(child);
  REQUIRE(vm_map_remove(m, A, A + 3 * P) == KERN_SUCCESS);
  CHECK(g_vm_map_entry_count - start == entry_count(m));
  f.drop(m);
  CHECK(g_vm_map_entry_count == start);
}

TEST_CASE("vm_map_deallocate: everything the map and its objects held is freed") {
  VmFixture f;
  VmMap* m = f.map();
  alloc_fixed(m, A, 8 * P);
  alloc_fixed(m, A + 16 * P, 4 * P);
  stamp(m, A, 8, 1);
  stamp(m, A + 16 * P, 4, 1);
  REQUIRE(vm_map_protect(m, A + 2 * P, A + 3 * P, VM_PROT_READ, false) == KERN_SUCCESS);
  REQUIRE(vm_map_wire(m, A + 16 * P, A + 17 * P, VM_PROT_READ) == KERN_SUCCESS);
  VmMap* child = f.fork(m);
  stamp(child, A, 2, 9);
  CHECK(host_vm::pages_in_use() > f.base.pages);
  CHECK(host_vm::pmap_mapping_count(m->pmap) > 0);
  f.drop(m);
  CHECK(byte_at(child, A) == 9);
  CHECK(byte_at(child, A + 5 * P) == 6);
  f.drop(child);
  CHECK(host_vm::pages_in_use() == f.base.pages);
  CHECK(host_vm::allocations_in_use() == f.base.allocations);
  CHECK(g_vm_object_counts.objects == f.base.objects);
  CHECK(g_vm_map_entry_count == f.base.entries);
  CHECK(g_vm_page_counts.wired == f.base.wired);
}

TEST_CASE("vm_map_enter: an object mapped at an offset; its reference moves to the map only on success") {
  VmFixture f;
  VmMap* m = f.map();
  VmObject* o = vm_object_allocate(4 * P);
  REQUIRE(o);
  for (uint64_t k = 0; k < 4; k++) {
    VmPage* p = vm_page_alloc(o, k * P);
    REQUIRE(p);
    memset(vm_page_address(p), int(0x30 + k), P);
  }
  alloc_fixed(m, A, P);
  vm_object_reference(o);  // the test keeps one

  uint64_t at = A;
  CHECK(vm_map_enter(m, &at, 2 * P, false, o, P, false, VM_PROT_DEFAULT, VM_PROT_ALL, VM_INHERIT_COPY) ==
        KERN_NO_SPACE);
  CHECK(o->ref_count == 2);
  at = A + P;
  CHECK(vm_map_enter(m, &at, P, false, o, P, false, VM_PROT_ALL, VM_PROT_READ, VM_INHERIT_COPY) ==
        KERN_INVALID_ARGUMENT);  // more than the maximum
  CHECK(o->ref_count == 2);
  CHECK(entry_count(m) == 1);

  REQUIRE(vm_map_enter(m, &at, 2 * P, false, o, P, false, VM_PROT_READ, VM_PROT_ALL, VM_INHERIT_SHARE) ==
          KERN_SUCCESS);
  CHECK(at == A + P);
  CHECK(o->ref_count == 2);
  VmMapEntry* e = vm_map_lookup_entry(m, A + P);
  REQUIRE(e);
  CHECK(e->object == o);
  CHECK(e->offset == P);
  CHECK(e->protection == VM_PROT_READ);
  CHECK(e->inheritance == VM_INHERIT_SHARE);
  CHECK(byte_at(m, A + P) == 0x31);
  CHECK(byte_at(m, A + 2 * P) == 0x32);
  paddr_t pa;
  CHECK(vm_fault(m, A + P, VM_PROT_WRITE, &pa) == KERN_PROTECTION_FAILURE);
  CHECK(mapping(m, A + P).pa == vm_page_lookup(o, P)->phys);  // mapped in place, not copied
  check_pmap(m);
  f.drop(m);
  CHECK(o->ref_count == 1);
  CHECK(o->resident_count == 4);
  vm_object_deallocate(o);
}

TEST_CASE("vm_map_enter with needs_copy: writes through the map do not reach the object") {
  VmFixture f;
  VmMap* m = f.map();
  VmObject* o = vm_object_allocate(2 * P);
  VmPage* p0 = vm_page_alloc_zero(o, 0);
  REQUIRE(p0);
  memcpy(vm_page_address(p0), "object", 6);
  vm_object_reference(o);
  uint64_t at = 0;
  REQUIRE(vm_map_enter(m, &at, 2 * P, true, o, 0, true, VM_PROT_DEFAULT, VM_PROT_ALL, VM_INHERIT_COPY) ==
          KERN_SUCCESS);
  CHECK(at == kMin);
  CHECK(read_str(m, at, 6) == "object");
  CHECK((mapping(m, at).prot & VM_PROT_WRITE) == 0);
  write_str(m, at, "mapped");
  CHECK(read_str(m, at, 6) == "mapped");
  CHECK(memcmp(vm_page_address(vm_page_lookup(o, 0)), "object", 6) == 0);
  check_pmap(m);
  vm_object_deallocate(o);
  CHECK(read_str(m, at, 6) == "mapped");
}

TEST_CASE("vm_map_simplify: pieces of one object at following offsets merge, others do not") {
  VmFixture f;
  VmMap* m = f.map();
  VmObject* o = vm_object_allocate(8 * P);
  vm_object_reference(o);
  vm_object_reference(o);
  vm_object_reference(o);  // four references: three entries and the test
  uint64_t at = A;
  REQUIRE(vm_map_enter(m, &at, 2 * P, false, o, 0, false, VM_PROT_DEFAULT, VM_PROT_ALL, VM_INHERIT_COPY) ==
          KERN_SUCCESS);
  at = A + 2 * P;
  REQUIRE(vm_map_enter(m, &at, 2 * P, false, o, 2 * P, false, VM_PROT_DEFAULT, VM_PROT_ALL, VM_INHERIT_COPY) ==
          KERN_SUCCESS);
  // Continues the first: one entry, one reference given back.
  CHECK(entry_count(m) == 1);
  CHECK(o->ref_count == 3);
  VmMapEntry* e = vm_map_lookup_entry(m, A);
  REQUIRE(e);
  CHECK(e->end == A + 4 * P);
  CHECK(e->offset == 0);
  // Next to it but at an offset that does not follow: separate.
  at = A + 4 * P;
  REQUIRE(vm_map_enter(m, &at, P, false, o, 6 * P, false, VM_PROT_DEFAULT, VM_PROT_ALL, VM_INHERIT_COPY) ==
          KERN_SUCCESS);
  CHECK(entry_count(m) == 2);
  CHECK(o->ref_count == 3);
  CHECK(vm_map_simplify(m, vm_map_lookup_entry(m, A + 4 * P)) == vm_map_lookup_entry(m, A + 4 * P));
  CHECK(entry_count(m) == 2);
  CHECK(m->size == 5 * P);
  check_map(m);
  f.drop(m);
  CHECK(o->ref_count == 1);
  vm_object_deallocate(o);
}

TEST_CASE("a map without a pmap works on objects alone") {
  VmFixture f;
  VmMap* m = vm_map_create(nullptr, kMin, kMax);
  REQUIRE(m);
  uint64_t at = 0;
  REQUIRE(vm_map_allocate(m, &at, 3 * P, true) == KERN_SUCCESS);
  write_str(m, at + P, "no pmap");
  CHECK(read_str(m, at + P, 7) == "no pmap");
  REQUIRE(vm_map_protect(m, at, at + 3 * P, VM_PROT_READ, false) == KERN_SUCCESS);
  REQUIRE(vm_map_wire(m, at, at + 3 * P, VM_PROT_READ) == KERN_SUCCESS);
  VmMap* child = vm_map_fork(m, nullptr);
  REQUIRE(child);
  CHECK(read_str(child, at + P, 7) == "no pmap");
  VmMapCopy* c = nullptr;
  REQUIRE(vm_map_copyin(m, at, 3 * P, true, false, &c) == KERN_SUCCESS);
  CHECK(entry_count(m) == 0);
  vm_map_deallocate(m);
  uint64_t out = 0;
  REQUIRE(vm_map_protect(child, at, at + 3 * P, VM_PROT_DEFAULT, false) == KERN_SUCCESS);
  REQUIRE(vm_map_copyout(child, c, &out) == KERN_SUCCESS);
  write_str(child, at + P, "written");
  CHECK(read_str(child, out + P, 7) == "no pmap");
  vm_map_deallocate(child);
}
