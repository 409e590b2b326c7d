// The io.defs calls, served on the I/O master port: the generated
// KernelServer stubs (ioServer.cpp) call these with the master object the
// request port names (nullptr for any other port: the caller lacks the
// capability) and the task a task port names (nullptr: no live task).
//
// Locks: called by ipc_kobject_server with the IPC lock held. Port grants
// take the scheduler lock around the bitmap (the context switch reads it),
// mappings the VM lock. Interrupt attachments (g_irqs) are guarded by the
// IPC lock, which the interrupt path takes too: it is an IrqSpinLock, so an
// interrupt never arrives on a CPU that holds it.
//
// Interrupts: each attachment keeps a send right to its notify port and one
// preallocated notification (a kmsg holding its own send right), made at
// attach and ack time, so the interrupt path never allocates. An interrupt
// masks the line and acknowledges the PIC (arch), then sends the ready
// notification, or, when the one sent before is still queued on the port,
// only counts. A dead notify port detaches the line at the next interrupt,
// ack or attach.
#include "ipc/ipc_kobject.h"  // first: the kernel's task_t and io_master_t

#include <mach/io_types.h>
#include <mach/mach_types.h>
#include <mach/message.h>

#include "ipc/ipc_kernel.h"
#include "ipc/ipc_kmsg.h"
#include "ipc/ipc_mqueue.h"
#include "ipc/ipc_port.h"
#include "ipc/ipc_right.h"
#include "kern/arch.h"
#include "kern/boot_tasks.h"
#include "kern/kalloc.h"
#include "kern/sched.h"
#include "kern/spinlock.h"
#include "kern/task.h"
#include "vm/vm_kern.h"
#include "vm/vm_map.h"
#include "vm/vm_object.h"
#include "vm/vm_resident.h"
#include "ioServer.h"

using mk::IpcKmsg;
using mk::IpcPort;

namespace {

constexpr uint64_t kMaxDeviceMap = 256ull << 20;  // bytes per io_memory_map
constexpr uint64_t kMaxDma = 4ull << 20;          // bytes per io_dma_allocate
constexpr uint32_t kIoPorts = 65536;

struct IrqAttachment {
  IpcPort* notify = nullptr;  // send right held by the attachment; null: line free
  IpcKmsg* ready = nullptr;   // the next notification, with its own send right
  IpcKmsg* sent = nullptr;    // the last one sent: compared with queued kmsgs, never dereferenced
  uint64_t count = 0;         // interrupts since attach
};

IrqAttachment g_irqs[IO_IRQ_LINES];

// A notification for `irq` to `notify`, holding a new send right. IPC lock held.
IpcKmsg* notification_alloc(IpcPort* notify, unsigned irq) {
  IpcKmsg* kmsg = mk::ipc_kmsg_alloc(sizeof(io_interrupt_notification_t));
  if (!kmsg) return nullptr;
  auto* n = reinterpret_cast<io_interrupt_notification_t*>(kmsg->header());
  n->head.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_PORT_SEND, 0);
  n->head.msgh_size = sizeof(io_interrupt_notification_t);
  n->head.msgh_remote_port = MACH_PORT_NULL;
  n->head.msgh_local_port = MACH_PORT_NULL;
  n->head.msgh_seqno = 0;
  n->head.msgh_id = IO_INTERRUPT_NOTIFICATION_ID;
  n->irq = irq;
  n->pad = 0;
  n->count = 0;
  mk::ipc_port_copy_send(notify);
  kmsg->dest = notify;
  kmsg->dest_type = MACH_MSG_TYPE_PORT_SEND;
  kmsg->kernel_sent = true;  // like Mach's notifications: never held back by the queue limit
  return kmsg;
}

// Drop an attachment: mask and unroute the line, release the rights. IPC
// lock held (also from the interrupt path: nothing here allocates).
void detach_locked(unsigned irq) {
  IrqAttachment& a = g_irqs[irq];
  mk::arch::irq_route(irq, nullptr);
  if (a.ready) mk::ipc_kmsg_destroy(a.ready);
  mk::ipc_right_release(a.notify, MACH_MSG_TYPE_PORT_SEND);
  a = IrqAttachment{};
}

bool port_alive(const IpcPort* port) { return mk::ipc_port_valid(port) && port->active; }

// Is the notification sent last still waiting in the port's queue?
bool still_queued(const IrqAttachment& a) {
  if (!a.sent) return false;
  for (IpcKmsg& k : a.notify->messages)
    if (&k == a.sent) return true;
  return false;
}

