#include "vm/vm_resident.h"

#include "kern/arch.h"
#include "lib/result.h"
#include "kern/console.h"
#include "kern/panic.h"
#include "kern/spinlock.h"
#include "lib/page_allocator.h"

namespace mk {
namespace {

constinit PageAllocator g_pages{};
constinit IrqSpinLock g_pages_lock;

}  // namespace

void vm_resident_init(const BootInfo& info, BootReservations& reserved) {
  paddr_t limit = page_round_up(highest_usable_address(info));
  size_t bytes = PageAllocator::bitmap_bytes(limit);
  paddr_t spot = find_free_range(info, reserved, bytes, ~paddr_t(0));
  if (!spot) panic("vm: no room for the page bitmap (%zu bytes)", bytes);
  if (!reserved.add(spot, spot + bytes)) panic("vm: boot reservation table full");
  kern_return_t kr = g_pages.init(arch::phys_to_virt(spot), bytes, limit);
  if (kr != KERN_SUCCESS) panic("vm: page allocator init failed: %s", kern_return_name(kr));
  for (size_t i = 0; i < info.mmap_count; ++i)
    if (info.mmap[i].type == kMemAvailable) g_pages.add_free_range(info.mmap[i].base, info.mmap[i].length);
  for (size_t i = 0; i < reserved.count(); ++i)
    g_pages.reserve_range(reserved[i].base, reserved[i].end - reserved[i].base);
}

kern_return_t vm_page_grab(paddr_t* out) {
  LockGuard guard(g_pages_lock);
  return g_pages.alloc(out);
}

kern_return_t vm_pages_grab_contiguous(size_t npages, size_t align_pages, paddr_t* out) {
  LockGuard guard(g_pages_lock);
  return g_pages.alloc_contiguous(npages, align_pages, out);
}

void vm_page_release(paddr_t pa) { vm_pages_release_contiguous(pa, 1); }

void vm_pages_release_contiguous(paddr_t pa, size_t npages) {
  kern_return_t kr;
  {
    LockGuard guard(g_pages_lock);
    kr = g_pages.free_contiguous(pa, npages);
  }
  if (kr != KERN_SUCCESS)
    panic("vm: release of %zu page(s) at %#lx refused: %s", npages, pa, kern_return_name(kr));
}

size_t vm_page_free_count() {
  LockGuard guard(g_pages_lock);
  return g_pages.free_pages();
}

size_t vm_page_total_count() {
  LockGuard guard(g_pages_lock);
  return g_pages.managed_pages();
}

}  // namespace mk
