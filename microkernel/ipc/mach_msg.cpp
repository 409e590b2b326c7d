#include "ipc/mach_msg.h"

#include "ipc/ipc_kernel.h"
#include "ipc/ipc_kobject.h"
#include "ipc/ipc_mqueue.h"
#include "ipc/ipc_right.h"
#include "kern/arch.h"
#include "kern/clock.h"
#include "kern/sched.h"
#include "kern/task.h"
#include "vm/pmap.h"
#include "vm/vm_kern.h"
#include "vm/vm_map.h"
#include "vm/vm_map_copy.h"

namespace mk {
namespace {

// The clock tick by which a wait of `ms` milliseconds ends (at least one
// full tick from now).
uint64_t deadline_after(mach_msg_timeout_t ms) {
  uint32_t hz = arch::timer_hz();
  uint64_t ticks = hz ? (uint64_t(ms) * hz + 999) / 1000 : 1;
  return clock_ticks() + ticks + 1;
}

// Block the current thread in `w` (already queued) until a result or the
// deadline; the IPC lock is held on entry and on return (irq updated).
// False when the deadline passed with no result (w is dequeued).
bool wait_for(IpcWaiter* w, uint64_t* irq, uint64_t deadline) {
  Thread* self = current_thread();
  while (!w->done) {
    WaitResult r = thread_block_unlock(g_ipc_lock, *irq, deadline);
    *irq = g_ipc_lock.lock();
    if (w->done) break;
    if (r == WaitResult::kTimedOut || self->task->terminated) {
      ipc_waiter_cancel(w);
      return false;
    }
  }
  return true;
}

// The port a send to `name` with disposition `disp` would reach, if the
// name is good (the full checks come with the copyin).
IpcPort* send_target(IpcSpace* space, mach_port_name_t name) {
  IpcEntry* e = space->lookup(name);
  if (!e || !(e->type & (MACH_PORT_TYPE_SEND_RIGHTS | MACH_PORT_TYPE_RECEIVE))) return nullptr;
  return e->port();
}

// Out-of-line regions that will be copied byte for byte under the IPC lock
// (small ones, physical copies) are faulted in first, where a fault may
// still wait for a pager. Errors are left to the copy-in to report.
void prefault_ool(IpcKmsg* kmsg, mach_msg_size_t send_size) {
  if (send_size < sizeof(mach_msg_header_t) + sizeof(mach_msg_body_t)) return;
  mach_msg_size_t count = kmsg->descriptor_count();
  if (count > (send_size - sizeof(mach_msg_header_t) - sizeof(mach_msg_body_t)) / sizeof(mach_msg_descriptor_t))
    return;
  mach_msg_descriptor_t* d = kmsg->descriptors();
  for (mach_msg_size_t i = 0; i < count; i++) {
    if (d[i].type.type != MACH_MSG_OOL_DESCRIPTOR) continue;
    const mach_msg_ool_descriptor_t& o = d[i].out_of_line;
    if (o.size == 0 || (o.size >= kVmCopyVirtualMin && o.copy != MACH_MSG_PHYSICAL_COPY)) continue;
    uint64_t addr = reinterpret_cast<uint64_t>(o.address), end;
    if (__builtin_add_overflow(addr, uint64_t(o.size), &end)) continue;
    // Pages the MMU maps already are resident: only the others may need
    // a fault (one CPU: nothing unmaps them before the copy-in).
    const Pmap* pmap = current_task()->map ? current_task()->map->pmap : nullptr;
    for (uint64_t va = addr & ~kPageMask; va < end; va += kPageSize) {
      paddr_t pa;
      vm_prot_t prot;
      if (pmap && pmap_extract(pmap, va, &pa, &prot)) continue;
      if (vm_fault_current(va, VM_PROT_READ) != KERN_SUCCESS) break;
    }
  }
}

mach_msg_return_t do_send(Task* task, uint64_t msg, mach_msg_option_t option, mach_msg_size_t send_size,
                          mach_msg_timeout_t timeout) {
  if (send_size < sizeof(mach_msg_header_t) || (send_size & 3)) return MACH_SEND_MSG_TOO_SMALL;
  if (send_size > MACH_MSG_SIZE_MAX) return MACH_SEND_TOO_LARGE;
  IpcKmsg* kmsg = ipc_kmsg_alloc(send_size);
  if (!kmsg) return MACH_SEND_NO_BUFFER;
  if (arch::copyin(kmsg->bytes(), msg, send_size) != KERN_SUCCESS) {
    ipc_kmsg_free(kmsg);
    return MACH_SEND_INVALID_DATA;
  }
  bool can_wait = !(option & MACH_SEND_TIMEOUT) || timeout != 0;
  uint64_t deadline = (option & MACH_SEND_TIMEOUT) ? deadline_after(timeout) : 0;
  mach_msg_header_t* h = kmsg->header();
  if (h->msgh_bits & MACH_MSGH_BITS_COMPLEX) prefault_ool(kmsg, send_size);
  mach_msg_type_name_t rd = MACH_MSGH_BITS_REMOTE(h->msgh_bits);
  mach_msg_type_name_t dest_type = ipc_right_result_type(rd);

  uint64_t irq = g_ipc_lock.lock();
  IpcSpace* space = task->itk_space;
  // A full queue holds the sender back before any right moves.
  for (;;) {
    IpcPort* port = space ? send_target(space, h->msgh_remote_port) : nullptr;
    if (!port || !port->active || port->kotype != IpcKObjectType::kNone || !ipc_mqueue_full(port, dest_type)) break;
    if (!can_wait) {
      g_ipc_lock.unlock(irq);
      ipc_kmsg_free(kmsg);
      return MACH_SEND_TIMED_OUT;
    }
    Thread* self = current_thread();
    IpcWaiter* w = &self->ipc_wait;
    ipc_mqueue_wait_send(port, w);
    // If the task is ended meanwhile, this thread never runs again:
    // ipc_task_terminate frees the message.
    self->ipc_send_pending = kmsg;
    bool woken = wait_for(w, &irq, deadline);
    self->ipc_send_pending = nullptr;
    if (!woken) {
      g_ipc_lock.unlock(irq);
      ipc_kmsg_free(kmsg);
      return MACH_SEND_TIMED_OUT;
    }
    if (w->result != MACH_MSG_SUCCESS) {
      g_ipc_lock.unlock(irq);
      ipc_kmsg_free(kmsg);
      return w->result;
    }
    space = task->itk_space;
  }
  if (!space) {
    g_ipc_lock.unlock(irq);
    ipc_kmsg_free(kmsg);
    return MACH_SEND_INVALID_DEST;
  }
  mach_msg_return_t mr = ipc_kmsg_copyin(space, kmsg, send_size);
  if (mr != MACH_MSG_SUCCESS) {
    g_ipc_lock.unlock(irq);
    ipc_kmsg_free(kmsg);
    return mr;
  }
  ipc_kernel_send(kmsg);
  g_ipc_lock.unlock(irq);
  return MACH_MSG_SUCCESS;
}

// Tell a receiver whose buffer was too small how much it needs.
void report_size(uint64_t msg, mach_msg_size_t rcv_size, mach_msg_size_t size) {
  if (rcv_size >= 8) (void)arch::copyout(msg + 4, &size, sizeof size);
}

mach_msg_return_t do_receive(Task* task, uint64_t msg, mach_msg_option_t option, mach_msg_size_t rcv_size,
                             mach_port_name_t rcv_name, mach_msg_timeout_t timeout) {
  bool large = (option & MACH_RCV_LARGE) != 0;
  uint64_t irq = g_ipc_lock.lock();
  IpcSpace* space = task->itk_space;
  if (!space) {
    g_ipc_lock.unlock(irq);
    return MACH_RCV_INVALID_NAME;
  }
  IpcReceive r;
  mach_msg_return_t mr = ipc_mqueue_receive(space, rcv_name, rcv_size, large, &r);
  if (mr == MACH_RCV_TIMED_OUT) {
    if ((option & MACH_RCV_TIMEOUT) && timeout == 0) {
      g_ipc_lock.unlock(irq);
      return MACH_RCV_TIMED_OUT;
    }
    Thread* self = current_thread();
    IpcWaiter* w = &self->ipc_wait;
    w->max_size = rcv_size;
    w->rcv_large = large;
    self->ipc_rcv_buffer = msg;
    mr = ipc_mqueue_wait(space, rcv_name, w);
    if (mr == MACH_MSG_SUCCESS) {
      if (!wait_for(w, &irq, (option & MACH_RCV_TIMEOUT) ? deadline_after(timeout) : 0)) {
        mr = MACH_RCV_TIMED_OUT;
      } else if (self->ipc_fast_delivered) {
        // The sender wrote the message into our buffer already.
        self->ipc_fast_delivered = false;
        g_ipc_lock.unlock(irq);
        return w->result;
      } else {
        mr = w->result;
        r.kmsg = w->kmsg;
        r.size = w->large_size;
        w->kmsg = nullptr;
      }
    }
    space = task->itk_space;
  }
  if (mr == MACH_RCV_TOO_LARGE) {
    if (r.kmsg) ipc_kmsg_destroy(r.kmsg);
    g_ipc_lock.unlock(irq);
    report_size(msg, rcv_size, r.size);
    return MACH_RCV_TOO_LARGE;
  }
  if (mr != MACH_MSG_SUCCESS || !r.kmsg) {
    g_ipc_lock.unlock(irq);
    return mr != MACH_MSG_SUCCESS ? mr : MACH_RCV_PORT_DIED;
  }
  IpcKmsg* kmsg = r.kmsg;
  if (!space) {  // the task is ending under us
    ipc_kmsg_destroy(kmsg);
    g_ipc_lock.unlock(irq);
    return MACH_RCV_PORT_DIED;
  }
  mr = ipc_kmsg_copyout(space, kmsg);
  g_ipc_lock.unlock(irq);
  if (arch::copyout(msg, kmsg->bytes(), kmsg->size()) != KERN_SUCCESS) mr = MACH_RCV_INVALID_DATA;
  ipc_kmsg_free(kmsg);  // its rights and regions are the receiver's now
  return mr;
}

// The fast path (DESIGN.md, "Where the speed comes from"): a send+receive
// whose message is short and simple, to a port with a thread already
// waiting. The sender translates the header into the receiver's space,
// copies the body once from its own buffer straight into the receiver's
// (through the direct map), queues itself on its receive port and hands
// the CPU to the receiver: no message buffer, no run queue.
constexpr mach_msg_size_t kFastMax = 256;

struct FastKmsg {
  IpcKmsg kmsg;
  uint8_t bytes[kFastMax];
};
static_assert(__builtin_offsetof(FastKmsg, bytes) == sizeof(IpcKmsg), "IpcKmsg::bytes() must be FastKmsg::bytes");

// Where a byte range of another space's user memory is, page by page.
struct UserWindow {
  uint8_t* part[2];
  size_t first_len;
};

// Pages mapped writable only: a copy-on-write page is read-only in the
// pmap, so the fast path never writes into memory another map shares.
bool page_writable(const Pmap* pmap, uint64_t va, paddr_t* pa) {
  vm_prot_t prot;
  return pmap_extract(pmap, va, pa, &prot) && (prot & VM_PROT_WRITE);
}

bool map_window(const Pmap* pmap, uint64_t uaddr, size_t len, UserWindow* w) {
  uint64_t page_end = (uaddr | (kPageSize - 1)) + 1;
  w->first_len = len < page_end - uaddr ? len : page_end - uaddr;
  paddr_t pa;
  if (!page_writable(pmap, uaddr, &pa)) return false;
  w->part[0] = static_cast<uint8_t*>(arch::phys_to_virt(pa));
  w->part[1] = nullptr;
  if (w->first_len < len) {
    if (!page_writable(pmap, page_end, &pa)) return false;
    w->part[1] = static_cast<uint8_t*>(arch::phys_to_virt(pa));
  }
  return true;
}

// Copy [off, off+len) of the window from the current task's user memory
// (user_src) or from kernel memory (kernel_src).
kern_return_t window_fill(const UserWindow& w, size_t off, size_t len, uint64_t user_src, const void* kernel_src) {
  while (len > 0) {
    bool first = off < w.first_len;
    uint8_t* dst = first ? w.part[0] + off : w.part[1] + (off - w.first_len);
    size_t n = first ? w.first_len - off : len;
    if (n > len) n = len;
    if (kernel_src) {
      __builtin_memcpy(dst, kernel_src, n);
      kernel_src = static_cast<const uint8_t*>(kernel_src) + n;
    } else {
      if (arch::copyin(dst, user_src, n) != KERN_SUCCESS) return KERN_INVALID_ADDRESS;
      user_src += n;
    }
    off += n;
    len -= n;
  }
  return KERN_SUCCESS;
}

// The header's rights for the two shapes an RPC has, from entries already
// looked up: a request (COPY_SEND to the server, MAKE_SEND_ONCE of the
// caller's receive port as reply) and a reply (MOVE_SEND_ONCE, no reply
// port). Anything else goes through the general copyin.
mach_msg_return_t copyin_header_fast(IpcSpace* space, IpcKmsg* kmsg, IpcEntry* de, IpcEntry* re,
                                     mach_port_name_t rcv_name) {
  mach_msg_header_t* h = kmsg->header();
  mach_msg_type_name_t rd = MACH_MSGH_BITS_REMOTE(h->msgh_bits);
  mach_msg_type_name_t ld = MACH_MSGH_BITS_LOCAL(h->msgh_bits);
  bool request = rd == MACH_MSG_TYPE_COPY_SEND && (de->type & MACH_PORT_TYPE_SEND) &&
                 ld == MACH_MSG_TYPE_MAKE_SEND_ONCE && h->msgh_local_port == rcv_name;
  bool reply = rd == MACH_MSG_TYPE_MOVE_SEND_ONCE && (de->type & MACH_PORT_TYPE_SEND_ONCE) && !de->dnrequest &&
               ld == 0 && h->msgh_local_port == MACH_PORT_NULL;
  if ((h->msgh_bits & ~MACH_MSGH_BITS_USER) || !(request || reply)) return ipc_kmsg_copyin_header(space, kmsg);
  IpcPort* port = de->port();
  kmsg->dest = port;
  if (request) {
    ipc_port_copy_send(port);
    kmsg->dest_type = MACH_MSG_TYPE_PORT_SEND;
    IpcPort* rport = re->port();
    ipc_port_make_send_once(rport);
    kmsg->reply = rport;
    kmsg->reply_type = MACH_MSG_TYPE_PORT_SEND_ONCE;
  } else {
    // The send-once right (and the entry's reference) moves into the message.
    de->type = 0;
    space->free_entry(h->msgh_remote_port);
    kmsg->dest_type = MACH_MSG_TYPE_PORT_SEND_ONCE;
    kmsg->reply = nullptr;
    kmsg->reply_type = 0;
  }
  return MACH_MSG_SUCCESS;
}

// True when the fast path took the call (its result in *out); false: use
// the general path, nothing has changed.
bool fast_rpc(Task* task, uint64_t msg, mach_msg_option_t option, mach_msg_size_t send_size,
              mach_msg_size_t rcv_size, mach_port_name_t rcv_name, mach_msg_timeout_t timeout,
              mach_msg_return_t* out) {
  if ((option & ~MACH_RCV_TIMEOUT) != (MACH_SEND_MSG | MACH_RCV_MSG)) return false;
  if (send_size < sizeof(mach_msg_header_t) || send_size > kFastMax || (send_size & 3)) return false;
  if ((option & MACH_RCV_TIMEOUT) && timeout == 0) return false;
  FastKmsg f;
  mach_msg_header_t* h = f.kmsg.header();
  if (arch::copyin(h, msg, sizeof *h) != KERN_SUCCESS || (h->msgh_bits & MACH_MSGH_BITS_COMPLEX)) return false;
  f.kmsg.capacity = kFastMax;
  h->msgh_size = send_size;

  Thread* self = current_thread();
  uint64_t irq = g_ipc_lock.lock();
  IpcSpace* space = task->itk_space;
  IpcEntry* de = space ? space->lookup(h->msgh_remote_port) : nullptr;
  IpcEntry* re = space ? space->lookup(rcv_name) : nullptr;
  IpcPort* port = de && (de->type & MACH_PORT_TYPE_SEND_RIGHTS) ? de->port() : nullptr;
  IpcWaitQueue* q = nullptr;
  if (port && port->active && port->kotype == IpcKObjectType::kNone && port->messages.empty()) {
    if (!port->receivers.empty())
      q = &port->receivers;
    else if (port->pset && !port->pset->receivers.empty())
      q = &port->pset->receivers;
  }
  // Our own receive must have to wait (else the general path takes it).
  bool rcv_ok = re && (re->type & MACH_PORT_TYPE_RECEIVE) && !re->port()->pset && re->port()->messages.empty();
  IpcWaiter* w = q ? &q->list.front() : nullptr;
  auto* receiver = w ? static_cast<Thread*>(w->owner) : nullptr;
  UserWindow win;
  // The receiver must be a user thread waiting in mach_msg on a port of its
  // own task (not the kernel waiting on one of its ports, e.g. for an
  // exception reply), so that its receive buffer is where to write.
  if (!rcv_ok || !receiver || w->max_size < send_size || !receiver->task ||
      port->receiver != receiver->task->itk_space ||
      !map_window(receiver->task->map->pmap, receiver->ipc_rcv_buffer, send_size, &win)) {
    g_ipc_lock.unlock(irq);
    return false;
  }
  // The body: one copy, sender's buffer to receiver's. A page that is not
  // there cannot be waited for under the lock (a pager may have to bring
  // it): the general path copies without it and reports a bad buffer
  // itself. What was written to the receiver's buffer is overwritten when
  // its message arrives.
  if (window_fill(win, sizeof *h, send_size - sizeof *h, msg + sizeof *h, nullptr) != KERN_SUCCESS) {
    g_ipc_lock.unlock(irq);
    return false;
  }
  mach_msg_return_t mr = copyin_header_fast(space, &f.kmsg, de, re, rcv_name);
  if (mr != MACH_MSG_SUCCESS) {
    g_ipc_lock.unlock(irq);
    *out = mr;
    return true;
  }
  ipc_waiter_cancel(w);
  h->msgh_seqno = port->seqno++;
  w->result = ipc_kmsg_copyout(port->receiver, &f.kmsg);
  (void)window_fill(win, 0, sizeof *h, 0, h);
  w->kmsg = nullptr;
  w->large_size = send_size;
  w->done = true;
  receiver->ipc_fast_delivered = true;

  // Now wait for our own message, on the receiver's time.
  IpcWaiter* sw = &self->ipc_wait;
  sw->max_size = rcv_size;
  sw->rcv_large = false;
  self->ipc_rcv_buffer = msg;
  (void)ipc_mqueue_wait(space, rcv_name, sw);
  uint64_t deadline = (option & MACH_RCV_TIMEOUT) ? deadline_after(timeout) : 0;
  WaitResult r = thread_block_handoff(receiver, g_ipc_lock, irq, deadline);
  irq = g_ipc_lock.lock();
  if (!sw->done && (r == WaitResult::kTimedOut || task->terminated || !wait_for(sw, &irq, deadline))) {
    ipc_waiter_cancel(sw);
    g_ipc_lock.unlock(irq);
    *out = MACH_RCV_TIMED_OUT;
    return true;
  }
  if (self->ipc_fast_delivered) {
    self->ipc_fast_delivered = false;
    g_ipc_lock.unlock(irq);
    *out = sw->result;
    return true;
  }
  IpcKmsg* kmsg = sw->kmsg;
  sw->kmsg = nullptr;
  mr = sw->result;
  if (mr == MACH_RCV_TOO_LARGE || !kmsg || !task->itk_space) {
    if (kmsg) ipc_kmsg_destroy(kmsg);
    g_ipc_lock.unlock(irq);
    if (mr == MACH_RCV_TOO_LARGE) report_size(msg, rcv_size, sw->large_size);
    *out = mr != MACH_MSG_SUCCESS ? mr : MACH_RCV_PORT_DIED;
    return true;
  }
  mr = ipc_kmsg_copyout(task->itk_space, kmsg);
  g_ipc_lock.unlock(irq);
  if (arch::copyout(msg, kmsg->bytes(), kmsg->size()) != KERN_SUCCESS) mr = MACH_RCV_INVALID_DATA;
  ipc_kmsg_free(kmsg);
  *out = mr;
  return true;
}

}  // namespace

mach_msg_return_t mach_msg_trap(uint64_t msg, mach_msg_option_t option, mach_msg_size_t send_size,
                                mach_msg_size_t rcv_size, mach_port_name_t rcv_name, mach_msg_timeout_t timeout) {
  if (option & ~MACH_MSG_OPTION_USER) return KERN_INVALID_ARGUMENT;
  Task* task = current_task();
  mach_msg_return_t fast;
  if (fast_rpc(task, msg, option, send_size, rcv_size, rcv_name, timeout, &fast)) return fast;
  if (option & MACH_SEND_MSG) {
    mach_msg_return_t mr = do_send(task, msg, option, send_size, timeout);
    ipc_kobject_deferred();  // a task_terminate request, now that no lock is held
    if (mr != MACH_MSG_SUCCESS) return mr;
  }
  if (option & MACH_RCV_MSG) return do_receive(task, msg, option, rcv_size, rcv_name, timeout);
  return MACH_MSG_SUCCESS;
}

}  // namespace mk
