// task.defs: task_create (a child task, with its parent's memory inherited
// region by region) and thread_create_running (a thread in it): fork, as
// Mach does it. Routines of the KernelServer stubs (taskServer.cpp), called
// by ipc_kobject_server with the IPC lock held.
#include "kern/task_server.h"

#include <mach/mach_types.h>
#include <mach/thread_status.h>

#include "ipc/ipc_kernel.h"
#include "ipc/ipc_port.h"
#include "kern/arch.h"
#include "kern/spinlock.h"
#include "kern/task.h"
#include "taskServer.h"

mach_port_t convert_task_to_port(task_t task) {
  return task ? mk::ipc_port_copyout_send(task->itk_self, mk::ipc_space_kernel()) : MACH_PORT_NULL;
}

mach_port_t convert_thread_to_port(thread_t thread) {
  return thread ? mk::ipc_port_copyout_send(thread->ith_self, mk::ipc_space_kernel()) : MACH_PORT_NULL;
}

// The child has no threads; its port (the reply's send right) is how the
// parent starts one (thread_create_running) or ends it (task_terminate).
// KERN_INVALID_ARGUMENT: not a live task; KERN_RESOURCE_SHORTAGE.
kern_return_t task_create(task_t target_task, boolean_t inherit_memory, task_t* child_task) {
  if (!target_task || target_task->terminated) return KERN_INVALID_ARGUMENT;
  mk::Task* child;
  kern_return_t kr = mk::task_create_child(target_task, inherit_memory != FALSE, &child);
  if (kr != KERN_SUCCESS) return kr;
  *child_task = child;
  return KERN_SUCCESS;
}

// A thread with rip, rsp and rdi from an x86_THREAD_STATE64, runnable at
// once. KERN_INVALID_ARGUMENT: not a live task, another flavor, a short
// state; KERN_INVALID_ADDRESS: rip or rsp outside user space;
// KERN_RESOURCE_SHORTAGE.
kern_return_t thread_create_running(task_t parent_task, thread_state_flavor_t flavor, thread_state_t new_state,
                                    mach_msg_type_number_t new_stateCnt, thread_t* child_act) {
  if (!parent_task || parent_task->terminated) return KERN_INVALID_ARGUMENT;
  if (flavor != x86_THREAD_STATE64 || new_stateCnt < x86_THREAD_STATE64_COUNT) return KERN_INVALID_ARGUMENT;
  x86_thread_state64_t state;
  __builtin_memcpy(&state, new_state, sizeof state);
  uint64_t top = mk::arch::user_address_top();
  if (state.rip >= top || state.rsp >= top || state.rsp == 0) return KERN_INVALID_ADDRESS;
  mk::Thread* thread;
  kern_return_t kr = mk::thread_create_user(parent_task, state.rip, state.rsp, &thread, state.rdi);
  if (kr != KERN_SUCCESS) return kr;
  *child_act = thread;
  return KERN_SUCCESS;
}
