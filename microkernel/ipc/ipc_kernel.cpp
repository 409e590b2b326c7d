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
#include "vm/vm_resident.h"

namespace mk {

constinit IrqSpinLock g_ipc_lock;

namespace {

IpcSpace* g_kernel_space = nullptr;
Host g_host;
IpcPort* g_host_port = nullptr;

// Received out-of-line regions go here (a bump window until the VM system
// gives tasks real maps).
constexpr uint64_t kOolWindowStart = 0x0000500000000000ull;
constexpr uint64_t kOolWindowEnd = 0x0000600000000000ull;

// A kernel-served port: a receive right in the kernel's space.
IpcPort* kobject_port_alloc(IpcKObjectType type, void* object) {
  mach_port_name_t name;
  if (mach_port_allocate(g_kernel_space, MACH_PORT_RIGHT_RECEIVE, &name) != KERN_SUCCESS) return nullptr;
  IpcPort* port = g_kernel_space->lookup(name)->port();
  port->kotype = type;
  port->kobject = object;
  return port;
}

void kobject_port_destroy(IpcPort* port) {
  if (!port) return;
  port->kobject = nullptr;
  (void)ipc_right_destroy(g_kernel_space, port->receiver_name);
}

}  // namespace

void ipc_init() {
  g_kernel_space = ipc_space_create(nullptr);
  if (!g_kernel_space) panic("ipc: cannot create the kernel's space");
  LockGuard guard(g_ipc_lock);
  g_host_port = kobject_port_alloc(IpcKObjectType::kHost, &g_host);
  if (!g_host_port) panic("ipc: cannot create the host port");
}

IpcSpace* ipc_space_kernel() { return g_kernel_space; }
Host* host_self() { return &g_host; }
IpcPort* ipc_host_port() { return g_host_port; }

kern_return_t ipc_task_init(Task* task) {
  LockGuard guard(g_ipc_lock);
  task->itk_space = ipc_space_create(task);
  if (!task->itk_space) return KERN_RESOURCE_SHORTAGE;
  task->itk_self = kobject_port_alloc(IpcKObjectType::kTask, task);
  if (!task->itk_self) {
    ipc_space_destroy(task->itk_space);
    task->itk_space = nullptr;
    return KERN_RESOURCE_SHORTAGE;
  }
  task->ool_cursor = kOolWindowStart;
  return KERN_SUCCESS;
}

kern_return_t ipc_thread_init(Thread* thread) {
  LockGuard guard(g_ipc_lock);
  thread->ipc_wait.owner = thread;
  thread->ith_self = kobject_port_alloc(IpcKObjectType::kThread, thread);
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
    kobject_port_destroy(t.ith_self);
    t.ith_self = nullptr;
    ipc_right_release(t.ith_exception, MACH_MSG_TYPE_PORT_SEND);
    t.ith_exception = nullptr;
    if (t.ith_exc_reply != MACH_PORT_NULL) (void)ipc_right_destroy(g_kernel_space, t.ith_exc_reply);
    t.ith_exc_reply = MACH_PORT_NULL;
  }
  if (task->itk_space) ipc_space_destroy(task->itk_space);
  task->itk_space = nullptr;
  kobject_port_destroy(task->itk_self);
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
  uint64_t bytes = (size + kPageSize - 1) & ~(kPageSize - 1);
  if (bytes == 0) bytes = kPageSize;
  if (task->ool_cursor + bytes > kOolWindowEnd || task->ool_cursor + bytes < task->ool_cursor) return KERN_NO_SPACE;
  uint64_t base = task->ool_cursor;
  for (uint64_t off = 0; off < bytes; off += kPageSize) {
    paddr_t pa = 0;
    bool ok = vm_page_grab(&pa) == KERN_SUCCESS;
    if (ok) __builtin_memset(arch::phys_to_virt(pa), 0, kPageSize);
    if (!ok || arch::address_space_map_page(task->space, base + off, pa, true, false) != KERN_SUCCESS) {
      if (ok) vm_page_release(pa);
      for (uint64_t undo = 0; undo < off; undo += kPageSize) arch::address_space_unmap_page(task->space, base + undo);
      return KERN_RESOURCE_SHORTAGE;
    }
  }
  task->ool_cursor += bytes + kPageSize;  // a guard page between regions
  *addr = base;
  return KERN_SUCCESS;
}

kern_return_t ipc_user_deallocate(void* owner, uint64_t addr, size_t size) {
  auto* task = static_cast<Task*>(owner);
  if (!task) return KERN_INVALID_TASK;
  uint64_t start = addr & ~(kPageSize - 1);
  uint64_t end = (addr + size + kPageSize - 1) & ~(kPageSize - 1);
  if (end < start || end > arch::user_address_top()) return KERN_INVALID_ADDRESS;
  for (uint64_t va = start; va < end; va += kPageSize) arch::address_space_unmap_page(task->space, va);
  return KERN_SUCCESS;
}

void ipc_waiter_wakeup(IpcWaiter* w) { thread_wakeup(static_cast<Thread*>(w->owner)); }

}  // namespace mk
