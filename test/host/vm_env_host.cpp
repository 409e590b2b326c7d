// The host's stand-ins for the VM's surroundings (vm_env_host.h): malloc'd
// pages whose "physical address" is their host address, and a pmap that is
// a table of mappings with the x86-64 pmap's rules (VM_PROT_NONE refused,
// protect never adds rights, referenced/modified kept when the same page is
// entered again, a record per mapping of a pool page as the reverse
// mappings of vm/pmap.h).
#include "vm_env_host.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <map>
#include <set>

#include "vm/pmap.h"
#include "vm/vm_env.h"

namespace mk {

struct Pmap {
  struct Mapping {
    paddr_t pa;
    vm_prot_t prot;
    unsigned bits;  // PmapBits
    bool uncached = false;
    bool recorded = false;  // has a reverse-mapping record
  };
  std::map<uint64_t, Mapping> mappings;  // page-aligned va -> mapping
};

}  // namespace mk

namespace {

using mk::paddr_t;

constexpr uint64_t kTotalPages = 1ull << 20;
// As on x86-64: user addresses are the lower half.
constexpr uint64_t kUserTop = 0x0000800000000000ull;

std::set<paddr_t> g_pages;  // grabbed, not yet released
// The reverse mappings: pa -> (pmap, va) of each recorded mapping; a
// multiset so a duplicate record shows in the consistency check.
std::map<paddr_t, std::multiset<std::pair<mk::Pmap*, uint64_t>>> g_pv;
std::set<mk::Pmap*> g_pmaps;  // live, for the consistency check
int64_t g_records_left = -1;  // < 0: record allocations never fail
std::map<paddr_t, uint64_t> g_runs;  // grab_run blocks: base -> pages
uint64_t g_allocations = 0;
int64_t g_grabs_left = -1;  // < 0: never fail

[[noreturn]] void fail(const char* what, paddr_t pa) {
  fprintf(stderr, "vm_env_host: %s %#llx\n", what, static_cast<unsigned long long>(pa));
  abort();
}

// A page of the fake's pool: a grabbed page or inside a grabbed run. As in
// the kernel, only uncached mappings of other addresses (device registers)
// go without a record; the tests map made-up cached addresses too.
bool in_pool(paddr_t pa) {
  if (g_pages.count(pa)) return true;
  auto it = g_runs.upper_bound(pa);
  return it != g_runs.begin() && pa < std::prev(it)->first + std::prev(it)->second * mk::kPageSize;
}

void pv_drop(mk::Pmap* pmap, uint64_t va, const mk::Pmap::Mapping& m) {
  if (!m.recorded) return;
  auto it = g_pv.find(m.pa);
  if (it == g_pv.end()) fail("mapping without a record:", m.pa);
  auto rec = it->second.find({pmap, va});
  if (rec == it->second.end()) fail("mapping without a record:", m.pa);
  it->second.erase(rec);
  if (it->second.empty()) g_pv.erase(it);
}

// Erase one mapping with its record; the next one.
std::map<uint64_t, mk::Pmap::Mapping>::iterator unmap(mk::Pmap* pmap,
                                                       std::map<uint64_t, mk::Pmap::Mapping>::iterator it) {
  pv_drop(pmap, it->first, it->second);
  return pmap->mappings.erase(it);
}

}  // namespace