// The interrupt path (arch::irq_route): the line is already masked and
// acknowledged; interrupts are off.
void io_interrupt(unsigned irq) {
  mk::LockGuard guard(mk::g_ipc_lock);
  IrqAttachment& a = g_irqs[irq];
  if (!a.notify) return;
  if (!port_alive(a.notify)) return detach_locked(irq);
  a.count++;
  if (!a.ready || still_queued(a)) return;  // counted; the queued one is enough
  auto* n = reinterpret_cast<io_interrupt_notification_t*>(a.ready->header());
  n->count = a.count;
  a.sent = a.ready;
  a.ready = nullptr;
  (void)mk::ipc_mqueue_send(a.sent);
}

// The attachment of a line, after detaching one whose port died. nullptr
// when irq is no attachable line.
IrqAttachment* attachment(uint32_t irq) {
  if (!mk::arch::irq_line_assignable(irq)) return nullptr;
  IrqAttachment& a = g_irqs[irq];
  if (a.notify && !port_alive(a.notify)) detach_locked(irq);
  return &a;
}

}  // namespace

kern_return_t io_port_grant(io_master_t master, task_t task, uint32_t first, uint32_t count) {
  if (!master) return KERN_INVALID_CAPABILITY;
  if (!task) return KERN_INVALID_ARGUMENT;
  if (count == 0 || first >= kIoPorts || count > kIoPorts - first) return KERN_INVALID_ARGUMENT;
  uint8_t* fresh = nullptr;
  if (!task->io_bitmap) {
    fresh = static_cast<uint8_t*>(mk::kalloc(mk::arch::kIoBitmapBytes));
    if (!fresh) return KERN_RESOURCE_SHORTAGE;
    __builtin_memset(fresh, 0xFF, mk::arch::kIoBitmapBytes);  // all refused
  }
  mk::LockGuard guard(mk::g_sched_lock);
  if (!task->io_bitmap) {
    task->io_bitmap = fresh;
    fresh = nullptr;
  }
  uint8_t* bits = task->io_bitmap;
  for (uint32_t port = first; port < first + count; port++) bits[port / 8] &= uint8_t(~(1u << (port % 8)));
  mk::arch::io_bitmap_forget(bits);
  if (mk::current_task() == task) mk::arch::io_bitmap_activate(bits);
  if (fresh) mk::kfree(fresh);  // (not reached while the IPC lock serializes grants)
  return KERN_SUCCESS;
}

kern_return_t io_interrupt_attach(io_master_t master, uint32_t irq, mach_port_t notify) {
  if (!master) return KERN_INVALID_CAPABILITY;
  IrqAttachment* a = attachment(irq);
  if (!a) return KERN_INVALID_ARGUMENT;
  if (a->notify) return KERN_NO_SPACE;
  // Look before taking: a routine that fails leaves the request's right
  // to ipc_kobject_server.
  mk::IpcEntry* e = mk::ipc_space_kernel()->lookup(notify);
  if (!MACH_PORT_VALID(notify) || !e || !(e->type & MACH_PORT_TYPE_SEND) || !port_alive(e->port()))
    return KERN_INVALID_ARGUMENT;
  IpcPort* port = e->port();
  IpcKmsg* ready = notification_alloc(port, irq);
  if (!ready) return KERN_RESOURCE_SHORTAGE;
  IpcPort* taken;
  mach_msg_type_name_t got;
  if (mk::ipc_right_copyin(mk::ipc_space_kernel(), notify, MACH_MSG_TYPE_PORT_SEND, &taken, &got) != KERN_SUCCESS) {
    mk::ipc_kmsg_destroy(ready);
    return KERN_INVALID_ARGUMENT;
  }
  a->notify = taken;
  a->ready = ready;
  a->sent = nullptr;
  a->count = 0;
  mk::arch::irq_route(irq, io_interrupt);
  mk::arch::irq_unmask(irq);
  return KERN_SUCCESS;
}

kern_return_t io_interrupt_ack(io_master_t master, uint32_t irq) {
  if (!master) return KERN_INVALID_CAPABILITY;
  IrqAttachment* a = attachment(irq);
  if (!a || !a->notify) return KERN_INVALID_ARGUMENT;
  if (!a->ready && !(a->ready = notification_alloc(a->notify, irq))) return KERN_RESOURCE_SHORTAGE;
  mk::arch::irq_unmask(irq);
  return KERN_SUCCESS;
}

kern_return_t io_interrupt_detach(io_master_t master, uint32_t irq) {
  if (!master) return KERN_INVALID_CAPABILITY;
  IrqAttachment* a = attachment(irq);
  if (!a || !a->notify) return KERN_INVALID_ARGUMENT;
  detach_locked(irq);
  return KERN_SUCCESS;
}

namespace {

// Map a physical object into the task anywhere, read/write, shared by
// forks. On failure the object's reference is dropped.
kern_return_t map_physical(task_t task, mk::VmObject* object, uint64_t size, uint64_t* address) {
  uint64_t addr = 0;
  kern_return_t kr = mk::vm_map_enter(task->map, &addr, size, true, object, 0, false, VM_PROT_READ | VM_PROT_WRITE,
                                      VM_PROT_READ | VM_PROT_WRITE, VM_INHERIT_SHARE);
  if (kr != KERN_SUCCESS) {
    mk::vm_object_deallocate(object);
    return kr;
  }
  *address = addr;
  return KERN_SUCCESS;
}

}  // namespace

