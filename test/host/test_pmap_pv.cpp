// Reverse mappings (vm/pmap.h: pmap_page_*): every mapping of a page is
// recorded, page-wide protect/query/clear reach all of them, and enter,
// replace, remove, protect and destroy keep the records exact.
#include <doctest/doctest.h>

#include "vm_test_util.h"

using namespace vmt;

namespace {

constexpr uint64_t A = 0x20000000;
constexpr uint64_t kVa = 0x10000000;

// A page of the fake's pool, released by the destructor.
struct PoolPage {
  paddr_t pa = 0;
  PoolPage() { REQUIRE(vm_env_page_grab(&pa) == KERN_SUCCESS); }
  ~PoolPage() { vm_env_page_release(pa); }
};

}  // namespace

TEST_CASE("pv: fork shares a page; pmap_page_protect(NONE) unmaps both, the next fault maps it again") {
  VmFixture f;
  VmMap* parent = f.map();
  alloc_fixed(parent, A, 2 * P);
  stamp(parent, A, 2, 0x40);
  VmMap* child = f.fork(parent);
  // Reads map the shared page read-only in both.
  CHECK(byte_at(parent, A) == 0x40);
  CHECK(byte_at(child, A) == 0x40);
  Mapping pm = mapping(parent, A), cm = mapping(child, A);
  REQUIRE(pm.present);
  REQUIRE(cm.present);
  REQUIRE(pm.pa == cm.pa);
  paddr_t pa = pm.pa;
  CHECK(pmap_page_mapping_count(pa) == 2);
  CHECK(host_vm::pv_record_count(parent->pmap, A, pa) == 1);
  CHECK(host_vm::pv_record_count(child->pmap, A, pa) == 1);
  check_pmap(parent);
  check_pmap(child);

  host_vm::pmap_touch(child->pmap, A, kPmapReferenced);
  CHECK((pmap_page_protect(pa, VM_PROT_NONE) & kPmapReferenced) != 0);
  CHECK(pmap_page_mapping_count(pa) == 0);
  CHECK_FALSE(mapping(parent, A).present);
  CHECK_FALSE(mapping(child, A).present);
  CHECK(mapping(parent, A + P).present);  // the other page is untouched
  CHECK(pmap_page_protect(pa, VM_PROT_NONE) == 0);  // nothing left to reach

  // The VM still has the page: the next access maps it again.
  CHECK(byte_at(child, A) == 0x40);
  CHECK(mapping(child, A).pa == pa);
  CHECK(pmap_page_mapping_count(pa) == 1);
  CHECK(byte_at(parent, A) == 0x40);
  CHECK(pmap_page_mapping_count(pa) == 2);
  check_pmap(parent);
  check_pmap(child);

  // A write in the child copies the page: the shared one loses its record
  // there, the copy gets one.
  uint8_t v = 0x99;
  REQUIRE(write_bytes(child, A, &v, 1) == KERN_SUCCESS);
  paddr_t copy = mapping(child, A).pa;
  CHECK(copy != pa);
  CHECK(pmap_page_mapping_count(copy) == 1);
  CHECK(pmap_page_mapping_count(pa) == 1);
  check_pmap(parent);
  check_pmap(child);

  f.drop(child);
  CHECK(pmap_page_mapping_count(copy) == 0);
  CHECK(pmap_page_mapping_count(pa) == 1);
}

TEST_CASE("pv: write-protect leaves read mappings; the next write faults") {
  VmFixture f;
  VmMap* m = f.map();
  alloc_fixed(m, A, P);
  stamp(m, A, 1, 7);
  Mapping mp = mapping(m, A);
  REQUIRE(mp.present);
  REQUIRE((mp.prot & VM_PROT_WRITE) != 0);
  host_vm::pmap_touch(m->pmap, A, kPmapReferenced | kPmapModified);

  CHECK(pmap_page_protect(mp.pa, VM_PROT_READ | VM_PROT_EXECUTE) == (kPmapReferenced | kPmapModified));
  Mapping after = mapping(m, A);
  REQUIRE(after.present);
  CHECK(after.pa == mp.pa);
  CHECK((after.prot & VM_PROT_WRITE) == 0);
  CHECK((after.prot & VM_PROT_READ) != 0);
  CHECK(pmap_page_mapping_count(mp.pa) == 1);
  // The bits stay on the mapping: protect only reports them.
  CHECK(pmap_page_query_bits(mp.pa) == (kPmapReferenced | kPmapModified));

  uint8_t v = 8;
  REQUIRE(write_bytes(m, A, &v, 1) == KERN_SUCCESS);
  CHECK((mapping(m, A).prot & VM_PROT_WRITE) != 0);
  CHECK(pmap_page_mapping_count(mp.pa) == 1);
  CHECK(byte_at(m, A) == 8);
  check_pmap(m);
}

