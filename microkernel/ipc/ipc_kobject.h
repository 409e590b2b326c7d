// Kernel-served ports through MIG: the C types the kernel's server stubs
// (generated with -DKERNEL_SERVER=1 from mach_port.defs, task.defs and
// thread.defs) see for task, thread and space arguments, and the intran
// functions that find them. A request reaches the stubs as an ordinary
// user-form message in the kernel's own IPC space (ipc_kobject.cpp), so a
// "port" here is a name in ipc_space_kernel().
#pragma once

#include <mach/port.h>

namespace mk {
class Task;
class Thread;
class IpcSpace;
struct Host;
struct IoMaster;
class VmObject;
}  // namespace mk

#define MACH_KERNEL_OBJECT_TYPES 1
typedef mk::Task* task_t;
typedef mk::Thread* thread_t;
typedef mk::IpcSpace* ipc_space_t;
typedef mk::Host* host_t;
typedef mk::IoMaster* io_master_t;
typedef mk::VmObject* memory_object_control_t;

// A name in the kernel's space denoting a live task (thread) port, else
// nullptr; the space is the task's. IPC lock held.
task_t convert_port_to_task(mach_port_t name);
thread_t convert_port_to_thread(mach_port_t name);
ipc_space_t convert_port_to_space(mach_port_t name);
host_t convert_port_to_host(mach_port_t name);
io_master_t convert_port_to_io_master(mach_port_t name);
// The object behind a live control port (memory_object_control.defs), or
// nullptr. IPC lock held.
memory_object_control_t convert_port_to_mo_control(mach_port_t name);

namespace mk {
// Work a kernel-served request left for after the IPC lock is dropped
// (task_terminate); called by mach_msg after a send, without locks.
void ipc_kobject_deferred();
}  // namespace mk
