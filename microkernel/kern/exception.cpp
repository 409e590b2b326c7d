#include "kern/exception.h"

#include <mach/mig_errors.h>

#include "ipc/ipc_kernel.h"
#include "ipc/ipc_mqueue.h"
#include "ipc/mach_port.h"
#include "kern/sched.h"
#include "kern/task.h"

namespace mk {

static_assert(sizeof(exception_raise_request_t) == 88, "exception_raise layout");

bool exception_raise(exception_type_t exception, int64_t code, int64_t subcode) {
  Thread* self = current_thread();
  Task* task = self->task;
  uint64_t irq = g_ipc_lock.lock();
  IpcPort* port = self->ith_exception ? self->ith_exception : task->itk_exception;
  if (!ipc_port_valid(port) || !port->active || task->terminated) {
    g_ipc_lock.unlock(irq);
    return false;
  }
  IpcSpace* kspace = ipc_space_kernel();
  if (self->ith_exc_reply == MACH_PORT_NULL &&
      mach_port_allocate(kspace, MACH_PORT_RIGHT_RECEIVE, &self->ith_exc_reply) != KERN_SUCCESS) {
    self->ith_exc_reply = MACH_PORT_NULL;
    g_ipc_lock.unlock(irq);
    return false;
  }
  IpcPort* reply = kspace->lookup(self->ith_exc_reply)->port();
  IpcKmsg* kmsg = ipc_kmsg_alloc(sizeof(exception_raise_request_t));
  if (!kmsg) {
    g_ipc_lock.unlock(irq);
    return false;
  }
  auto* req = reinterpret_cast<exception_raise_request_t*>(kmsg->header());
  __builtin_memset(req, 0, sizeof *req);
  req->Head.msgh_bits = MACH_MSGH_BITS_COMPLEX | MACH_MSGH_BITS(MACH_MSG_TYPE_PORT_SEND, MACH_MSG_TYPE_PORT_SEND_ONCE);
  req->Head.msgh_size = sizeof *req;
  req->Head.msgh_id = MACH_EXCEPTION_RAISE_ID;
  req->msgh_body.msgh_descriptor_count = 2;
  req->thread.type = MACH_MSG_PORT_DESCRIPTOR;
  req->thread.disposition = MACH_MSG_TYPE_PORT_SEND;
  ipc_desc_set_port(req->thread, ipc_port_make_send_kernel(self->ith_self));
  req->task.type = MACH_MSG_PORT_DESCRIPTOR;
  req->task.disposition = MACH_MSG_TYPE_PORT_SEND;
  ipc_desc_set_port(req->task, ipc_port_make_send_kernel(task->itk_self));
  req->exception = exception;
  req->codeCnt = 2;
  req->code[0] = code;
  req->code[1] = subcode;
  ipc_port_copy_send(port);
  kmsg->dest = port;
  kmsg->dest_type = MACH_MSG_TYPE_PORT_SEND;
  ipc_port_make_send_once(reply);
  kmsg->reply = reply;
  kmsg->reply_type = MACH_MSG_TYPE_PORT_SEND_ONCE;
  ipc_kernel_send(kmsg);

  // Wait for the answer on the reply port (a receive right the kernel holds).
  IpcWaiter* w = &self->ipc_wait;
  IpcKmsg* answer = nullptr;
  IpcReceive r;
  if (ipc_mqueue_receive(kspace, self->ith_exc_reply, 4096, false, &r) == MACH_MSG_SUCCESS) {
    answer = r.kmsg;
  } else {
    w->max_size = 4096;
    w->rcv_large = false;
    if (ipc_mqueue_wait(kspace, self->ith_exc_reply, w) == MACH_MSG_SUCCESS) {
      while (!w->done && !task->terminated) {
        thread_block_unlock(g_ipc_lock, irq, 0);
        irq = g_ipc_lock.lock();
      }
      if (!w->done) ipc_waiter_cancel(w);
      answer = w->kmsg;
      w->kmsg = nullptr;
    }
  }
  bool resume = false;
  if (answer) {
    auto* rep = reinterpret_cast<mig_reply_error_t*>(answer->header());
    resume = answer->size() >= sizeof(mig_reply_error_t) && rep->Head.msgh_id == MACH_EXCEPTION_RAISE_ID + 100 &&
             !(rep->Head.msgh_bits & MACH_MSGH_BITS_COMPLEX) && rep->RetCode == KERN_SUCCESS;
    ipc_kmsg_consume_dest(answer);
    ipc_kmsg_destroy(answer);
  }
  g_ipc_lock.unlock(irq);
  return resume && !task->terminated;
}

}  // namespace mk