kern_return_t io_memory_map(io_master_t master, task_t task, uint64_t phys, uint64_t size, vm_address_t* address) {
  if (!master) return KERN_INVALID_CAPABILITY;
  if (!task) return KERN_INVALID_ARGUMENT;
  uint64_t last;
  if (size == 0 || size > kMaxDeviceMap || __builtin_add_overflow(phys, size - 1, &last) || last > ~mk::kPageMask)
    return KERN_INVALID_ARGUMENT;
  mk::paddr_t base = mk::page_round_down(phys), end = mk::page_round_down(last) + mk::kPageSize;
  if (!mk::arch::phys_is_device_range(base, end)) return KERN_INVALID_ADDRESS;
  mk::LockGuard guard(mk::g_vm_lock);
  mk::VmObject* object = mk::vm_object_allocate_physical(base, end - base, /*uncached=*/true, /*owns_pages=*/false);
  if (!object) return KERN_RESOURCE_SHORTAGE;
  uint64_t addr;
  kern_return_t kr = map_physical(task, object, end - base, &addr);
  if (kr == KERN_SUCCESS) *address = addr + (phys - base);
  return kr;
}

kern_return_t io_dma_allocate(io_master_t master, task_t task, uint64_t size, vm_address_t* address, uint64_t* phys) {
  if (!master) return KERN_INVALID_CAPABILITY;
  if (!task) return KERN_INVALID_ARGUMENT;
  if (size == 0 || size > kMaxDma) return KERN_INVALID_ARGUMENT;
  uint64_t bytes = mk::page_round_up(size), npages = bytes / mk::kPageSize;
  mk::paddr_t pa;
  if (mk::vm_pages_grab_contiguous(npages, 1, &pa) != KERN_SUCCESS) return KERN_RESOURCE_SHORTAGE;
  __builtin_memset(mk::arch::phys_to_virt(pa), 0, bytes);
  mk::LockGuard guard(mk::g_vm_lock);
  mk::VmObject* object = mk::vm_object_allocate_physical(pa, bytes, /*uncached=*/false, /*owns_pages=*/true);
  if (!object) {
    mk::vm_pages_release_contiguous(pa, npages);
    return KERN_RESOURCE_SHORTAGE;
  }
  uint64_t addr;
  kern_return_t kr = map_physical(task, object, bytes, &addr);  // a failure frees the run with the object
  if (kr != KERN_SUCCESS) return kr;
  *address = addr;
  *phys = pa;
  return KERN_SUCCESS;
}

// Called with the IPC lock held, which task creation needs; ending a task
// takes it, so a half-made task is ended after the send
// (ipc_kobject_deferred, as task_terminate's routine does).
kern_return_t io_module_start(io_master_t master, uint32_t index, task_t* task) {
  if (!master) return KERN_INVALID_CAPABILITY;
  mk::Task *started = nullptr, *failed = nullptr;
  kern_return_t kr = mk::restart_boot_module(index, &started, &failed);
  if (failed) {
    mk::Thread* self = mk::current_thread();
    if (!self->ipc_terminate) {  // one request per send: always free
      mk::task_reference(failed);
      self->ipc_terminate = failed;
    }
  }
  if (kr != KERN_SUCCESS) return kr;
  *task = started;
  return KERN_SUCCESS;
}

// The module's pages are the kernel's for good (reserved at boot): the
// object does not own them, and every mapping shares them, read-only.
kern_return_t io_module_map(io_master_t master, task_t task, uint32_t index, vm_address_t* address, uint64_t* size) {
  if (!master) return KERN_INVALID_CAPABILITY;
  if (!task) return KERN_INVALID_ARGUMENT;
  mk::paddr_t start, end;
  if (!mk::boot_data_module(index, &start, &end) || end <= start) return KERN_INVALID_ARGUMENT;
  mk::paddr_t base = mk::page_round_down(start), top = mk::page_round_up(end);
  mk::LockGuard guard(mk::g_vm_lock);
  mk::VmObject* object = mk::vm_object_allocate_physical(base, top - base, /*uncached=*/false, /*owns_pages=*/false);
  if (!object) return KERN_RESOURCE_SHORTAGE;
  uint64_t addr = 0;
  kern_return_t kr = mk::vm_map_enter(task->map, &addr, top - base, true, object, 0, false, VM_PROT_READ, VM_PROT_READ,
                                      VM_INHERIT_SHARE);
  if (kr != KERN_SUCCESS) {
    mk::vm_object_deallocate(object);
    return kr;
  }
  *address = addr + (start - base);
  *size = end - start;
  return KERN_SUCCESS;
}
