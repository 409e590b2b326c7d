// The host fakes behind the VM core (vm_env_host.cpp): the pmap follows the
// rules the x86-64 pmap keeps, and the page and allocation counters balance.
#include <doctest/doctest.h>

#include "vm/pmap.h"
#include "vm/vm_env.h"
#include "vm_env_host.h"

using namespace mk;

namespace {
constexpr uint64_t kVa = 0x10000000;
constexpr paddr_t kPa = 0x200000, kPa2 = 0x305000;
}  // namespace

TEST_CASE("host pmap: enter, extract, replace") {
  Pmap* p = pmap_create();
  REQUIRE(p);
  CHECK(pmap_enter(p, kVa, kPa, VM_PROT_NONE) == KERN_INVALID_ARGUMENT);
  CHECK(pmap_enter(p, kVa + 1, kPa, VM_PROT_READ) == KERN_INVALID_ADDRESS);
  CHECK(pmap_enter(p, 0x0000800000000000ull, kPa, VM_PROT_READ) == KERN_INVALID_ADDRESS);
  CHECK(host_vm::pmap_mapping_count(p) == 0);

  REQUIRE(pmap_enter(p, kVa, kPa, VM_PROT_READ | VM_PROT_WRITE) == KERN_SUCCESS);
  paddr_t pa = 0;
  vm_prot_t prot = VM_PROT_NONE;
  REQUIRE(pmap_extract(p, kVa + 0x123, &pa, &prot));
  CHECK(pa == kPa + 0x123);
  CHECK(prot == (VM_PROT_READ | VM_PROT_WRITE));
  CHECK_FALSE(pmap_extract(p, kVa + kPageSize, &pa, &prot));

  // Same page again: the bits stay; another page: they go.
  host_vm::pmap_touch(p, kVa, kPmapReferenced | kPmapModified);
  REQUIRE(pmap_enter(p, kVa, kPa, VM_PROT_READ) == KERN_SUCCESS);
  CHECK(pmap_query_bits(p, kVa) == (kPmapReferenced | kPmapModified));
  REQUIRE(pmap_enter(p, kVa, kPa2, VM_PROT_READ) == KERN_SUCCESS);
  CHECK(pmap_query_bits(p, kVa) == 0);
  REQUIRE(pmap_extract(p, kVa, &pa, &prot));
  CHECK(pa == kPa2);
  CHECK(prot == VM_PROT_READ);
  CHECK(host_vm::pmap_mapping_count(p) == 1);
  pmap_destroy(p);
}

TEST_CASE("host pmap: protect only lowers, NONE removes; remove is [start, end)") {
  Pmap* p = pmap_create();
  for (uint64_t i = 0; i < 4; ++i)
    REQUIRE(pmap_enter(p, kVa + i * kPageSize, kPa + i * kPageSize, VM_PROT_READ | VM_PROT_WRITE) ==
            KERN_SUCCESS);
  vm_prot_t prot;
  pmap_protect(p, kVa, kVa + 2 * kPageSize, VM_PROT_READ | VM_PROT_EXECUTE);
  REQUIRE(pmap_extract(p, kVa, nullptr, &prot));
  CHECK(prot == VM_PROT_READ);  // execute not added
  REQUIRE(pmap_extract(p, kVa + 2 * kPageSize, nullptr, &prot));
  CHECK(prot == (VM_PROT_READ | VM_PROT_WRITE));  // outside the range

  pmap_protect(p, kVa + kPageSize, kVa + 2 * kPageSize, VM_PROT_NONE);
  CHECK_FALSE(pmap_extract(p, kVa + kPageSize, nullptr, nullptr));
  CHECK(host_vm::pmap_mapping_count(p) == 3);

  pmap_remove(p, kVa + 2 * kPageSize, kVa + 3 * kPageSize);
  CHECK_FALSE(pmap_extract(p, kVa + 2 * kPageSize, nullptr, nullptr));
  CHECK(pmap_extract(p, kVa + 3 * kPageSize, nullptr, nullptr));
  pmap_remove(p, 0, 0x0000800000000000ull);
  CHECK(host_vm::pmap_mapping_count(p) == 0);
  pmap_destroy(p);
}

TEST_CASE("host pmap: referenced and modified bits") {
  Pmap* p = pmap_create();
  CHECK(pmap_query_bits(p, kVa) == 0);
  host_vm::pmap_touch(p, kVa, kPmapModified);  // not mapped: nothing
  REQUIRE(pmap_enter(p, kVa, kPa, VM_PROT_READ | VM_PROT_WRITE) == KERN_SUCCESS);
  CHECK(pmap_query_bits(p, kVa) == 0);
  host_vm::pmap_touch(p, kVa, kPmapReferenced | kPmapModified);
  CHECK(pmap_query_bits(p, kVa + 8) == (kPmapReferenced | kPmapModified));
  pmap_clear_bits(p, kVa, kPmapModified);
  CHECK(pmap_query_bits(p, kVa) == kPmapReferenced);
  pmap_clear_bits(p, kVa, kPmapReferenced);
  CHECK(pmap_query_bits(p, kVa) == 0);
  pmap_destroy(p);
}

TEST_CASE("host vm env: pages and allocations are counted; grabs can be made to fail") {
  uint64_t pages = host_vm::pages_in_use(), allocs = host_vm::allocations_in_use();
  uint64_t free_before = vm_env_free_pages();
  paddr_t a, b;
  REQUIRE(vm_env_page_grab(&a) == KERN_SUCCESS);
  CHECK(page_aligned(a));
  CHECK(vm_env_page_address(a) == reinterpret_cast<void*>(a));
  CHECK(host_vm::pages_in_use() == pages + 1);
  CHECK(vm_env_free_pages() == free_before - 1);
  CHECK(vm_env_total_pages() == (1ull << 20));

  host_vm::fail_page_grabs_after(1);
  REQUIRE(vm_env_page_grab(&b) == KERN_SUCCESS);
  CHECK(vm_env_page_grab(&b) == KERN_RESOURCE_SHORTAGE);
  host_vm::fail_page_grabs_after(-1);
  vm_env_page_release(a);
  vm_env_page_release(b);
  CHECK(host_vm::pages_in_use() == pages);

  void* m = vm_alloc(40);
  REQUIRE(m);
  CHECK(host_vm::allocations_in_use() == allocs + 1);
  vm_free(m);
  CHECK(host_vm::allocations_in_use() == allocs);
}
