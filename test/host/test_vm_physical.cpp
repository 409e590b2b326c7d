// Physical objects (vm_object.h): device memory and DMA buffers. A fault
// maps phys_base + offset (uncached for devices) without taking a page;
// kernel byte copies and vm_map_copyin refuse them; a fork shares them
// whatever the inheritance (less none); an owning object gives its run
// back with its last reference.
#include <doctest/doctest.h>

#include "vm_env_host.h"
#include "vm_test_util.h"

using namespace vmt;

namespace {

constexpr uint64_t A = 0x30000000;
// A "device" address: never dereferenced (uncached memory is not reached
// through the direct map, so the fake never touches it either).
constexpr paddr_t kDevice = 0x7f0000000000;

VmObject* map_physical(VmMap* m, paddr_t base, uint64_t pages, bool uncached, bool owns,
                       vm_prot_t prot = VM_PROT_READ | VM_PROT_WRITE, vm_inherit_t inh = VM_INHERIT_SHARE) {
  VmObject* o = vm_object_allocate_physical(base, pages * P, uncached, owns);
  REQUIRE(o);
  uint64_t at = A;
  REQUIRE(vm_map_enter(m, &at, pages * P, false, o, 0, false, prot, VM_PROT_READ | VM_PROT_WRITE, inh) ==
          KERN_SUCCESS);
  CHECK(at == A);
  return o;
}

bool lookup(VmMap* m, uint64_t va, paddr_t* pa, bool* uncached) {
  vm_prot_t prot;
  return host_vm::pmap_lookup(m->pmap, va, pa, &prot, uncached);
}

}  // namespace

TEST_CASE("vm physical: a device object maps its own frames uncached, takes no page") {
  VmFixture f;
  VmMap* m = f.map();
  VmObject* o = map_physical(m, kDevice, 3, true, false);
  uint64_t pages = host_vm::pages_in_use();
  paddr_t pa = 0;
  REQUIRE(vm_fault(m, A + P + 5, VM_PROT_READ, &pa) == KERN_SUCCESS);
  CHECK(pa == kDevice + P);
  REQUIRE(vm_fault(m, A + 2 * P, VM_PROT_WRITE, &pa) == KERN_SUCCESS);
  CHECK(pa == kDevice + 2 * P);
  CHECK(host_vm::pages_in_use() == pages);
  CHECK(o->resident_count == 0);
  bool uncached = false;
  REQUIRE(lookup(m, A + P, &pa, &uncached));
  CHECK(pa == kDevice + P);
  CHECK(uncached);
  CHECK_FALSE(pmap_extract(m->pmap, A + P, &pa, nullptr));  // not reported: see pmap.h
  CHECK(vm_fault(m, A + 3 * P, VM_PROT_READ, &pa) == KERN_INVALID_ADDRESS);
  check_map(m);
  check_pmap(m);
}

TEST_CASE("vm physical: protection is checked, wiring takes no page") {
  VmFixture f;
  VmMap* m = f.map();
  map_physical(m, kDevice, 2, true, false, VM_PROT_READ);
  paddr_t pa;
  CHECK(vm_fault(m, A, VM_PROT_WRITE, &pa) == KERN_PROTECTION_FAILURE);
  uint64_t pages = host_vm::pages_in_use();
  CHECK(vm_map_wire(m, A, A + 2 * P, VM_PROT_READ) == KERN_SUCCESS);
  CHECK(vm_map_wire(m, A, A + 2 * P, VM_PROT_NONE) == KERN_SUCCESS);
  CHECK(host_vm::pages_in_use() == pages);
  check_pmap(m);
}

TEST_CASE("vm physical: kernel copies and copyin refuse physical objects") {
  VmFixture f;
  VmMap* m = f.map();
  map_physical(m, kDevice, 8, true, false);
  uint8_t buf[64] = {};
  CHECK(vm_map_copy_bytes(m, A + 10, buf, sizeof buf, false) == KERN_PROTECTION_FAILURE);
  CHECK(vm_map_copy_bytes(m, A + 10, buf, sizeof buf, true) == KERN_PROTECTION_FAILURE);
  VmMapCopy* copy = nullptr;
  CHECK(vm_map_copyin(m, A, 64, false, false, &copy) == KERN_PROTECTION_FAILURE);      // buffered
  CHECK(vm_map_copyin(m, A, 8 * P, false, false, &copy) == KERN_PROTECTION_FAILURE);   // entries
  CHECK(vm_map_copyin(m, A, 8 * P, false, true, &copy) == KERN_PROTECTION_FAILURE);    // physical copy
  CHECK(copy == nullptr);
  // A range that only starts in ordinary memory is refused too.
  alloc_fixed(m, A - 2 * P, 2 * P);
  CHECK(vm_map_copyin(m, A - 2 * P, 4 * P, false, false, &copy) == KERN_PROTECTION_FAILURE);
  check_map(m);
}

