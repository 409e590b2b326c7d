// Page faults (vm_fault.h): zero fill, errors, copy-on-write after fork,
// shared and absent inheritance, bounded shadow chains, and shortages.
#include <doctest/doctest.h>
#include <string.h>

#include <string>
#include <vector>

#include "vm_test_util.h"

using namespace vmt;

namespace {

constexpr uint64_t A = 0x20000000;

bool page_is(paddr_t pa, uint8_t v) {
  auto* b = static_cast<const uint8_t*>(vm_env_page_address(pa));
  for (uint64_t i = 0; i < P; i++)
    if (b[i] != v) return false;
  return true;
}

// Dirty some physical pages and give them back, so a page that is not
// zeroed would show.
void dirty_free_pages() {
  std::vector<paddr_t> v;
  for (int i = 0; i < 8; i++) {
    paddr_t pa;
    REQUIRE(vm_env_page_grab(&pa) == KERN_SUCCESS);
    memset(vm_env_page_address(pa), 0xee, P);
    v.push_back(pa);
  }
  for (paddr_t pa : v) vm_env_page_release(pa);
}

VmObject* object_at(VmMap* m, uint64_t addr) {
  VmMapEntry* e = vm_map_lookup_entry(m, addr);
  REQUIRE(e);
  return e->object;
}

}  // namespace

TEST_CASE("vm_fault: zero fill on first touch, mapped with the entry's protection") {
  VmFixture f;
  VmMap* m = f.map();
  alloc_fixed(m, A, 2 * P);
  dirty_free_pages();
  uint64_t faults = g_vm_fault_counts.faults, zero_fills = g_vm_fault_counts.zero_fills;

  paddr_t pa = 0;
  REQUIRE(vm_fault(m, A + P + 5, VM_PROT_READ, &pa) == KERN_SUCCESS);  // any address in the page
  CHECK(pa != 0);
  CHECK(page_aligned(pa));
  CHECK(page_is(pa, 0));
  Mapping mp = mapping(m, A + P);
  CHECK(mp.present);
  CHECK(mp.pa == pa);
  // Zeros are clean: mapped without write, so the first write comes back
  // to mark the page dirty (page-out frees clean pages without writing).
  CHECK(mp.prot == VM_PROT_READ);
  CHECK_FALSE(mapping(m, A).present);  // only the page touched
  CHECK(g_vm_fault_counts.faults == faults + 1);
  CHECK(g_vm_fault_counts.zero_fills == zero_fills + 1);
  CHECK(host_vm::pages_in_use() == f.base.pages + 1);
  VmObject* o = object_at(m, A);
  REQUIRE(o);
  CHECK(o->resident_count == 1);

  // Again: the same page, nothing new.
  paddr_t again = 0;
  REQUIRE(vm_fault(m, A + P, VM_PROT_READ | VM_PROT_WRITE, &again) == KERN_SUCCESS);
  CHECK(again == pa);
  CHECK(mapping(m, A + P).prot == VM_PROT_DEFAULT);  // dirty now: the entry's protection
  CHECK(g_vm_fault_counts.zero_fills == zero_fills + 1);
  CHECK(host_vm::pages_in_use() == f.base.pages + 1);

  // What is written is read back, from the same page.
  write_str(m, A + P + 100, "hello");
  CHECK(read_str(m, A + P + 100, 5) == "hello");
  CHECK(read_str(m, A + P + 99, 1) == std::string(1, '\0'));
  // pa may be null.
  CHECK(vm_fault(m, A, VM_PROT_WRITE, nullptr) == KERN_SUCCESS);
  CHECK(mapping(m, A).present);
  check_pmap(m);
}

