// vm_map of memory objects (vm.defs 4812), the routines a pager calls on
// its control port (memory_object_control.defs) and the default pager's
// registration (io.defs 5007). Called by ipc_kobject_server with the IPC
// lock held; each takes the VM lock (order: IPC, then VM). Messages they
// queue for pagers go out after the request (ipc_kobject_deferred).
//
// Port arguments are names in the kernel space (ipc_kobject.h): a routine
// that succeeds keeps the rights it was sent (or releases them itself).
#include "ipc/ipc_kobject.h"  // first: the kernel's task_t

#include <mach/mach_types.h>
#include <mach/memory_object.h>
#include <mach/message.h>

#include "ioServer.h"
#include "ipc/ipc_kernel.h"
#include "ipc/ipc_port.h"
#include "ipc/ipc_right.h"
#include "ipc/ipc_space.h"
#include "kern/console.h"
#include "kern/task.h"
#include "memory_object_controlServer.h"
#include "vm/pmap.h"
#include "vm/vm_kern.h"
#include "vm/vm_map.h"
#include "vm/vm_map_copy.h"
#include "vm/vm_object.h"
#include "vm/vm_pager.h"
#include "vm/vm_pager_internal.h"
#include "vmServer.h"

namespace mk {
extern mach_port_name_t g_default_pager;
}

namespace {

using mk::VmObject;
using mk::VmPage;
using mk::VmPager;

// The port a kernel-space name holds a send right to, if it is a live
// port served by a task (not the kernel); else nullptr.
mk::IpcPort* user_send_right(mach_port_name_t name) {
  mk::IpcEntry* e = mk::ipc_space_kernel()->lookup(name);
  if (!e || !(e->type & MACH_PORT_TYPE_SEND)) return nullptr;
  mk::IpcPort* port = e->port();
  if (!port->active || port->kotype != mk::IpcKObjectType::kNone) return nullptr;
  return port;
}

// [offset, offset + size) rounded out to pages in *end; false when it is
// not a page-aligned, non-empty range (the caller checks the object's size).
bool object_range(uint64_t offset, uint64_t size, uint64_t* end) {
  if (size == 0 || (offset & mk::kPageMask)) return false;
  if (__builtin_add_overflow(offset, size, end) || *end > ~mk::kPageMask) return false;
  *end = mk::page_round_up(*end);
  return true;
}

// Find room for `size` bytes aligned to mask + 1 at or above *addr and map
// `object` there (anywhere), or exactly at *addr (fixed).
kern_return_t enter_aligned(mk::VmMap* map, uint64_t* addr, uint64_t size, uint64_t mask, bool anywhere,
                            VmObject* object, uint64_t offset, bool needs_copy, vm_prot_t cur, vm_prot_t max,
                            vm_inherit_t inheritance) {
  if (!anywhere || mask == 0) {
    if (!anywhere && (*addr & mask)) return KERN_INVALID_ADDRESS;
    return mk::vm_map_enter(map, addr, size, anywhere, object, offset, needs_copy, cur, max, inheritance);
  }
  uint64_t align = mask + 1;
  uint64_t at = *addr > map->min_address ? *addr : map->min_address;
  for (;;) {
    at = (at + mask) & ~mask;
    if (at < align || at + size > map->max_address || at + size < at) return KERN_NO_SPACE;
    uint64_t try_at = at;
    kern_return_t kr = mk::vm_map_enter(map, &try_at, size, false, object, offset, needs_copy, cur, max, inheritance);
    if (kr != KERN_NO_SPACE) {
      if (kr == KERN_SUCCESS) *addr = try_at;
      return kr;
    }
    // Skip past whatever is in the way.
    mk::VmMapEntry* e = mk::vm_map_first_entry_after(map, at);
    if (!e) return KERN_NO_SPACE;
    at = e->end > at ? e->end : at + align;
  }
}

}  // namespace

