// The vm.defs calls, served on task ports (Mach's vm_user.c): the
// generated KernelServer stubs (vmServer.cpp) call these with the task the
// request port names, or nullptr when it names no live task.
//
// Locks: called by ipc_kobject_server with the IPC lock held; each routine
// takes the VM lock (order: IPC, then VM) around its map calls, except
// vm_statistics, whose collector takes it itself.
//
// Out-of-line data (pointer_t) is a VmMapCopy* in the descriptor's address
// (see docs/vm.md): vm_write owns the copy it is given once it succeeds
// (it discards it; on failure the IPC layer does), vm_read hands the IPC
// layer a copy for the reply.
//
// Codes: KERN_INVALID_ARGUMENT for a port that is no live task's and for
// bad flags, flavors, protections or inheritance; KERN_INVALID_ADDRESS for
// ranges that wrap, leave user space or cross holes; the rest as the map
// calls return them (vm/vm_map.h, vm/vm_map_copy.h).
#include "ipc/ipc_kobject.h"  // first: the kernel's task_t

#include <mach/mach_types.h>
#include <mach/message.h>

#include "kern/spinlock.h"
#include "kern/task.h"
#include "vm/vm_kern.h"
#include "vm/vm_map.h"
#include "vm/vm_map_copy.h"
#include "vmServer.h"

static_assert(sizeof(vm_statistics_data_t) == 16 * sizeof(uint64_t), "vm.defs: vm_statistics_data_t is struct[16]");
static_assert(VM_REGION_BASIC_INFO_COUNT_64 <= VM_REGION_INFO_MAX, "vm.defs: vm_region_info_t holds 16 ints");

namespace {

// The map of a live task, or nullptr.
mk::VmMap* map_of(task_t task) { return task ? task->map : nullptr; }

// [address, address + size) as the (start, end) the map calls take; false
// when it wraps.
bool range_end(vm_address_t address, vm_size_t size, uint64_t* end) {
  return !__builtin_add_overflow(address, size, end);
}

}  // namespace

kern_return_t vm_region(task_t task, vm_address_t* address, vm_size_t* size, vm_region_flavor_t flavor,
                        vm_region_info_t info, mach_msg_type_number_t* infoCnt, mach_port_t* object_name) {
  mk::VmMap* map = map_of(task);
  if (!map) return KERN_INVALID_ARGUMENT;
  if (flavor != VM_REGION_BASIC_INFO_64 || *infoCnt < VM_REGION_BASIC_INFO_COUNT_64) return KERN_INVALID_ARGUMENT;
  vm_region_basic_info_data_64_t basic;
  uint64_t addr = *address, bytes = 0;
  {
    mk::LockGuard guard(mk::g_vm_lock);
    kern_return_t kr = mk::vm_map_region(map, &addr, &bytes, &basic);
    if (kr != KERN_SUCCESS) return kr;
  }
  __builtin_memcpy(info, &basic, sizeof basic);
  *infoCnt = VM_REGION_BASIC_INFO_COUNT_64;
  *address = addr;
  *size = bytes;
  *object_name = MACH_PORT_NULL;  // no memory object names (pagers come later)
  return KERN_SUCCESS;
}

kern_return_t vm_allocate(task_t task, vm_address_t* address, vm_size_t size, int flags) {
  mk::VmMap* map = map_of(task);
  if (!map) return KERN_INVALID_ARGUMENT;
  if (flags & ~VM_FLAGS_ANYWHERE) return KERN_INVALID_ARGUMENT;
  uint64_t addr = *address;
  mk::LockGuard guard(mk::g_vm_lock);
  kern_return_t kr = mk::vm_map_allocate(map, &addr, size, (flags & VM_FLAGS_ANYWHERE) != 0);
  if (kr == KERN_SUCCESS) *address = addr;
  return kr;
}

kern_return_t vm_deallocate(task_t task, vm_address_t address, vm_size_t size) {
  mk::VmMap* map = map_of(task);
  if (!map) return KERN_INVALID_ARGUMENT;
  if (size == 0) return KERN_SUCCESS;
  uint64_t end;
  if (!range_end(address, size, &end)) return KERN_INVALID_ADDRESS;
  mk::LockGuard guard(mk::g_vm_lock);
  return mk::vm_map_remove(map, address, end);
}

kern_return_t vm_protect(task_t task, vm_address_t address, vm_size_t size, boolean_t set_maximum,
                         vm_prot_t new_protection) {
  mk::VmMap* map = map_of(task);
  if (!map) return KERN_INVALID_ARGUMENT;
  if (new_protection & ~VM_PROT_ALL) return KERN_INVALID_ARGUMENT;
  if (size == 0) return KERN_SUCCESS;
  uint64_t end;
  if (!range_end(address, size, &end)) return KERN_INVALID_ADDRESS;
  mk::LockGuard guard(mk::g_vm_lock);
  return mk::vm_map_protect(map, address, end, new_protection, set_maximum != FALSE);
}

