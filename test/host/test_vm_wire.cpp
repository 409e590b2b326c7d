// Wiring (vm_map_wire): pages faulted in and kept, nesting, partial ranges,
// errors, shortages, wired pages across fork and copy-on-write, and a fork
// that runs out of pages.
#include <doctest/doctest.h>

#include "vm_test_util.h"

using namespace vmt;

namespace {

constexpr uint64_t A = 0x50000000;

}  // namespace

TEST_CASE("vm_map_wire: pages faulted in and kept; unwire gives them back") {
  VmFixture f;
  VmMap* m = f.map();
  alloc_fixed(m, A, 4 * P);
  uint64_t wired = g_vm_page_counts.wired;

  REQUIRE(vm_map_wire(m, A, A + 4 * P, VM_PROT_READ | VM_PROT_WRITE) == KERN_SUCCESS);
  CHECK(g_vm_page_counts.wired == wired + 4);
  CHECK(host_vm::pmap_mapping_count(m->pmap) == 4);
  for (uint64_t k = 0; k < 4; k++) {
    Mapping mp = mapping(m, A + k * P);
    CHECK(mp.present);
    CHECK(mp.prot == VM_PROT_DEFAULT);
  }
  VmMapEntry* e = vm_map_lookup_entry(m, A);
  REQUIRE(e);
  CHECK(e->wired_count == 1);
  REQUIRE(e->object);
  for (uint64_t k = 0; k < 4; k++) {
    VmPage* p = vm_page_lookup(e->object, e->offset + k * P);
    REQUIRE(p);
    CHECK(p->wire_count == 1);
  }
  check_pmap(m);

  // A second wiring nests.
  REQUIRE(vm_map_wire(m, A, A + 4 * P, VM_PROT_READ) == KERN_SUCCESS);
  CHECK(vm_map_lookup_entry(m, A)->wired_count == 2);
  CHECK(g_vm_page_counts.wired == wired + 4);
  REQUIRE(vm_map_wire(m, A, A + 4 * P, VM_PROT_NONE) == KERN_SUCCESS);
  CHECK(g_vm_page_counts.wired == wired + 4);
  REQUIRE(vm_map_wire(m, A, A + 4 * P, VM_PROT_NONE) == KERN_SUCCESS);
  CHECK(g_vm_page_counts.wired == wired);
  CHECK(vm_map_lookup_entry(m, A)->wired_count == 0);
  // Not wired any more.
  CHECK(vm_map_wire(m, A, A + 4 * P, VM_PROT_NONE) == KERN_FAILURE);
  CHECK(g_vm_page_counts.wired == wired);
  check_map(m);
}

TEST_CASE("vm_map_wire: part of a region, errors, and teardown of wired memory") {
  VmFixture f;
  VmMap* m = f.map();
  alloc_fixed(m, A, 6 * P);
  uint64_t wired = g_vm_page_counts.wired;

  REQUIRE(vm_map_wire(m, A + 2 * P, A + 4 * P, VM_PROT_READ | VM_PROT_WRITE) == KERN_SUCCESS);
  CHECK(g_vm_page_counts.wired == wired + 2);
  auto es = entries_of(m);
  REQUIRE(es.size() == 3);
  CHECK(es[0]->wired_count == 0);
  CHECK(es[1]->wired_count == 1);
  CHECK(es[1]->start == A + 2 * P);
  CHECK(es[1]->end == A + 4 * P);
  CHECK(es[2]->wired_count == 0);
  // Unwiring what is not (all) wired fails.
  CHECK(vm_map_wire(m, A, A + 3 * P, VM_PROT_NONE) == KERN_FAILURE);
  CHECK(g_vm_page_counts.wired == wired + 2);

  // A hole, or more access than the region allows.
  CHECK(vm_map_wire(m, A + 5 * P, A + 7 * P, VM_PROT_READ) == KERN_INVALID_ADDRESS);
  REQUIRE(vm_map_protect(m, A + 5 * P, A + 6 * P, VM_PROT_READ, false) == KERN_SUCCESS);
  CHECK(vm_map_wire(m, A + 4 * P, A + 6 * P, VM_PROT_WRITE) == KERN_PROTECTION_FAILURE);
  CHECK(g_vm_page_counts.wired == wired + 2);
  // Read access on read-only memory is fine.
  REQUIRE(vm_map_wire(m, A + 5 * P, A + 6 * P, VM_PROT_READ) == KERN_SUCCESS);
  CHECK(g_vm_page_counts.wired == wired + 3);
  check_map(m);
  check_pmap(m);

  SUBCASE("removing wired memory unwires it") {
    REQUIRE(vm_map_remove(m, A + 3 * P, A + 6 * P) == KERN_SUCCESS);
    CHECK(g_vm_page_counts.wired == wired + 1);
    REQUIRE(vm_map_wire(m, A + 2 * P, A + 3 * P, VM_PROT_NONE) == KERN_SUCCESS);
    CHECK(g_vm_page_counts.wired == wired);
  }
  SUBCASE("deallocating the map unwires everything") {
    f.drop(m);
    CHECK(g_vm_page_counts.wired == wired);
  }
}

