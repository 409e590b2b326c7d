#include "arch/x86_64/paging.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/vm_layout.h"
#include "kern/arch.h"
#include "kern/panic.h"
#include "vm/vm_resident.h"

extern "C" char kernel_text_start[], kernel_text_end[], kernel_rodata_start[], kernel_rodata_end[],
    kernel_data_start[], kernel_data_end[];

namespace mk::x86 {
namespace {

// Base of the linear window onto physical memory: the boot window until
// paging_init switches to the direct map.
constinit uint64_t g_phys_window = kKernelVma;
constinit bool g_direct_map_live = false;
constinit paddr_t g_kernel_root = 0;
constinit uint64_t g_direct_map_end = 0;  // highest RAM address mapped, exclusive

uint64_t* table_at(paddr_t pa) {
  if (!g_direct_map_live && pa >= kBootWindowSize)
    panic("paging: table page %#lx outside the boot window", pa);
  return reinterpret_cast<uint64_t*>(g_phys_window + pa);
}

unsigned index_of(uint64_t va, int level) { return unsigned(va >> (12 + 9 * level)) & 511; }

// The entry for `va` at `level` (0 = PT) below `root`, creating tables on the
// way. nullptr with *kr set when it cannot.
uint64_t* walk_create(paddr_t root, uint64_t va, int level, TableAllocator alloc, kern_return_t* kr) {
  uint64_t* table = table_at(root);
  for (int l = 3; l > level; --l) {
    uint64_t& e = table[index_of(va, l)];
    if (!(e & kPtePresent)) {
      paddr_t t = alloc();
      if (!t) {
        *kr = KERN_RESOURCE_SHORTAGE;
        return nullptr;
      }
      // Intermediate entries are permissive; the leaf decides (user bit only
      // where user mappings will live).
      e = t | kPtePresent | kPteWrite | (va < kUserTop ? kPteUser : 0);
    } else if (e & kPteHuge) {
      *kr = KERN_NO_SPACE;
      return nullptr;
    }
    table = table_at(e & kPteAddrMask);
  }
  return &table[index_of(va, level)];
}

constexpr uint64_t kHuge = 2ull << 20;

// Boot-time table source: a bump pointer over the spot the boot plan set aside.
constinit paddr_t g_boot_tables_next = 0, g_boot_tables_end = 0;
paddr_t boot_table_alloc() {
  if (g_boot_tables_next >= g_boot_tables_end) return 0;
  paddr_t pa = g_boot_tables_next;
  g_boot_tables_next += kPageSize;
  __builtin_memset(table_at(pa), 0, kPageSize);
  return pa;
}

}  // namespace

paddr_t alloc_table_page() {
  paddr_t pa;
  if (vm_page_grab(&pa) != KERN_SUCCESS) return 0;
  __builtin_memset(table_at(pa), 0, kPageSize);
  return pa;
}

uint64_t* table_virt(paddr_t pa) { return table_at(pa); }

namespace {

void map_or_panic(paddr_t root, uint64_t va, paddr_t pa, uint64_t size, uint64_t flags, bool huge) {
  kern_return_t kr = map_range(root, va, pa, size, flags, huge, boot_table_alloc);
  if (kr != KERN_SUCCESS) panic("paging: cannot map %#lx (+%#lx): error %d", va, size, kr);
}

bool is_ram(uint32_t type) {
  return type == kMemAvailable || type == kMemAcpiReclaimable || type == kMemAcpiNvs;
}

}  // namespace

kern_return_t map_range(paddr_t root, uint64_t va, paddr_t pa, uint64_t size, uint64_t flags,
                        bool allow_huge, TableAllocator alloc) {
  if ((va | pa | size) & (kPageSize - 1)) return KERN_INVALID_ARGUMENT;
  if (!g_cpu.nx) flags &= ~kPteNx;
  flags |= kPtePresent;
  while (size) {
    kern_return_t kr = KERN_SUCCESS;
    if (allow_huge && !((va | pa) & (kHuge - 1)) && size >= kHuge) {
      uint64_t* e = walk_create(root, va, 1, alloc, &kr);
      if (!e) return kr;
      if ((*e & kPtePresent) && !(*e & kPteHuge)) return KERN_NO_SPACE;
      *e = pa | flags | kPteHuge;
      va += kHuge, pa += kHuge, size -= kHuge;
    } else {
      uint64_t* e = walk_create(root, va, 0, alloc, &kr);
      if (!e) return kr;
      *e = pa | flags;
      va += kPageSize, pa += kPageSize, size -= kPageSize;
    }
    if (g_kernel_root && root == read_cr3()) invlpg(va - kPageSize);
  }
  return KERN_SUCCESS;
}

bool translate(paddr_t root, uint64_t va, paddr_t* pa, uint64_t* pte_flags) {
  uint64_t* table = table_at(root);
  for (int l = 3; l >= 0; --l) {
    uint64_t e = table[index_of(va, l)];
    if (!(e & kPtePresent)) return false;
    if (l == 0 || (e & kPteHuge)) {
      uint64_t span = 1ull << (12 + 9 * l);
      *pa = (e & kPteAddrMask & ~(span - 1)) + (va & (span - 1));
      *pte_flags = e & ~kPteAddrMask;
      return true;
    }
    table = table_at(e & kPteAddrMask);
  }
  return false;
}

bool unmap_page(paddr_t root, uint64_t va, paddr_t* pa) {
  uint64_t* table = table_at(root);
  for (int l = 3; l > 0; --l) {
    uint64_t e = table[index_of(va, l)];
    if (!(e & kPtePresent) || (e & kPteHuge)) return false;
    table = table_at(e & kPteAddrMask);
  }
  uint64_t& pte = table[index_of(va, 0)];
  if (!(pte & kPtePresent)) return false;
  *pa = pte & kPteAddrMask;
  pte = 0;
  return true;
}

paddr_t kernel_root() { return g_kernel_root; }

uint64_t paging_table_pages_needed(const BootInfo& info) {
  uint64_t kernel_bytes = uint64_t(kernel_data_end - kernel_text_start);
  uint64_t top = highest_usable_address(info);
  for (size_t i = 0; i < info.mmap_count; ++i)
    if (is_ram(info.mmap[i].type) && info.mmap[i].base + info.mmap[i].length > top)
      top = info.mmap[i].base + info.mmap[i].length;
  uint64_t pages = 1;                                        // PML4
  pages += 2 + kernel_bytes / kHuge + 2;                     // PDPT, PD, PTs of the image
  pages += top / (512ull << 30) + 2;                         // direct-map PDPTs
  pages += top / (1ull << 30) + 2;                           // direct-map PDs
  pages += 2 * info.mmap_count;                              // PTs at unaligned region edges
  return pages;
}

void paging_init(paddr_t table_spot, uint64_t table_spot_pages, const BootInfo& info) {
  g_boot_tables_next = table_spot;
  g_boot_tables_end = table_spot + table_spot_pages * kPageSize;
  paddr_t root = boot_table_alloc();
  if (!root) panic("paging: no page for the kernel PML4");

  auto image = [&](char* start, char* end, uint64_t flags) {
    uint64_t va = reinterpret_cast<uint64_t>(start);
    map_or_panic(root, va, va - kKernelVma, uint64_t(end - start), flags | kPteGlobal, false);
  };
  image(kernel_text_start, kernel_text_end, 0);                    // RX
  image(kernel_rodata_start, kernel_rodata_end, kPteNx);           // R
  image(kernel_data_start, kernel_data_end, kPteWrite | kPteNx);   // RW

  for (size_t i = 0; i < info.mmap_count; ++i) {
    const MemoryRegion& r = info.mmap[i];
    if (!is_ram(r.type)) continue;
    paddr_t base = page_round_down(r.base), end = page_round_up(r.base + r.length);
    if (end > kDirectMapSize) panic("paging: RAM at %#lx beyond the direct map", end);
    map_or_panic(root, kDirectMapBase + base, base, end - base, kPteWrite | kPteNx | kPteGlobal, true);
    if (end > g_direct_map_end) g_direct_map_end = end;
  }

  if (g_cpu.pge) write_cr4(read_cr4() | kCr4Pge);
  write_cr3(root);
  // PCIDs tag user TLB entries so a switch between tasks keeps them.
  if (g_cpu.pcid) write_cr4(read_cr4() | kCr4Pcide);
  g_kernel_root = root;
  g_phys_window = kDirectMapBase;
  g_direct_map_live = true;
}

void* map_device(paddr_t pa, uint64_t size) {
  paddr_t base = page_round_down(pa);
  uint64_t len = page_round_up(pa + size) - base;
  kern_return_t kr = map_range(g_kernel_root, kDirectMapBase + base, base, len,
                               kPteWrite | kPteNx | kPteGlobal | kPteCacheDisable | kPteWriteThrough,
                               false, alloc_table_page);
  if (kr != KERN_SUCCESS) panic("paging: cannot map device registers at %#lx: error %d", pa, kr);
  return reinterpret_cast<void*>(kDirectMapBase + pa);
}

}  // namespace mk::x86

