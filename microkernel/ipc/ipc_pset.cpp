#include "ipc/ipc_pset.h"

#include <new>

#include "ipc/ipc_env.h"
#include "ipc/ipc_mqueue.h"
#include "ipc/ipc_stats.h"

namespace mk {

IpcPortSet* ipc_pset_alloc() {
  void* mem = ipc_alloc(sizeof(IpcPortSet));
  if (!mem) return nullptr;
  g_ipc_stats.port_sets++;
  return new (mem) IpcPortSet();
}

void ipc_pset_release(IpcPortSet* pset) {
  if (--pset->refs != 0) return;
  pset->~IpcPortSet();
  ipc_free(pset);
  g_ipc_stats.port_sets--;
}

void ipc_pset_add(IpcPortSet* pset, IpcPort* port) {
  ipc_pset_remove(port);
  pset->members.push_back(*port);
  port->pset = pset;
  // Threads waiting on the set may now have a message.
  while (!port->messages.empty() && !pset->receivers.empty()) {
    IpcKmsg* kmsg = &port->messages.front();
    port->messages.pop_front();
    port->msgcount--;
    if (!ipc_mqueue_send(kmsg)) {  // finds the set's waiter
      // Too large for it (RCV_LARGE): requeued at the back; it was the head.
      port->messages.pop_back();
      port->messages.push_front(*kmsg);
    }
  }
}

void ipc_pset_remove(IpcPort* port) {
  if (!port->pset) return;
  port->pset->members.erase(port->pset->members.iterator_to(*port));
  port->pset = nullptr;
}

void ipc_pset_destroy(IpcPortSet* pset) {
  if (!pset->active) return;
  pset->active = false;
  while (!pset->members.empty()) {
    IpcPort& p = pset->members.front();
    pset->members.pop_front();
    p.pset = nullptr;
  }
  ipc_waiters_fail(pset->receivers, MACH_RCV_PORT_DIED);
  ipc_pset_release(pset);
}

}  // namespace mk
