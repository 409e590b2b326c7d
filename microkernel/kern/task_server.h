// task.defs' calls that make tasks and threads (task_create,
// thread_create_running: kern/task_server.cpp), and the outtran functions
// that turn what they made into send rights for the reply. Included by the
// kernel's generated server headers (mach_types.defs, KERNEL_SERVER).
#pragma once

#include <mach/port.h>

#include "ipc/ipc_kobject.h"

// A send right to the task's (thread's) kernel port under a new name in the
// kernel's space, which the reply moves to the caller; MACH_PORT_NULL for
// nullptr. IPC lock held.
mach_port_t convert_task_to_port(task_t task);
mach_port_t convert_thread_to_port(thread_t thread);
