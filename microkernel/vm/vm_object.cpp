#include "vm/vm_object.h"

#include <new>

#include "vm/vm_env.h"

namespace mk {

VmObjectCounts g_vm_object_counts;

namespace {

void free_object(VmObject* object) {
  while (!object->pages.empty()) vm_page_free(&object->pages.front());
  if (object->existence) vm_free(object->existence);
  if (object->physical && object->owns_pages) vm_env_phys_release(object->phys_base, object->size / kPageSize);
  object->~VmObject();
  vm_free(object);
  g_vm_object_counts.objects--;
}

}  // namespace

VmObject* vm_object_allocate(uint64_t size) {
  void* mem = vm_alloc(sizeof(VmObject));
  if (!mem) return nullptr;
  auto* object = new (mem) VmObject();
  object->size = page_round_up(size);
  g_vm_object_counts.objects++;
  return object;
}

VmObject* vm_object_allocate_physical(paddr_t phys_base, uint64_t size, bool uncached, bool owns_pages) {
  VmObject* object = vm_object_allocate(size);
  if (!object) return nullptr;
  object->physical = true;
  object->uncached = uncached;
  object->owns_pages = owns_pages;
  object->phys_base = phys_base;
  return object;
}

void vm_object_reference(VmObject* object) { object->ref_count++; }

void vm_object_deallocate(VmObject* object) {
  // The last reference to an object is also the reference it held on its
  // shadow: walk down the chain instead of recursing.
  while (object && --object->ref_count == 0) {
    if (object->pager) {
      vm_env_object_unreferenced(object);  // the pager hears of it first
      return;
    }
    VmObject* shadow = object->shadow;
    free_object(object);
    object = shadow;
  }
}

void vm_object_terminate(VmObject* object) {
  VmObject* shadow = object->shadow;
  free_object(object);
  vm_object_deallocate(shadow);
}

bool vm_object_pager_has_page(const VmObject* object, uint64_t offset) {
  if (object->external) return true;
  uint64_t bit = offset >> kPageShift;
  return object->existence && (object->existence[bit / 64] >> (bit % 64) & 1);
}

bool vm_object_existence_set(VmObject* object, uint64_t offset) {
  if (!object->existence) {
    uint64_t words = (object->size / kPageSize + 63) / 64;
    auto* map = static_cast<uint64_t*>(vm_alloc(words * sizeof(uint64_t)));
    if (!map) return false;
    for (uint64_t i = 0; i < words; i++) map[i] = 0;
    object->existence = map;
  }
  uint64_t bit = offset >> kPageShift;
  object->existence[bit / 64] |= 1ull << (bit % 64);
  return true;
}

kern_return_t vm_object_shadow(VmObject** object, uint64_t* offset, uint64_t length) {
  VmObject* front = vm_object_allocate(length);
  if (!front) return KERN_RESOURCE_SHORTAGE;
  front->shadow = *object;
  front->shadow_offset = *offset;
  *object = front;
  *offset = 0;
  return KERN_SUCCESS;
}

void vm_object_collapse(VmObject* object) {
  // Only the front object can see a backing object nobody else uses: what
  // the front overrides or cannot see is garbage, the rest moves up.
  if (object->pager) return;
  while (VmObject* backing = object->shadow) {
    if (backing->ref_count != 1 || backing->pager) return;
    uint64_t window = object->shadow_offset;
    while (!backing->pages.empty()) {
      VmPage* page = &backing->pages.front();
      if (page->offset < window || page->offset - window >= object->size ||
          vm_page_lookup(object, page->offset - window)) {
        vm_page_free(page);
      } else {
        vm_page_rename(page, object, page->offset - window);
      }
    }
    object->shadow = backing->shadow;  // backing's reference moves to us
    object->shadow_offset += backing->shadow_offset;
    backing->shadow = nullptr;
    free_object(backing);
    g_vm_object_counts.collapses++;
  }
}

VmPage* vm_object_page_find(VmObject* object, uint64_t offset, VmObject** holder) {
  for (VmObject* o = object; o; offset += o->shadow_offset, o = o->shadow) {
    if (VmPage* page = vm_page_lookup(o, offset)) {
      if (holder) *holder = o;
      return page;
    }
  }
  if (holder) *holder = nullptr;
  return nullptr;
}

VmObject* vm_object_copy_slowly(VmObject* object, uint64_t offset, uint64_t length) {
  VmObject* copy = vm_object_allocate(length);
  if (!copy) return nullptr;
  for (uint64_t off = 0; off < copy->size; off += kPageSize) {
    // RAM behind a physical object is its own frames (never device
    // memory: vm_map_copy refuses that).
    const void* from = nullptr;
    if (object->physical) {
      if (offset + off < object->size) from = vm_env_page_address(object->phys_base + offset + off);
    } else {
      // Down the chain as a fault would; a page only a pager holds cannot
      // be had here (no sleeping under the VM lock): the copy fails.
      uint64_t at = offset + off;
      bool at_pager = false;
      for (VmObject* o = object; o && !from && !at_pager; at += o->shadow_offset, o = o->shadow) {
        if (VmPage* src = vm_page_lookup(o, at)) {
          if (src->busy)
            at_pager = true;
          else
            from = vm_page_address(src);
        } else {
          at_pager = vm_object_pager_has_page(o, at);
        }
      }
      if (at_pager) {
        vm_object_deallocate(copy);
        return nullptr;
      }
    }
    if (!from) continue;  // zeros stay zero-fill
    VmPage* dst = vm_page_alloc(copy, off);
    if (!dst) {
      vm_object_deallocate(copy);
      return nullptr;
    }
    __builtin_memcpy(vm_page_address(dst), from, kPageSize);
    g_vm_object_counts.pages_copied++;
  }
  return copy;
}

uint32_t vm_object_chain_depth(const VmObject* object) {
  uint32_t depth = 0;
  for (; object; object = object->shadow) depth++;
  return depth;
}

}  // namespace mk
