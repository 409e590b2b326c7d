#include "vm/vm_fault.h"

#include "vm/vm_env.h"

#include "vm/pmap.h"
#include "vm/vm_map.h"
#include "vm/vm_object.h"

namespace mk {

VmFaultCounts g_vm_fault_counts;

namespace {

// The caller waits for the page at (object, offset); without a way to wait
// the fault fails (the request still goes on).
kern_return_t must_wait(VmObject* object, uint64_t offset, VmFaultWait* wait) {
  if (!wait) return KERN_MEMORY_ERROR;
  vm_object_reference(object);
  wait->object = object;
  wait->offset = offset;
  return kVmFaultWait;
}

// Ask the pager of `object` for a page: a busy placeholder marks the
// request so later faults on it wait for the same answer.
kern_return_t request_page(VmObject* object, uint64_t offset, vm_prot_t access, VmFaultWait* wait) {
  if (object->pager_error) return KERN_MEMORY_ERROR;
  if (offset >= object->size) return KERN_MEMORY_ERROR;
  VmPage* page = vm_page_alloc(object, offset);
  if (!page) return KERN_RESOURCE_SHORTAGE;
  page->busy = true;
  page->dirty = false;
  vm_env_pager_request(object, offset, access, /*unlock=*/false);
  g_vm_fault_counts.pager_requests++;
  return must_wait(object, offset, wait);
}

kern_return_t fault(VmMap* map, uint64_t addr, vm_prot_t access, paddr_t* pa, bool own_page, VmFaultWait* wait) {
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
  bool write = (access & VM_PROT_WRITE) != 0;
  bool need_own = write || own_page;

  // The entry's own object: created at the first touch, or put in front of
  // a copy-on-write object at the first write.
  if (!e->object) {
    if (!(e->object = vm_object_allocate(e->size()))) return KERN_RESOURCE_SHORTAGE;
    e->offset = 0;
    e->needs_copy = false;
  } else if (need_own && e->needs_copy) {
    // Nobody else holds the object any more: no copy is needed (a memory
    // object always needs one: its pager and later mappers see it).
    if ((e->object->ref_count > 1 || e->object->external) &&
        vm_object_shadow(&e->object, &e->offset, e->size()) != KERN_SUCCESS)
      return KERN_RESOURCE_SHORTAGE;
    e->needs_copy = false;
  }
  VmObject* first = e->object;
  if (first->shadow && first->shadow->ref_count == 1) vm_object_collapse(first);
  uint64_t offset = e->offset + (va - e->start);

  // Down the chain: the first object that has the page resident, or whose
  // pager holds it.
  VmPage* page = nullptr;
  VmObject* holder = first;
  uint64_t depth = 0, off = offset;
  for (VmObject* o = first; o; off += o->shadow_offset, o = o->shadow) {
    depth++;
    if ((page = vm_page_lookup(o, off))) {
      holder = o;
      break;
    }
    if (vm_object_pager_has_page(o, off)) return request_page(o, off, access, wait);
  }
  if (depth > g_vm_fault_counts.max_depth) g_vm_fault_counts.max_depth = depth;

  if (page) {
    if (page->busy || page->unlock_pending) return must_wait(holder, off, wait);
    if (page->error) {
      // Reported once; the next fault asks the pager again.
      vm_page_free(page);
      return KERN_MEMORY_ERROR;
    }
    // A copy-up only reads the page behind.
    vm_prot_t used = holder == first ? access : VM_PROT_READ;
    if (page->lock & used) {
      if (holder->pager_error) return KERN_MEMORY_ERROR;
      page->unlock_pending = true;
      vm_env_pager_request(holder, off, used, /*unlock=*/true);
      g_vm_fault_counts.pager_requests++;
      return must_wait(holder, off, wait);
    }
  }

  if (!page) {
    // Anonymous memory nobody wrote reads as zeros.
    if (!(page = vm_page_alloc_zero(first, offset))) return KERN_RESOURCE_SHORTAGE;
    page->dirty = false;
    holder = first;
    g_vm_fault_counts.zero_fills++;
  } else if (holder != first && need_own) {
    // Copy on write (or a page that must be our own): it moves up into our
    // own object.
    VmPage* copy = vm_page_alloc(first, offset);
    if (!copy) return KERN_RESOURCE_SHORTAGE;
    __builtin_memcpy(vm_page_address(copy), vm_page_address(page), kPageSize);
    page = copy;
    holder = first;
    g_vm_fault_counts.cow_copies++;
  }
  if (write) page->dirty = true;

  // A page of a shadowed or still-shared object is mapped read-only so the
  // next write comes back here; so is a clean page (the write marks it
  // dirty) and whatever its pager locked.
  vm_prot_t prot = e->protection & ~page->lock;
  if (holder != first || e->needs_copy || !page->dirty) prot &= ~VM_PROT_WRITE;
  if (map->pmap && prot != VM_PROT_NONE) {
    kern_return_t kr = pmap_enter(map->pmap, va, page->phys, prot);
    if (kr != KERN_SUCCESS) return kr;
  }
  if (pa) *pa = page->phys;
  g_vm_fault_counts.faults++;
  return KERN_SUCCESS;
}

}  // namespace

kern_return_t vm_fault(VmMap* map, uint64_t addr, vm_prot_t access, paddr_t* pa, VmFaultWait* wait) {
  return fault(map, addr, access, pa, false, wait);
}

kern_return_t vm_fault_own_page(VmMap* map, uint64_t addr, vm_prot_t access, paddr_t* pa, VmFaultWait* wait) {
  return fault(map, addr, access, pa, true, wait);
}

}  // namespace mk