TEST_CASE("vm_fault: the pmap gets exactly the entry's protection") {
  VmFixture f;
  VmMap* m = f.map();
  alloc_fixed(m, A, 3 * P);
  REQUIRE(vm_map_protect(m, A, A + P, VM_PROT_READ | VM_PROT_EXECUTE, false) == KERN_SUCCESS);
  REQUIRE(vm_map_protect(m, A + P, A + 2 * P, VM_PROT_READ, false) == KERN_SUCCESS);
  REQUIRE(vm_map_protect(m, A + 2 * P, A + 3 * P, VM_PROT_ALL, false) == KERN_SUCCESS);
  paddr_t pa;
  REQUIRE(vm_fault(m, A, VM_PROT_EXECUTE, &pa) == KERN_SUCCESS);
  CHECK(mapping(m, A).prot == (VM_PROT_READ | VM_PROT_EXECUTE));
  REQUIRE(vm_fault(m, A + P, VM_PROT_READ, &pa) == KERN_SUCCESS);
  CHECK(mapping(m, A + P).prot == VM_PROT_READ);
  REQUIRE(vm_fault(m, A + 2 * P, VM_PROT_READ, &pa) == KERN_SUCCESS);
  CHECK(mapping(m, A + 2 * P).prot == (VM_PROT_READ | VM_PROT_EXECUTE));  // clean: no write yet
  REQUIRE(vm_fault(m, A + 2 * P, VM_PROT_WRITE, &pa) == KERN_SUCCESS);
  CHECK(mapping(m, A + 2 * P).prot == VM_PROT_ALL);
  check_pmap(m);
}

TEST_CASE("vm_fault: KERN_INVALID_ADDRESS where nothing is mapped") {
  VmFixture f;
  VmMap* m = f.map();
  alloc_fixed(m, A, 2 * P);
  alloc_fixed(m, A + 4 * P, P);
  uint64_t faults = g_vm_fault_counts.faults;
  paddr_t pa = 0x1234;
  for (uint64_t addr : {A - 1, A + 2 * P, A + 3 * P + 100, A + 5 * P, kMin, uint64_t(0), kMax, ~uint64_t(0)}) {
    INFO("addr ", addr);
    CHECK(vm_fault(m, addr, VM_PROT_READ, &pa) == KERN_INVALID_ADDRESS);
    CHECK(vm_fault(m, addr, VM_PROT_WRITE, &pa) == KERN_INVALID_ADDRESS);
  }
  CHECK(pa == 0x1234);
  CHECK(g_vm_fault_counts.faults == faults);
  CHECK(host_vm::pmap_mapping_count(m->pmap) == 0);
  CHECK(host_vm::pages_in_use() == f.base.pages);
}

TEST_CASE("vm_fault: KERN_PROTECTION_FAILURE for an access the region forbids") {
  VmFixture f;
  VmMap* m = f.map();
  alloc_fixed(m, A, 3 * P);
  write_str(m, A, "data");
  REQUIRE(vm_map_protect(m, A, A + P, VM_PROT_READ, false) == KERN_SUCCESS);
  REQUIRE(vm_map_protect(m, A + P, A + 2 * P, VM_PROT_NONE, false) == KERN_SUCCESS);
  uint64_t pages = host_vm::pages_in_use();
  paddr_t pa;
  CHECK(vm_fault(m, A + 8, VM_PROT_WRITE, &pa) == KERN_PROTECTION_FAILURE);
  CHECK(vm_fault(m, A, VM_PROT_READ | VM_PROT_WRITE, &pa) == KERN_PROTECTION_FAILURE);
  CHECK(vm_fault(m, A, VM_PROT_EXECUTE, &pa) == KERN_PROTECTION_FAILURE);
  CHECK(vm_fault(m, A + P, VM_PROT_READ, &pa) == KERN_PROTECTION_FAILURE);
  CHECK(vm_fault(m, A + 2 * P, VM_PROT_EXECUTE, &pa) == KERN_PROTECTION_FAILURE);  // rw-
  CHECK_FALSE(mapping(m, A + P).present);
  CHECK_FALSE(mapping(m, A + 2 * P).present);
  CHECK(host_vm::pages_in_use() == pages);
  Mapping mp = mapping(m, A);
  if (mp.present) CHECK(mp.prot == VM_PROT_READ);
  CHECK(read_str(m, A, 4) == "data");
  CHECK(mapping(m, A).prot == VM_PROT_READ);
  check_pmap(m);
}

