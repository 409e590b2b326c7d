// Message queues: sending a kmsg to its destination port (handing it to a
// waiting receiver when there is one) and taking messages off a port or a
// port set. Never blocks: a caller that must wait queues an IpcWaiter and
// sleeps after dropping the IPC lock.
#pragma once

#include <mach/message.h>

#include "ipc/ipc_kmsg.h"
#include "ipc/ipc_port.h"

namespace mk {

class IpcSpace;

// Is `port`'s queue full for a message that holds `dest_type`? (Send-once
// messages and kernel notifications are never held back, as in Mach.)
bool ipc_mqueue_full(IpcPort* port, mach_msg_type_name_t dest_type);

// Deliver a copied-in kmsg to kmsg->dest: to the first waiting receiver of
// the port or its set, else onto the queue. The kmsg is consumed. A
// destination that died meanwhile destroys the message (Mach's rule: the
// send still succeeds). Returns the waiter that got the message (already
// woken), or nullptr when it was queued.
IpcWaiter* ipc_mqueue_send(IpcKmsg* kmsg);

// What a receive found.
struct IpcReceive {
  IpcKmsg* kmsg = nullptr;        // the message, dequeued (also when too large without RCV_LARGE)
  mach_msg_size_t size = 0;       // its size
  IpcPort* port = nullptr;        // the port it came from
};

// Take the next message for `name` in `space` (a receive right or a port
// set). MACH_MSG_SUCCESS with out->kmsg; MACH_RCV_TIMED_OUT when nothing is
// queued (the caller may wait: ipc_mqueue_wait); MACH_RCV_INVALID_NAME,
// MACH_RCV_IN_SET (a member port named directly), MACH_RCV_TOO_LARGE (with
// RCV_LARGE the message stays queued and out->size says what it needs;
// without, it is dequeued into out->kmsg for the caller to destroy, its
// destination right already used up as by a delivery).
mach_msg_return_t ipc_mqueue_receive(IpcSpace* space, mach_port_name_t name, mach_msg_size_t max_size,
                                     bool rcv_large, IpcReceive* out);

// Queue `w` as a receiver on `name` (checked as above). The sender that
// finds it fills w->kmsg/result and calls ipc_waiter_wakeup().
mach_msg_return_t ipc_mqueue_wait(IpcSpace* space, mach_port_name_t name, IpcWaiter* w);
// Take `w` off whatever list it is on (timeout, interruption).
void ipc_waiter_cancel(IpcWaiter* w);

// A sender blocked on a full port waits here; woken when room appears or
// the port dies.
void ipc_mqueue_wait_send(IpcPort* port, IpcWaiter* w);

// Fail every waiter on `list` with `code` (port or set destroyed).
void ipc_waiters_fail(IpcWaitQueue& queue, mach_msg_return_t code);

}  // namespace mk