TEST_CASE("pv: referenced/modified bits are OR-ed over the mappings and cleared in all") {
  PoolPage page;
  Pmap* p1 = pmap_create();
  Pmap* p2 = pmap_create();
  REQUIRE(pmap_enter(p1, kVa, page.pa, VM_PROT_READ) == KERN_SUCCESS);
  REQUIRE(pmap_enter(p2, kVa + P, page.pa, VM_PROT_READ | VM_PROT_WRITE) == KERN_SUCCESS);
  REQUIRE(pmap_enter(p2, kVa + 2 * P, page.pa, VM_PROT_READ) == KERN_SUCCESS);  // twice in one pmap
  CHECK(pmap_page_mapping_count(page.pa) == 3);
  CHECK(pmap_page_query_bits(page.pa) == 0);

  host_vm::pmap_touch(p1, kVa, kPmapReferenced);
  host_vm::pmap_touch(p2, kVa + P, kPmapModified);
  CHECK(pmap_page_query_bits(page.pa) == (kPmapReferenced | kPmapModified));
  pmap_page_clear_bits(page.pa, kPmapModified);
  CHECK(pmap_page_query_bits(page.pa) == kPmapReferenced);
  CHECK(pmap_query_bits(p2, kVa + P) == 0);
  host_vm::pmap_touch(p2, kVa + 2 * P, kPmapReferenced | kPmapModified);
  pmap_page_clear_bits(page.pa, kPmapReferenced | kPmapModified);
  CHECK(pmap_page_query_bits(page.pa) == 0);
  CHECK(pmap_query_bits(p1, kVa) == 0);
  CHECK(pmap_page_mapping_count(page.pa) == 3);  // clearing keeps the mappings
  CHECK(host_vm::pv_problems() == 0);

  // Protect returns the bits the mappings had before.
  host_vm::pmap_touch(p1, kVa, kPmapModified);
  CHECK(pmap_page_protect(page.pa, VM_PROT_READ) == kPmapModified);
  CHECK(pmap_page_protect(page.pa, VM_PROT_NONE) == kPmapModified);
  CHECK(pmap_page_mapping_count(page.pa) == 0);
  CHECK(host_vm::pmap_mapping_count(p1) == 0);
  CHECK(host_vm::pmap_mapping_count(p2) == 0);
  pmap_destroy(p1);
  pmap_destroy(p2);
  CHECK(host_vm::pv_problems() == 0);
}

TEST_CASE("pv: remove, protect NONE and destroy drop the records") {
  PoolPage a, b;
  Pmap* p = pmap_create();
  Pmap* q = pmap_create();
  for (uint64_t i = 0; i < 4; ++i) REQUIRE(pmap_enter(p, kVa + i * P, a.pa, VM_PROT_READ) == KERN_SUCCESS);
  REQUIRE(pmap_enter(q, kVa, a.pa, VM_PROT_READ) == KERN_SUCCESS);
  REQUIRE(pmap_enter(q, kVa + P, b.pa, VM_PROT_READ) == KERN_SUCCESS);
  CHECK(pmap_page_mapping_count(a.pa) == 5);
  CHECK(pmap_page_mapping_count(b.pa) == 1);

  pmap_remove(p, kVa, kVa + P);
  CHECK(pmap_page_mapping_count(a.pa) == 4);
  pmap_protect(p, kVa + P, kVa + 2 * P, VM_PROT_NONE);
  CHECK(pmap_page_mapping_count(a.pa) == 3);
  pmap_protect(p, kVa, kVa + 4 * P, VM_PROT_READ);  // lowering to what it has changes nothing
  CHECK(pmap_page_mapping_count(a.pa) == 3);
  CHECK(host_vm::pv_problems() == 0);

  // Destroyed with mappings still present (the VM removes them first, but
  // pmap_destroy must not leave records behind).
  pmap_destroy(p);
  CHECK(pmap_page_mapping_count(a.pa) == 1);
  CHECK(host_vm::pv_problems() == 0);
  pmap_destroy(q);
  CHECK(pmap_page_mapping_count(a.pa) == 0);
  CHECK(pmap_page_mapping_count(b.pa) == 0);
  CHECK(host_vm::pv_problems() == 0);
}

