// The pmap (vm/pmap.h) on x86-64 4-level paging. User mappings are 4 KiB
// PTEs in the lower half; the upper half of every PML4 is a copy of the
// kernel's top-level entries. The pmap owns its table pages only: the pages
// it maps belong to memory objects and are never freed here.
//
// Callers serialize calls on one pmap (the VM lock). Page tables are not
// freed when they empty, only with the pmap.
//
// Reverse mappings: each frame below the pool's end has a list head in one
// boot-time table indexed by frame number; each user mapping of such a
// frame is one PvEntry (pmap, va) on it, from a zone. The lists and the
// zone are shared by every pmap: the VM lock covers them (vm/pmap.h).
#include "arch/x86_64/pmap.h"

#include <new>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/vm_layout.h"
#include "kern/arch.h"
#include "kern/kalloc.h"
#include "kern/panic.h"
#include "lib/zone.h"
#include "vm/pmap.h"
#include "vm/vm_resident.h"

namespace mk {
namespace {

using namespace mk::x86;

constexpr uint64_t kCr3NoFlush = 1ull << 63;  // with PCIDs: keep the new PCID's TLB entries
constexpr uint64_t kPtSpan = 1ull << 21;      // what one page table maps
// Beyond this many pages a CR3 reload is cheaper than invlpg one by one.
constexpr uint64_t kInvlpgMaxPages = 32;

constinit uint16_t g_next_pcid = 1;  // 0 is the kernel's
// Which pmap last ran under each PCID on this CPU: PCIDs are recycled, so
// a pmap's entries survive a switch only if no other pmap used its PCID since.
// Per CPU with SMP.
constinit Pmap* g_pcid_owner[4096] = {};

// One mapping of a frame.
struct PvEntry {
  PvEntry* next;
  Pmap* pmap;
  uint64_t va;
};

constinit PvEntry** g_pv_heads = nullptr;  // by frame number, below g_pv_end
constinit paddr_t g_pv_end = 0;
constinit TypedZone<PvEntry> g_pv_zone{};

// The list of pa, or nullptr when pa is not a pool frame (no record).
PvEntry** pv_head(paddr_t pa) { return pa < g_pv_end ? &g_pv_heads[pa >> kPageShift] : nullptr; }

void pv_link(PvEntry** head, PvEntry* pv, Pmap* pmap, uint64_t va) {
  pv->pmap = pmap;
  pv->va = va;
  pv->next = *head;
  *head = pv;
}

// Take (pmap, va) off pa's list and return its entry; nullptr when pa has
// no list. A mapping of a pool frame without a record is a pmap bug.
PvEntry* pv_unlink(paddr_t pa, const Pmap* pmap, uint64_t va) {
  PvEntry** head = pv_head(pa);
  if (!head) return nullptr;
  for (PvEntry** p = head; *p; p = &(*p)->next) {
    if ((*p)->pmap != pmap || (*p)->va != va) continue;
    PvEntry* pv = *p;
    *p = pv->next;
    return pv;
  }
  panic("pmap %#lx: no record of %#lx -> %#lx", pmap->as.root, va, pa);
}

void pv_drop(paddr_t pa, const Pmap* pmap, uint64_t va) { g_pv_zone.destroy(pv_unlink(pa, pmap, va)); }

unsigned bits_of(uint64_t pte) {
  unsigned bits = 0;
  if (pte & kPteAccessed) bits |= kPmapReferenced;
  if (pte & kPteDirty) bits |= kPmapModified;
  return bits;
}

unsigned index_of(uint64_t va, int level) { return unsigned(va >> (12 + 9 * level)) & 511; }

bool is_loaded(const Pmap* pmap) { return (read_cr3() & kPteAddrMask) == pmap->as.root; }

// The PTE of va, or nullptr when a table on the way is missing and `create`
// is false. With `create`, missing tables are allocated (nullptr when none).
uint64_t* pte_of(const Pmap* pmap, uint64_t va, Pmap* create) {
  uint64_t* table = table_virt(pmap->as.root);
  for (int l = 3; l > 0; --l) {
    uint64_t& e = table[index_of(va, l)];
    if (!(e & kPtePresent)) {
      if (!create) return nullptr;
      paddr_t t = alloc_table_page();
      if (!t) return nullptr;
      ++create->table_pages;
      // Intermediate entries are permissive; the leaf decides.
      e = t | kPtePresent | kPteWrite | kPteUser;
    } else if (e & kPteHuge) {
      panic("pmap %#lx: huge page at %#lx in the user half", pmap->as.root, va);
    }
    table = table_virt(e & kPteAddrMask);
  }
  return &table[index_of(va, 0)];
}

uint64_t pte_for(paddr_t pa, vm_prot_t prot) {
  uint64_t e = pa | kPtePresent | kPteUser;
  if (prot & VM_PROT_WRITE) e |= kPteWrite;
  if (!(prot & VM_PROT_EXECUTE) && g_cpu.nx) e |= kPteNx;
  return e;
}

// Calls fn(pte, va) for every present PTE in [start, end), stepping over a
// missing PML4, PDPT or PD entry in one stride, so a sparse space costs one
// iteration per missing entry rather than one per page.
template <typename Fn>
void for_each_pte(Pmap* pmap, uint64_t start, uint64_t end, Fn fn) {
  if (end > kUserTop) end = kUserTop;
  uint64_t va = page_round_down(start);
  while (va < end) {
    uint64_t* table = table_virt(pmap->as.root);
    int l = 3;
    for (; l > 0; --l) {
      uint64_t e = table[index_of(va, l)];
      if (!(e & kPtePresent)) break;
      table = table_virt(e & kPteAddrMask);
    }
    if (l > 0) {
      uint64_t span = 1ull << (12 + 9 * l);
      va = (va & ~(span - 1)) + span;
      continue;
    }
    uint64_t stop = (va & ~(kPtSpan - 1)) + kPtSpan;
    if (stop > end) stop = end;
    for (; va < stop; va += kPageSize) {
      uint64_t& pte = table[index_of(va, 0)];
      if (pte & kPtePresent) fn(pte, va);
    }
  }
}

// Tracks the span of PTEs a bulk operation changed, so only that is
// invalidated (often a handful of invlpg rather than a CR3 reload).
struct Changed {
  uint64_t lo = ~0ull, hi = 0;
  void add(uint64_t va) {
    if (va < lo) lo = va;
    if (va + kPageSize > hi) hi = va + kPageSize;
  }
  void invalidate(Pmap* pmap) const {
    if (lo < hi) pmap_tlb_invalidate(pmap, lo, hi);
  }
};

// Free `table` (level 0 = PT .. 3 = PML4, user half only) and the tables
// below it; never the mapped pages.
void free_tables(Pmap* pmap, paddr_t table, int level) {
  if (level > 0) {
    uint64_t* e = table_virt(table);
    for (int i = 0; i < (level == 3 ? 256 : 512); ++i)
      if (e[i] & kPtePresent) free_tables(pmap, e[i] & kPteAddrMask, level - 1);
  }
  vm_page_release(table);
  --pmap->table_pages;
}

}  // namespace

void pmap_init(paddr_t pool_end) {
  if (g_pv_heads) panic("pmap_init twice");
  uint64_t frames = page_round_up(pool_end) >> kPageShift;
  uint64_t pages = page_round_up(frames * sizeof(PvEntry*)) >> kPageShift;
  paddr_t table;
  if (frames == 0 || vm_pages_grab_contiguous(pages, 1, &table) != KERN_SUCCESS)
    panic("pmap: no memory for the reverse-mapping table (%lu pages)", pages);
  g_pv_heads = static_cast<PvEntry**>(arch::phys_to_virt(table));
  __builtin_memset(g_pv_heads, 0, pages * kPageSize);
  if (g_pv_zone.init("pv", kernel_page_source()) != KERN_SUCCESS) panic("pmap: pv zone");
  g_pv_end = frames << kPageShift;
}

Pmap* pmap_create() {
  void* mem = kalloc(sizeof(Pmap));
  if (!mem) return nullptr;
  paddr_t root = alloc_table_page();
  if (!root) {
    kfree(mem);
    return nullptr;
  }
  // The kernel half is shared: copy the top-level entries (their lower
  // tables are common to every space).
  __builtin_memcpy(table_virt(root) + 256, table_virt(kernel_root()) + 256, 256 * sizeof(uint64_t));
  Pmap* pmap = new (mem) Pmap{};
  pmap->as.root = root;
  pmap->table_pages = 1;
  if (g_cpu.pcid) {
    pmap->as.pcid = g_next_pcid;
    g_next_pcid = uint16_t(g_next_pcid % 4095 + 1);
  }
  pmap->as.flushed = false;  // the PCID may have been used before: flush on first load
  return pmap;
}

void pmap_destroy(Pmap* pmap) {
  if (!pmap) return;
  if (is_loaded(pmap)) panic("pmap %#lx destroyed while loaded", pmap->as.root);
  // Mappings may be left (the VM removes them first, but need not).
  for_each_pte(pmap, 0, kUserTop, [&](uint64_t& pte, uint64_t va) { pv_drop(pte & kPteAddrMask, pmap, va); });
  free_tables(pmap, pmap->as.root, 3);
  if (pmap->table_pages != 0) panic("pmap: %lu table pages unaccounted for", pmap->table_pages);
  if (g_pcid_owner[pmap->as.pcid] == pmap) g_pcid_owner[pmap->as.pcid] = nullptr;
  pmap->~Pmap();
  kfree(pmap);
}

kern_return_t pmap_enter(Pmap* pmap, uint64_t va, paddr_t pa, vm_prot_t prot) {
  return pmap_enter_attr(pmap, va, pa, prot, PmapAttr::kCached);
}

kern_return_t pmap_enter_attr(Pmap* pmap, uint64_t va, paddr_t pa, vm_prot_t prot, PmapAttr attr) {
  if (!(prot & VM_PROT_ALL)) return KERN_INVALID_ARGUMENT;
  if (!page_aligned(va) || va >= kUserTop) return KERN_INVALID_ADDRESS;
  if (pa & ~kPteAddrMask) return KERN_INVALID_ARGUMENT;  // unaligned or beyond 52 bits
  uint64_t* pte = pte_of(pmap, va, pmap);
  if (!pte) return KERN_RESOURCE_SHORTAGE;
  uint64_t old = *pte, e = pte_for(pa, prot);
  if (attr == PmapAttr::kUncached) e |= kPteCacheDisable | kPteWriteThrough;
  bool same = (old & kPtePresent) && (old & kPteAddrMask) == pa;
  if (!same) {
    // The old page's record moves to the new page (no allocation then);
    // only a mapping that had none needs a new one, before anything changes.
    PvEntry* pv = (old & kPtePresent) ? pv_unlink(old & kPteAddrMask, pmap, va) : nullptr;
    if (PvEntry** head = pv_head(pa)) {
      if (!pv && !(pv = g_pv_zone.create())) return KERN_RESOURCE_SHORTAGE;
      pv_link(head, pv, pmap, va);
    } else {
      g_pv_zone.destroy(pv);
    }
  }
  // Re-entering the same page keeps what the MMU recorded about it.
  if (same) e |= old & (kPteAccessed | kPteDirty);
  *pte = e;
  // A missing PTE is never cached; a present one may be.
  if ((old & kPtePresent) && old != e) pmap_tlb_invalidate(pmap, va, va + kPageSize);
  return KERN_SUCCESS;
}

void pmap_remove(Pmap* pmap, uint64_t start, uint64_t end) {
  Changed changed;
  for_each_pte(pmap, start, end, [&](uint64_t& pte, uint64_t va) {
    pv_drop(pte & kPteAddrMask, pmap, va);
    pte = 0;
    changed.add(va);
  });
  changed.invalidate(pmap);
}

void pmap_protect(Pmap* pmap, uint64_t start, uint64_t end, vm_prot_t prot) {
  if (!(prot & VM_PROT_ALL)) return pmap_remove(pmap, start, end);
  uint64_t clear = (prot & VM_PROT_WRITE) ? 0 : kPteWrite;
  uint64_t set = (!(prot & VM_PROT_EXECUTE) && g_cpu.nx) ? kPteNx : 0;
  Changed changed;
  for_each_pte(pmap, start, end, [&](uint64_t& pte, uint64_t va) {
    uint64_t e = (pte & ~clear) | set;
    if (e == pte) return;
    pte = e;
    changed.add(va);
  });
  changed.invalidate(pmap);
}

bool pmap_extract(const Pmap* pmap, uint64_t va, paddr_t* pa, vm_prot_t* prot) {
  paddr_t p;
  uint64_t flags;
  if (va >= kUserTop || !translate(pmap->as.root, va, &p, &flags) || !(flags & kPteUser)) return false;
  if (flags & kPteCacheDisable) return false;  // device memory: see pmap.h
  if (pa) *pa = p;
  if (prot) {
    vm_prot_t r = VM_PROT_READ;
    if (flags & kPteWrite) r |= VM_PROT_WRITE;
    if (!(flags & kPteNx)) r |= VM_PROT_EXECUTE;
    *prot = r;
  }
  return true;
}

unsigned pmap_query_bits(const Pmap* pmap, uint64_t va) {
  if (va >= kUserTop) return 0;
  const uint64_t* pte = pte_of(pmap, va, nullptr);
  if (!pte || !(*pte & kPtePresent)) return 0;
  unsigned bits = 0;
  if (*pte & kPteAccessed) bits |= kPmapReferenced;
  if (*pte & kPteDirty) bits |= kPmapModified;
  return bits;
}

void pmap_clear_bits(Pmap* pmap, uint64_t va, unsigned bits) {
  if (va >= kUserTop) return;
  uint64_t* pte = pte_of(pmap, va, nullptr);
  if (!pte || !(*pte & kPtePresent)) return;
  uint64_t mask = ((bits & kPmapReferenced) ? kPteAccessed : 0) | ((bits & kPmapModified) ? kPteDirty : 0);
  // Atomic: the MMU may set A/D in this PTE meanwhile (another CPU, or a
  // kernel access through this pmap).
  uint64_t old = __atomic_fetch_and(pte, ~mask, __ATOMIC_RELAXED);
  // The TLB entry still says accessed/dirty: drop it so the MMU records
  // the next access in the PTE again.
  if (old & mask) pmap_tlb_invalidate(pmap, page_round_down(va), page_round_down(va) + kPageSize);
}

unsigned pmap_page_protect(paddr_t pa, vm_prot_t prot) {
  PvEntry** head = pv_head(pa);
  if (!head) return 0;
  bool remove = !(prot & VM_PROT_ALL);
  uint64_t clear = (prot & VM_PROT_WRITE) ? 0 : kPteWrite;
  uint64_t set = (!(prot & VM_PROT_EXECUTE) && g_cpu.nx) ? kPteNx : 0;
  unsigned bits = 0;
  for (PvEntry** p = head; *p;) {
    PvEntry* pv = *p;
    uint64_t* pte = pte_of(pv->pmap, pv->va, nullptr);
    if (!pte || (*pte & kPteAddrMask) != pa || !(*pte & kPtePresent))
      panic("pmap %#lx: record of %#lx -> %#lx without its PTE", pv->pmap->as.root, pv->va, pa);
    // Atomic: the MMU may set A/D meanwhile; what it set goes in the result.
    uint64_t old = __atomic_load_n(pte, __ATOMIC_RELAXED), e;
    do {
      e = remove ? 0 : (old & ~clear) | set;
    } while (e != old && !__atomic_compare_exchange_n(pte, &old, e, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
    bits |= bits_of(old);
    if (e != old) pmap_tlb_invalidate(pv->pmap, pv->va, pv->va + kPageSize);
    if (remove) {
      *p = pv->next;
      g_pv_zone.destroy(pv);
    } else {
      p = &pv->next;
    }
  }
  return bits;
}

unsigned pmap_page_query_bits(paddr_t pa) {
  unsigned bits = 0;
  if (PvEntry** head = pv_head(pa))
    for (PvEntry* pv = *head; pv; pv = pv->next) bits |= pmap_query_bits(pv->pmap, pv->va);
  return bits;
}

void pmap_page_clear_bits(paddr_t pa, unsigned bits) {
  if (PvEntry** head = pv_head(pa))
    for (PvEntry* pv = *head; pv; pv = pv->next) pmap_clear_bits(pv->pmap, pv->va, bits);
}

uint64_t pmap_page_mapping_count(paddr_t pa) {
  uint64_t n = 0;
  if (PvEntry** head = pv_head(pa))
    for (PvEntry* pv = *head; pv; pv = pv->next) ++n;
  return n;
}

void pmap_tlb_invalidate(Pmap* pmap, uint64_t start, uint64_t end) {
  start = page_round_down(start);
  if (start >= end) return;
  // SMP: send the shootdown IPI here to every other CPU that has this pmap
  // loaded, and mark it stale on the CPUs that only keep its PCID.
  if (!is_loaded(pmap)) {
    pmap->as.flushed = false;  // its PCID may hold the old entries: flush on next load
    return;
  }
  uint64_t len = end - start;
  uint64_t pages = (len >> kPageShift) + ((len & kPageMask) != 0);
  if (pages <= kInvlpgMaxPages) {
    for (uint64_t va = start; va < end; va += kPageSize) invlpg(va);
  } else {
    // Flushes this pmap's non-global entries (without the no-flush bit when
    // PCIDs are on); the kernel's global ones stay.
    write_cr3(pmap->as.root | (g_cpu.pcid ? pmap->as.pcid : 0));
  }
}

uint64_t pmap_table_pages(const Pmap* pmap) { return pmap->table_pages; }

}  // namespace mk

namespace mk::x86 {

void pmap_activate(Pmap* pmap) {
  uint64_t loaded = read_cr3() & kPteAddrMask;
  if (!pmap) {
    if (loaded != kernel_root()) write_cr3(kernel_root() | (g_cpu.pcid ? kCr3NoFlush : 0));
    return;
  }
  arch::AddressSpaceState& as = pmap->as;
  if (g_cpu.pcid) {
    bool keep = as.flushed && g_pcid_owner[as.pcid] == pmap;
    g_pcid_owner[as.pcid] = pmap;
    if (loaded != as.root || !keep) write_cr3(as.root | as.pcid | (keep ? kCr3NoFlush : 0));
  } else if (loaded != as.root || !as.flushed) {
    write_cr3(as.root);  // drops every non-global entry
  }
  as.flushed = true;
}

}  // namespace mk::x86
