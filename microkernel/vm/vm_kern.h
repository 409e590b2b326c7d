// The VM inside the kernel: the VM lock, start-up, the page-fault entry
// from the trap layer, and the memory side of task creation and ending.
#pragma once

#include <mach/kern_return.h>
#include <mach/vm_prot.h>
#include <mach/vm_statistics.h>
#include <stdint.h>

#include "kern/spinlock.h"

namespace mk {

class Task;
class VmMap;

// Guards every map, object and resident page (one lock for now). Order:
// IPC lock, then VM lock, then scheduler lock; the page pool's own lock is
// innermost.
extern IrqSpinLock g_vm_lock;

// The resident-page hash; once, after vm_resident_init and kalloc_init.
void vm_init();

// A new task's empty map over a fresh pmap. KERN_RESOURCE_SHORTAGE.
kern_return_t vm_map_create_user(VmMap** out);
// Remove every region of the map (a task is ending); takes the VM lock.
// The empty map is freed later, without the lock, by vm_map_deallocate.
void vm_map_clear(VmMap* map);

// A page fault at `addr` in the current task (from user mode, or from the
// kernel inside copyin/copyout). Takes the VM lock. KERN_SUCCESS: retry the
// access. A kernel-mode fault while this CPU holds the VM lock fails at once.
kern_return_t vm_fault_current(uint64_t addr, vm_prot_t access);

// Copy between kernel memory and any map (faulting pages in as needed,
// with the access the region allows). Take the VM lock.
kern_return_t vm_map_write_kernel(VmMap* map, uint64_t addr, const void* src, uint64_t len);
kern_return_t vm_map_read_kernel(VmMap* map, uint64_t addr, void* dst, uint64_t len);

// The counters vm_statistics reports. Takes the VM lock.
void vm_statistics_collect(vm_statistics_data_t* out);

}  // namespace mk
