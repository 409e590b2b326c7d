#include "ipc/mach_msg.h"

#include "ipc/ipc_kernel.h"
#include "ipc/ipc_mqueue.h"
#include "ipc/ipc_right.h"
#include "kern/arch.h"
#include "kern/clock.h"
#include "kern/sched.h"
#include "kern/task.h"

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
    IpcWaiter* w = &current_thread()->ipc_wait;
    ipc_mqueue_wait_send(port, w);
    if (!wait_for(w, &irq, deadline)) {
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
    IpcWaiter* w = &current_thread()->ipc_wait;
    w->max_size = rcv_size;
    w->rcv_large = large;
    mr = ipc_mqueue_wait(space, rcv_name, w);
    if (mr == MACH_MSG_SUCCESS) {
      if (!wait_for(w, &irq, (option & MACH_RCV_TIMEOUT) ? deadline_after(timeout) : 0)) {
        mr = MACH_RCV_TIMED_OUT;
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

}  // namespace

mach_msg_return_t mach_msg_trap(uint64_t msg, mach_msg_option_t option, mach_msg_size_t send_size,
                                mach_msg_size_t rcv_size, mach_port_name_t rcv_name, mach_msg_timeout_t timeout) {
  if (option & ~MACH_MSG_OPTION_USER) return KERN_INVALID_ARGUMENT;
  Task* task = current_task();
  if (option & MACH_SEND_MSG) {
    mach_msg_return_t mr = do_send(task, msg, option, send_size, timeout);
    if (mr != MACH_MSG_SUCCESS) return mr;
  }
  if (option & MACH_RCV_MSG) return do_receive(task, msg, option, rcv_size, rcv_name, timeout);
  return MACH_MSG_SUCCESS;
}

}  // namespace mk
