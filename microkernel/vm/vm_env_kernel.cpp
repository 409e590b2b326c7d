// The VM core's environment in the kernel (vm_env.h): the page pool and the
// direct map for pages, kalloc for its structures.
#include "vm/vm_env.h"

#include "kern/arch.h"
#include "kern/kalloc.h"
#include "vm/vm_resident.h"

namespace mk {

kern_return_t vm_env_page_grab(paddr_t* out) { return vm_page_grab(out); }
void vm_env_page_release(paddr_t pa) { vm_page_release(pa); }
void vm_env_phys_release(paddr_t pa, uint64_t npages) { vm_pages_release_contiguous(pa, npages); }
void* vm_env_page_address(paddr_t pa) { return arch::phys_to_virt(pa); }
uint64_t vm_env_free_pages() { return vm_page_free_count(); }
uint64_t vm_env_total_pages() { return vm_page_total_count(); }

void* vm_alloc(size_t size) { return kalloc(size); }
void vm_free(void* p) { kfree(p); }

}  // namespace mk