kern_return_t vm_map(task_t task, vm_address_t* address, vm_size_t size, vm_address_t mask, int flags,
                     mach_port_t memory_object, memory_object_offset_t offset, boolean_t copy,
                     vm_prot_t cur_protection, vm_prot_t max_protection, vm_inherit_t inheritance) {
  mk::VmMap* map = task ? task->map : nullptr;
  if (!map) return KERN_INVALID_ARGUMENT;
  if (flags & ~VM_FLAGS_ANYWHERE) return KERN_INVALID_ARGUMENT;
  if (size == 0 || (offset & mk::kPageMask)) return KERN_INVALID_ARGUMENT;
  if ((cur_protection | max_protection) & ~VM_PROT_ALL) return KERN_INVALID_ARGUMENT;
  if (cur_protection & ~max_protection) return KERN_INVALID_ARGUMENT;
  if (inheritance > VM_INHERIT_LAST_VALID) return KERN_INVALID_ARGUMENT;
  if ((mask & (mask + 1)) != 0) return KERN_INVALID_ARGUMENT;  // low bits only
  uint64_t bytes = mk::page_round_up(size), end;
  if (bytes < size || __builtin_add_overflow(offset, bytes, &end)) return KERN_INVALID_ARGUMENT;
  bool anywhere = (flags & VM_FLAGS_ANYWHERE) != 0;
  uint64_t addr = mk::page_round_down(*address);

  if (!MACH_PORT_VALID(memory_object)) {
    // No object: zero-filled memory, as vm_allocate with attributes.
    mk::LockGuard guard(mk::g_vm_lock);
    kern_return_t kr = enter_aligned(map, &addr, bytes, mask, anywhere, nullptr, 0, false, cur_protection,
                                     max_protection, inheritance);
    if (kr == KERN_SUCCESS) *address = addr;
    return kr;
  }
  mk::IpcPort* port = user_send_right(memory_object);
  if (!port) return KERN_INVALID_ARGUMENT;

  mk::LockGuard guard(mk::g_vm_lock);
  auto* p = static_cast<VmPager*>(port->memory_object);
  VmObject* object = p ? p->object : nullptr;  // null: none yet, or it is being terminated
  bool fresh = object == nullptr;
  if (!fresh) mk::vm_pager_uncache(object->pager);
  if (fresh) {
    if (!(object = mk::vm_object_allocate(end))) return KERN_RESOURCE_SHORTAGE;
    object->external = true;
    object->ref_count = 0;  // the mapping below takes the one reference
  } else if (object->size < end) {
    object->size = end;  // objects have no size of their own: the mappings give it
  }
  // Map first: nothing has to be undone on the pager's side if it fails.
  mk::vm_object_reference(object);
  kern_return_t kr = enter_aligned(map, &addr, bytes, mask, anywhere, object, offset, copy != 0, cur_protection,
                                   max_protection, inheritance);
  if (kr != KERN_SUCCESS) {
    if (fresh) {
      object->external = false;  // not a pager's yet: freed plainly
    }
    mk::vm_object_deallocate(object);
    return kr;
  }
  if (fresh) {
    if (!mk::vm_pager_create(object, port, memory_object, /*internal=*/false) ||
        !mk::vm_pager_queue(object->pager, mk::VmPagerMessage::Kind::kInit, 0, 0)) {
      // The mapping stays; its faults fail.
      object->pager_error = KERN_RESOURCE_SHORTAGE;
      (void)mk::ipc_right_dealloc(mk::ipc_space_kernel(), memory_object);
    }
  } else {
    (void)mk::ipc_right_dealloc(mk::ipc_space_kernel(), memory_object);  // the pager has its own right
  }
  *address = addr;
  return KERN_SUCCESS;
}

// memory_object_control.defs

