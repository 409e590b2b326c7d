#include "ipc/ipc_mqueue.h"

#include "ipc/ipc_env.h"
#include "ipc/ipc_pset.h"
#include "ipc/ipc_space.h"

namespace mk {
namespace {

// Receive rights travelling in a queued message point at that message's
// destination, for the circularity check.
void mark_transit(IpcKmsg* kmsg, IpcPort* dest) {
  if (!kmsg->complex()) return;
  mach_msg_descriptor_t* d = kmsg->descriptors();
  for (mach_msg_size_t i = 0; i < kmsg->descriptor_count(); i++) {
    if (d[i].type.type == MACH_MSG_PORT_DESCRIPTOR && d[i].port.disposition == MACH_MSG_TYPE_PORT_RECEIVE) {
      if (IpcPort* p = ipc_desc_port(d[i].port); ipc_port_valid(p)) p->transit_dest = dest;
    } else if (d[i].type.type == MACH_MSG_OOL_PORTS_DESCRIPTOR &&
               d[i].ool_ports.disposition == MACH_MSG_TYPE_PORT_RECEIVE && d[i].ool_ports.address) {
      const void* ports = reinterpret_cast<const void*>(d[i].ool_ports.address);
      for (mach_msg_size_t k = 0; k < d[i].ool_ports.count; k++)
        if (IpcPort* p = ipc_ool_port(ports, k); ipc_port_valid(p)) p->transit_dest = dest;
    }
  }
}

void waiter_finish(IpcWaiter* w, mach_msg_return_t result) {
  if (w->on_queue) {
    w->on_queue->list.erase(w->on_queue->list.iterator_to(*w));
    w->on_queue = nullptr;
  }
  w->result = result;
  w->done = true;
  ipc_waiter_wakeup(w);
}

void enqueue_waiter(IpcWaitQueue& q, IpcWaiter* w) {
  w->kmsg = nullptr;
  w->done = false;
  w->result = MACH_MSG_SUCCESS;
  w->on_queue = &q;
  q.list.push_back(*w);
}

// Take the head message of `port`; a blocked sender may now proceed.
IpcKmsg* dequeue(IpcPort* port) {
  IpcKmsg* kmsg = &port->messages.front();
  port->messages.pop_front();
  port->msgcount--;
  kmsg->header()->msgh_seqno = port->seqno++;
  mark_transit(kmsg, nullptr);
  if (!port->senders.empty() && port->msgcount < port->qlimit)
    waiter_finish(&port->senders.list.front(), MACH_MSG_SUCCESS);
  return kmsg;
}

mach_msg_return_t take(IpcPort* port, mach_msg_size_t max_size, bool rcv_large, IpcReceive* out) {
  IpcKmsg* kmsg = &port->messages.front();
  out->size = kmsg->size();
  out->port = port;
  if (out->size > max_size) {
    if (rcv_large) return MACH_RCV_TOO_LARGE;  // stays queued
    out->kmsg = dequeue(port);
    ipc_kmsg_consume_dest(out->kmsg);
    return MACH_RCV_TOO_LARGE;
  }
  out->kmsg = dequeue(port);
  return MACH_MSG_SUCCESS;
}

// The queue a receive on `name` uses: a port's or a set's. Null on error.
mach_msg_return_t resolve(IpcSpace* space, mach_port_name_t name, IpcPort** port, IpcPortSet** pset) {
  *port = nullptr;
  *pset = nullptr;
  IpcEntry* e = space->lookup(name);
  if (!e) return MACH_RCV_INVALID_NAME;
  if (e->type & MACH_PORT_TYPE_RECEIVE) {
    if (e->port()->pset) return MACH_RCV_IN_SET;
    *port = e->port();
    return MACH_MSG_SUCCESS;
  }
  if (e->type & MACH_PORT_TYPE_PORT_SET) {
    *pset = e->pset();
    return MACH_MSG_SUCCESS;
  }
  return MACH_RCV_INVALID_NAME;
}

}  // namespace

bool ipc_mqueue_full(IpcPort* port, mach_msg_type_name_t dest_type) {
  return dest_type != MACH_MSG_TYPE_PORT_SEND_ONCE && port->msgcount >= port->qlimit;
}

IpcWaiter* ipc_mqueue_send(IpcKmsg* kmsg) {
  IpcPort* port = kmsg->dest;
  if (!port->active) {
    ipc_kmsg_destroy(kmsg);
    return nullptr;
  }
  IpcWaitQueue* q = nullptr;
  if (!port->receivers.empty())
    q = &port->receivers;
  else if (port->pset && !port->pset->receivers.empty())
    q = &port->pset->receivers;
  if (q) {
    IpcWaiter* w = &q->list.front();
    mach_msg_size_t size = kmsg->size();
    w->large_size = size;
    if (size > w->max_size && w->rcv_large) {
      // It waits in the queue until the receiver comes back with room.
      mark_transit(kmsg, port);
      port->messages.push_back(*kmsg);
      port->msgcount++;
      waiter_finish(w, MACH_RCV_TOO_LARGE);
      return nullptr;
    }
    kmsg->header()->msgh_seqno = port->seqno++;
    if (size > w->max_size) ipc_kmsg_consume_dest(kmsg);
    w->kmsg = kmsg;
    waiter_finish(w, size > w->max_size ? MACH_RCV_TOO_LARGE : MACH_MSG_SUCCESS);
    return w;
  }
  mark_transit(kmsg, port);
  port->messages.push_back(*kmsg);
  port->msgcount++;
  return nullptr;
}

mach_msg_return_t ipc_mqueue_receive(IpcSpace* space, mach_port_name_t name, mach_msg_size_t max_size,
                                     bool rcv_large, IpcReceive* out) {
  *out = IpcReceive{};
  IpcPort* port;
  IpcPortSet* pset;
  mach_msg_return_t mr = resolve(space, name, &port, &pset);
  if (mr != MACH_MSG_SUCCESS) return mr;
  if (port) {
    if (port->messages.empty()) return MACH_RCV_TIMED_OUT;
    return take(port, max_size, rcv_large, out);
  }
  for (IpcPort& member : pset->members) {
    if (member.messages.empty()) continue;
    mr = take(&member, max_size, rcv_large, out);
    // The member goes to the back so the others get their turn next time;
    // not when its message stayed queued (RCV_LARGE): the retry must find it.
    if (out->kmsg) {
      pset->members.erase(pset->members.iterator_to(member));
      pset->members.push_back(member);
    }
    return mr;
  }
  return MACH_RCV_TIMED_OUT;
}

mach_msg_return_t ipc_mqueue_wait(IpcSpace* space, mach_port_name_t name, IpcWaiter* w) {
  IpcPort* port;
  IpcPortSet* pset;
  mach_msg_return_t mr = resolve(space, name, &port, &pset);
  if (mr != MACH_MSG_SUCCESS) return mr;
  enqueue_waiter(port ? port->receivers : pset->receivers, w);
  return MACH_MSG_SUCCESS;
}

void ipc_mqueue_wait_send(IpcPort* port, IpcWaiter* w) { enqueue_waiter(port->senders, w); }

void ipc_waiter_cancel(IpcWaiter* w) {
  if (!w->on_queue) return;
  w->on_queue->list.erase(w->on_queue->list.iterator_to(*w));
  w->on_queue = nullptr;
}

void ipc_waiters_fail(IpcWaitQueue& queue, mach_msg_return_t code) {
  while (!queue.empty()) waiter_finish(&queue.list.front(), code);
}

}  // namespace mk