namespace mk {

kern_return_t vm_env_page_grab(paddr_t* out) {
  if (g_grabs_left == 0 || g_pages.size() >= kTotalPages) return KERN_RESOURCE_SHORTAGE;
  void* p = aligned_alloc(kPageSize, kPageSize);
  if (!p) return KERN_RESOURCE_SHORTAGE;
  if (g_grabs_left > 0) --g_grabs_left;
  // Free pages in the kernel hold old data: make code that forgets to zero
  // fill show it.
  memset(p, 0xa5, kPageSize);
  *out = reinterpret_cast<paddr_t>(p);
  g_pages.insert(*out);
  return KERN_SUCCESS;
}

void vm_env_page_release(paddr_t pa) {
  // The kernel panics on a double or foreign free; so does the fake.
  if (!g_pages.erase(pa)) fail("release of a page not grabbed:", pa);
  free(reinterpret_cast<void*>(pa));
}

// Runs physical objects own come from host_vm::grab_run (one block).
void vm_env_phys_release(paddr_t pa, uint64_t npages) {
  auto it = g_runs.find(pa);
  if (it == g_runs.end() || it->second != npages) fail("release of a run not grabbed:", pa);
  g_runs.erase(it);
  free(reinterpret_cast<void*>(pa));
}

void* vm_env_page_address(paddr_t pa) { return reinterpret_cast<void*>(pa); }
uint64_t vm_env_free_pages() { return kTotalPages - g_pages.size(); }
uint64_t vm_env_total_pages() { return kTotalPages; }

void* vm_alloc(size_t size) {
  void* p = malloc(size ? size : 1);
  if (p) ++g_allocations;
  return p;
}

void vm_free(void* p) {
  if (!p) return;
  --g_allocations;
  free(p);
}

// The pmap.

void pmap_init(paddr_t) {}  // the records live in g_pv

Pmap* pmap_create() {
  Pmap* pmap = new Pmap;
  g_pmaps.insert(pmap);
  return pmap;
}

void pmap_destroy(Pmap* pmap) {
  if (!pmap) return;
  for (auto it = pmap->mappings.begin(); it != pmap->mappings.end();) it = unmap(pmap, it);
  g_pmaps.erase(pmap);
  delete pmap;
}

kern_return_t pmap_enter(Pmap* pmap, uint64_t va, paddr_t pa, vm_prot_t prot) {
  return pmap_enter_attr(pmap, va, pa, prot, PmapAttr::kCached);
}

kern_return_t pmap_enter_attr(Pmap* pmap, uint64_t va, paddr_t pa, vm_prot_t prot, PmapAttr attr) {
  if (!(prot & VM_PROT_ALL)) return KERN_INVALID_ARGUMENT;
  if (!page_aligned(va) || va >= kUserTop) return KERN_INVALID_ADDRESS;
  if (!page_aligned(pa)) return KERN_INVALID_ARGUMENT;
  bool uncached = attr == PmapAttr::kUncached;
  auto it = pmap->mappings.find(va);
  bool same = it != pmap->mappings.end() && it->second.pa == pa;
  Pmap::Mapping m{pa, prot & VM_PROT_ALL, 0, uncached, !uncached || in_pool(pa)};
  if (same) {
    // The same page entered again keeps what the MMU recorded about it,
    // and its one record.
    m.bits = it->second.bits;
    m.recorded = it->second.recorded;
  } else {
    // As the kernel: the old page's record moves to the new page, and only
    // a mapping that had none needs a new one (which may fail).
    bool had = it != pmap->mappings.end() && it->second.recorded;
    if (m.recorded && !had) {
      if (g_records_left == 0) return KERN_RESOURCE_SHORTAGE;
      if (g_records_left > 0) --g_records_left;
    }
    if (it != pmap->mappings.end()) pv_drop(pmap, va, it->second);
    if (m.recorded) g_pv[pa].insert({pmap, va});
  }
  pmap->mappings[va] = m;
  return KERN_SUCCESS;
}

void pmap_remove(Pmap* pmap, uint64_t start, uint64_t end) {
  if (start >= end) return;
  auto it = pmap->mappings.lower_bound(page_round_down(start));
  while (it != pmap->mappings.end() && it->first < end) it = unmap(pmap, it);
}

void pmap_protect(Pmap* pmap, uint64_t start, uint64_t end, vm_prot_t prot) {
  if (!(prot & VM_PROT_ALL)) return pmap_remove(pmap, start, end);
  if (start >= end) return;
  auto it = pmap->mappings.lower_bound(page_round_down(start));
  while (it != pmap->mappings.end() && it->first < end) {
    it->second.prot &= prot;
    // No right left: as good as unmapped.
    it = it->second.prot ? std::next(it) : unmap(pmap, it);
  }
}

bool pmap_extract(const Pmap* pmap, uint64_t va, paddr_t* pa, vm_prot_t* prot) {
  auto it = pmap->mappings.find(page_round_down(va));
  if (it == pmap->mappings.end() || it->second.uncached) return false;  // as x86-64: see pmap.h
  if (pa) *pa = it->second.pa + (va & kPageMask);
  if (prot) *prot = it->second.prot;
  return true;
}

unsigned pmap_query_bits(const Pmap* pmap, uint64_t va) {
  auto it = pmap->mappings.find(page_round_down(va));
  return it == pmap->mappings.end() ? 0 : it->second.bits;
}

void pmap_clear_bits(Pmap* pmap, uint64_t va, unsigned bits) {
  auto it = pmap->mappings.find(page_round_down(va));
  if (it != pmap->mappings.end()) it->second.bits &= ~bits;
}

unsigned pmap_page_protect(paddr_t pa, vm_prot_t prot) {
  auto head = g_pv.find(pa);
  if (head == g_pv.end()) return 0;
  unsigned bits = 0;
  auto records = head->second;  // unmap changes the list
  for (auto [pmap, va] : records) {
    auto it = pmap->mappings.find(va);
    if (it == pmap->mappings.end() || it->second.pa != pa) fail("record without its mapping:", pa);
    bits |= it->second.bits;
    it->second.prot &= prot;
    if (!it->second.prot) unmap(pmap, it);  // as pmap_protect: no right left is unmapped
  }
  return bits;
}

unsigned pmap_page_query_bits(paddr_t pa) {
  unsigned bits = 0;
  if (auto head = g_pv.find(pa); head != g_pv.end())
    for (auto [pmap, va] : head->second) bits |= pmap_query_bits(pmap, va);
  return bits;
}

void pmap_page_clear_bits(paddr_t pa, unsigned bits) {
  if (auto head = g_pv.find(pa); head != g_pv.end())
    for (auto [pmap, va] : head->second) pmap_clear_bits(pmap, va, bits);
}

uint64_t pmap_page_mapping_count(paddr_t pa) {
  auto head = g_pv.find(pa);
  return head == g_pv.end() ? 0 : head->second.size();
}

void pmap_tlb_invalidate(Pmap*, uint64_t, uint64_t) {}  // no TLB here

uint64_t pmap_table_pages(const Pmap*) { return 0; }  // no tables either

}  // namespace mk