TEST_CASE("vm_fault: copy-on-write after vm_map_fork") {
  VmFixture f;
  VmMap* parent = f.map();
  alloc_fixed(parent, A, 4 * P);
  std::vector<uint8_t> before = pattern(2 * P, 1);
  write_vec(parent, A, before);  // pages 0 and 1; pages 2 and 3 untouched
  paddr_t ppa = mapping(parent, A).pa;
  uint64_t cow = g_vm_fault_counts.cow_copies;

  VmMap* child = f.fork(parent);
  CHECK(entry_count(child) == entry_count(parent));
  CHECK(child->size == parent->size);
  // The parent lost write access to what it had mapped.
  Mapping pm = mapping(parent, A);
  CHECK(pm.present);
  CHECK((pm.prot & VM_PROT_WRITE) == 0);
  check_pmap(parent);
  check_pmap(child);

  // The child reads the parent's bytes from the same physical page, read-only.
  CHECK(read_vec(child, A, 2 * P) == before);
  Mapping cm = mapping(child, A);
  CHECK(cm.present);
  CHECK(cm.pa == ppa);
  CHECK((cm.prot & VM_PROT_WRITE) == 0);
  CHECK(g_vm_fault_counts.cow_copies == cow);

  // The child writes: its own page now, the rest of it copied.
  paddr_t cpa = 0;
  REQUIRE(vm_fault(child, A + 10, VM_PROT_WRITE, &cpa) == KERN_SUCCESS);
  CHECK(cpa != ppa);
  memcpy(static_cast<uint8_t*>(vm_env_page_address(cpa)) + 10, "child", 5);
  CHECK(g_vm_fault_counts.cow_copies == cow + 1);
  CHECK(mapping(child, A).pa == cpa);
  CHECK((mapping(child, A).prot & VM_PROT_WRITE) != 0);
  std::vector<uint8_t> child_view = before;
  memcpy(child_view.data() + 10, "child", 5);
  CHECK(read_vec(child, A, 2 * P) == child_view);
  CHECK(read_vec(parent, A, 2 * P) == before);
  check_pmap(parent);
  check_pmap(child);

  // The parent writes too; neither sees the other.
  write_str(parent, A + 10, "PARENT");
  write_str(parent, A + P, "second");
  CHECK(read_str(child, A + 10, 5) == "child");
  CHECK(read_vec(child, A + P, P) == std::vector<uint8_t>(before.begin() + P, before.end()));
  CHECK(read_str(parent, A + 10, 6) == "PARENT");

  // Pages nobody touched before the fork are zero fill on both sides, separately.
  write_str(child, A + 2 * P, "c2");
  CHECK(read_str(parent, A + 2 * P, 2) == std::string(2, '\0'));
  write_str(parent, A + 3 * P, "p3");
  CHECK(read_str(child, A + 3 * P, 2) == std::string(2, '\0'));
  CHECK(read_str(child, A + 2 * P, 2) == "c2");
  check_pmap(parent);
  check_pmap(child);
  check_map(parent);
  check_map(child);
}

TEST_CASE("vm_fault: fork of memory never touched gives independent zero fill") {
  VmFixture f;
  VmMap* parent = f.map();
  alloc_fixed(parent, A, 2 * P);
  VmMap* child = f.fork(parent);
  write_str(child, A, "child");
  write_str(parent, A, "parent");
  CHECK(read_str(child, A, 5) == "child");
  CHECK(read_str(parent, A, 6) == "parent");
  CHECK(mapping(child, A).pa != mapping(parent, A).pa);
  check_pmap(parent);
  check_pmap(child);
}

TEST_CASE("vm_fault: read faults through a pending copy map read-only; the last user writes in place") {
  VmFixture f;
  VmMap* parent = f.map();
  alloc_fixed(parent, A, 2 * P);
  write_str(parent, A, "abc");
  write_str(parent, A + P, "def");
  pmap_remove(parent->pmap, A, A + 2 * P);  // forget the mappings: the next access faults
  VmMap* child = f.fork(parent);

  paddr_t pa;
  REQUIRE(vm_fault(parent, A, VM_PROT_READ, &pa) == KERN_SUCCESS);
  Mapping mp = mapping(parent, A);
  CHECK(mp.present);
  CHECK((mp.prot & VM_PROT_WRITE) == 0);
  REQUIRE(vm_fault(child, A + P, VM_PROT_READ, &pa) == KERN_SUCCESS);
  CHECK((mapping(child, A + P).prot & VM_PROT_WRITE) == 0);
  check_pmap(parent);
  check_pmap(child);

  // Once the child is gone the parent is the only user: writing copies nothing.
  f.drop(child);
  paddr_t old = mapping(parent, A).pa;
  uint64_t cow = g_vm_fault_counts.cow_copies;
  uint64_t pages = host_vm::pages_in_use();
  paddr_t now = 0;
  REQUIRE(vm_fault(parent, A, VM_PROT_WRITE, &now) == KERN_SUCCESS);
  CHECK(now == old);
  CHECK(g_vm_fault_counts.cow_copies == cow);
  CHECK(host_vm::pages_in_use() == pages);
  CHECK((mapping(parent, A).prot & VM_PROT_WRITE) != 0);
  CHECK(read_str(parent, A, 3) == "abc");
  check_pmap(parent);
}