TEST_CASE("vm physical: a fork shares the object whatever the inheritance, less none") {
  VmFixture f;
  for (vm_inherit_t inh : {VM_INHERIT_SHARE, VM_INHERIT_COPY, VM_INHERIT_NONE}) {
    CAPTURE(inh);
    VmMap* m = f.map();
    VmObject* o = map_physical(m, kDevice, 2, true, false, VM_PROT_READ | VM_PROT_WRITE, inh);
    paddr_t pa;
    REQUIRE(vm_fault(m, A, VM_PROT_WRITE, &pa) == KERN_SUCCESS);
    VmMap* c = f.fork(m);
    if (inh == VM_INHERIT_NONE) {
      CHECK(vm_map_lookup_entry(c, A) == nullptr);
      CHECK(o->ref_count == 1);
    } else {
      VmMapEntry* ce = vm_map_lookup_entry(c, A);
      REQUIRE(ce);
      CHECK(ce->object == o);
      CHECK_FALSE(ce->needs_copy);
      CHECK_FALSE(vm_map_lookup_entry(m, A)->needs_copy);
      CHECK(o->ref_count == 2);
      REQUIRE(vm_fault(c, A + P, VM_PROT_WRITE, &pa) == KERN_SUCCESS);
      CHECK(pa == kDevice + P);
      // The parent keeps writing the same frames.
      REQUIRE(vm_fault(m, A + P, VM_PROT_WRITE, &pa) == KERN_SUCCESS);
      CHECK(pa == kDevice + P);
      check_pmap(c);
    }
    check_pmap(m);
  }
}

TEST_CASE("vm physical: an owning object (a DMA buffer) gives its run back with the last mapping") {
  uint64_t runs = host_vm::runs_in_use();
  {
    VmFixture f;
    VmMap* m = f.map();
    paddr_t run = host_vm::grab_run(4);
    map_physical(m, run, 4, false, true);
    paddr_t pa;
    REQUIRE(vm_fault(m, A + 3 * P, VM_PROT_WRITE, &pa) == KERN_SUCCESS);
    CHECK(pa == run + 3 * P);
    // Cached memory is reported, so the kernel may reach it (fast path).
    paddr_t got;
    CHECK(pmap_extract(m->pmap, A + 3 * P, &got, nullptr));
    CHECK(got == run + 3 * P);
    VmMap* c = f.fork(m);
    CHECK(vm_map_remove(m, A, A + 4 * P) == KERN_SUCCESS);
    CHECK(host_vm::runs_in_use() == runs + 1);  // the child still maps it
    // Part of the child's mapping goes: the object stays.
    CHECK(vm_map_remove(c, A, A + P) == KERN_SUCCESS);
    CHECK(host_vm::runs_in_use() == runs + 1);
    check_map(c);
    check_pmap(c);
    CHECK(vm_map_remove(c, A + P, A + 4 * P) == KERN_SUCCESS);
    CHECK(host_vm::runs_in_use() == runs);
  }
  {
    // A task that ends with the buffer mapped frees it with its map.
    VmFixture f;
    VmMap* m = f.map();
    map_physical(m, host_vm::grab_run(2), 2, false, true);
    f.drop(m);
    CHECK(host_vm::runs_in_use() == runs);
  }
}

TEST_CASE("vm physical: clipped and protected pieces keep their frames") {
  VmFixture f;
  VmMap* m = f.map();
  map_physical(m, kDevice, 4, true, false);
  CHECK(vm_map_protect(m, A + P, A + 2 * P, VM_PROT_READ, false) == KERN_SUCCESS);
  paddr_t pa;
  REQUIRE(vm_fault(m, A + 2 * P, VM_PROT_WRITE, &pa) == KERN_SUCCESS);
  CHECK(pa == kDevice + 2 * P);
  CHECK(vm_fault(m, A + P, VM_PROT_WRITE, &pa) == KERN_PROTECTION_FAILURE);
  REQUIRE(vm_fault(m, A + P, VM_PROT_READ, &pa) == KERN_SUCCESS);
  CHECK(pa == kDevice + P);
  CHECK(vm_map_protect(m, A + P, A + 2 * P, VM_PROT_READ | VM_PROT_WRITE, false) == KERN_SUCCESS);
  CHECK(entry_count(m) == 1);  // coalesced again
  check_map(m);
  check_pmap(m);
}
