#include "kern/boot_memory.h"

#include "lib/elf64.h"

namespace mk {

bool BootReservations::add(paddr_t base, paddr_t end) {
  if (end <= base || count_ == kMax) return false;
  ranges_[count_++] = {page_round_down(base), page_round_up(end)};
  return true;
}

bool BootReservations::overlaps(paddr_t base, paddr_t end) const {
  for (size_t i = 0; i < count_; ++i)
    if (base < ranges_[i].end && ranges_[i].base < end) return true;
  return false;
}

paddr_t find_free_range(const BootInfo& info, const BootReservations& reserved, uint64_t bytes,
                        paddr_t below) {
  bytes = page_round_up(bytes);
  if (bytes == 0) return 0;
  paddr_t best = 0;
  for (size_t i = 0; i < info.mmap_count; ++i) {
    const MemoryRegion& r = info.mmap[i];
    if (r.type != kMemAvailable) continue;
    paddr_t start = page_round_up(r.base);
    paddr_t end = page_round_down(r.base + r.length);
    if (start == 0) start = kPageSize;
    if (end > below) end = page_round_down(below);
    // Step past each reservation that gets in the way.
    for (paddr_t at = start; at < end && end - at >= bytes;) {
      bool moved = false;
      for (size_t k = 0; k < reserved.count(); ++k) {
        const PhysRange& x = reserved[k];
        if (at < x.end && x.base < at + bytes) {
          at = x.end;
          moved = true;
        }
      }
      if (!moved) {
        if (!best || at < best) best = at;
        break;
      }
    }
  }
  return best;
}

bool reserve_boot_data(const BootInfo& info, paddr_t info_phys, size_t info_size,
                       BootReservations* reserved) {
  bool ok = reserved->add(info_phys, info_phys + info_size);
  for (size_t i = 0; i < info.module_count; ++i)
    if (info.modules[i].end > info.modules[i].start)
      ok &= reserved->add(info.modules[i].start, info.modules[i].end);
  if (info.elf_sections && info.elf_entsize >= sizeof(Elf64_Shdr)) {
    const uint8_t* p = static_cast<const uint8_t*>(info.elf_sections);
    for (uint32_t i = 0; i < info.elf_num; ++i) {
      Elf64_Shdr sh;
      __builtin_memcpy(&sh, p + size_t(i) * info.elf_entsize, sizeof sh);
      // GRUB placed the sections the image does not load itself (symbol and
      // string tables) in free memory: keep them.
      if (!(sh.sh_flags & SHF_ALLOC) && sh.sh_addr && sh.sh_size)
        ok &= reserved->add(sh.sh_addr, sh.sh_addr + sh.sh_size);
    }
  }
  return ok;
}

}  // namespace mk
