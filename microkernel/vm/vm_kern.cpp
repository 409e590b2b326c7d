#include "vm/vm_kern.h"

#include "kern/arch.h"
#include "kern/panic.h"
#include "kern/task.h"
#include "vm/pmap.h"
#include "vm/vm_env.h"
#include "vm/vm_fault.h"
#include "vm/vm_map.h"
#include "vm/vm_map_copy.h"
#include "vm/vm_object.h"
#include "vm/vm_pageout.h"
#include "vm/vm_pager.h"
#include "ipc/ipc_kernel.h"

namespace mk {

IrqSpinLock g_vm_lock;

namespace {

// User space starts above the first 64 KiB (null pointers fault) and ends
// below the top guard page.
constexpr uint64_t kUserMin = 0x10000;

kern_return_t kernel_transfer(VmMap* map, uint64_t addr, void* kbuf, uint64_t len, bool to_map) {
  LockGuard guard(g_vm_lock);
  return vm_map_copy_bytes(map, addr, kbuf, len, to_map);
}

}  // namespace

void vm_init() {
  if (vm_page_init(vm_env_total_pages() / 4) != KERN_SUCCESS) panic("vm: no memory for the page hash");
  vm_pager_init();
}

kern_return_t vm_map_create_user(VmMap** out) {
  Pmap* pmap = pmap_create();
  if (!pmap) return KERN_RESOURCE_SHORTAGE;
  LockGuard guard(g_vm_lock);
  VmMap* map = vm_map_create(pmap, kUserMin, arch::user_address_top() - kPageSize);
  if (!map) {
    pmap_destroy(pmap);
    return KERN_RESOURCE_SHORTAGE;
  }
  *out = map;
  return KERN_SUCCESS;
}

void vm_map_clear(VmMap* map) {
  LockGuard guard(g_vm_lock);
  (void)vm_map_remove(map, map->min_address, map->max_address);
}

kern_return_t vm_fault_current(uint64_t addr, vm_prot_t access) {
  Task* task = current_task();
  if (!task || !task->map) return KERN_INVALID_ADDRESS;
  // A fault inside the VM itself would deadlock: the VM never touches user
  // memory through the MMU, so this is a bad address from a caller. (One
  // CPU: a held lock is ours. SMP needs the lock to record its owner.)
  if (g_vm_lock.is_locked()) return KERN_INVALID_ADDRESS;
  // Under the IPC lock (the IPC fast path copying) nothing may sleep: a
  // page that must come from a pager is asked for, and the caller falls
  // back to a path that can wait.
  bool can_wait = !g_ipc_lock.is_locked();
  if (can_wait) vm_pageout_throttle();
  for (;;) {
    VmFaultWait wait;
    uint64_t irq = g_vm_lock.lock();
    kern_return_t kr = vm_fault(task->map, addr, access, nullptr, can_wait ? &wait : nullptr);
    if (kr != kVmFaultWait) {
      g_vm_lock.unlock(irq);
      if (kr == KERN_RESOURCE_SHORTAGE && can_wait && vm_pageout_wait_for_memory()) continue;
      if (can_wait) vm_pager_flush();
      return kr;
    }
    // The request goes out before we sleep; then retry the access.
    g_vm_lock.unlock(irq);
    vm_pager_flush();
    irq = g_vm_lock.lock();
    vm_pager_wait(wait.object, wait.offset, irq);
    if (task->terminated) return KERN_MEMORY_ERROR;
  }
}

kern_return_t vm_map_write_kernel(VmMap* map, uint64_t addr, const void* src, uint64_t len) {
  return kernel_transfer(map, addr, const_cast<void*>(src), len, true);
}

kern_return_t vm_map_read_kernel(VmMap* map, uint64_t addr, void* dst, uint64_t len) {
  return kernel_transfer(map, addr, dst, len, false);
}

void vm_statistics_collect(vm_statistics_data_t* s) {
  LockGuard guard(g_vm_lock);
  *s = {};
  s->page_size = kPageSize;
  s->total_count = vm_env_total_pages();
  s->free_count = vm_env_free_pages();
  s->active_count = g_vm_page_counts.active;
  s->wired_count = g_vm_page_counts.wired;
  s->object_count = g_vm_object_counts.objects;
  s->map_entry_count = g_vm_map_entry_count;
  s->max_shadow_depth = g_vm_fault_counts.max_depth;
  s->faults = g_vm_fault_counts.faults;
  s->zero_fill_count = g_vm_fault_counts.zero_fills;
  s->cow_faults = g_vm_fault_counts.cow_copies;
  s->collapses = g_vm_object_counts.collapses;
  s->pages_copied = g_vm_object_counts.pages_copied;
  s->pageins = g_vm_fault_counts.pager_requests;
  s->pageouts = g_vm_pager_counts.returns;
  s->pager_objects = g_vm_pager_counts.objects;
}

}  // namespace mk