TEST_CASE("vm_map_wire: a shortage leaves nothing wired") {
  VmFixture f;
  VmMap* m = f.map();
  alloc_fixed(m, A, 4 * P);
  uint64_t wired = g_vm_page_counts.wired;
  host_vm::fail_page_grabs_after(2);
  CHECK(vm_map_wire(m, A, A + 4 * P, VM_PROT_READ | VM_PROT_WRITE) == KERN_RESOURCE_SHORTAGE);
  host_vm::fail_page_grabs_after(-1);
  CHECK(g_vm_page_counts.wired == wired);
  for (auto* e : entries_of(m)) CHECK(e->wired_count == 0);
  check_map(m);
  check_pmap(m);
  // And it works once pages are there again.
  REQUIRE(vm_map_wire(m, A, A + 4 * P, VM_PROT_READ | VM_PROT_WRITE) == KERN_SUCCESS);
  CHECK(g_vm_page_counts.wired == wired + 4);
}

TEST_CASE("vm_map_wire: a wired page stays the page the map uses, across fork and writes") {
  VmFixture f;
  VmMap* m = f.map();
  alloc_fixed(m, A, 2 * P);
  write_str(m, A, "wired");
  REQUIRE(vm_map_wire(m, A, A + 2 * P, VM_PROT_READ | VM_PROT_WRITE) == KERN_SUCCESS);
  Mapping before = mapping(m, A);
  REQUIRE(before.present);
  VmMap* child = f.fork(m);
  // The parent keeps its (wired) pages, writable.
  Mapping after = mapping(m, A);
  CHECK(after.present);
  CHECK(after.pa == before.pa);
  CHECK((after.prot & VM_PROT_WRITE) != 0);
  CHECK(read_str(child, A, 5) == "wired");
  write_str(m, A, "WIRED");
  CHECK(mapping(m, A).pa == before.pa);
  CHECK(read_str(child, A, 5) == "wired");
  write_str(child, A, "child");
  CHECK(read_str(m, A, 5) == "WIRED");
  CHECK(mapping(m, A).pa == before.pa);
  check_pmap(m);
  check_pmap(child);
  // The child's copy is not wired.
  CHECK(vm_map_lookup_entry(child, A)->wired_count == 0);
  CHECK(vm_map_wire(child, A, A + 2 * P, VM_PROT_NONE) == KERN_FAILURE);
}

TEST_CASE("vm_map_wire: unwiring after protection was raised and the page written balances the count") {
  VmFixture f;
  VmMap* m = f.map();
  alloc_fixed(m, A, P);
  write_str(m, A, "x");
  VmMap* child = f.fork(m);  // both copy-on-write now
  uint64_t wired = g_vm_page_counts.wired;
  REQUIRE(vm_map_protect(m, A, A + P, VM_PROT_READ, false) == KERN_SUCCESS);
  REQUIRE(vm_map_wire(m, A, A + P, VM_PROT_READ) == KERN_SUCCESS);
  CHECK(g_vm_page_counts.wired == wired + 1);
  REQUIRE(vm_map_protect(m, A, A + P, VM_PROT_DEFAULT, false) == KERN_SUCCESS);
  write_str(m, A, "y");
  CHECK(read_str(child, A, 1) == "x");
  REQUIRE(vm_map_wire(m, A, A + P, VM_PROT_NONE) == KERN_SUCCESS);
  CHECK(g_vm_page_counts.wired == wired);
  check_pmap(m);
}

