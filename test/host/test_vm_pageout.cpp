// Page-out's clock scan (vm_pageout.cpp): oldest first, a second chance
// for referenced pages, clean pages freed, dirty ones handed to the pager,
// busy and wired pages passed over, every mapping removed.
#include <doctest/doctest.h>

#include <vector>

#include "vm/pmap.h"
#include "vm/vm_fault.h"
#include "vm/vm_map.h"
#include "vm/vm_pageout.h"
#include "vm_test_util.h"

using namespace vmt;

namespace {

constexpr uint64_t A = 0x400000;
std::vector<uint64_t> g_given;  // offsets handed to the "pager"
bool g_accept = true;

bool can_return(const VmPage*) { return g_accept; }

bool give_back_page(VmPage* page) {
  g_given.push_back(page->offset);
  if (!g_accept) return false;
  vm_page_free(page);  // the kernel moves it into a message; here it just goes
  return true;
}

// n pages at A, written (dirty), oldest first in the queue; the rest of
// the queue (pages of earlier tests' leftovers: none) is empty.
VmObject* dirty_pages(VmFixture& f, VmMap* m, uint64_t n) {
  alloc_fixed(m, A, n * P);
  stamp(m, A, n, 0x10);
  VmMapEntry* e = vm_map_lookup_entry(m, A);
  REQUIRE(e);
  return e->object;
}

const VmPageoutPager give_back{can_return, give_back_page};

}  // namespace

TEST_CASE("pageout: the oldest unreferenced page goes first, out of every map") {
  VmFixture f;
  VmMap* m = f.map();
  CHECK(vm_page_queue().empty());
  VmObject* o = dirty_pages(f, m, 3);
  REQUIRE(vm_page_queue().size() == 3);
  VmMap* child = f.fork(m);
  CHECK(byte_at(child, A) == 0x10);  // mapped in both now
  REQUIRE(pmap_page_mapping_count(vm_page_lookup(o, 0)->phys) == 2);
  g_given.clear();
  g_accept = true;
  CHECK(vm_pageout_scan(1, 100, give_back) == 1);
  REQUIRE(g_given.size() == 1);
  CHECK(g_given[0] == 0);
  CHECK_FALSE(mapping(m, A).present);
  CHECK_FALSE(mapping(child, A).present);
  CHECK(vm_page_lookup(o, 0) == nullptr);
  CHECK(vm_page_queue().size() == 2);
}

TEST_CASE("pageout: a referenced page gets a second chance; clean pages are freed without the pager") {
  VmFixture f;
  VmMap* m = f.map();
  VmObject* o = dirty_pages(f, m, 3);
  g_given.clear();
  g_accept = true;
  host_vm::pmap_touch(m->pmap, A, kPmapReferenced);
  uint64_t reactivated = g_vm_pageout_counts.reactivated;
  CHECK(vm_pageout_scan(1, 100, give_back) == 1);
  CHECK(g_vm_pageout_counts.reactivated == reactivated + 1);
  REQUIRE(g_given.size() == 1);
  CHECK(g_given[0] == P);  // page 0 was referenced: page 1 went
  CHECK(mapping(m, A).present);
  CHECK(pmap_page_query_bits(vm_page_lookup(o, 0)->phys) == 0);  // the bit was cleared

  // A page read but never written is zeros: freed, and zero-filled again.
  alloc_fixed(m, A + 16 * P, P);
  CHECK(byte_at(m, A + 16 * P) == 0);
  VmObject* z = vm_map_lookup_entry(m, A + 16 * P)->object;
  g_given.clear();
  uint64_t freed = g_vm_pageout_counts.freed;
  CHECK(vm_pageout_scan(3, 100, give_back) == 3);
  CHECK(g_vm_pageout_counts.freed == freed + 1);
  CHECK(g_given.size() == 2);  // pages 2 and 0 (dirty), not the zero page
  CHECK(z->resident_count == 0);
  CHECK(byte_at(m, A + 16 * P) == 0);
}

TEST_CASE("pageout: busy, wired and refused pages stay; a write the MMU saw makes a clean page dirty") {
  VmFixture f;
  VmMap* m = f.map();
  VmObject* o = dirty_pages(f, m, 3);
  vm_page_lookup(o, 0)->busy = true;
  REQUIRE(vm_map_wire(m, A + P, A + 2 * P, VM_PROT_READ) == KERN_SUCCESS);
  g_given.clear();
  g_accept = false;  // no pager for it
  uint64_t kept = g_vm_pageout_counts.kept;
  CHECK(vm_pageout_scan(3, 3, give_back) == 0);
  CHECK(g_vm_pageout_counts.kept == kept + 1);
  CHECK(g_given.empty());
  CHECK(mapping(m, A + 2 * P).present);  // a page that cannot go stays mapped
  CHECK(o->resident_count == 3);
  vm_page_lookup(o, 0)->busy = false;
  REQUIRE(vm_map_wire(m, A + P, A + 2 * P, VM_PROT_NONE) == KERN_SUCCESS);

  // Clean by the VM's account, but the MMU saw a write: it goes back.
  VmPage* page = vm_page_lookup(o, 2 * P);
  page->dirty = false;
  host_vm::pmap_touch(m->pmap, A + 2 * P, kPmapModified);
  g_given.clear();
  g_accept = true;
  uint64_t freed = g_vm_pageout_counts.freed;
  CHECK(vm_pageout_scan(3, 6, give_back) == 3);  // the write counts as a reference: a second round
  CHECK(g_vm_pageout_counts.freed == freed);
  CHECK(g_given.size() == 3);
}
