// The VM core's side of external pagers: faults on pager-backed memory ask
// the pager once per page and wait; errors, pager failure, locks and the
// existence map of paged-out temporary memory (vm_fault.cpp, vm_object.cpp).
#include <doctest/doctest.h>

#include "vm/vm_fault.h"
#include "vm/vm_map.h"
#include "vm_pager_host.h"
#include "vm_test_util.h"

using namespace vmt;

namespace {

constexpr uint64_t A = 0x400000;
// Stands for the kernel's VmPager: the core only tests it for null.
alignas(8) char g_fake_pager[64];

VmPager* fake_pager() { return reinterpret_cast<VmPager*>(g_fake_pager); }

VmObject* object_at_addr(VmMap* m, uint64_t addr) {
  VmMapEntry* e = vm_map_lookup_entry(m, addr);
  REQUIRE(e);
  return e->object;
}

// Map `pages` of a new external (memory object) object at A; returns it.
VmObject* map_external(VmMap* m, uint64_t pages, bool copy = false) {
  VmObject* o = vm_object_allocate(pages * P);
  REQUIRE(o);
  o->external = true;
  o->pager = fake_pager();
  uint64_t addr = A;
  REQUIRE(vm_map_enter(m, &addr, pages * P, false, o, 0, copy, VM_PROT_DEFAULT, VM_PROT_ALL, VM_INHERIT_DEFAULT) ==
          KERN_SUCCESS);
  return o;
}

// What data_supply does in the kernel: fill the busy page, wake nobody.
void supply(VmObject* o, uint64_t offset, uint8_t byte) {
  VmPage* page = vm_page_lookup(o, offset);
  REQUIRE(page);
  REQUIRE(page->busy);
  __builtin_memset(vm_page_address(page), byte, P);
  page->busy = false;
  page->dirty = false;
}

}  // namespace

TEST_CASE("pager: a first touch asks the pager once and waits; the supplied page is mapped clean") {
  VmFixture f;
  VmMap* m = f.map();
  host_vm::pager_requests.clear();
  VmObject* o = map_external(m, 4);
  VmFaultWait w;
  CHECK(vm_fault(m, A + P + 8, VM_PROT_READ, nullptr, &w) == kVmFaultWait);
  CHECK(w.object == o);
  CHECK(w.offset == P);
  REQUIRE(host_vm::pager_requests.size() == 1);
  CHECK(host_vm::pager_requests[0].offset == P);
  CHECK(host_vm::pager_requests[0].access == VM_PROT_READ);
  CHECK_FALSE(host_vm::pager_requests[0].unlock);
  vm_object_deallocate(w.object);  // the waiter's reference

  // A second fault on the same page waits for the same request.
  VmFaultWait w2;
  CHECK(vm_fault(m, A + P, VM_PROT_WRITE, nullptr, &w2) == kVmFaultWait);
  CHECK(host_vm::pager_requests.size() == 1);
  vm_object_deallocate(w2.object);
  // Without a way to wait the fault fails (the request stands).
  CHECK(vm_fault(m, A + P, VM_PROT_READ, nullptr) == KERN_MEMORY_ERROR);
  CHECK(host_vm::pager_requests.size() == 1);

  supply(o, P, 0x5a);
  CHECK(vm_fault(m, A + P, VM_PROT_READ, nullptr, &w) == KERN_SUCCESS);
  CHECK(byte_at(m, A + P + 100) == 0x5a);
  CHECK(mapping(m, A + P).prot == VM_PROT_READ);  // clean: a write comes back
  CHECK_FALSE(vm_page_lookup(o, P)->dirty);
  CHECK(vm_fault(m, A + P, VM_PROT_WRITE, nullptr, &w) == KERN_SUCCESS);
  CHECK(vm_page_lookup(o, P)->dirty);
  CHECK(mapping(m, A + P).prot == VM_PROT_DEFAULT);
  // Writes land in the object itself (copy = FALSE): the pager gets them.
  CHECK(object_at_addr(m, A) == o);
  host_vm::objects_unreferenced = 0;
  f.drop(m);
  CHECK(host_vm::objects_unreferenced == 1);
}

TEST_CASE("pager: data_error fails one fault, the next asks again; a failed pager fails at once") {
  VmFixture f;
  VmMap* m = f.map();
  host_vm::pager_requests.clear();
  VmObject* o = map_external(m, 2);
  VmFaultWait w;
  REQUIRE(vm_fault(m, A, VM_PROT_READ, nullptr, &w) == kVmFaultWait);
  vm_object_deallocate(w.object);
  VmPage* page = vm_page_lookup(o, 0);
  page->busy = false;
  page->error = true;
  CHECK(vm_fault(m, A, VM_PROT_READ, nullptr, &w) == KERN_MEMORY_ERROR);
  CHECK(vm_page_lookup(o, 0) == nullptr);  // reported once, dropped
  CHECK(vm_fault(m, A, VM_PROT_READ, nullptr, &w) == kVmFaultWait);
  CHECK(host_vm::pager_requests.size() == 2);
  vm_object_deallocate(w.object);
  supply(o, 0, 1);

  o->pager_error = KERN_MEMORY_ERROR;
  CHECK(vm_fault(m, A + P, VM_PROT_READ, nullptr, &w) == KERN_MEMORY_ERROR);
  CHECK(host_vm::pager_requests.size() == 2);
  CHECK(vm_fault(m, A, VM_PROT_READ, nullptr, &w) == KERN_SUCCESS);  // resident pages stay readable
}

