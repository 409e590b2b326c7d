#include "kern/kalloc.h"

#include "kern/arch.h"
#include "kern/panic.h"
#include "kern/spinlock.h"
#include "lib/heap.h"
#include "lib/result.h"
#include "lib/zone.h"
#include "vm/vm_resident.h"

namespace mk {
namespace {

class KernelPageSource final : public PageSource {
 public:
  void* alloc_pages(size_t npages, size_t align_pages) override {
    paddr_t pa;
    if (vm_pages_grab_contiguous(npages, align_pages, &pa) != KERN_SUCCESS) return nullptr;
    return arch::phys_to_virt(pa);
  }
  void free_pages(void* p, size_t npages) override {
    vm_pages_release_contiguous(arch::virt_to_phys(p), npages);
  }
};

constinit KernelPageSource g_page_source;
constinit Heap g_heap{};
constinit IrqSpinLock g_heap_lock;

}  // namespace

void kalloc_init() {
  kern_return_t kr = g_heap.init(&g_page_source);
  if (kr != KERN_SUCCESS) panic("kalloc: heap init failed: %s", kern_return_name(kr));
}

void* kalloc(size_t size) {
  LockGuard guard(g_heap_lock);
  return g_heap.alloc(size);
}

void kfree(void* p) {
  kern_return_t kr;
  {
    LockGuard guard(g_heap_lock);
    kr = g_heap.free(p);
  }
  if (kr != KERN_SUCCESS) panic("kfree(%p): %s", p, kern_return_name(kr));
}

size_t kalloc_bytes_in_use() {
  LockGuard guard(g_heap_lock);
  return g_heap.bytes_in_use();
}

PageSource* kernel_page_source() { return &g_page_source; }

void zone_corruption(const char* zone_name, void* p, kern_return_t kr) {
  panic("zone %s: free of %p refused: %s", zone_name, p, kern_return_name(kr));
}

}  // namespace mk
