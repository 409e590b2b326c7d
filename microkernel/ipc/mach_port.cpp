#include "ipc/mach_port.h"

#include <mach/notify.h>

#include <new>

#include "ipc/ipc_env.h"
#include "ipc/ipc_mqueue.h"
#include "ipc/ipc_notify.h"
#include "ipc/ipc_right.h"

namespace mk {
namespace {

kern_return_t fill_new(IpcSpace* space, mach_port_right_t right, mach_port_name_t name, IpcEntry* e) {
  switch (right) {
    case MACH_PORT_RIGHT_RECEIVE: {
      IpcPort* port = ipc_port_alloc();
      if (!port) return KERN_RESOURCE_SHORTAGE;
      port->receiver = space;
      port->receiver_name = name;
      e->object = port;
      e->type = MACH_PORT_TYPE_RECEIVE;
      space->reverse_insert(port, name);
      return KERN_SUCCESS;
    }
    case MACH_PORT_RIGHT_PORT_SET: {
      IpcPortSet* pset = ipc_pset_alloc();
      if (!pset) return KERN_RESOURCE_SHORTAGE;
      pset->space = space;
      pset->name = name;
      e->object = pset;
      e->type = MACH_PORT_TYPE_PORT_SET;
      return KERN_SUCCESS;
    }
    default:  // DEAD_NAME
      e->type = MACH_PORT_TYPE_DEAD_NAME;
      e->urefs = 1;
      return KERN_SUCCESS;
  }
}

bool allocatable(mach_port_right_t right) {
  return right == MACH_PORT_RIGHT_RECEIVE || right == MACH_PORT_RIGHT_PORT_SET || right == MACH_PORT_RIGHT_DEAD_NAME;
}

}  // namespace

kern_return_t mach_port_allocate(IpcSpace* space, mach_port_right_t right, mach_port_name_t* name) {
  if (!allocatable(right)) return KERN_INVALID_VALUE;
  IpcEntry* e;
  kern_return_t kr = space->alloc_entry(name, &e);
  if (kr != KERN_SUCCESS) return kr;
  kr = fill_new(space, right, *name, e);
  if (kr != KERN_SUCCESS) space->free_entry(*name);
  return kr;
}

kern_return_t mach_port_allocate_name(IpcSpace* space, mach_port_right_t right, mach_port_name_t name) {
  if (!allocatable(right)) return KERN_INVALID_VALUE;
  IpcEntry* e;
  kern_return_t kr = space->alloc_entry_named(name, &e);
  if (kr != KERN_SUCCESS) return kr;
  kr = fill_new(space, right, name, e);
  if (kr != KERN_SUCCESS) space->free_entry(name);
  return kr;
}

kern_return_t mach_port_get_refs(IpcSpace* space, mach_port_name_t name, mach_port_right_t right,
                                 mach_port_urefs_t* refs) {
  if (right >= MACH_PORT_RIGHT_NUMBER) return KERN_INVALID_VALUE;
  IpcEntry* e = space->lookup(name);
  if (!e) return KERN_INVALID_NAME;
  if (!(e->type & MACH_PORT_TYPE(right)))
    *refs = 0;
  else if (right == MACH_PORT_RIGHT_SEND || right == MACH_PORT_RIGHT_DEAD_NAME)
    *refs = e->urefs;
  else
    *refs = 1;
  return KERN_SUCCESS;
}

kern_return_t mach_port_type(IpcSpace* space, mach_port_name_t name, mach_port_type_t* type) {
  IpcEntry* e = space->lookup(name);
  if (!e) return KERN_INVALID_NAME;
  *type = e->type;
  return KERN_SUCCESS;
}

kern_return_t mach_port_names(IpcSpace* space, mach_port_name_t* names, mach_port_type_t* types, size_t capacity,
                              size_t* count) {
  size_t n = 0;
  space->for_each([&](mach_port_name_t name, IpcEntry&) {
    IpcEntry* e = space->lookup(name);  // turns dead ports into dead names first
    if (n < capacity) {
      names[n] = name;
      types[n] = e->type;
    }
    n++;
  });
  *count = n;
  return KERN_SUCCESS;
}

kern_return_t mach_port_rename(IpcSpace* space, mach_port_name_t old_name, mach_port_name_t new_name) {
  IpcEntry* old_e = space->lookup(old_name);
  if (!old_e) return KERN_INVALID_NAME;
  if (!MACH_PORT_VALID(new_name)) return KERN_INVALID_VALUE;
  IpcEntry* new_e;
  kern_return_t kr = space->alloc_entry_named(new_name, &new_e);
  if (kr != KERN_SUCCESS) return kr;
  old_e = space->lookup(old_name);  // the table may have grown
  new_e->object = old_e->object;
  new_e->type = old_e->type;
  new_e->urefs = old_e->urefs;
  new_e->dnrequest = old_e->dnrequest;
  if (new_e->dnrequest) new_e->dnrequest->name = new_name;
  if (new_e->type & MACH_PORT_TYPE_PORT_SET) {
    new_e->pset()->name = new_name;
  } else if (new_e->type & (MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_RECEIVE)) {
    IpcPort* port = new_e->port();
    space->reverse_remove(port);
    space->reverse_insert(port, new_name);
    if (new_e->type & MACH_PORT_TYPE_RECEIVE) port->receiver_name = new_name;
  }
  old_e->type = 0;
  space->free_entry(old_name);
  return KERN_SUCCESS;
}

kern_return_t mach_port_move_member(IpcSpace* space, mach_port_name_t member, mach_port_name_t after) {
  IpcEntry* me = space->lookup(member);
  if (!me) return KERN_INVALID_NAME;
  if (!(me->type & MACH_PORT_TYPE_RECEIVE)) return KERN_INVALID_RIGHT;
  IpcPort* port = me->port();
  if (after == MACH_PORT_NULL) {
    if (!port->pset) return KERN_NOT_IN_SET;
    ipc_pset_remove(port);
    return KERN_SUCCESS;
  }
  IpcEntry* se = space->lookup(after);
  if (!se) return KERN_INVALID_NAME;
  if (!(se->type & MACH_PORT_TYPE_PORT_SET)) return KERN_INVALID_RIGHT;
  // Threads waiting on the port itself would never see its messages again.
  ipc_waiters_fail(port->receivers, MACH_RCV_PORT_CHANGED);
  ipc_pset_add(se->pset(), port);
  return KERN_SUCCESS;
}

kern_return_t mach_port_request_notification(IpcSpace* space, mach_port_name_t name, int32_t variant,
                                             mach_port_mscount_t sync, IpcPort* notify, IpcPort** previous) {
  *previous = nullptr;
  IpcEntry* e = space->lookup(name);
  if (!e) return KERN_INVALID_NAME;
  switch (variant) {
    case MACH_NOTIFY_NO_SENDERS: {
      if (!(e->type & MACH_PORT_TYPE_RECEIVE)) return KERN_INVALID_RIGHT;
      IpcPort* port = e->port();
      *previous = port->nsrequest;
      port->nsrequest = notify;
      port->nssync = sync;
      if (notify && port->srights == 0 && port->mscount >= sync) {
        port->nsrequest = nullptr;
        ipc_notify_no_senders(notify, port->mscount);
      }
      return KERN_SUCCESS;
    }
    case MACH_NOTIFY_DEAD_NAME: {
      if (e->type & MACH_PORT_TYPE_DEAD_NAME) {
        if (!sync) return KERN_INVALID_ARGUMENT;
        if (notify) {
          // The notification carries a user reference for the name.
          if (e->urefs >= MACH_PORT_UREFS_MAX) return KERN_UREFS_OVERFLOW;
          e->urefs++;
          ipc_notify_dead_name(notify, name);
        }
        return KERN_SUCCESS;
      }
      if (!(e->type & MACH_PORT_TYPE_SEND_RIGHTS)) return KERN_INVALID_RIGHT;
      IpcPort* port = e->port();
      if (IpcDeadNameRequest* req = e->dnrequest) {
        *previous = req->notify;
        if (notify) {
          req->notify = notify;
        } else {
          port->dnrequests.erase(port->dnrequests.iterator_to(*req));
          ipc_free(req);
          e->dnrequest = nullptr;
          e->type &= ~MACH_PORT_TYPE_DNREQUEST;
        }
        return KERN_SUCCESS;
      }
      if (!notify) return KERN_SUCCESS;
      auto* req = static_cast<IpcDeadNameRequest*>(ipc_alloc(sizeof(IpcDeadNameRequest)));
      if (!req) return KERN_RESOURCE_SHORTAGE;
      new (req) IpcDeadNameRequest{{}, space, name, notify};
      port->dnrequests.push_back(*req);
      e->dnrequest = req;
      e->type |= MACH_PORT_TYPE_DNREQUEST;
      return KERN_SUCCESS;
    }
    default:
      return KERN_INVALID_VALUE;
  }
}

kern_return_t mach_port_set_qlimit(IpcSpace* space, mach_port_name_t name, mach_port_msgcount_t qlimit) {
  IpcEntry* e = space->lookup(name);
  if (!e) return KERN_INVALID_NAME;
  if (!(e->type & MACH_PORT_TYPE_RECEIVE)) return KERN_INVALID_RIGHT;
  if (qlimit > MACH_PORT_QLIMIT_MAX) return KERN_INVALID_VALUE;
  IpcPort* port = e->port();
  port->qlimit = qlimit;
  // Senders held back by the old limit may go now; each rechecks.
  if (port->msgcount < qlimit) ipc_waiters_fail(port->senders, MACH_MSG_SUCCESS);
  return KERN_SUCCESS;
}

kern_return_t mach_port_get_attributes(IpcSpace* space, mach_port_name_t name, int32_t flavor, uint32_t* info,
                                       uint32_t* count) {
  IpcEntry* e = space->lookup(name);
  if (!e) return KERN_INVALID_NAME;
  if (!(e->type & MACH_PORT_TYPE_RECEIVE)) return KERN_INVALID_RIGHT;
  IpcPort* port = e->port();
  switch (flavor) {
    case MACH_PORT_LIMITS_INFO: {
      if (*count < sizeof(mach_port_limits_t) / 4) return KERN_FAILURE;
      mach_port_limits_t limits{port->qlimit};
      __builtin_memcpy(info, &limits, sizeof limits);
      *count = sizeof limits / 4;
      return KERN_SUCCESS;
    }
    case MACH_PORT_RECEIVE_STATUS: {
      if (*count < sizeof(mach_port_status_t) / 4) return KERN_FAILURE;
      mach_port_status_t st{};
      st.mps_pset = port->pset ? port->pset->name : MACH_PORT_NULL;
      st.mps_seqno = port->seqno;
      st.mps_mscount = port->mscount;
      st.mps_qlimit = port->qlimit;
      st.mps_msgcount = port->msgcount;
      st.mps_sorights = port->sorights;
      st.mps_srights = port->srights > 0;
      st.mps_nsrequest = port->nsrequest != nullptr;
      __builtin_memcpy(info, &st, sizeof st);
      *count = sizeof st / 4;
      return KERN_SUCCESS;
    }
    default:
      return KERN_INVALID_VALUE;
  }
}

}  // namespace mk
