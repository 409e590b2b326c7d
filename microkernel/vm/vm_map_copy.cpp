#include "vm/vm_map_copy.h"

#include <new>

#include "vm/pmap.h"
#include "vm/vm_env.h"
#include "vm/vm_fault.h"
#include "vm/vm_map.h"
#include "vm/vm_object.h"

namespace mk {
namespace {

VmMapCopy* copy_alloc(VmMapCopy::Kind kind, uint64_t size) {
  void* mem = vm_alloc(sizeof(VmMapCopy));
  if (!mem) return nullptr;
  auto* copy = new (mem) VmMapCopy();
  copy->kind = kind;
  copy->size = size;
  return copy;
}

// Page-round [addr, addr+size) inside the map; false when it cannot be.
bool user_range(const VmMap* map, uint64_t addr, uint64_t size, uint64_t* start, uint64_t* end) {
  uint64_t last;
  if (__builtin_add_overflow(addr, size - 1, &last) || last > ~kPageMask) return false;
  *start = page_round_down(addr);
  *end = page_round_down(last) + kPageSize;
  return *start >= map->min_address && *end <= map->max_address && *end > *start;
}

// Check that [start, end) is mapped with `need` everywhere.
kern_return_t check_range(VmMap* map, uint64_t start, uint64_t end, vm_prot_t need) {
  uint64_t at = start;
  VmMapEntry* e = vm_map_lookup_entry(map, start);
  for (; e && at < end; e = vm_map_first_entry_after(map, e->end)) {
    if (e->start > at) return KERN_INVALID_ADDRESS;
    if (need & ~e->protection) return KERN_PROTECTION_FAILURE;
    // Device memory is never copied (vm_object.h); RAM behind a physical
    // object (a boot module, a DMA buffer) is, eagerly.
    if (e->object && e->object->physical && e->object->uncached) return KERN_PROTECTION_FAILURE;
    at = e->end;
  }
  return at >= end ? KERN_SUCCESS : KERN_INVALID_ADDRESS;
}

kern_return_t transfer(VmMap* map, uint64_t addr, uint8_t* kbuf, uint64_t len, bool to_map) {
  return vm_map_copy_bytes(map, addr, kbuf, len, to_map);
}

}  // namespace

kern_return_t vm_map_copy_bytes(VmMap* map, uint64_t addr, void* kernel_buf, uint64_t len, bool to_map) {
  auto* kbuf = static_cast<uint8_t*>(kernel_buf);
  while (len) {
    uint64_t in_page = addr & kPageMask;
    uint64_t n = kPageSize - in_page < len ? kPageSize - in_page : len;
    // Physical objects may be device memory, which the kernel never
    // reaches through the direct map.
    VmMapEntry* e = vm_map_lookup_entry(map, addr);
    if (e && e->object && e->object->physical && e->object->uncached) return KERN_PROTECTION_FAILURE;
    paddr_t pa;
    kern_return_t kr = vm_fault(map, addr, to_map ? VM_PROT_WRITE : VM_PROT_READ, &pa);
    if (kr != KERN_SUCCESS) return kr;
    auto* page = static_cast<uint8_t*>(vm_env_page_address(pa)) + in_page;
    if (to_map)
      __builtin_memcpy(page, kbuf, n);
    else
      __builtin_memcpy(kbuf, page, n);
    addr += n, kbuf += n, len -= n;
  }
  return KERN_SUCCESS;
}

namespace {

kern_return_t copyin_entries(VmMap* map, uint64_t start, uint64_t end, bool force_physical, VmMapCopy* copy) {
  uint32_t count = 0;
  for (VmMapEntry* e = vm_map_lookup_entry(map, start); e && e->start < end;
       e = vm_map_first_entry_after(map, e->end))
    count++;
  auto* entries = static_cast<VmMapEntry*>(vm_alloc(count * sizeof(VmMapEntry)));
  if (!entries) return KERN_RESOURCE_SHORTAGE;
  copy->entries = entries;
  uint32_t n = 0;
  for (VmMapEntry* e = vm_map_lookup_entry(map, start); e && e->start < end && n < count;
       e = vm_map_first_entry_after(map, e->end)) {
    // Only the part inside [start, end); the source entry is not split.
    uint64_t lo = e->start > start ? e->start : start;
    uint64_t hi = e->end < end ? e->end : end;
    VmMapEntry* ce = new (&entries[n]) VmMapEntry();
    ce->start = lo - start;
    ce->end = hi - start;
    // The receiver owns its copy outright (Mach's vm_map_copyout defaults).
    ce->protection = VM_PROT_DEFAULT;
    ce->max_protection = VM_PROT_ALL;
    ce->inheritance = VM_INHERIT_DEFAULT;
    if (e->object) {
      if (e->is_shared && e->object->ref_count == 1) e->is_shared = false;
      uint64_t offset = e->offset + (lo - e->start);
      if (force_physical || e->is_shared || e->wired_count || e->object->physical) {
        // Pages someone else writes (or wired ones) are copied now.
        ce->object = vm_object_copy_slowly(e->object, offset, hi - lo);
        if (!ce->object) {
          copy->entry_count = n;
          return KERN_RESOURCE_SHORTAGE;
        }
      } else if (e->object->external && !e->needs_copy) {
        // A mapped memory object: the copy looks through to it until it
        // writes; the source keeps writing to the object itself (the copy
        // may see those writes, as Linux's MAP_PRIVATE may).
        vm_object_reference(e->object);
        ce->object = e->object;
        ce->offset = offset;
        ce->needs_copy = true;
      } else {
        // Virtual copy: both sides share the object until one writes.
        vm_object_reference(e->object);
        ce->object = e->object;
        ce->offset = offset;
        ce->needs_copy = true;
        if (!e->needs_copy && map->pmap && (e->protection & VM_PROT_WRITE))
          pmap_protect(map->pmap, e->start, e->end, e->protection & ~VM_PROT_WRITE);
        e->needs_copy = true;
      }
    }
    n++;
  }
  copy->entry_count = n;
  return KERN_SUCCESS;
}

// The entry of a copy that holds relative address `at` (entries are sorted).
const VmMapEntry* copy_entry_at(const VmMapCopy* copy, uint64_t at) {
  for (uint32_t i = 0; i < copy->entry_count; i++)
    if (at >= copy->entries[i].start && at < copy->entries[i].end) return &copy->entries[i];
  return nullptr;
}

}  // namespace

kern_return_t vm_map_copyin(VmMap* map, uint64_t addr, uint64_t size, bool destroy, bool force_physical,
                            VmMapCopy** out) {
  if (size == 0) {
    VmMapCopy* empty = copy_alloc(VmMapCopy::Kind::kBuffer, 0);
    if (!empty) return KERN_RESOURCE_SHORTAGE;
    *out = empty;
    return KERN_SUCCESS;
  }
  uint64_t start, end;
  if (!user_range(map, addr, size, &start, &end)) return KERN_INVALID_ADDRESS;
  kern_return_t kr = check_range(map, start, end, VM_PROT_READ);
  if (kr != KERN_SUCCESS) return kr;

  VmMapCopy* copy;
  if (size < kVmCopyVirtualMin) {
    copy = copy_alloc(VmMapCopy::Kind::kBuffer, size);
    if (!copy) return KERN_RESOURCE_SHORTAGE;
    copy->buffer = vm_alloc(size);
    kr = copy->buffer ? transfer(map, addr, static_cast<uint8_t*>(copy->buffer), size, false)
                      : KERN_RESOURCE_SHORTAGE;
  } else {
    copy = copy_alloc(VmMapCopy::Kind::kEntries, size);
    if (!copy) return KERN_RESOURCE_SHORTAGE;
    copy->offset = addr - start;
    kr = copyin_entries(map, start, end, force_physical, copy);
  }
  if (kr != KERN_SUCCESS) {
    vm_map_copy_discard(copy);
    return kr;
  }
  if (destroy) (void)vm_map_remove(map, start, end);
  *out = copy;
  return KERN_SUCCESS;
}

kern_return_t vm_map_copyin_kernel(const void* data, uint64_t size, VmMapCopy** out) {
  VmMapCopy* copy = copy_alloc(VmMapCopy::Kind::kBuffer, size);
  if (!copy) return KERN_RESOURCE_SHORTAGE;
  if (size) {
    copy->buffer = vm_alloc(size);
    if (!copy->buffer) {
      vm_map_copy_discard(copy);
      return KERN_RESOURCE_SHORTAGE;
    }
    __builtin_memcpy(copy->buffer, data, size);
  }
  *out = copy;
  return KERN_SUCCESS;
}

VmMapCopy* vm_map_copy_object(VmObject* object, uint64_t size) {
  VmMapCopy* copy = copy_alloc(VmMapCopy::Kind::kEntries, size);
  if (!copy) return nullptr;
  auto* e = static_cast<VmMapEntry*>(vm_alloc(sizeof(VmMapEntry)));
  if (!e) {
    vm_map_copy_discard(copy);
    return nullptr;
  }
  new (e) VmMapEntry();
  e->start = 0;
  e->end = page_round_up(size);
  e->protection = VM_PROT_DEFAULT;
  e->max_protection = VM_PROT_ALL;
  e->inheritance = VM_INHERIT_DEFAULT;
  e->object = object;
  copy->entries = e;
  copy->entry_count = 1;
  return copy;
}

kern_return_t vm_map_copyout(VmMap* map, VmMapCopy* copy, uint64_t* addr) {
  if (copy->size == 0) {
    *addr = 0;
    vm_map_copy_discard(copy);
    return KERN_SUCCESS;
  }
  uint64_t base = 0;
  if (copy->kind == VmMapCopy::Kind::kBuffer) {
    kern_return_t kr = vm_map_allocate(map, &base, copy->size, true);
    if (kr != KERN_SUCCESS) return kr;
    kr = transfer(map, base, static_cast<uint8_t*>(copy->buffer), copy->size, true);
    if (kr != KERN_SUCCESS) {
      (void)vm_map_remove(map, base, base + page_round_up(copy->size));
      return kr;
    }
    *addr = base;
    vm_map_copy_discard(copy);
    return KERN_SUCCESS;
  }
  uint64_t span = copy->entries[copy->entry_count - 1].end;
  // Reserve the whole span first so the pieces land next to each other.
  kern_return_t kr = vm_map_allocate(map, &base, span, true);
  if (kr != KERN_SUCCESS) return kr;
  (void)vm_map_remove(map, base, base + span);
  for (uint32_t i = 0; i < copy->entry_count; i++) {
    VmMapEntry& ce = copy->entries[i];
    uint64_t at = base + ce.start;
    // The map gets references of its own, so a failure half-way leaves the
    // copy whole for the caller.
    if (ce.object) vm_object_reference(ce.object);
    kr = vm_map_enter(map, &at, ce.size(), false, ce.object, ce.offset, ce.needs_copy, ce.protection,
                      ce.max_protection, ce.inheritance);
    if (kr != KERN_SUCCESS) {
      if (ce.object) vm_object_deallocate(ce.object);
      (void)vm_map_remove(map, base, base + span);
      return kr;
    }
  }
  *addr = base + copy->offset;
  vm_map_copy_discard(copy);
  return KERN_SUCCESS;
}

kern_return_t vm_map_copy_overwrite(VmMap* map, uint64_t addr, const VmMapCopy* copy) {
  if (copy->size == 0) return KERN_SUCCESS;
  uint64_t start, end;
  if (!user_range(map, addr, copy->size, &start, &end)) return KERN_INVALID_ADDRESS;
  kern_return_t kr = check_range(map, start, end, VM_PROT_WRITE);
  if (kr != KERN_SUCCESS) return kr;
  uint8_t chunk[512];
  for (uint64_t done = 0; done < copy->size;) {
    uint64_t n = copy->size - done < sizeof chunk ? copy->size - done : sizeof chunk;
    vm_map_copy_read(copy, done, chunk, n);
    if ((kr = transfer(map, addr + done, chunk, n, true)) != KERN_SUCCESS) return kr;
    done += n;
  }
  return KERN_SUCCESS;
}

void vm_map_copy_read(const VmMapCopy* copy, uint64_t from, void* dst, uint64_t len) {
  auto* out = static_cast<uint8_t*>(dst);
  if (copy->kind == VmMapCopy::Kind::kBuffer) {
    __builtin_memcpy(out, static_cast<const uint8_t*>(copy->buffer) + from, len);
    return;
  }
  uint64_t at = copy->offset + from;
  while (len) {
    uint64_t in_page = at & kPageMask;
    uint64_t n = kPageSize - in_page < len ? kPageSize - in_page : len;
    const VmMapEntry* e = copy_entry_at(copy, at);
    VmPage* page = nullptr;
    if (e && e->object) page = vm_object_page_find(e->object, e->offset + page_round_down(at) - e->start, nullptr);
    if (page)
      __builtin_memcpy(out, static_cast<uint8_t*>(vm_page_address(page)) + in_page, n);
    else
      __builtin_memset(out, 0, n);
    at += n, out += n, len -= n;
  }
}

void vm_map_copy_discard(VmMapCopy* copy) {
  if (!copy) return;
  if (copy->buffer) vm_free(copy->buffer);
  for (uint32_t i = 0; i < copy->entry_count; i++) {
    if (copy->entries[i].object) vm_object_deallocate(copy->entries[i].object);
    copy->entries[i].~VmMapEntry();
  }
  if (copy->entries) vm_free(copy->entries);
  copy->~VmMapCopy();
  vm_free(copy);
}

}  // namespace mk
