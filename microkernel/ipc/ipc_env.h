// The few services the generic IPC core needs from its surroundings. The
// kernel implements them in ipc_env_kernel.cpp; the host tests provide their
// own, so the same core builds and runs under doctest.
//
// Locking: every function of the core runs with the IPC lock held (the
// kernel's g_ipc_lock; one lock for all ports and spaces today, taken by the
// trap layer). The core itself never blocks: it queues waiters and the
// caller sleeps after dropping the lock.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <mach/kern_return.h>

namespace mk {

struct IpcWaiter;
class IpcSpace;

// Kernel memory for spaces' tables, messages and copies of out-of-line data.
// nullptr when memory runs out. Freed memory must have come from ipc_alloc.
void* ipc_alloc(size_t size);
void ipc_free(void* p);

// The current task's user memory (the sender's at copyin, the receiver's at
// copyout). KERN_INVALID_ADDRESS for any byte not accessible.
kern_return_t ipc_copyin_user(void* dst, uint64_t user_src, size_t len);
kern_return_t ipc_copyout_user(uint64_t user_dst, const void* src, size_t len);
// Fresh memory in the receiving space's task (owner is IpcSpace::owner),
// for out-of-line port arrays, and removing a region a sender asked to
// deallocate.
kern_return_t ipc_user_allocate(void* owner, size_t size, uint64_t* addr);
kern_return_t ipc_user_deallocate(void* owner, uint64_t addr, size_t size);

// Out-of-line data in flight is an opaque copy (the kernel's VmMapCopy: a
// copy-on-write virtual copy, or a buffer for small regions).
// ipc_ool_copyin copies [addr, addr+size) of the sending space's task
// (physical: copy the bytes now even when large). With kernel_data the
// sender is the kernel and addr already is such a copy: the message takes
// it. KERN_INVALID_ADDRESS / KERN_PROTECTION_FAILURE for memory the sender
// cannot read, KERN_RESOURCE_SHORTAGE.
kern_return_t ipc_ool_copyin(IpcSpace* space, uint64_t addr, uint64_t size, bool physical, bool kernel_data,
                             void** copy);
// Place a copy in the receiving space's task (in the kernel's own space the
// copy itself becomes the address). Consumes the copy on success only.
kern_return_t ipc_ool_copyout(IpcSpace* space, void* copy, uint64_t size, uint64_t* addr);
void ipc_ool_discard(void* copy);

// A port with memory_object set died (its receive right was destroyed):
// the VM fails what waits for that pager. IPC lock held.
void ipc_env_memory_object_died(class IpcPort* port);

// A waiter that the core has just given a result (a message, an error) and
// unlinked: make its thread runnable. Called with the IPC lock held.
void ipc_waiter_wakeup(IpcWaiter* w);

}  // namespace mk
