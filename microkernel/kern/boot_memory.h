// Physical memory bookkeeping before the page allocator exists: which ranges
// the boot left occupied (kernel image, boot information, modules, the
// symbol table GRUB loaded) and where free room for early tables can be found.
#pragma once

#include <stddef.h>

#include "lib/multiboot2.h"
#include "lib/page.h"

namespace mk {

struct PhysRange {
  paddr_t base, end;  // [base, end)
};

class BootReservations {
 public:
  static constexpr size_t kMax = 64;
  // Records [base, end); false when the table is full or the range is empty.
  bool add(paddr_t base, paddr_t end);
  bool overlaps(paddr_t base, paddr_t end) const;
  size_t count() const { return count_; }
  const PhysRange& operator[](size_t i) const { return ranges_[i]; }

 private:
  PhysRange ranges_[kMax]{};
  size_t count_ = 0;
};

// The lowest page-aligned run of `bytes` inside an available memory-map
// region, clear of every reservation and ending at or below `below`.
// Returns 0 when there is none (page 0 is never handed out).
paddr_t find_free_range(const BootInfo& info, const BootReservations& reserved, uint64_t bytes,
                        paddr_t below);

// Records the loader's occupied ranges: the boot information block itself,
// every module and the non-allocated ELF sections (symbol and string tables).
// Returns false when the reservation table overflows.
bool reserve_boot_data(const BootInfo& info, paddr_t info_phys, size_t info_size,
                       BootReservations* reserved);

}  // namespace mk