TEST_CASE("vm_fault: VM_INHERIT_SHARE: both maps write the same memory") {
  VmFixture f;
  VmMap* parent = f.map();
  alloc_fixed(parent, A, 3 * P);
  write_str(parent, A, "before");
  REQUIRE(vm_map_inherit(parent, A, A + 3 * P, VM_INHERIT_SHARE) == KERN_SUCCESS);
  VmMap* child = f.fork(parent);

  CHECK(read_str(child, A, 6) == "before");
  write_str(child, A, "child!");
  CHECK(read_str(parent, A, 6) == "child!");
  write_str(parent, A + 2 * P, "parent");  // a page untouched before the fork
  CHECK(read_str(child, A + 2 * P, 6) == "parent");
  paddr_t a, b;
  REQUIRE(vm_fault(parent, A, VM_PROT_WRITE, &a) == KERN_SUCCESS);
  REQUIRE(vm_fault(child, A, VM_PROT_WRITE, &b) == KERN_SUCCESS);
  CHECK(a == b);
  CHECK((mapping(parent, A).prot & VM_PROT_WRITE) != 0);
  CHECK((mapping(child, A).prot & VM_PROT_WRITE) != 0);
  check_pmap(parent);
  check_pmap(child);

  // The parent goes; the child keeps the memory.
  f.drop(parent);
  CHECK(read_str(child, A, 6) == "child!");
  CHECK(read_str(child, A + 2 * P, 6) == "parent");
}

TEST_CASE("vm_fault: VM_INHERIT_SHARE of memory with a copy-on-write history stays coherent in both pmaps") {
  VmFixture f;
  VmMap* parent = f.map();
  alloc_fixed(parent, A, 2 * P);
  write_str(parent, A, "page0");
  write_str(parent, A + P, "page1");
  VmMap* first = f.fork(parent);  // copy: the parent's object is now behind a pending copy
  write_str(parent, A, "PAGE0");   // the parent shadows it
  REQUIRE(vm_map_inherit(parent, A, A + 2 * P, VM_INHERIT_SHARE) == KERN_SUCCESS);
  VmMap* sharer = f.fork(parent);

  CHECK(read_str(sharer, A + P, 5) == "page1");  // maps the page behind the shared object
  REQUIRE(mapping(sharer, A + P).present);
  write_str(parent, A + P, "PAGE1");  // copied up into the shared object
  // What the sharer's MMU shows (before any fault of its own could fix it
  // up) must be what the parent wrote: no translation to the old page left.
  Mapping sm = mapping(sharer, A + P);
  if (sm.present) {
    CHECK(memcmp(static_cast<const char*>(vm_env_page_address(sm.pa)), "PAGE1", 5) == 0);
    CHECK(sm.pa == mapping(parent, A + P).pa);
  }
  check_pmap(parent);
  check_pmap(sharer);
  CHECK(read_str(sharer, A + P, 5) == "PAGE1");
  CHECK(read_str(first, A, 5) == "page0");
  CHECK(read_str(first, A + P, 5) == "page1");

  // And the other way round.
  write_str(sharer, A, "S0");
  CHECK(read_str(parent, A, 2) == "S0");
  Mapping pm = mapping(parent, A);
  if (pm.present) CHECK(memcmp(static_cast<const char*>(vm_env_page_address(pm.pa)), "S0", 2) == 0);
  check_pmap(parent);
  check_pmap(sharer);
}

