#include "vm/vm_map.h"

#include <new>

#include "vm/vm_env.h"
#include "vm/vm_fault.h"
#include "vm/vm_object.h"

namespace mk {

uint64_t g_vm_map_entry_count = 0;

namespace {

VmMapEntry* entry_alloc() {
  void* mem = vm_alloc(sizeof(VmMapEntry));
  if (!mem) return nullptr;
  g_vm_map_entry_count++;
  return new (mem) VmMapEntry();
}

void entry_free(VmMapEntry* e) {
  e->~VmMapEntry();
  vm_free(e);
  g_vm_map_entry_count--;
}

// Everything but the tree link.
void copy_attributes(VmMapEntry* dst, const VmMapEntry& src) {
  dst->start = src.start;
  dst->end = src.end;
  dst->object = src.object;
  dst->offset = src.offset;
  dst->protection = src.protection;
  dst->max_protection = src.max_protection;
  dst->inheritance = src.inheritance;
  dst->wired_count = src.wired_count;
  dst->needs_copy = src.needs_copy;
  dst->is_shared = src.is_shared;
}

VmMapEntry* next_of(VmMap* map, VmMapEntry* e) {
  auto it = ++map->entries.iterator_to(*e);
  return it == map->entries.end() ? nullptr : &*it;
}

VmMapEntry* prev_of(VmMap* map, VmMapEntry* e) {
  auto it = map->entries.iterator_to(*e);
  return it == map->entries.begin() ? nullptr : &*--it;
}

void unlink(VmMap* map, VmMapEntry* e) {
  if (map->hint == e) map->hint = nullptr;
  map->entries.erase(map->entries.iterator_to(*e));
  map->size -= e->size();
}

// Split `e` so that it starts at `addr` (the front becomes a new entry).
// False when no entry can be allocated.
bool clip_start(VmMap* map, VmMapEntry* e, uint64_t addr) {
  if (addr <= e->start) return true;
  VmMapEntry* front = entry_alloc();
  if (!front) return false;
  copy_attributes(front, *e);
  front->end = addr;
  e->offset += addr - e->start;
  e->start = addr;  // still ordered after front and before e's successor
  if (e->object) vm_object_reference(e->object);
  map->entries.insert(map->entries.iterator_to(*e), *front);
  return true;
}

// Split `e` so that it ends at `addr` (the back becomes a new entry).
bool clip_end(VmMap* map, VmMapEntry* e, uint64_t addr) {
  if (addr >= e->end) return true;
  VmMapEntry* back = entry_alloc();
  if (!back) return false;
  copy_attributes(back, *e);
  back->start = addr;
  back->offset += addr - e->start;
  e->end = addr;
  if (e->object) vm_object_reference(e->object);
  map->entries.insert(++map->entries.iterator_to(*e), *back);
  return true;
}

bool range_ok(const VmMap* map, uint64_t start, uint64_t end) {
  return start < end && start >= map->min_address && end <= map->max_address;
}

// Page-round [addr, addr+size); false when it wraps or is empty.
bool round_range(uint64_t addr, uint64_t size, uint64_t* start, uint64_t* end) {
  uint64_t last;
  if (size == 0 || __builtin_add_overflow(addr, size - 1, &last) || last > ~kPageMask) return false;
  *start = page_round_down(addr);
  *end = page_round_down(last) + kPageSize;
  return *end != 0;
}

// True when [start, end) is covered by entries with no hole.
bool covered(VmMap* map, uint64_t start, uint64_t end) {
  uint64_t at = start;
  for (VmMapEntry* e = vm_map_lookup_entry(map, start); e && at < end; e = next_of(map, e)) {
    if (e->start > at) return false;
    at = e->end;
  }
  return at >= end;
}

// The entries of [start, end) clipped to it, in order. The first one (or
// nullptr on a shortage, with *kr set).
VmMapEntry* clip_range(VmMap* map, uint64_t start, uint64_t end, kern_return_t* kr) {
  VmMapEntry* e = vm_map_first_entry_after(map, start);
  if (!e || e->start >= end) return nullptr;
  VmMapEntry* first = e;
  for (; e && e->start < end; e = next_of(map, e)) {
    if (!clip_start(map, e, start) || !clip_end(map, e, end)) {
      *kr = KERN_RESOURCE_SHORTAGE;
      return nullptr;
    }
  }
  return first;  // clip_start made it begin at `start`
}

// Coalesce every entry from `first` up to `end` with its neighbours.
void simplify_range(VmMap* map, VmMapEntry* first, uint64_t end) {
  for (VmMapEntry* x = first; x && x->start < end; x = next_of(map, x)) x = vm_map_simplify(map, x);
}

bool same_attributes(const VmMapEntry& a, const VmMapEntry& b) {
  return a.protection == b.protection && a.max_protection == b.max_protection &&
         a.inheritance == b.inheritance && a.wired_count == b.wired_count && a.needs_copy == b.needs_copy &&
         a.is_shared == b.is_shared;
}

// `b` follows `a` directly, in the same memory.
bool continues(const VmMapEntry& a, const VmMapEntry& b) {
  if (a.end != b.start || a.object != b.object || !same_attributes(a, b)) return false;
  return !a.object || a.offset + a.size() == b.offset;
}

// Lowest free [addr, addr+size) at or above `from`.
bool find_space(VmMap* map, uint64_t from, uint64_t size, uint64_t* out) {
  uint64_t at = from < map->min_address ? map->min_address : page_round_up(from);
  for (VmMapEntry* e = vm_map_first_entry_after(map, at); e; e = next_of(map, e)) {
    if (e->start >= at && e->start - at >= size) break;
    if (e->end > at) at = e->end;
  }
  if (at > map->max_address || map->max_address - at < size) return false;
  *out = at;
  return true;
}

// Wired pages of an entry lose one wiring; the entry's pages were faulted
// in with its protection, so they sit in its first object.
void unwire_pages(VmMapEntry* e) {
  if (!e->object) return;
  for (uint64_t off = 0; off < e->size(); off += kPageSize) {
    VmPage* page = vm_object_page_find(e->object, e->offset + off, nullptr);
    if (page && page->wire_count && --page->wire_count == 0) g_vm_page_counts.wired--;
  }
}

void delete_entry(VmMap* map, VmMapEntry* e) {
  if (map->pmap) pmap_remove(map->pmap, e->start, e->end);
  if (e->wired_count) unwire_pages(e);
  unlink(map, e);
  if (e->object) vm_object_deallocate(e->object);
  entry_free(e);
}

}  // namespace

VmMap* vm_map_create(Pmap* pmap, uint64_t min, uint64_t max) {
  void* mem = vm_alloc(sizeof(VmMap));
  if (!mem) return nullptr;
  auto* map = new (mem) VmMap();
  map->pmap = pmap;
  map->min_address = page_round_up(min);
  map->max_address = page_round_down(max);
  return map;
}

void vm_map_reference(VmMap* map) { map->ref_count++; }

void vm_map_deallocate(VmMap* map) {
  if (!map || --map->ref_count) return;
  while (!map->entries.empty()) delete_entry(map, &*map->entries.begin());
  if (map->pmap) pmap_destroy(map->pmap);
  map->~VmMap();
  vm_free(map);
}

VmMapEntry* vm_map_lookup_entry(VmMap* map, uint64_t addr) {
  if (VmMapEntry* h = map->hint; h && addr >= h->start && addr < h->end) return h;
  auto it = map->entries.upper_bound(addr);  // first entry starting above addr
  if (it == map->entries.begin()) return nullptr;
  --it;
  if (addr >= it->end) return nullptr;
  map->hint = &*it;
  return &*it;
}

VmMapEntry* vm_map_first_entry_after(VmMap* map, uint64_t addr) {
  auto it = map->entries.upper_bound(addr);
  if (it != map->entries.begin()) {
    auto prev = it;
    --prev;
    if (prev->end > addr) return &*prev;
  }
  return it == map->entries.end() ? nullptr : &*it;
}

kern_return_t vm_map_enter(VmMap* map, uint64_t* addr, uint64_t size, bool anywhere, VmObject* object,
                           uint64_t offset, bool needs_copy, vm_prot_t prot, vm_prot_t max_prot,
                           vm_inherit_t inheritance) {
  if ((prot & ~VM_PROT_ALL) || (max_prot & ~VM_PROT_ALL) || (prot & ~max_prot)) return KERN_INVALID_ARGUMENT;
  if (inheritance > VM_INHERIT_LAST_VALID || !page_aligned(offset)) return KERN_INVALID_ARGUMENT;
  if (size == 0) return KERN_INVALID_ARGUMENT;
  uint64_t bytes = page_round_up(size);
  if (bytes < size) return KERN_NO_SPACE;
  uint64_t start;
  if (anywhere) {
    if (!find_space(map, *addr, bytes, &start)) return KERN_NO_SPACE;
  } else {
    start = page_round_down(*addr);
    if (start + bytes < start || !range_ok(map, start, start + bytes)) return KERN_INVALID_ADDRESS;
    VmMapEntry* next = vm_map_first_entry_after(map, start);
    if (next && next->start < start + bytes) return KERN_NO_SPACE;
  }
  VmMapEntry* e = entry_alloc();
  if (!e) return KERN_RESOURCE_SHORTAGE;
  e->start = start;
  e->end = start + bytes;
  e->object = object;
  e->offset = offset;
  e->needs_copy = needs_copy;
  e->protection = prot;
  e->max_protection = max_prot;
  e->inheritance = inheritance;
  map->entries.insert(*e);
  map->size += bytes;
  *addr = start;
  vm_map_simplify(map, e);
  return KERN_SUCCESS;
}

kern_return_t vm_map_allocate(VmMap* map, uint64_t* addr, uint64_t size, bool anywhere) {
  return vm_map_enter(map, addr, size, anywhere, nullptr, 0, false, VM_PROT_DEFAULT, VM_PROT_ALL,
                      VM_INHERIT_DEFAULT);
}

kern_return_t vm_map_remove(VmMap* map, uint64_t start, uint64_t end) {
  uint64_t s, e;
  if (end < start || !round_range(start, end - start, &s, &e)) return end == start ? KERN_SUCCESS : KERN_INVALID_ADDRESS;
  if (s < map->min_address || e > map->max_address) return KERN_INVALID_ADDRESS;
  kern_return_t kr = KERN_SUCCESS;
  VmMapEntry* entry = clip_range(map, s, e, &kr);
  while (entry && entry->start < e) {
    VmMapEntry* next = next_of(map, entry);
    delete_entry(map, entry);
    entry = next;
  }
  return kr;
}

kern_return_t vm_map_protect(VmMap* map, uint64_t start, uint64_t end, vm_prot_t prot, bool set_max) {
  if (prot & ~VM_PROT_ALL) return KERN_INVALID_ARGUMENT;
  uint64_t s, e;
  if (end < start || !round_range(start, end - start, &s, &e) || !range_ok(map, s, e) || !covered(map, s, e))
    return KERN_INVALID_ADDRESS;
  // Neither the protection nor a new maximum may exceed the maximum.
  for (VmMapEntry* x = vm_map_lookup_entry(map, s); x && x->start < e; x = next_of(map, x))
    if (prot & ~x->max_protection) return KERN_PROTECTION_FAILURE;
  kern_return_t kr = KERN_SUCCESS;
  VmMapEntry* first = clip_range(map, s, e, &kr);
  if (kr != KERN_SUCCESS) return kr;
  for (VmMapEntry* x = first; x && x->start < e; x = next_of(map, x)) {
    vm_prot_t old = x->protection;
    if (set_max) {
      x->max_protection = prot;
      x->protection &= prot;
    } else {
      x->protection = prot;
    }
    // Mappings only ever lose rights here; a fault adds them back.
    if (map->pmap && (old & ~x->protection)) pmap_protect(map->pmap, x->start, x->end, x->protection);
  }
  simplify_range(map, first, e);
  return KERN_SUCCESS;
}

kern_return_t vm_map_inherit(VmMap* map, uint64_t start, uint64_t end, vm_inherit_t inheritance) {
  if (inheritance > VM_INHERIT_LAST_VALID) return KERN_INVALID_ARGUMENT;
  uint64_t s, e;
  if (end < start || !round_range(start, end - start, &s, &e) || !range_ok(map, s, e) || !covered(map, s, e))
    return KERN_INVALID_ADDRESS;
  kern_return_t kr = KERN_SUCCESS;
  VmMapEntry* first = clip_range(map, s, e, &kr);
  if (kr != KERN_SUCCESS) return kr;
  for (VmMapEntry* x = first; x && x->start < e; x = next_of(map, x)) x->inheritance = inheritance;
  simplify_range(map, first, e);
  return KERN_SUCCESS;
}

kern_return_t vm_map_wire(VmMap* map, uint64_t start, uint64_t end, vm_prot_t access) {
  if (access & ~VM_PROT_ALL) return KERN_INVALID_ARGUMENT;
  uint64_t s, e;
  if (end < start || !round_range(start, end - start, &s, &e) || !range_ok(map, s, e) || !covered(map, s, e))
    return KERN_INVALID_ADDRESS;
  for (VmMapEntry* x = vm_map_lookup_entry(map, s); x && x->start < e; x = next_of(map, x)) {
    if (access == VM_PROT_NONE && x->wired_count == 0) return KERN_FAILURE;
    if (access & ~x->protection) return KERN_PROTECTION_FAILURE;
  }
  kern_return_t kr = KERN_SUCCESS;
  VmMapEntry* first = clip_range(map, s, e, &kr);
  if (kr != KERN_SUCCESS) return kr;
  if (access == VM_PROT_NONE) {
    for (VmMapEntry* x = first; x && x->start < e; x = next_of(map, x))
      if (--x->wired_count == 0) unwire_pages(x);
    return KERN_SUCCESS;
  }
  // Fault everything in first, each page into the entry's own object (no
  // copy-on-write is left to move a wired page later); wire only when all
  // pages are there, so a shortage leaves nothing half-wired.
  for (VmMapEntry* x = first; x && x->start < e; x = next_of(map, x))
    for (uint64_t va = x->start; va < x->end; va += kPageSize)
      if ((kr = vm_fault_own_page(map, va, access, nullptr)) != KERN_SUCCESS) return kr;
  for (VmMapEntry* x = first; x && x->start < e; x = next_of(map, x)) {
    if (x->wired_count++) continue;
    for (uint64_t off = 0; off < x->size(); off += kPageSize) {
      VmPage* page = vm_object_page_find(x->object, x->offset + off, nullptr);
      if (page && page->wire_count++ == 0) g_vm_page_counts.wired++;
    }
  }
  return KERN_SUCCESS;
}

kern_return_t vm_map_region(VmMap* map, uint64_t* addr, uint64_t* size, vm_region_basic_info_data_64_t* info) {
  VmMapEntry* e = vm_map_first_entry_after(map, *addr);
  if (!e) return KERN_INVALID_ADDRESS;
  *addr = e->start;
  *size = e->size();
  *info = {};
  info->protection = e->protection;
  info->max_protection = e->max_protection;
  info->inheritance = e->inheritance;
  info->shared = e->is_shared;
  info->offset = e->offset;
  info->user_wired_count = uint16_t(e->wired_count);
  return KERN_SUCCESS;
}

VmMapEntry* vm_map_simplify(VmMap* map, VmMapEntry* entry) {
  if (VmMapEntry* prev = prev_of(map, entry); prev && continues(*prev, *entry)) {
    uint64_t end = entry->end;
    unlink(map, entry);
    if (entry->object) vm_object_deallocate(entry->object);  // prev holds its own reference
    entry_free(entry);
    map->size += end - prev->end;
    prev->end = end;
    entry = prev;
  }
  if (VmMapEntry* next = next_of(map, entry); next && continues(*entry, *next)) {
    uint64_t end = next->end;
    unlink(map, next);
    if (next->object) vm_object_deallocate(next->object);
    entry_free(next);
    map->size += end - entry->end;
    entry->end = end;
  }
  return entry;
}

VmMap* vm_map_fork(VmMap* parent, Pmap* child_pmap) {
  VmMap* child = vm_map_create(child_pmap, parent->min_address, parent->max_address);
  if (!child) return nullptr;
  for (VmMapEntry& pe : parent->entries) {
    if (pe.inheritance == VM_INHERIT_NONE) continue;
    VmMapEntry* ce = entry_alloc();
    if (!ce) goto fail;
    if (pe.object && pe.object->physical) {
      // Device memory and DMA buffers are shared, never copied (vm_object.h).
      copy_attributes(ce, pe);
      vm_object_reference(pe.object);
      ce->needs_copy = false;
      ce->is_shared = false;
    } else if (pe.inheritance == VM_INHERIT_SHARE) {
      // Both maps must write the same object: give it one now, and settle a
      // pending copy-on-write first (else each would shadow it separately).
      if (!pe.object) {
        if (!(pe.object = vm_object_allocate(pe.size()))) goto fail_entry;
        pe.offset = 0;
      } else if (pe.needs_copy) {
        if (vm_object_shadow(&pe.object, &pe.offset, pe.size()) != KERN_SUCCESS) goto fail_entry;
        pe.needs_copy = false;
      }
      // The parent's MMU may show pages behind the object; from now on only
      // the object's own pages may be mapped (see vm_fault).
      if (!pe.is_shared && pe.object->shadow && parent->pmap) pmap_remove(parent->pmap, pe.start, pe.end);
      pe.is_shared = true;
      copy_attributes(ce, pe);
      vm_object_reference(pe.object);
    } else {
      copy_attributes(ce, pe);
      if (pe.object) {
        vm_object_collapse(pe.object);
        if (pe.is_shared && pe.object->ref_count == 1) pe.is_shared = false;
        if (pe.object->external && !pe.needs_copy) {
          // A mapped memory object: the parent keeps writing to it; the
          // child looks through until it writes (as vm_map_copyin does).
          vm_object_reference(pe.object);
          ce->needs_copy = true;
        } else if (pe.is_shared || pe.wired_count) {
          // Another map writes this memory (a lazy copy would see those
          // writes), or its pages are wired (they must not move).
          ce->object = vm_object_copy_slowly(pe.object, pe.offset, pe.size());
          if (!ce->object) goto fail_entry;
          ce->offset = 0;
          ce->needs_copy = false;
        } else {
          vm_object_reference(pe.object);
          if (!pe.needs_copy && (pe.protection & VM_PROT_WRITE) && parent->pmap)
            pmap_protect(parent->pmap, pe.start, pe.end, pe.protection & ~VM_PROT_WRITE);
          pe.needs_copy = true;
          ce->needs_copy = true;
        }
      }
      ce->is_shared = false;
    }
    ce->wired_count = 0;
    child->entries.insert(child->entries.end(), *ce);
    child->size += ce->size();
    continue;
  fail_entry:
    entry_free(ce);
    goto fail;
  }
  return child;
fail:
  child->pmap = nullptr;  // still the caller's
  vm_map_deallocate(child);
  return nullptr;
}

}  // namespace mk
