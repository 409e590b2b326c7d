#include "vm/vm_fault.h"

#include "vm/pmap.h"
#include "vm/vm_map.h"
#include "vm/vm_object.h"

namespace mk {

VmFaultCounts g_vm_fault_counts;

namespace {

kern_return_t fault(VmMap* map, uint64_t addr, vm_prot_t access, paddr_t* pa, bool own_page) {
  uint64_t va = page_round_down(addr);
  VmMapEntry* e = vm_map_lookup_entry(map, va);
  if (!e) return KERN_INVALID_ADDRESS;
  if (access & ~e->protection) return KERN_PROTECTION_FAILURE;
  // Memory several maps write must only ever be mapped from its own
  // object: a page behind it would go stale in the other maps' MMUs the
  // moment one of them copies it up.
  // A physical object (device memory, DMA buffers) is its own memory: no
  // pages to find or copy, the frame is phys_base + offset.
  if (e->object && e->object->physical) {
    uint64_t off = e->offset + (va - e->start);
    if (off >= e->object->size) return KERN_INVALID_ADDRESS;
    paddr_t frame = e->object->phys_base + off;
    if (map->pmap && e->protection != VM_PROT_NONE) {
      kern_return_t kr = pmap_enter_attr(map->pmap, va, frame, e->protection,
                                         e->object->uncached ? PmapAttr::kUncached : PmapAttr::kCached);
      if (kr != KERN_SUCCESS) return kr;
    }
    if (pa) *pa = frame;
    g_vm_fault_counts.faults++;
    return KERN_SUCCESS;
  }
  own_page = own_page || e->is_shared;
  bool write = (access & VM_PROT_WRITE) != 0 || own_page;

  // The entry's own object: created at the first touch, or put in front of
  // a copy-on-write object at the first write.
  if (!e->object) {
    if (!(e->object = vm_object_allocate(e->size()))) return KERN_RESOURCE_SHORTAGE;
    e->offset = 0;
    e->needs_copy = false;
  } else if (write && e->needs_copy) {
    // Nobody else holds the object any more: no copy is needed.
    if (e->object->ref_count > 1 && vm_object_shadow(&e->object, &e->offset, e->size()) != KERN_SUCCESS)
      return KERN_RESOURCE_SHORTAGE;
    e->needs_copy = false;
  }
  VmObject* first = e->object;
  if (first->shadow && first->shadow->ref_count == 1) vm_object_collapse(first);
  uint64_t offset = e->offset + (va - e->start);

  VmPage* page = nullptr;
  VmObject* holder = first;
  uint64_t depth = 0, off = offset;
  for (VmObject* o = first; o && !page; off += o->shadow_offset, o = o->shadow) {
    depth++;
    if ((page = vm_page_lookup(o, off))) holder = o;
  }
  if (depth > g_vm_fault_counts.max_depth) g_vm_fault_counts.max_depth = depth;

  if (!page) {
    // Anonymous memory nobody wrote reads as zeros.
    if (!(page = vm_page_alloc_zero(first, offset))) return KERN_RESOURCE_SHORTAGE;
    holder = first;
    g_vm_fault_counts.zero_fills++;
  } else if (holder != first && write) {
    // Copy on write (or a page that must be our own): it moves up into our
    // own object.
    VmPage* copy = vm_page_alloc(first, offset);
    if (!copy) return KERN_RESOURCE_SHORTAGE;
    __builtin_memcpy(vm_page_address(copy), vm_page_address(page), kPageSize);
    page = copy;
    holder = first;
    g_vm_fault_counts.cow_copies++;
  }

  // A page of a shadowed or still-shared object is mapped read-only so the
  // next write comes back here.
  vm_prot_t prot = e->protection;
  if (holder != first || e->needs_copy) prot &= ~VM_PROT_WRITE;
  if (map->pmap && prot != VM_PROT_NONE) {
    kern_return_t kr = pmap_enter(map->pmap, va, page->phys, prot);
    if (kr != KERN_SUCCESS) return kr;
  }
  if (pa) *pa = page->phys;
  g_vm_fault_counts.faults++;
  return KERN_SUCCESS;
}

}  // namespace

kern_return_t vm_fault(VmMap* map, uint64_t addr, vm_prot_t access, paddr_t* pa) {
  return fault(map, addr, access, pa, false);
}

kern_return_t vm_fault_own_page(VmMap* map, uint64_t addr, vm_prot_t access, paddr_t* pa) {
  return fault(map, addr, access, pa, true);
}

}  // namespace mk
