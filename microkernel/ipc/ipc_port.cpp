#include "ipc/ipc_port.h"

#include <new>

#include "ipc/ipc_env.h"
#include "ipc/ipc_mqueue.h"
#include "ipc/ipc_notify.h"
#include "ipc/ipc_pset.h"
#include "ipc/ipc_space.h"
#include "ipc/ipc_stats.h"

namespace mk {

constinit IpcStats g_ipc_stats;

IpcPort* ipc_port_alloc() {
  void* mem = ipc_alloc(sizeof(IpcPort));
  if (!mem) return nullptr;
  g_ipc_stats.ports++;
  return new (mem) IpcPort();
}

void ipc_port_reference(IpcPort* port) { port->refs++; }

void ipc_port_release(IpcPort* port) {
  if (--port->refs != 0) return;
  // The receive right holds a reference while the port lives.
  port->~IpcPort();
  ipc_free(port);
  g_ipc_stats.ports--;
}

void ipc_port_make_send(IpcPort* port) {
  port->mscount++;
  port->srights++;
  port->refs++;
}

void ipc_port_copy_send(IpcPort* port) {
  port->srights++;
  port->refs++;
}

void ipc_port_make_send_once(IpcPort* port) {
  port->sorights++;
  port->refs++;
}

void ipc_port_release_send(IpcPort* port) {
  if (port->active && port->srights > 0 && --port->srights == 0 && port->nsrequest) {
    // The request's sync point was checked when it was made (GNU Mach and
    // XNU): from then on any drop to zero senders fires it.
    IpcPort* notify = port->nsrequest;
    port->nsrequest = nullptr;
    ipc_notify_no_senders(notify, port->mscount);
  }
  ipc_port_release(port);
}

void ipc_port_release_send_once(IpcPort* port) {
  if (port->active) {
    // The right is consumed by the notification sent on it (the
    // notification's message carries it as its destination right).
    ipc_notify_send_once(port);
    return;
  }
  ipc_port_consume_send_once(port);
}

void ipc_port_consume_send_once(IpcPort* port) {
  if (port->sorights > 0) port->sorights--;
  ipc_port_release(port);
}

void ipc_port_destroy(IpcPort* port) {
  if (!port->active) return;
  port->active = false;
  ipc_pset_remove(port);
  if (port->receiver) port->receiver->reverse_remove(port);
  port->receiver = nullptr;
  port->transit_dest = nullptr;

  if (port->memory_object) ipc_env_memory_object_died(port);
  ipc_waiters_fail(port->receivers, MACH_RCV_PORT_DIED);
  ipc_waiters_fail(port->senders, MACH_SEND_INVALID_DEST);

  // Queued messages: their rights are released (possibly destroying more
  // ports, through the kmsg worklist).
  while (!port->messages.empty()) {
    IpcKmsg* kmsg = &port->messages.front();
    port->messages.pop_front();
    ipc_kmsg_destroy(kmsg);
  }
  port->msgcount = 0;

  if (IpcPort* notify = port->nsrequest) {
    port->nsrequest = nullptr;
    ipc_port_release_send_once(notify);  // the requester learns it via send-once
  }

  // Dead-name requests: the names stay (they read as dead names now), the
  // requesters get told. The entry's request link is cleared first.
  while (!port->dnrequests.empty()) {
    IpcDeadNameRequest* req = &port->dnrequests.front();
    port->dnrequests.pop_front();
    if (IpcEntry* e = req->space->entry_at(MACH_PORT_INDEX(req->name))) {
      if (e->dnrequest == req) {
        e->dnrequest = nullptr;
        e->type &= ~MACH_PORT_TYPE_DNREQUEST;
        // The notification carries a user reference for the dead name
        // (GNU Mach, XNU), so its handler can deallocate the name.
        if (e->urefs < MACH_PORT_UREFS_MAX) e->urefs++;
      }
    }
    IpcPort* notify = req->notify;
    mach_port_name_t name = req->name;
    ipc_free(req);
    ipc_notify_dead_name(notify, name);
  }
  // The holder of the receive right (an entry, a message) still holds its
  // reference and drops it itself.
}

bool ipc_port_check_circularity(IpcPort* port, IpcPort* dest) {
  // Follow dest while it is a receive right queued in a message; reaching
  // `port` means the move would close a loop no one could ever receive.
  for (IpcPort* p = dest; ipc_port_valid(p); p = p->transit_dest) {
    if (p == port) return true;
    if (!p->in_transit()) break;
  }
  return false;
}

}  // namespace mk