TEST_CASE("pager: a locked page needs data_unlock before the access") {
  VmFixture f;
  VmMap* m = f.map();
  host_vm::pager_requests.clear();
  VmObject* o = map_external(m, 1);
  VmFaultWait w;
  REQUIRE(vm_fault(m, A, VM_PROT_READ, nullptr, &w) == kVmFaultWait);
  vm_object_deallocate(w.object);
  supply(o, 0, 7);
  VmPage* page = vm_page_lookup(o, 0);
  page->lock = VM_PROT_WRITE;
  CHECK(vm_fault(m, A, VM_PROT_READ, nullptr, &w) == KERN_SUCCESS);
  CHECK(vm_fault(m, A, VM_PROT_WRITE, nullptr, &w) == kVmFaultWait);
  vm_object_deallocate(w.object);
  REQUIRE(host_vm::pager_requests.size() == 2);
  CHECK(host_vm::pager_requests[1].unlock);
  CHECK(host_vm::pager_requests[1].access == VM_PROT_WRITE);
  CHECK(page->unlock_pending);
  // The pager lowers the lock (lock_request): the write goes through.
  page->lock = VM_PROT_NONE;
  page->unlock_pending = false;
  CHECK(vm_fault(m, A, VM_PROT_WRITE, nullptr, &w) == KERN_SUCCESS);
  CHECK(page->dirty);
}

TEST_CASE("pager: a copy (copy = TRUE) looks through to the object and keeps its writes") {
  VmFixture f;
  VmMap* m = f.map();
  host_vm::pager_requests.clear();
  VmObject* o = map_external(m, 1, /*copy=*/true);
  VmFaultWait w;
  REQUIRE(vm_fault(m, A, VM_PROT_WRITE, nullptr, &w) == kVmFaultWait);
  CHECK(w.object == o);  // asked of the memory object behind the private copy
  vm_object_deallocate(w.object);
  supply(o, 0, 9);
  REQUIRE(vm_fault(m, A, VM_PROT_WRITE, nullptr, &w) == KERN_SUCCESS);
  write_str(m, A, "private");
  CHECK(read_str(m, A, 7) == "private");
  CHECK(static_cast<uint8_t*>(vm_page_address(vm_page_lookup(o, 0)))[0] == 9);  // the object is untouched
  CHECK_FALSE(vm_page_lookup(o, 0)->dirty);
}

TEST_CASE("pager: the existence map sends a paged-out page's fault to the default pager, others zero-fill") {
  VmFixture f;
  VmMap* m = f.map();
  host_vm::pager_requests.clear();
  alloc_fixed(m, A, 4 * P);
  stamp(m, A, 4, 0x30);
  VmObject* o = object_at_addr(m, A);
  REQUIRE(o);
  // Page 1 was paged out: it left the object and the map records it.
  VmPage* page = vm_page_lookup(o, P);
  REQUIRE(page);
  pmap_remove(m->pmap, A + P, A + 2 * P);
  vm_page_free(page);
  REQUIRE(vm_object_existence_set(o, P));
  o->pager = fake_pager();
  CHECK(vm_object_pager_has_page(o, P));
  CHECK_FALSE(vm_object_pager_has_page(o, 2 * P));
  // An eager copy cannot wait for the pager: no copy rather than zeros.
  CHECK(vm_object_copy_slowly(o, 0, 4 * P) == nullptr);
  VmFaultWait w;
  CHECK(vm_fault(m, A + P, VM_PROT_READ, nullptr, &w) == kVmFaultWait);
  CHECK(host_vm::pager_requests.size() == 1);
  CHECK(vm_object_copy_slowly(o, 0, 4 * P) == nullptr);  // busy: still only the pager's
  vm_object_deallocate(w.object);
  supply(o, P, 0x31);
  CHECK(byte_at(m, A + P) == 0x31);
  VmObject* copy = vm_object_copy_slowly(o, 0, 4 * P);
  REQUIRE(copy);
  CHECK(static_cast<uint8_t*>(vm_page_address(vm_page_lookup(copy, P)))[0] == 0x31);
  vm_object_deallocate(copy);
  CHECK(byte_at(m, A + 2 * P) == 0x32);  // resident: no request
  CHECK(host_vm::pager_requests.size() == 1);
  // A fork's copy shadows it: the child's fault still reaches the pager's
  // page through the chain, and collapse leaves an object with a pager alone.
  VmMap* child = f.fork(m);
  VmPage* again = vm_page_lookup(o, P);
  pmap_remove(m->pmap, A + P, A + 2 * P);
  pmap_remove(child->pmap, A + P, A + 2 * P);
  vm_page_free(again);
  CHECK(vm_fault(child, A + P, VM_PROT_WRITE, nullptr, &w) == kVmFaultWait);
  CHECK(w.object == o);
  vm_object_deallocate(w.object);
  supply(o, P, 0x41);
  CHECK(byte_at(child, A + P) == 0x41);
}