TEST_CASE("pv: replacing a mapping moves its record; re-entering the same page keeps one") {
  PoolPage a, b;
  Pmap* p = pmap_create();
  REQUIRE(pmap_enter(p, kVa, a.pa, VM_PROT_READ) == KERN_SUCCESS);
  REQUIRE(pmap_enter(p, kVa, a.pa, VM_PROT_READ | VM_PROT_WRITE) == KERN_SUCCESS);
  CHECK(pmap_page_mapping_count(a.pa) == 1);
  REQUIRE(pmap_enter(p, kVa, b.pa, VM_PROT_READ) == KERN_SUCCESS);
  CHECK(pmap_page_mapping_count(a.pa) == 0);
  CHECK(pmap_page_mapping_count(b.pa) == 1);
  CHECK(host_vm::pv_record_count(p, kVa, b.pa) == 1);
  CHECK(host_vm::pv_problems() == 0);

  // Uncached device registers outside the pool have no record; replacing
  // a recorded mapping by one drops the record, and back again.
  constexpr paddr_t kDevice = 0xfeb00000;
  REQUIRE(pmap_enter_attr(p, kVa, kDevice, VM_PROT_READ, PmapAttr::kUncached) == KERN_SUCCESS);
  CHECK(pmap_page_mapping_count(b.pa) == 0);
  CHECK(pmap_page_mapping_count(kDevice) == 0);
  CHECK(pmap_page_protect(kDevice, VM_PROT_NONE) == 0);
  CHECK(host_vm::pmap_mapping_count(p) == 1);  // not reached
  REQUIRE(pmap_enter(p, kVa, b.pa, VM_PROT_READ) == KERN_SUCCESS);
  CHECK(pmap_page_mapping_count(b.pa) == 1);
  // A pool page mapped uncached (a DMA buffer) is recorded.
  REQUIRE(pmap_enter_attr(p, kVa + P, a.pa, VM_PROT_READ, PmapAttr::kUncached) == KERN_SUCCESS);
  CHECK(pmap_page_mapping_count(a.pa) == 1);
  CHECK(host_vm::pv_problems() == 0);
  pmap_destroy(p);
  CHECK(pmap_page_mapping_count(a.pa) == 0);
  CHECK(pmap_page_mapping_count(b.pa) == 0);
}

TEST_CASE("pv: pmap_enter without memory for a record fails and changes nothing") {
  PoolPage a, b;
  Pmap* p = pmap_create();
  host_vm::fail_records_after(0);
  CHECK(pmap_enter(p, kVa, a.pa, VM_PROT_READ) == KERN_RESOURCE_SHORTAGE);
  CHECK_FALSE(pmap_extract(p, kVa, nullptr, nullptr));
  CHECK(host_vm::pmap_mapping_count(p) == 0);
  CHECK(pmap_page_mapping_count(a.pa) == 0);
  host_vm::fail_records_after(1);
  REQUIRE(pmap_enter(p, kVa, a.pa, VM_PROT_READ) == KERN_SUCCESS);
  // Replacing reuses the old record: no allocation needed.
  REQUIRE(pmap_enter(p, kVa, b.pa, VM_PROT_READ) == KERN_SUCCESS);
  CHECK(pmap_page_mapping_count(b.pa) == 1);
  CHECK(pmap_enter(p, kVa + P, a.pa, VM_PROT_READ) == KERN_RESOURCE_SHORTAGE);
  CHECK_FALSE(pmap_extract(p, kVa + P, nullptr, nullptr));
  CHECK(pmap_page_mapping_count(a.pa) == 0);
  host_vm::fail_records_after(-1);
  CHECK(host_vm::pv_problems() == 0);
  pmap_destroy(p);
}

TEST_CASE("pv: a fault whose record cannot be had fails and maps nothing") {
  VmFixture f;
  VmMap* m = f.map();
  alloc_fixed(m, A, P);
  stamp(m, A, 1, 3);
  paddr_t pa = mapping(m, A).pa;
  pmap_page_protect(pa, VM_PROT_NONE);
  host_vm::fail_records_after(0);
  CHECK(vm_fault(m, A, VM_PROT_READ, nullptr) == KERN_RESOURCE_SHORTAGE);
  CHECK_FALSE(mapping(m, A).present);
  host_vm::fail_records_after(-1);
  CHECK(byte_at(m, A) == 3);
  CHECK(pmap_page_mapping_count(pa) == 1);
}