kern_return_t memory_object_data_supply(memory_object_control_t object, memory_object_offset_t offset,
                                        vm_offset_t data, mach_msg_type_number_t dataCnt, vm_prot_t lock_value,
                                        boolean_t precious) {
  auto* copy = reinterpret_cast<mk::VmMapCopy*>(data);
  if (!object || !copy) return KERN_INVALID_ARGUMENT;
  if (lock_value & ~VM_PROT_ALL) return KERN_INVALID_ARGUMENT;
  uint64_t end;
  if (!object_range(offset, dataCnt, &end)) return KERN_INVALID_ARGUMENT;
  mk::LockGuard guard(mk::g_vm_lock);
  if (end > object->size) return KERN_INVALID_ADDRESS;
  kern_return_t kr = KERN_SUCCESS;
  for (uint64_t off = offset; off < end; off += mk::kPageSize) {
    VmPage* page = mk::vm_page_lookup(object, off);
    if (page && !page->busy) continue;  // resident already: the kernel's copy is newer
    if (!page && !(page = mk::vm_page_alloc(object, off))) {
      kr = KERN_RESOURCE_SHORTAGE;  // read-ahead nobody waits for
      continue;
    }
    uint64_t from = off - offset, n = dataCnt - from < mk::kPageSize ? dataCnt - from : mk::kPageSize;
    auto* bytes = static_cast<uint8_t*>(mk::vm_page_address(page));
    mk::vm_map_copy_read(copy, from, bytes, n);
    if (n < mk::kPageSize) __builtin_memset(bytes + n, 0, mk::kPageSize - n);
    page->busy = false;
    page->dirty = false;
    page->precious = precious != 0;
    page->lock = lock_value;
    mk::vm_pager_wakeup(object, off);
  }
  if (kr == KERN_SUCCESS) mk::vm_map_copy_discard(copy);  // ours on success only
  return kr;
}

kern_return_t memory_object_data_unavailable(memory_object_control_t object, memory_object_offset_t offset,
                                             vm_size_t size) {
  if (!object) return KERN_INVALID_ARGUMENT;
  uint64_t end;
  if (!object_range(offset, size, &end)) return KERN_INVALID_ARGUMENT;
  mk::LockGuard guard(mk::g_vm_lock);
  if (end > object->size) return KERN_INVALID_ADDRESS;
  for (uint64_t off = offset; off < end; off += mk::kPageSize) {
    VmPage* page = mk::vm_page_lookup(object, off);
    if (!page || !page->busy) continue;
    __builtin_memset(mk::vm_page_address(page), 0, mk::kPageSize);
    page->busy = false;
    page->dirty = false;
    mk::vm_pager_wakeup(object, off);
  }
  return KERN_SUCCESS;
}

kern_return_t memory_object_data_error(memory_object_control_t object, memory_object_offset_t offset, vm_size_t size,
                                       kern_return_t error_value) {
  if (!object) return KERN_INVALID_ARGUMENT;
  uint64_t end;
  if (!object_range(offset, size, &end)) return KERN_INVALID_ARGUMENT;
  mk::LockGuard guard(mk::g_vm_lock);
  if (end > object->size) return KERN_INVALID_ADDRESS;
  bool any = false;
  for (uint64_t off = offset; off < end; off += mk::kPageSize) {
    VmPage* page = mk::vm_page_lookup(object, off);
    if (!page || !page->busy) continue;
    page->busy = false;
    page->error = true;
    any = true;
    mk::vm_pager_wakeup(object, off);
  }
  if (any) mk::kprintf("vm: pager error %d at offset %#lx\n", error_value, offset);
  return KERN_SUCCESS;
}

kern_return_t memory_object_lock_request(memory_object_control_t object, memory_object_offset_t offset,
                                         vm_size_t size, int should_return, boolean_t should_flush,
                                         vm_prot_t lock_value, mach_port_t reply_to) {
  if (!object) return KERN_INVALID_ARGUMENT;
  if (should_return < MEMORY_OBJECT_RETURN_NONE || should_return > MEMORY_OBJECT_RETURN_ALL) return KERN_INVALID_VALUE;
  if (lock_value & ~VM_PROT_ALL) return KERN_INVALID_VALUE;
  uint64_t end;
  if (!object_range(offset, size, &end)) return KERN_INVALID_ARGUMENT;
  mk::LockGuard guard(mk::g_vm_lock);
  VmPager* p = object->pager;
  if (!p) return KERN_INVALID_ARGUMENT;
  for (auto it = object->pages.begin(); it != object->pages.end();) {
    VmPage& page = *it++;
    if (page.offset < offset || page.offset >= end || page.busy) continue;
    // Every mapping goes (flush) or loses the locked accesses; the MMU's
    // modified bit counts as dirty.
    vm_prot_t keep = should_flush ? VM_PROT_NONE : (VM_PROT_ALL & ~lock_value);
    if (should_return != MEMORY_OBJECT_RETURN_NONE && !should_flush) keep &= ~VM_PROT_WRITE;  // writes mark it again
    if (mk::pmap_page_protect(page.phys, keep) & mk::kPmapModified) page.dirty = true;
    page.lock = lock_value;
    bool send_back = should_return == MEMORY_OBJECT_RETURN_ALL ? (page.dirty || page.precious)
                     : should_return == MEMORY_OBJECT_RETURN_DIRTY ? page.dirty
                                                                  : false;
    if (send_back && !page.wire_count) {
      if (mk::vm_pager_queue_return(p, &page, !should_flush)) continue;  // flushed: the page left with it
      return KERN_RESOURCE_SHORTAGE;
    }
    if (should_flush && !page.wire_count) {
      mk::vm_page_free(&page);
      continue;
    }
  }
  // A thread waiting for an unlock retries: its access may be allowed now.
  for (VmPage& page : object->pages) {
    if (page.unlock_pending && page.offset >= offset && page.offset < end) {
      page.unlock_pending = false;
      mk::vm_pager_wakeup(object, page.offset);
    }
  }
  if (MACH_PORT_VALID(reply_to) && !mk::vm_pager_queue_lock_completed(p, reply_to, offset, end - offset))
    return KERN_RESOURCE_SHORTAGE;
  return KERN_SUCCESS;
}

