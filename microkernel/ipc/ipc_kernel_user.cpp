// What MIG user stubs generated with KernelUser need in the kernel
// (mig_support.h): mach_msg, mig_get_reply_port and mig_dealloc_reply_port,
// working on the kernel's own IPC space. A stub builds its request with
// names in ipc_space_kernel() (send rights the caller put there, the
// thread's reply port) exactly as a user stub builds one with names in its
// task's space; mach_msg copies it in from kernel memory (kernel_data, as
// ipc_kobject_server copies its replies in), sends it and, for an RPC,
// waits for the reply on the reply port and copies it out into the kernel
// space. Used by kern/exception.cpp (exc.defs' exception_raise).
//
// Limits, enough for the kernel's own calls: no send timeout (a kernel send
// never blocks on a full queue), a receive timeout is not supported (the
// wait ends with the reply, the reply port's death or the calling task's
// end: MACH_RCV_INTERRUPTED), and a reply carrying out-of-line memory is
// refused (MACH_RCV_INVALID_DATA; the kernel space has no memory to map it
// in). Port rights in a reply become names in the kernel space, the
// caller's to release. Called without the IPC lock.
#include <mig_support.h>

#include "ipc/ipc_kernel.h"
#include "ipc/ipc_kmsg.h"
#include "ipc/ipc_mqueue.h"
#include "ipc/ipc_right.h"
#include "ipc/mach_port.h"
#include "kern/sched.h"
#include "kern/task.h"

using namespace mk;

namespace {

mach_msg_return_t kernel_send(mach_msg_header_t* msg, mach_msg_size_t send_size) {
  if (send_size < sizeof(mach_msg_header_t) || (send_size & 3)) return MACH_SEND_MSG_TOO_SMALL;
  if (send_size > MACH_MSG_SIZE_MAX) return MACH_SEND_TOO_LARGE;
  IpcKmsg* kmsg = ipc_kmsg_alloc(send_size);
  if (!kmsg) return MACH_SEND_NO_BUFFER;
  __builtin_memcpy(kmsg->bytes(), msg, send_size);
  uint64_t irq = g_ipc_lock.lock();
  mach_msg_return_t mr = ipc_kmsg_copyin(ipc_space_kernel(), kmsg, send_size, /*kernel_data=*/true);
  if (mr != MACH_MSG_SUCCESS) {
    g_ipc_lock.unlock(irq);
    ipc_kmsg_free(kmsg);
    return mr;
  }
  ipc_kernel_send(kmsg);
  g_ipc_lock.unlock(irq);
  return MACH_MSG_SUCCESS;
}

bool has_ool(IpcKmsg* kmsg) {
  if (!kmsg->complex()) return false;
  mach_msg_descriptor_t* d = kmsg->descriptors();
  for (mach_msg_size_t i = 0; i < kmsg->descriptor_count(); i++)
    if (d[i].type.type != MACH_MSG_PORT_DESCRIPTOR) return true;
  return false;
}

mach_msg_return_t kernel_receive(mach_msg_header_t* msg, mach_msg_size_t rcv_size, mach_port_name_t rcv_name) {
  Thread* self = current_thread();
  Task* task = self->task;
  IpcSpace* ks = ipc_space_kernel();
  uint64_t irq = g_ipc_lock.lock();
  IpcKmsg* kmsg = nullptr;
  IpcReceive r;
  mach_msg_return_t mr = ipc_mqueue_receive(ks, rcv_name, rcv_size, false, &r);
  if (mr == MACH_MSG_SUCCESS) {
    kmsg = r.kmsg;
  } else if (mr == MACH_RCV_TIMED_OUT) {
    IpcWaiter* w = &self->ipc_wait;
    w->max_size = rcv_size;
    w->rcv_large = false;
    mr = ipc_mqueue_wait(ks, rcv_name, w);
    if (mr == MACH_MSG_SUCCESS) {
      while (!w->done && !(task && task->terminated)) {
        thread_block_unlock(g_ipc_lock, irq, 0);
        irq = g_ipc_lock.lock();
      }
      if (!w->done) {
        ipc_waiter_cancel(w);
        mr = MACH_RCV_INTERRUPTED;
      } else {
        mr = w->result;
      }
      kmsg = w->kmsg;
      w->kmsg = nullptr;
    }
  }
  if (kmsg && (mr != MACH_MSG_SUCCESS || has_ool(kmsg))) {
    if (mr == MACH_MSG_SUCCESS) mr = MACH_RCV_INVALID_DATA;
    ipc_kmsg_consume_dest(kmsg);
    ipc_kmsg_destroy(kmsg);
    kmsg = nullptr;
  }
  if (!kmsg) {
    g_ipc_lock.unlock(irq);
    return mr != MACH_MSG_SUCCESS ? mr : MACH_RCV_PORT_DIED;
  }
  mr = ipc_kmsg_copyout(ks, kmsg);
  g_ipc_lock.unlock(irq);
  __builtin_memcpy(msg, kmsg->bytes(), kmsg->size());
  ipc_kmsg_free(kmsg);
  return mr;
}

}  // namespace

extern "C" mach_msg_return_t mach_msg(mach_msg_header_t* msg, mach_msg_option_t option, mach_msg_size_t send_size,
                                      mach_msg_size_t rcv_size, mach_port_name_t rcv_name, mach_msg_timeout_t) {
  if (option & (MACH_SEND_TIMEOUT | MACH_RCV_TIMEOUT | MACH_RCV_LARGE)) return MACH_SEND_INVALID_HEADER;  // not for the kernel's calls
  if (option & MACH_SEND_MSG) {
    mach_msg_return_t mr = kernel_send(msg, send_size);
    if (mr != MACH_MSG_SUCCESS) return mr;
  }
  if (option & MACH_RCV_MSG) return kernel_receive(msg, rcv_size, rcv_name);
  return MACH_MSG_SUCCESS;
}

// The thread's reply port for the kernel's RPCs: a receive right in the
// kernel space, made on first use and kept (ipc_task_terminate destroys it).
extern "C" mach_port_t mig_get_reply_port(void) {
  Thread* self = current_thread();
  uint64_t irq = g_ipc_lock.lock();
  if (self->ith_exc_reply == MACH_PORT_NULL &&
      mk::mach_port_allocate(ipc_space_kernel(), MACH_PORT_RIGHT_RECEIVE, &self->ith_exc_reply) != KERN_SUCCESS)
    self->ith_exc_reply = MACH_PORT_NULL;
  mach_port_t name = self->ith_exc_reply;
  g_ipc_lock.unlock(irq);
  return name;
}

// After a failed receive: a late reply must not answer the next call.
extern "C" void mig_dealloc_reply_port(mach_port_t reply_port) {
  Thread* self = current_thread();
  uint64_t irq = g_ipc_lock.lock();
  if (reply_port != MACH_PORT_NULL && self->ith_exc_reply == reply_port) {
    (void)ipc_right_destroy(ipc_space_kernel(), reply_port);
    self->ith_exc_reply = MACH_PORT_NULL;
  }
  g_ipc_lock.unlock(irq);
}
