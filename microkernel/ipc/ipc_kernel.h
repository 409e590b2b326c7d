// The IPC core inside the kernel: the IPC lock, the kernel's own space
// (receive rights of kernel-served ports), task and thread ports, and the
// IPC side of task creation and termination.
#pragma once

#include <mach/message.h>

#include "ipc/ipc_space.h"
#include "kern/spinlock.h"

namespace mk {

class Task;
class Thread;

// Guards every port, set, space and message (one lock for now; finer locks
// when SMP brings contention). Taken before the scheduler lock.
extern IrqSpinLock g_ipc_lock;

void ipc_init();
IpcSpace* ipc_space_kernel();

// The host (host.defs): what host_info reports, behind the host port.
struct Host {
  uint64_t memory_bytes = 0;  // usable memory (set at startup)
};
Host* host_self();
// The host port (kernel-served, kind kHost), made by ipc_init; the
// host_self trap gives tasks send rights to it.
IpcPort* ipc_host_port();
// The I/O master port (kernel-served, kind kIoMaster, io.defs): the
// privilege to reach devices. Only module 0 gets a send right from the
// kernel (kern/boot_tasks.cpp); it passes it on.
struct IoMaster {};
IpcPort* ipc_io_master_port();

// A task's space and kernel port. KERN_RESOURCE_SHORTAGE. IPC lock held.
kern_return_t ipc_task_init(Task* task);
// A thread's kernel port. IPC lock held.
kern_return_t ipc_thread_init(Thread* thread);
// The task is ending: its threads' waits are cancelled, its space and the
// kernel ports of it and its threads are destroyed (holders of send rights
// see dead names). Takes the IPC lock.
void ipc_task_terminate(Task* task);

// A new send right to `port` for the kernel to keep or hand out (null and
// dead ports give themselves). IPC lock held.
IpcPort* ipc_port_make_send_kernel(IpcPort* port);
// Give `space` a send right made from the kernel's `port` and return its
// name (MACH_PORT_NULL when port is null, MACH_PORT_DEAD when it cannot).
mach_port_name_t ipc_port_copyout_send(IpcPort* port, IpcSpace* space);

// A kernel-served port of kind `type` for `object`: a receive right in the
// kernel's space (port->receiver_name); nullptr when memory is out. Destroy
// it (holders of send rights see a dead name) with ipc_kobject_port_destroy.
// IPC lock held.
IpcPort* ipc_kobject_port_alloc(IpcKObjectType type, void* object);
void ipc_kobject_port_destroy(IpcPort* port);

// A message to a kernel-served port (task, thread, host): the kernel
// handles it at once and sends any reply. IPC lock held; the kmsg is consumed.
void ipc_kobject_server(IpcKmsg* request);

// Send a message the kernel built (its rights already in place); it never
// blocks. IPC lock held.
void ipc_kernel_send(IpcKmsg* kmsg);

}  // namespace mk