TEST_CASE("vm_fault: VM_INHERIT_NONE leaves a hole in the child") {
  VmFixture f;
  VmMap* parent = f.map();
  alloc_fixed(parent, A, 2 * P);
  alloc_fixed(parent, A + 4 * P, P);
  write_str(parent, A, "none");
  write_str(parent, A + 4 * P, "copy");
  REQUIRE(vm_map_inherit(parent, A, A + 2 * P, VM_INHERIT_NONE) == KERN_SUCCESS);
  VmMap* child = f.fork(parent);
  CHECK(entry_count(child) == 1);
  CHECK(child->size == P);
  CHECK(vm_map_lookup_entry(child, A) == nullptr);
  paddr_t pa;
  CHECK(vm_fault(child, A, VM_PROT_READ, &pa) == KERN_INVALID_ADDRESS);
  CHECK(read_str(child, A + 4 * P, 4) == "copy");
  // The parent keeps it, still writable in place.
  CHECK((mapping(parent, A).prot & VM_PROT_WRITE) != 0);
  CHECK(read_str(parent, A, 4) == "none");
  // The child may put something else there.
  uint64_t at = A;
  REQUIRE(vm_map_allocate(child, &at, 2 * P, false) == KERN_SUCCESS);
  CHECK(read_str(child, A, 4) == std::string(4, '\0'));
}

TEST_CASE("vm_fault: shadow chains stay short across 50 fork, write, exit cycles") {
  VmFixture f;
  VmMap* parent = f.map();
  constexpr uint64_t kPages = 4;
  alloc_fixed(parent, A, kPages * P);
  std::vector<uint8_t> expect = pattern(kPages * P, 7);
  write_vec(parent, A, expect);
  uint64_t objects = g_vm_object_counts.objects;

  for (int i = 0; i < 50; i++) {
    CAPTURE(i);
    VmMap* child = f.fork(parent);
    uint8_t cv = uint8_t(0x80 + i), pv = uint8_t(i);
    REQUIRE(write_bytes(child, A + (i % kPages) * P + 1, &cv, 1) == KERN_SUCCESS);
    REQUIRE(write_bytes(parent, A + ((i + 1) % kPages) * P + 2, &pv, 1) == KERN_SUCCESS);
    expect[((i + 1) % kPages) * P + 2] = pv;
    CHECK(read_vec(child, A + (i % kPages) * P + 1, 1)[0] == cv);
    f.drop(child);
    VmObject* o = object_at(parent, A);
    REQUIRE(o);
    CHECK(vm_object_chain_depth(o) <= 2);
    // A fault after the child is gone merges the chain back.
    CHECK(read_vec(parent, A, kPages * P) == expect);
    CHECK(vm_object_chain_depth(object_at(parent, A)) == 1);
    CHECK(host_vm::pages_in_use() == f.base.pages + kPages);
    CHECK(g_vm_object_counts.objects == objects);
  }
  check_pmap(parent);
}

TEST_CASE("vm_fault: chains stay short when the parent forks again before faulting") {
  VmFixture f;
  VmMap* parent = f.map();
  alloc_fixed(parent, A, 2 * P);
  write_str(parent, A, "x");
  for (int i = 0; i < 50; i++) {
    CAPTURE(i);
    VmMap* child = f.fork(parent);
    write_str(child, A, "c");
    write_str(parent, A + P, "p");
    f.drop(child);
    CHECK(vm_object_chain_depth(object_at(parent, A)) <= 2);
  }
  CHECK(read_str(parent, A, 1) == "x");
  CHECK(read_str(parent, A + P, 1) == "p");
  CHECK(host_vm::pages_in_use() == f.base.pages + 2);
}

