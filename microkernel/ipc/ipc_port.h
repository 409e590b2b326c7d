// IpcPort: a kernel message queue with exactly one receive right.
//
// Who holds references: every space entry naming the port (one, whatever
// rights it holds), every right carried in a message, and every send-once
// right a notification request keeps (its notify port). The port is freed with its last reference; it may be dead
// (inactive) long before that, while names for it linger as dead names.
//
// All fields are guarded by the IPC lock.
#pragma once

#include <mach/message.h>
#include <mach/port.h>
#include <stdint.h>

#include <boost/intrusive/list.hpp>

#include "ipc/ipc_kmsg.h"

namespace mk {

class IpcSpace;
class IpcPortSet;

// A thread blocked in mach_msg: on a port's (or set's) receiver list, or on
// a full port's sender list. The thread embeds one; the core fills in the
// result and calls ipc_waiter_wakeup().
struct IpcWaitQueue;

struct IpcWaiter {
  boost::intrusive::list_member_hook<> link;
  IpcKmsg* kmsg = nullptr;           // the message handed over to a receiver
  mach_msg_return_t result = MACH_MSG_SUCCESS;
  mach_msg_size_t max_size = 0;      // receiver: its buffer's size
  mach_msg_size_t large_size = 0;    // MACH_RCV_TOO_LARGE: the size it needs
  bool rcv_large = false;            // receiver asked for MACH_RCV_LARGE
  bool done = false;                 // result is final
  IpcWaitQueue* on_queue = nullptr; // where `link` is, while queued
  void* owner = nullptr;             // the kernel's Thread
};

using IpcWaiterList = boost::intrusive::list<
    IpcWaiter, boost::intrusive::member_hook<IpcWaiter, boost::intrusive::list_member_hook<>, &IpcWaiter::link>>;

// Threads blocked on one port or set, in arrival order.
struct IpcWaitQueue {
  IpcWaiterList list;
  bool empty() const { return list.empty(); }
};

// Kernel objects behind kernel-served ports.
enum class IpcKObjectType : uint8_t { kNone, kTask, kThread, kHost, kReply, kIoMaster, kMemoryObjectControl };

// A dead-name request: when the port dies, `notify` (a send-once right) gets
// a dead-name notification for `name` in `space`.
struct IpcDeadNameRequest {
  boost::intrusive::list_member_hook<> link;
  IpcSpace* space;
  mach_port_name_t name;
  class IpcPort* notify;
};

using IpcDeadNameRequestList = boost::intrusive::list<
    IpcDeadNameRequest,
    boost::intrusive::member_hook<IpcDeadNameRequest, boost::intrusive::list_member_hook<>, &IpcDeadNameRequest::link>>;

class IpcPort {
 public:
  boost::intrusive::list_member_hook<> pset_link;  // IpcPortSet::members

  uint32_t refs = 1;
  bool active = true;
  IpcSpace* receiver = nullptr;        // null while the receive right travels
  mach_port_name_t receiver_name = MACH_PORT_NULL;
  IpcPortSet* pset = nullptr;
  IpcPort* transit_dest = nullptr;     // receive right queued in a message to this port
  uint32_t srights = 0;                // send rights anywhere (a name's merged rights count once)
  uint32_t sorights = 0;
  mach_port_mscount_t mscount = 0;     // send rights ever made
  mach_port_seqno_t seqno = 0;
  mach_port_msgcount_t qlimit = MACH_PORT_QLIMIT_DEFAULT;
  mach_port_msgcount_t msgcount = 0;
  IpcKmsgQueue messages;
  IpcWaitQueue receivers;              // blocked receiving on this port
  IpcWaitQueue senders;                // blocked because the queue is full
  IpcPort* nsrequest = nullptr;        // send-once right for no-senders
  mach_port_mscount_t nssync = 0;
  IpcDeadNameRequestList dnrequests;
  IpcKObjectType kotype = IpcKObjectType::kNone;
  void* kobject = nullptr;
  // The kernel's state for the memory object this port is (a pager's
  // port that was vm_mapped: vm/vm_pager.h); its death is reported.
  void* memory_object = nullptr;

  bool in_transit() const { return active && receiver == nullptr; }
};

// A new port; the one reference is the caller's, for the entry (or message)
// that will hold the receive right.
// nullptr when memory runs out.
IpcPort* ipc_port_alloc();
void ipc_port_reference(IpcPort* port);
// Drop a reference; frees a dead port with its last one.
void ipc_port_release(IpcPort* port);

// Rights on a port, counted on the port; each holds a reference.
void ipc_port_make_send(IpcPort* port);      // from the receive right: mscount++
void ipc_port_copy_send(IpcPort* port);      // another send right
void ipc_port_make_send_once(IpcPort* port);
// A send right goes away: may fire the no-senders notification.
void ipc_port_release_send(IpcPort* port);
// A send-once right goes away unused: the port gets a send-once notification.
void ipc_port_release_send_once(IpcPort* port);
// A send-once right was used (its message was received): only the count.
void ipc_port_consume_send_once(IpcPort* port);

// The receive right is destroyed: the port dies, its queued messages are
// destroyed, its waiters fail, dead-name requests fire. The caller (the
// holder of the receive right) still drops its own reference.
void ipc_port_destroy(IpcPort* port);

// Would moving `port`'s receive right into a message to `dest` make a
// message contain its own destination (directly or through a chain of
// queued receive rights)?
bool ipc_port_check_circularity(IpcPort* port, IpcPort* dest);

}  // namespace mk
