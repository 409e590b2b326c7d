// The kernel's side of external pagers (Mach's memory_object.c and
// vm_object's pager fields): memory objects are ports that user tasks (the
// pagers) serve; the kernel asks them for pages with memory_object.defs and
// they answer on the object's control port (memory_object_control.defs,
// served here). docs/pagers.md has the protocol and its rules.
//
// Messages to pagers are queued under the VM lock (a fault, page-out or an
// object's end decides to send them) and sent by vm_pager_flush, which
// runs where no lock is held: the faulting thread before it sleeps, after
// every kernel-served request (ipc_kobject_deferred), and the page-out
// daemon. They go out in the order they were queued.
#pragma once

#include <mach/kern_return.h>
#include <mach/vm_prot.h>
#include <stdint.h>

namespace mk {

class IpcPort;
class Task;
class Thread;
class VmObject;
struct VmMapCopy;
struct VmPage;

// Once, at boot (vm_init).
void vm_pager_init();

// Send what is queued for pagers. Takes the locks it needs; call it with
// none held.
void vm_pager_flush();

// Sleep until the page at (object, offset) is no longer busy (supplied,
// failed, unlocked or gone); returns at once when it is not busy now.
// Drops the caller's reference on object. VM lock held on entry (irq state
// `irq`), not held on return.
void vm_pager_wait(VmObject* object, uint64_t offset, uint64_t irq);
// Wake the threads waiting for that page (offset ~0: any page of object).
// VM lock held.
void vm_pager_wakeup(const VmObject* object, uint64_t offset);

// A pager's port died (ipc_env_memory_object_died): faults waiting for it
// fail and later ones fail at once. IPC lock held.
void vm_pager_port_died(IpcPort* port);
// The task is ending: its threads that sleep in vm_pager_wait stop waiting
// (their references go). Takes the VM lock; call it without.
void vm_pager_task_terminated(Task* task);

// Page-out hands a page to the pager of its object (vm_pageout.cpp): a
// temporary object gets the default pager first. The page leaves the
// object (moved into the message) and the existence map records it for a
// temporary object. False when it cannot go (no default pager, no memory
// for the message): the caller keeps the page. IPC and VM locks held (a
// new memory object port may be made).
bool vm_pager_return_page(VmPage* page);
// Whether vm_pager_return_page could take the page (VM lock held).
bool vm_pager_can_return(const VmPage* page);

// The default pager's port is registered (vm_set_default_memory_manager).
bool vm_pager_have_default();

// Counters for vm_statistics and the page-out daemon.
struct VmPagerCounts {
  uint64_t objects = 0;         // objects with a pager
  uint64_t cached = 0;          // kept after their last mapping (may_cache)
  uint64_t returns = 0;         // pages sent back with data_return
  uint64_t pending = 0;         // messages queued, not yet sent
};
extern VmPagerCounts g_vm_pager_counts;

}  // namespace mk