TEST_CASE("vm_fault: a page shortage is KERN_RESOURCE_SHORTAGE and leaves everything usable") {
  VmFixture f;
  VmMap* m = f.map();
  alloc_fixed(m, A, 2 * P);

  SUBCASE("zero fill") {
    host_vm::fail_page_grabs_after(0);
    paddr_t pa = 0;
    CHECK(vm_fault(m, A, VM_PROT_WRITE, &pa) == KERN_RESOURCE_SHORTAGE);
    CHECK(vm_fault(m, A, VM_PROT_READ, &pa) == KERN_RESOURCE_SHORTAGE);
    CHECK_FALSE(mapping(m, A).present);
    CHECK(host_vm::pages_in_use() == f.base.pages);
    check_map(m);
    check_pmap(m);
    host_vm::fail_page_grabs_after(-1);
    write_str(m, A, "ok");
    CHECK(read_str(m, A, 2) == "ok");
  }
  SUBCASE("copy on write") {
    write_str(m, A, "parent");
    VmMap* child = f.fork(m);
    uint64_t pages = host_vm::pages_in_use();
    host_vm::fail_page_grabs_after(0);
    paddr_t pa = 0;
    CHECK(vm_fault(child, A, VM_PROT_WRITE, &pa) == KERN_RESOURCE_SHORTAGE);
    CHECK(vm_fault(m, A, VM_PROT_WRITE, &pa) == KERN_RESOURCE_SHORTAGE);
    CHECK(host_vm::pages_in_use() == pages);
    // Reads need no page.
    CHECK(read_str(child, A, 6) == "parent");
    CHECK(read_str(m, A, 6) == "parent");
    check_pmap(m);
    check_pmap(child);
    host_vm::fail_page_grabs_after(-1);
    write_str(child, A, "child!");
    CHECK(read_str(m, A, 6) == "parent");
    write_str(m, A, "PARENT");
    CHECK(read_str(child, A, 6) == "child!");
    check_pmap(m);
    check_pmap(child);
  }
  SUBCASE("the second of two pages") {
    host_vm::fail_page_grabs_after(1);
    std::vector<uint8_t> v = pattern(2 * P, 3);
    CHECK(write_bytes(m, A, v.data(), v.size()) == KERN_RESOURCE_SHORTAGE);
    host_vm::fail_page_grabs_after(-1);
    CHECK(read_vec(m, A, P) == std::vector<uint8_t>(v.begin(), v.begin() + P));
    CHECK(read_str(m, A + P, 1) == std::string(1, '\0'));
    check_pmap(m);
  }
}

TEST_CASE("vm_fault: statistics count faults, zero fills and copies") {
  VmFixture f;
  VmMap* m = f.map();
  alloc_fixed(m, A, 2 * P);
  VmFaultCounts c0 = g_vm_fault_counts;
  write_str(m, A, "a");
  write_str(m, A + P, "b");
  VmMap* child = f.fork(m);
  write_str(child, A, "c");
  CHECK(g_vm_fault_counts.faults == c0.faults + 3);
  CHECK(g_vm_fault_counts.zero_fills == c0.zero_fills + 2);
  CHECK(g_vm_fault_counts.cow_copies == c0.cow_copies + 1);
  CHECK(g_vm_fault_counts.max_depth >= 2);
}

TEST_CASE("vm_fault: a sharer's pmap never keeps a page that a collapse freed") {
  VmFixture f;
  VmMap* parent = f.map();
  alloc_fixed(parent, A, 2 * P);
  write_str(parent, A + P, "old1");
  VmMap* first = f.fork(parent);  // the parent's object now has a pending copy
  REQUIRE(vm_map_inherit(parent, A, A + 2 * P, VM_INHERIT_SHARE) == KERN_SUCCESS);
  VmMap* sharer = f.fork(parent);  // parent and sharer share a new object in front
  CHECK(read_str(sharer, A + P, 4) == "old1");
  write_str(parent, A + P, "new1");  // copied up into the shared object
  f.drop(first);                     // the old object has one user left...
  CHECK(read_str(parent, A, 1) == std::string(1, '\0'));  // ...and this fault collapses it
  // Whatever the sharer's MMU still translates A+P to must be a live page
  // of its memory, holding what the parent wrote.
  check_pmap(sharer);
  Mapping sm = mapping(sharer, A + P);
  if (sm.present) CHECK(sm.pa == mapping(parent, A + P).pa);
  CHECK(read_str(sharer, A + P, 4) == "new1");
}

TEST_CASE("vm_fault: a write by the sharer is what the parent's MMU shows after a shadowing share fork") {
  VmFixture f;
  VmMap* parent = f.map();
  alloc_fixed(parent, A, P);
  write_str(parent, A, "old");
  VmMap* first = f.fork(parent);  // copy-on-write pending on the parent's object
  REQUIRE(mapping(parent, A).present);
  REQUIRE(vm_map_inherit(parent, A, A + P, VM_INHERIT_SHARE) == KERN_SUCCESS);
  VmMap* sharer = f.fork(parent);  // a shared object is put in front for both
  write_str(sharer, A, "new");
  // The parent's translation from before the fork must not show the old page.
  Mapping pm = mapping(parent, A);
  if (pm.present) CHECK(memcmp(static_cast<const char*>(vm_env_page_address(pm.pa)), "new", 3) == 0);
  check_pmap(parent);
  CHECK(read_str(parent, A, 3) == "new");
  CHECK(read_str(first, A, 3) == "old");
}
