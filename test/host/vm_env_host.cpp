// The host's stand-ins for the VM's surroundings (vm_env_host.h): malloc'd
// pages whose "physical address" is their host address, and a pmap that is
// a table of mappings with the x86-64 pmap's rules (VM_PROT_NONE refused,
// protect never adds rights, referenced/modified kept when the same page is
// entered again).
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
std::map<paddr_t, uint64_t> g_runs;  // grab_run blocks: base -> pages
uint64_t g_allocations = 0;
int64_t g_grabs_left = -1;  // < 0: never fail

[[noreturn]] void fail(const char* what, paddr_t pa) {
  fprintf(stderr, "vm_env_host: %s %#llx\n", what, static_cast<unsigned long long>(pa));
  abort();
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

Pmap* pmap_create() { return new Pmap; }
void pmap_destroy(Pmap* pmap) { delete pmap; }

kern_return_t pmap_enter(Pmap* pmap, uint64_t va, paddr_t pa, vm_prot_t prot) {
  return pmap_enter_attr(pmap, va, pa, prot, PmapAttr::kCached);
}

kern_return_t pmap_enter_attr(Pmap* pmap, uint64_t va, paddr_t pa, vm_prot_t prot, PmapAttr attr) {
  if (!(prot & VM_PROT_ALL)) return KERN_INVALID_ARGUMENT;
  if (!page_aligned(va) || va >= kUserTop) return KERN_INVALID_ADDRESS;
  if (!page_aligned(pa)) return KERN_INVALID_ARGUMENT;
  bool uncached = attr == PmapAttr::kUncached;
  auto [it, added] = pmap->mappings.try_emplace(va, Pmap::Mapping{pa, prot & VM_PROT_ALL, 0, uncached});
  if (!added) {
    // The same page entered again keeps what the MMU recorded about it.
    unsigned bits = it->second.pa == pa ? it->second.bits : 0;
    it->second = Pmap::Mapping{pa, prot & VM_PROT_ALL, bits, uncached};
  }
  return KERN_SUCCESS;
}

void pmap_remove(Pmap* pmap, uint64_t start, uint64_t end) {
  if (start >= end) return;
  pmap->mappings.erase(pmap->mappings.lower_bound(page_round_down(start)), pmap->mappings.lower_bound(end));
}

void pmap_protect(Pmap* pmap, uint64_t start, uint64_t end, vm_prot_t prot) {
  if (!(prot & VM_PROT_ALL)) return pmap_remove(pmap, start, end);
  if (start >= end) return;
  auto it = pmap->mappings.lower_bound(page_round_down(start));
  while (it != pmap->mappings.end() && it->first < end) {
    it->second.prot &= prot;
    // No right left: as good as unmapped.
    it = it->second.prot ? std::next(it) : pmap->mappings.erase(it);
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

void pmap_touch(Pmap* pmap, uint64_t va, unsigned bits) {
  auto it = pmap->mappings.find(page_round_down(va));
  if (it != pmap->mappings.end()) it->second.bits |= bits & (kPmapReferenced | kPmapModified);
}

}  // namespace mk::host_vm
