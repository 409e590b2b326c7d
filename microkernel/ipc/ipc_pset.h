// IpcPortSet: a set of receive rights received from as one. A port is in at
// most one set; receiving on the set takes the first message of any member
// (members with messages are tried in turn, so no member starves).
#pragma once

#include <boost/intrusive/list.hpp>

#include "ipc/ipc_port.h"

namespace mk {

class IpcPortSet {
 public:
  using MemberList = boost::intrusive::list<
      IpcPort, boost::intrusive::member_hook<IpcPort, boost::intrusive::list_member_hook<>, &IpcPort::pset_link>>;

  uint32_t refs = 1;  // the space entry's
  bool active = true;
  IpcSpace* space = nullptr;
  mach_port_name_t name = MACH_PORT_NULL;
  MemberList members;
  IpcWaitQueue receivers;
};

IpcPortSet* ipc_pset_alloc();
void ipc_pset_release(IpcPortSet* pset);
// Membership; the port must be active and receivable.
void ipc_pset_add(IpcPortSet* pset, IpcPort* port);
void ipc_pset_remove(IpcPort* port);  // no-op when not in a set
// The set's name is destroyed: members leave, waiters fail with
// MACH_RCV_PORT_DIED (GNU Mach's code for a set that went away).
void ipc_pset_destroy(IpcPortSet* pset);

}  // namespace mk