kern_return_t memory_object_ready(memory_object_control_t object, boolean_t may_cache) {
  if (!object) return KERN_INVALID_ARGUMENT;
  mk::LockGuard guard(mk::g_vm_lock);
  if (!object->pager) return KERN_INVALID_ARGUMENT;
  object->pager->may_cache = may_cache != 0;
  return KERN_SUCCESS;
}

kern_return_t memory_object_get_attributes(memory_object_control_t object, boolean_t* may_cache,
                                           uint64_t* resident_pages, uint64_t* pending_pages) {
  if (!object) return KERN_INVALID_ARGUMENT;
  mk::LockGuard guard(mk::g_vm_lock);
  if (!object->pager) return KERN_INVALID_ARGUMENT;
  uint64_t resident = 0, pending = 0;
  for (VmPage& page : object->pages) (page.busy ? pending : resident)++;
  *may_cache = object->pager->may_cache;
  *resident_pages = resident;
  *pending_pages = pending;
  return KERN_SUCCESS;
}

kern_return_t memory_object_destroy(memory_object_control_t object, kern_return_t reason) {
  if (!object) return KERN_INVALID_ARGUMENT;
  mk::LockGuard guard(mk::g_vm_lock);
  mk::kprintf("vm: a pager destroyed its memory object (reason %d)\n", reason);
  mk::vm_pager_fail_object(object, reason != KERN_SUCCESS ? reason : KERN_MEMORY_ERROR);
  return KERN_SUCCESS;
}

// io.defs

kern_return_t vm_set_default_memory_manager(io_master_t master, mach_port_t default_manager,
                                            mach_port_t* old_manager) {
  if (!master) return KERN_INVALID_CAPABILITY;
  mk::IpcSpace* ks = mk::ipc_space_kernel();
  if (MACH_PORT_VALID(default_manager) && !user_send_right(default_manager)) return KERN_INVALID_ARGUMENT;
  mach_port_name_t old;
  {
    mk::LockGuard guard(mk::g_vm_lock);
    old = mk::g_default_pager;
    if (MACH_PORT_VALID(default_manager)) mk::g_default_pager = default_manager;
  }
  // The registering task is the pager: it works on the memory reserve.
  if (MACH_PORT_VALID(default_manager) && mk::current_task()) mk::current_task()->vm_privileged = true;
  if (MACH_PORT_VALID(default_manager)) {
    // The old right goes to the caller as it is (moved).
    *old_manager = old;
  } else {
    // Only asking: a new send right to the current one.
    mk::IpcEntry* e = MACH_PORT_VALID(old) ? ks->lookup(old) : nullptr;
    mach_port_name_t name = MACH_PORT_NULL;
    if (e && (e->type & MACH_PORT_TYPE_SEND)) {
      mk::ipc_port_copy_send(e->port());
      if (mk::ipc_right_copyout(ks, e->port(), MACH_MSG_TYPE_PORT_SEND, &name) != KERN_SUCCESS) name = MACH_PORT_NULL;
    }
    *old_manager = name;
  }
  return KERN_SUCCESS;
}