TEST_CASE("vm_map_fork: a shortage gives nullptr, the pmap back, and a parent that still works") {
  VmFixture f;
  VmMap* m = f.map();
  alloc_fixed(m, A, 2 * P);
  alloc_fixed(m, A + 4 * P, 2 * P);
  write_str(m, A, "cow");
  write_str(m, A + 4 * P, "wired");
  REQUIRE(vm_map_wire(m, A + 4 * P, A + 6 * P, VM_PROT_READ | VM_PROT_WRITE) == KERN_SUCCESS);
  Snapshot before = Snapshot::take();
  Pmap* pmap = pmap_create();
  REQUIRE(pmap);
  host_vm::fail_page_grabs_after(1);  // the wired region is copied eagerly: 2 pages
  CHECK(vm_map_fork(m, pmap) == nullptr);
  host_vm::fail_page_grabs_after(-1);
  CHECK(host_vm::pmap_mapping_count(pmap) == 0);
  pmap_destroy(pmap);  // still ours
  check_same(before, Snapshot::take());
  write_str(m, A, "COW");
  write_str(m, A + 4 * P, "WIRED");
  CHECK(read_str(m, A, 3) == "COW");
  CHECK(read_str(m, A + 4 * P, 5) == "WIRED");
  check_map(m);
  check_pmap(m);
  VmMap* child = f.fork(m);
  CHECK(read_str(child, A + 4 * P, 5) == "WIRED");
}

TEST_CASE("vm_map_wire: wiring memory with a pending copy gives the map its own pages") {
  VmFixture f;
  VmMap* m = f.map();
  alloc_fixed(m, A, 2 * P);
  write_str(m, A, "shared");
  VmMap* child = f.fork(m);
  uint64_t wired = g_vm_page_counts.wired;
  REQUIRE(vm_map_wire(m, A, A + 2 * P, VM_PROT_READ) == KERN_SUCCESS);
  CHECK(g_vm_page_counts.wired == wired + 2);
  Mapping mp = mapping(m, A);
  REQUIRE(mp.present);
  CHECK((mp.prot & VM_PROT_WRITE) != 0);  // wired writable memory has no copy left to make
  Mapping cm = mapping(child, A);
  if (cm.present) CHECK(cm.pa != mp.pa);
  write_str(m, A, "parent");
  CHECK(mapping(m, A).pa == mp.pa);
  CHECK(read_str(child, A, 6) == "shared");
  check_pmap(m);
  check_pmap(child);
  REQUIRE(vm_map_wire(m, A, A + 2 * P, VM_PROT_NONE) == KERN_SUCCESS);
  CHECK(g_vm_page_counts.wired == wired);
}

TEST_CASE("vm_map_wire: access within the protection is enough, whatever the protection") {
  VmFixture f;
  VmMap* m = f.map();
  alloc_fixed(m, A, 3 * P);
  REQUIRE(vm_map_protect(m, A, A + P, VM_PROT_EXECUTE, false) == KERN_SUCCESS);
  REQUIRE(vm_map_protect(m, A + P, A + 2 * P, VM_PROT_READ | VM_PROT_EXECUTE, false) == KERN_SUCCESS);
  uint64_t wired = g_vm_page_counts.wired;
  CHECK(vm_map_wire(m, A + P, A + 2 * P, VM_PROT_EXECUTE) == KERN_SUCCESS);
  CHECK(vm_map_wire(m, A, A + P, VM_PROT_EXECUTE) == KERN_SUCCESS);  // execute-only memory
  CHECK(vm_map_wire(m, A, A + P, VM_PROT_READ) == KERN_PROTECTION_FAILURE);
  CHECK(g_vm_page_counts.wired == wired + 2);
  check_map(m);
  check_pmap(m);
}