kern_return_t vm_inherit(task_t task, vm_address_t address, vm_size_t size, vm_inherit_t new_inheritance) {
  mk::VmMap* map = map_of(task);
  if (!map) return KERN_INVALID_ARGUMENT;
  if (new_inheritance > VM_INHERIT_LAST_VALID) return KERN_INVALID_ARGUMENT;
  if (size == 0) return KERN_SUCCESS;
  uint64_t end;
  if (!range_end(address, size, &end)) return KERN_INVALID_ADDRESS;
  mk::LockGuard guard(mk::g_vm_lock);
  return mk::vm_map_inherit(map, address, end, new_inheritance);
}

kern_return_t vm_read(task_t task, vm_address_t address, vm_size_t size, vm_offset_t* data,
                      mach_msg_type_number_t* dataCnt) {
  mk::VmMap* map = map_of(task);
  if (!map) return KERN_INVALID_ARGUMENT;
  uint64_t end;
  if (!range_end(address, size, &end)) return KERN_INVALID_ADDRESS;
  // One out-of-line region carries at most MACH_MSG_OOL_SIZE_MAX bytes.
  if (size > MACH_MSG_OOL_SIZE_MAX) return KERN_INVALID_ARGUMENT;
  if (size == 0) {  // an empty descriptor carries no copy
    *data = 0;
    *dataCnt = 0;
    return KERN_SUCCESS;
  }
  mk::VmMapCopy* copy;
  {
    mk::LockGuard guard(mk::g_vm_lock);
    kern_return_t kr = mk::vm_map_copyin(map, address, size, /*destroy=*/false, /*force_physical=*/false, &copy);
    if (kr != KERN_SUCCESS) return kr;
  }
  *data = reinterpret_cast<vm_offset_t>(copy);  // the reply's copy: the IPC layer owns it now
  *dataCnt = mach_msg_type_number_t(size);
  return KERN_SUCCESS;
}

kern_return_t vm_write(task_t task, vm_address_t address, vm_offset_t data, mach_msg_type_number_t dataCnt) {
  mk::VmMap* map = map_of(task);
  if (!map) return KERN_INVALID_ARGUMENT;
  auto* copy = reinterpret_cast<mk::VmMapCopy*>(data);
  if (!copy || dataCnt == 0) return KERN_SUCCESS;  // nothing to write (and no copy to own)
  uint64_t end;
  if (!range_end(address, dataCnt, &end)) return KERN_INVALID_ADDRESS;
  mk::LockGuard guard(mk::g_vm_lock);
  kern_return_t kr = mk::vm_map_copy_overwrite(map, address, copy);
  if (kr == KERN_SUCCESS) mk::vm_map_copy_discard(copy);  // ours on success only
  return kr;
}

kern_return_t vm_copy(task_t task, vm_address_t source_address, vm_size_t size, vm_address_t dest_address) {
  mk::VmMap* map = map_of(task);
  if (!map) return KERN_INVALID_ARGUMENT;
  uint64_t end;
  if (!range_end(source_address, size, &end) || !range_end(dest_address, size, &end)) return KERN_INVALID_ADDRESS;
  if (size == 0) return KERN_SUCCESS;
  mk::LockGuard guard(mk::g_vm_lock);
  // A snapshot of the source (copy-on-write when large), so overlapping
  // ranges copy as memmove does.
  mk::VmMapCopy* copy;
  kern_return_t kr = mk::vm_map_copyin(map, source_address, size, /*destroy=*/false, /*force_physical=*/false, &copy);
  if (kr != KERN_SUCCESS) return kr;
  kr = mk::vm_map_copy_overwrite(map, dest_address, copy);
  mk::vm_map_copy_discard(copy);
  return kr;
}

kern_return_t vm_wire(task_t task, vm_address_t address, vm_size_t size, vm_prot_t access) {
  mk::VmMap* map = map_of(task);
  if (!map) return KERN_INVALID_ARGUMENT;
  if (access & ~VM_PROT_ALL) return KERN_INVALID_ARGUMENT;
  if (size == 0) return KERN_SUCCESS;
  uint64_t end;
  if (!range_end(address, size, &end)) return KERN_INVALID_ADDRESS;
  mk::LockGuard guard(mk::g_vm_lock);
  kern_return_t kr = mk::vm_map_wire(map, address, end, access);
  // A task that keeps memory resident is one paging depends on (a pager,
  // the driver of its disk): its faults run on the reserve instead of
  // waiting for page-out (vm_pageout_daemon.cpp).
  if (kr == KERN_SUCCESS && access != VM_PROT_NONE) task->vm_privileged = true;
  return kr;
}

kern_return_t vm_statistics(task_t task, vm_statistics_data_t* vm_stats) {
  if (!map_of(task)) return KERN_INVALID_ARGUMENT;
  mk::vm_statistics_collect(vm_stats);  // takes the VM lock
  return KERN_SUCCESS;
}