namespace mk::host_vm {

uint64_t pages_in_use() { return g_pages.size(); }
uint64_t allocations_in_use() { return g_allocations; }
void fail_page_grabs_after(int64_t n) { g_grabs_left = n; }
uint64_t pmap_mapping_count(const Pmap* pmap) { return pmap->mappings.size(); }

bool pmap_lookup(const Pmap* pmap, uint64_t va, paddr_t* pa, vm_prot_t* prot, bool* uncached) {
  auto it = pmap->mappings.find(page_round_down(va));
  if (it == pmap->mappings.end()) return false;
  *pa = it->second.pa;
  *prot = it->second.prot;
  *uncached = it->second.uncached;
  return true;
}

paddr_t grab_run(uint64_t npages) {
  void* p = aligned_alloc(kPageSize, npages * kPageSize);
  if (!p) abort();
  memset(p, 0, npages * kPageSize);
  g_runs[reinterpret_cast<paddr_t>(p)] = npages;
  return reinterpret_cast<paddr_t>(p);
}

uint64_t runs_in_use() { return g_runs.size(); }

void fail_records_after(int64_t n) { g_records_left = n; }

uint64_t pv_record_count(const Pmap* pmap, uint64_t va, paddr_t pa) {
  auto head = g_pv.find(pa);
  return head == g_pv.end() ? 0 : head->second.count({const_cast<Pmap*>(pmap), page_round_down(va)});
}

uint64_t pv_problems() {
  uint64_t problems = 0, recorded = 0, records = 0;
  for (Pmap* pmap : g_pmaps)
    for (auto& [va, m] : pmap->mappings) {
      if (!m.recorded) {
        problems += !m.uncached;  // only uncached device registers go without
        continue;
      }
      ++recorded;
      problems += pv_record_count(pmap, va, m.pa) != 1;
    }
  for (auto& [pa, list] : g_pv) {
    records += list.size();
    for (auto [pmap, va] : list) problems += !g_pmaps.count(pmap);
  }
  // Every recorded mapping has exactly one record: any other is stray.
  return problems + (records > recorded ? records - recorded : 0);
}

void pmap_touch(Pmap* pmap, uint64_t va, unsigned bits) {
  auto it = pmap->mappings.find(page_round_down(va));
  if (it != pmap->mappings.end()) it->second.bits |= bits & (kPmapReferenced | kPmapModified);
}

}  // namespace mk::host_vm
