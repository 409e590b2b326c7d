#include "ipc/ipc_kernel.h"

#include <mach/mig_errors.h>

#include "ipc/ipc_env.h"
#include "ipc/ipc_mqueue.h"
#include "ipc/ipc_right.h"
#include "ipc/mach_port.h"
#include "kern/arch.h"
#include "kern/console.h"
#include "kern/kalloc.h"
#include "kern/panic.h"
#include "kern/sched.h"
#include "kern/task.h"
#include "vm/vm_kern.h"
#include "vm/vm_map.h"
#include "vm/vm_map_copy.h"
#include "vm/vm_pager.h"

namespace mk {

constinit IrqSpinLock g_ipc_lock;

namespace {

IpcSpace* g_kernel_space = nullptr;
Host g_host;
IpcPort* g_host_port = nullptr;
IoMaster g_io_master;
IpcPort* g_io_master_port = nullptr;

}  // namespace

IpcPort* ipc_kobject_port_alloc(IpcKObjectType type, void* object) {
  mach_port_name_t name;
  if (mach_port_allocate(g_kernel_space, MACH_PORT_RIGHT_RECEIVE, &name) != KERN_SUCCESS) return nullptr;
  IpcPort* port = g_kernel_space->lookup(name)->port();
  port->kotype = type;
  port->kobject = object;
  return port;
}

void ipc_kobject_port_destroy(IpcPort* port) {
  if (!port) return;
  port->kobject = nullptr;
  (void)ipc_right_destroy(g_kernel_space, port->receiver_name);
}

void ipc_init() {
  g_kernel_space = ipc_space_create(nullptr);
  if (!g_kernel_space) panic("ipc: cannot create the kernel's space");
  LockGuard guard(g_ipc_lock);
  g_host_port = ipc_kobject_port_alloc(IpcKObjectType::kHost, &g_host);
  if (!g_host_port) panic("ipc: cannot create the host port");
  g_io_master_port = ipc_kobject_port_alloc(IpcKObjectType::kIoMaster, &g_io_master);
  if (!g_io_master_port) panic("ipc: cannot create the I/O master port");
}

IpcSpace* ipc_space_kernel() { return g_kernel_space; }
Host* host_self() { return &g_host; }
IpcPort* ipc_host_port() { return g_host_port; }
IpcPort* ipc_io_master_port() { return g_io_master_port; }

kern_return_t ipc_task_init(Task* task) {
  task->itk_space = ipc_space_create(task);
  if (!task->itk_space) return KERN_RESOURCE_SHORTAGE;
  task->itk_self = ipc_kobject_port_alloc(IpcKObjectType::kTask, task);
  if (!task->itk_self) {
    ipc_space_destroy(task->itk_space);
    task->itk_space = nullptr;
    return KERN_RESOURCE_SHORTAGE;
  }
  return KERN_SUCCESS;
}

kern_return_t ipc_thread_init(Thread* thread) {
  thread->ipc_wait.owner = thread;
  thread->ith_self = ipc_kobject_port_alloc(IpcKObjectType::kThread, thread);
  return thread->ith_self ? KERN_SUCCESS : KERN_RESOURCE_SHORTAGE;
}

void ipc_task_terminate(Task* task) {
  LockGuard guard(g_ipc_lock);
  for (Thread& t : task->threads) {
    ipc_waiter_cancel(&t.ipc_wait);
    if (t.ipc_wait.kmsg) {  // handed a message it will never receive
      ipc_kmsg_destroy(t.ipc_wait.kmsg);
      t.ipc_wait.kmsg = nullptr;
    }
    if (t.ipc_send_pending) {  // a send that waited for room: raw bytes, no rights yet
      ipc_kmsg_free(t.ipc_send_pending);
      t.ipc_send_pending = nullptr;
    }
    // Ended while it waited in exception_raise: the request's names (before
    // the thread's and task's ports go, which may share them).
    for (mach_port_name_t& name : t.ith_exc_names) {
      if (MACH_PORT_VALID(name)) (void)ipc_right_dealloc(g_kernel_space, name);
      name = MACH_PORT_NULL;
    }
    ipc_kobject_port_destroy(t.ith_self);
    t.ith_self = nullptr;
    ipc_right_release(t.ith_exception, MACH_MSG_TYPE_PORT_SEND);
    t.ith_exception = nullptr;
    if (t.ith_exc_reply != MACH_PORT_NULL) (void)ipc_right_destroy(g_kernel_space, t.ith_exc_reply);
    t.ith_exc_reply = MACH_PORT_NULL;
  }
  if (task->itk_space) ipc_space_destroy(task->itk_space);
  task->itk_space = nullptr;
  ipc_kobject_port_destroy(task->itk_self);
  task->itk_self = nullptr;
  ipc_right_release(task->itk_bootstrap, MACH_MSG_TYPE_PORT_SEND);
  task->itk_bootstrap = nullptr;
  ipc_right_release(task->itk_exception, MACH_MSG_TYPE_PORT_SEND);
  task->itk_exception = nullptr;
}

IpcPort* ipc_port_make_send_kernel(IpcPort* port) {
  if (ipc_port_valid(port) && port->active) {
    ipc_port_make_send(port);
    return port;
  }
  return port ? kIpcPortDead : nullptr;
}

mach_port_name_t ipc_port_copyout_send(IpcPort* port, IpcSpace* space) {
  if (!port) return MACH_PORT_NULL;
  IpcPort* right = ipc_port_valid(port) && port->active ? port : kIpcPortDead;
  if (right != kIpcPortDead) ipc_port_copy_send(right);
  mach_port_name_t name;
  (void)ipc_right_copyout(space, right, MACH_MSG_TYPE_PORT_SEND, &name);
  return name;
}

void ipc_kernel_send(IpcKmsg* kmsg) {
  if (kmsg->dest->kotype != IpcKObjectType::kNone) {
    ipc_kobject_server(kmsg);
    return;
  }
  (void)ipc_mqueue_send(kmsg);
}

// ipc_kobject_server: ipc_kobject.cpp.

// The environment the generic core runs in (ipc_env.h).

void* ipc_alloc(size_t size) { return kalloc(size); }
void ipc_free(void* p) { kfree(p); }

kern_return_t ipc_copyin_user(void* dst, uint64_t user_src, size_t len) { return arch::copyin(dst, user_src, len); }
kern_return_t ipc_copyout_user(uint64_t user_dst, const void* src, size_t len) {
  return arch::copyout(user_dst, src, len);
}

kern_return_t ipc_user_allocate(void* owner, size_t size, uint64_t* addr) {
  auto* task = static_cast<Task*>(owner);
  if (!task || task->terminated) return KERN_INVALID_TASK;
  LockGuard guard(g_vm_lock);
  *addr = 0;
  return vm_map_allocate(task->map, addr, size ? size : 1, true);
}

kern_return_t ipc_user_deallocate(void* owner, uint64_t addr, size_t size) {
  auto* task = static_cast<Task*>(owner);
  if (!task) return KERN_INVALID_TASK;
  uint64_t end;
  if (__builtin_add_overflow(addr, size, &end)) return KERN_INVALID_ADDRESS;
  LockGuard guard(g_vm_lock);
  return vm_map_remove(task->map, addr, end);
}

kern_return_t ipc_ool_copyin(IpcSpace* space, uint64_t addr, uint64_t size, bool physical, bool kernel_data,
                             void** copy) {
  if (kernel_data) {
    *copy = reinterpret_cast<void*>(addr);
    return KERN_SUCCESS;
  }
  auto* task = static_cast<Task*>(space->owner);
  if (!task || task->terminated) return KERN_INVALID_TASK;
  LockGuard guard(g_vm_lock);
  VmMapCopy* c;
  kern_return_t kr = vm_map_copyin(task->map, addr, size, false, physical, &c);
  if (kr == KERN_SUCCESS) *copy = c;
  return kr;
}

kern_return_t ipc_ool_copyout(IpcSpace* space, void* copy, uint64_t, uint64_t* addr) {
  if (space == ipc_space_kernel()) {
    *addr = reinterpret_cast<uint64_t>(copy);  // kernel routines take VmMapCopy pointers
    return KERN_SUCCESS;
  }
  auto* task = static_cast<Task*>(space->owner);
  if (!task || task->terminated) return KERN_INVALID_TASK;
  LockGuard guard(g_vm_lock);
  return vm_map_copyout(task->map, static_cast<VmMapCopy*>(copy), addr);
}

void ipc_ool_discard(void* copy) {
  LockGuard guard(g_vm_lock);
  vm_map_copy_discard(static_cast<VmMapCopy*>(copy));
}

void ipc_waiter_wakeup(IpcWaiter* w) { thread_wakeup(static_cast<Thread*>(w->owner)); }

void ipc_env_memory_object_died(IpcPort* port) { vm_pager_port_died(port); }

}  // namespace mk