namespace mk::arch {

void* phys_to_virt(paddr_t pa) { return reinterpret_cast<void*>(x86::g_phys_window + pa); }

paddr_t virt_to_phys(const void* va) {
  uint64_t v = reinterpret_cast<uint64_t>(va);
  if (v >= x86::kKernelVma) return v - x86::kKernelVma;
  return v - x86::kDirectMapBase;
}

bool is_kernel_text(uint64_t va) {
  return va >= reinterpret_cast<uint64_t>(kernel_text_start) && va < reinterpret_cast<uint64_t>(kernel_text_end);
}

bool phys_is_device_range(paddr_t base, paddr_t end) {
  if (end <= base || (base | end) & (kPageSize - 1)) return false;
  unsigned bits = 36;
  if (x86::cpuid(0x80000000).eax >= 0x80000008) bits = x86::cpuid(0x80000008).eax & 0xFF;
  if (bits > 52) bits = 52;
  if (end > (paddr_t(1) << bits)) return false;
  // RAM and the kernel's own device registers sit in the direct map.
  for (paddr_t pa = base; pa < end; pa += kPageSize) {
    if (pa >= x86::g_direct_map_end && pa >= 0x100000000ull) break;  // nothing mapped above (registers are below 4 GiB)
    paddr_t got;
    uint64_t flags;
    if (x86::translate(x86::g_kernel_root, x86::kDirectMapBase + pa, &got, &flags)) return false;
  }
  return true;
}

bool is_kernel_data_address(uint64_t va) {
  if (va >= reinterpret_cast<uint64_t>(kernel_data_start) && va < reinterpret_cast<uint64_t>(kernel_data_end))
    return true;
  if (!x86::g_direct_map_live || va < x86::kDirectMapBase || va >= x86::kDirectMapBase + x86::g_direct_map_end)
    return false;
  // The direct map has holes where there is no RAM: ask the page tables.
  paddr_t pa;
  uint64_t flags;
  return x86::translate(x86::g_kernel_root, va, &pa, &flags);
}

}  // namespace mk::arch
