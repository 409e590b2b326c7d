#include "ipc/ipc_right.h"

#include "ipc/ipc_env.h"
#include "ipc/ipc_mqueue.h"
#include "ipc/ipc_notify.h"

namespace mk {
namespace {

}  // namespace

mach_msg_type_name_t ipc_right_result_type(mach_msg_type_name_t disposition) {
  switch (disposition) {
    case MACH_MSG_TYPE_MOVE_RECEIVE:
      return MACH_MSG_TYPE_PORT_RECEIVE;
    case MACH_MSG_TYPE_MOVE_SEND_ONCE:
    case MACH_MSG_TYPE_MAKE_SEND_ONCE:
      return MACH_MSG_TYPE_PORT_SEND_ONCE;
    default:
      return MACH_MSG_TYPE_PORT_SEND;
  }
}

namespace {

// The name loses the right its dead-name request watched while the port
// lives: the request ends with a port-deleted notification.
void cancel_dnrequest(IpcEntry& e, mach_port_name_t name) {
  IpcDeadNameRequest* req = e.dnrequest;
  if (!req) return;
  e.dnrequest = nullptr;
  e.type &= ~MACH_PORT_TYPE_DNREQUEST;
  IpcPort* port = e.port();
  if (port && port->active) port->dnrequests.erase(port->dnrequests.iterator_to(*req));
  IpcPort* notify = req->notify;
  ipc_free(req);
  ipc_notify_port_deleted(notify, name);
}

// The entry no longer holds any right: give the name back.
void free_if_empty(IpcSpace* space, mach_port_name_t name, IpcEntry& e, IpcPort* port) {
  if (e.type & MACH_PORT_TYPE_ALL_RIGHTS) return;
  if (port) space->reverse_remove(port);
  space->free_entry(name);
}

// Drop the entry's send right (its last user reference is gone).
void drop_send(IpcSpace* space, mach_port_name_t name, IpcEntry& e) {
  IpcPort* port = e.port();
  cancel_dnrequest(e, name);
  e.type &= ~MACH_PORT_TYPE_SEND;
  e.urefs = 0;
  if (e.type & MACH_PORT_TYPE_RECEIVE) {
    ipc_port_reference(port);  // the entry keeps its own
  } else {
    free_if_empty(space, name, e, port);
  }
  ipc_port_release_send(port);
}

// A fresh entry takes the right (and its reference) under `name`.
void fill_entry(IpcSpace* space, IpcEntry* e, IpcPort* port, mach_msg_type_name_t type, mach_port_name_t name) {
  e->object = port;
  switch (type) {
    case MACH_MSG_TYPE_PORT_SEND:
      e->type = MACH_PORT_TYPE_SEND;
      e->urefs = 1;
      space->reverse_insert(port, name);
      break;
    case MACH_MSG_TYPE_PORT_SEND_ONCE:
      e->type = MACH_PORT_TYPE_SEND_ONCE;
      e->urefs = 1;
      break;
    default:
      e->type = MACH_PORT_TYPE_RECEIVE;
      e->urefs = 0;
      space->reverse_insert(port, name);
      port->receiver = space;
      port->receiver_name = name;
      port->transit_dest = nullptr;
      break;
  }
}

kern_return_t check_entry(IpcEntry* e, mach_msg_type_name_t disposition) {
  switch (disposition) {
    case MACH_MSG_TYPE_MOVE_RECEIVE:
    case MACH_MSG_TYPE_MAKE_SEND:
    case MACH_MSG_TYPE_MAKE_SEND_ONCE:
      return (e->type & MACH_PORT_TYPE_RECEIVE) ? KERN_SUCCESS : KERN_INVALID_RIGHT;
    case MACH_MSG_TYPE_COPY_SEND:
    case MACH_MSG_TYPE_MOVE_SEND:
      return (e->type & (MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_DEAD_NAME)) ? KERN_SUCCESS : KERN_INVALID_RIGHT;
    case MACH_MSG_TYPE_MOVE_SEND_ONCE:
      return (e->type & (MACH_PORT_TYPE_SEND_ONCE | MACH_PORT_TYPE_DEAD_NAME)) ? KERN_SUCCESS : KERN_INVALID_RIGHT;
    default:
      return KERN_INVALID_VALUE;
  }
}

}  // namespace

kern_return_t ipc_right_copyin_check(IpcSpace* space, mach_port_name_t name, mach_msg_type_name_t disposition) {
  if (!MACH_MSG_TYPE_PORT_ANY(disposition)) return KERN_INVALID_VALUE;
  if (!MACH_PORT_VALID(name)) return KERN_SUCCESS;
  IpcEntry* e = space->lookup(name);
  if (!e) return KERN_INVALID_NAME;
  return check_entry(e, disposition);
}

kern_return_t ipc_right_copyin(IpcSpace* space, mach_port_name_t name, mach_msg_type_name_t disposition,
                               IpcPort** port_out, mach_msg_type_name_t* type_out) {
  if (!MACH_MSG_TYPE_PORT_ANY(disposition)) return KERN_INVALID_VALUE;
  *type_out = ipc_right_result_type(disposition);
  if (name == MACH_PORT_NULL) {
    *port_out = nullptr;
    return KERN_SUCCESS;
  }
  if (name == MACH_PORT_DEAD) {
    *port_out = kIpcPortDead;
    return KERN_SUCCESS;
  }
  IpcEntry* e = space->lookup(name);
  if (!e) return KERN_INVALID_NAME;
  kern_return_t kr = check_entry(e, disposition);
  if (kr != KERN_SUCCESS) return kr;

  if (e->type & MACH_PORT_TYPE_DEAD_NAME) {
    // A dead name travels as MACH_PORT_DEAD; a move takes a user reference.
    if (disposition != MACH_MSG_TYPE_COPY_SEND && --e->urefs == 0) space->free_entry(name);
    *port_out = kIpcPortDead;
    return KERN_SUCCESS;
  }

  IpcPort* port = e->port();
  *port_out = port;
  switch (disposition) {
    case MACH_MSG_TYPE_MAKE_SEND:
      ipc_port_make_send(port);
      break;
    case MACH_MSG_TYPE_MAKE_SEND_ONCE:
      ipc_port_make_send_once(port);
      break;
    case MACH_MSG_TYPE_COPY_SEND:
      ipc_port_copy_send(port);
      break;
    case MACH_MSG_TYPE_MOVE_SEND:
      if (e->urefs > 1) {
        e->urefs--;
        ipc_port_copy_send(port);  // the entry keeps a send right too
      } else {
        cancel_dnrequest(*e, name);
        e->type &= ~MACH_PORT_TYPE_SEND;
        e->urefs = 0;
        if (e->type & MACH_PORT_TYPE_RECEIVE)
          ipc_port_reference(port);
        else
          free_if_empty(space, name, *e, port);  // the entry's reference moves to the message
      }
      break;
    case MACH_MSG_TYPE_MOVE_SEND_ONCE:
      cancel_dnrequest(*e, name);
      e->type &= ~MACH_PORT_TYPE_SEND_ONCE;
      e->urefs = 0;
      free_if_empty(space, name, *e, nullptr);
      break;
    case MACH_MSG_TYPE_MOVE_RECEIVE:
      // Threads of this space waiting on the port learn it moved away.
      ipc_waiters_fail(port->receivers, MACH_RCV_PORT_CHANGED);
      ipc_pset_remove(port);
      port->receiver = nullptr;
      port->receiver_name = MACH_PORT_NULL;
      port->seqno = 0;
      e->type &= ~MACH_PORT_TYPE_RECEIVE;
      if (e->type & MACH_PORT_TYPE_SEND)
        ipc_port_reference(port);
      else
        free_if_empty(space, name, *e, port);
      break;
  }
  return KERN_SUCCESS;
}

kern_return_t ipc_right_copyout(IpcSpace* space, IpcPort* port, mach_msg_type_name_t type, mach_port_name_t* name) {
  if (port == nullptr) {
    *name = MACH_PORT_NULL;
    return KERN_SUCCESS;
  }
  *name = MACH_PORT_DEAD;
  if (port == kIpcPortDead) return KERN_SUCCESS;
  if (!port->active) {
    // Died in flight: the receiver gets a dead name's value, not a name.
    ipc_right_release(port, type);
    return KERN_SUCCESS;
  }
  if (!space->active) {
    ipc_right_release(port, type);
    return KERN_INVALID_TASK;
  }

  if (type == MACH_MSG_TYPE_PORT_SEND || type == MACH_MSG_TYPE_PORT_RECEIVE) {
    mach_port_name_t existing = space->reverse_lookup(port);
    if (existing != MACH_PORT_NULL) {
      IpcEntry* e = space->entry_at(MACH_PORT_INDEX(existing));
      if (type == MACH_MSG_TYPE_PORT_SEND) {
        if (e->type & MACH_PORT_TYPE_SEND) {
          if (e->urefs >= MACH_PORT_UREFS_MAX) {
            ipc_right_release(port, type);
            return KERN_UREFS_OVERFLOW;
          }
          e->urefs++;
          // Merged: the name already counts as one send right.
          port->srights--;
        } else {
          e->type |= MACH_PORT_TYPE_SEND;
          e->urefs = 1;
        }
      } else {
        e->type |= MACH_PORT_TYPE_RECEIVE;
        port->receiver = space;
        port->receiver_name = existing;
        port->transit_dest = nullptr;
      }
      ipc_port_release(port);  // the entry has its own reference
      *name = existing;
      return KERN_SUCCESS;
    }
  }

  IpcEntry* e;
  mach_port_name_t fresh;
  kern_return_t kr = space->alloc_entry(&fresh, &e);
  if (kr != KERN_SUCCESS) {
    ipc_right_release(port, type);
    return kr;
  }
  fill_entry(space, e, port, type, fresh);
  *name = fresh;
  return KERN_SUCCESS;
}

kern_return_t ipc_right_copyout_named(IpcSpace* space, IpcPort* port, mach_msg_type_name_t type,
                                      mach_port_name_t name) {
  if (!ipc_port_valid(port)) return KERN_INVALID_CAPABILITY;
  if (!MACH_PORT_VALID(name)) return KERN_INVALID_VALUE;
  if (!space->active) return KERN_INVALID_TASK;
  if (!port->active) return KERN_INVALID_CAPABILITY;
  bool merges = type == MACH_MSG_TYPE_PORT_SEND || type == MACH_MSG_TYPE_PORT_RECEIVE;
  mach_port_name_t existing = merges ? space->reverse_lookup(port) : MACH_PORT_NULL;
  if (existing != MACH_PORT_NULL && existing != name) return KERN_RIGHT_EXISTS;

  if (IpcEntry* e = space->lookup(name)) {
    if (existing != name) return KERN_NAME_EXISTS;
    if (type == MACH_MSG_TYPE_PORT_RECEIVE && (e->type & MACH_PORT_TYPE_RECEIVE)) return KERN_RIGHT_EXISTS;
    if (type == MACH_MSG_TYPE_PORT_SEND && (e->type & MACH_PORT_TYPE_SEND) && e->urefs >= MACH_PORT_UREFS_MAX)
      return KERN_UREFS_OVERFLOW;
    mach_port_name_t got;
    return ipc_right_copyout(space, port, type, &got);  // merges under `name`
  }
  if (IpcEntry* stale = space->entry_at(MACH_PORT_INDEX(name)); stale && stale->in_use()) return KERN_NAME_EXISTS;

  IpcEntry* e;
  kern_return_t kr = space->alloc_entry_named(name, &e);
  if (kr != KERN_SUCCESS) return kr;
  fill_entry(space, e, port, type, name);
  return KERN_SUCCESS;
}

void ipc_right_release(IpcPort* port, mach_msg_type_name_t type) {
  if (!ipc_port_valid(port)) return;
  switch (type) {
    case MACH_MSG_TYPE_PORT_SEND:
      ipc_port_release_send(port);
      break;
    case MACH_MSG_TYPE_PORT_SEND_ONCE:
      ipc_port_release_send_once(port);
      break;
    case MACH_MSG_TYPE_PORT_RECEIVE:
      ipc_port_destroy(port);
      ipc_port_release(port);
      break;
    default:
      ipc_port_release(port);
      break;
  }
}

kern_return_t ipc_right_dealloc(IpcSpace* space, mach_port_name_t name) {
  IpcEntry* e = space->lookup(name);
  if (!e) return KERN_INVALID_NAME;
  if (e->type & MACH_PORT_TYPE_DEAD_NAME) {
    if (--e->urefs == 0) space->free_entry(name);
    return KERN_SUCCESS;
  }
  if (e->type & MACH_PORT_TYPE_SEND_ONCE) {
    IpcPort* port = e->port();
    cancel_dnrequest(*e, name);
    e->type &= ~MACH_PORT_TYPE_SEND_ONCE;
    space->free_entry(name);
    ipc_port_release_send_once(port);
    return KERN_SUCCESS;
  }
  if (e->type & MACH_PORT_TYPE_SEND) {
    if (e->urefs > 1) {
      e->urefs--;
      return KERN_SUCCESS;
    }
    drop_send(space, name, *e);
    return KERN_SUCCESS;
  }
  return KERN_INVALID_RIGHT;
}

void ipc_right_clean(IpcSpace* space, mach_port_name_t name, IpcEntry& e) {
  mach_port_type_t type = e.type;
  if (type & MACH_PORT_TYPE_PORT_SET) {
    IpcPortSet* pset = e.pset();
    space->free_entry(name);
    ipc_pset_destroy(pset);
    return;
  }
  if (type & MACH_PORT_TYPE_DEAD_NAME) {
    space->free_entry(name);
    return;
  }
  IpcPort* port = e.port();
  cancel_dnrequest(e, name);
  if (type & (MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_RECEIVE)) space->reverse_remove(port);
  space->free_entry(name);
  if (type & MACH_PORT_TYPE_RECEIVE) ipc_port_destroy(port);
  if (type & MACH_PORT_TYPE_SEND)
    ipc_port_release_send(port);
  else if (type & MACH_PORT_TYPE_SEND_ONCE)
    ipc_port_release_send_once(port);
  else
    ipc_port_release(port);
}

kern_return_t ipc_right_destroy(IpcSpace* space, mach_port_name_t name) {
  IpcEntry* e = space->lookup(name);
  if (!e) return KERN_INVALID_NAME;
  ipc_right_clean(space, name, *e);
  return KERN_SUCCESS;
}

kern_return_t ipc_right_delta(IpcSpace* space, mach_port_name_t name, mach_port_right_t right,
                              mach_port_delta_t delta) {
  if (right >= MACH_PORT_RIGHT_NUMBER) return KERN_INVALID_VALUE;
  IpcEntry* e = space->lookup(name);
  if (!e) return KERN_INVALID_NAME;
  if (!(e->type & MACH_PORT_TYPE(right))) return KERN_INVALID_RIGHT;

  switch (right) {
    case MACH_PORT_RIGHT_RECEIVE: {
      if (delta == 0) return KERN_SUCCESS;
      if (delta != -1) return KERN_INVALID_VALUE;
      IpcPort* port = e->port();
      e->type &= ~MACH_PORT_TYPE_RECEIVE;
      bool keep = (e->type & MACH_PORT_TYPE_SEND) != 0;
      if (!keep) {
        cancel_dnrequest(*e, name);
        space->reverse_remove(port);
        space->free_entry(name);
      }
      ipc_port_destroy(port);
      // A remaining send right reads as a dead name from now on (lookup).
      if (!keep) ipc_port_release(port);
      return KERN_SUCCESS;
    }
    case MACH_PORT_RIGHT_PORT_SET:
    case MACH_PORT_RIGHT_SEND_ONCE:
      if (delta == 0) return KERN_SUCCESS;
      if (delta != -1) return KERN_INVALID_VALUE;
      if (right == MACH_PORT_RIGHT_PORT_SET) {
        ipc_right_clean(space, name, *e);
        return KERN_SUCCESS;
      }
      return ipc_right_dealloc(space, name);
    default: {  // SEND, DEAD_NAME: user references
      int64_t urefs = int64_t(e->urefs) + delta;
      if (urefs < 0) return KERN_INVALID_VALUE;
      if (urefs > MACH_PORT_UREFS_MAX) return KERN_UREFS_OVERFLOW;
      if (urefs > 0) {
        e->urefs = uint16_t(urefs);
        return KERN_SUCCESS;
      }
      if (right == MACH_PORT_RIGHT_DEAD_NAME) {
        space->free_entry(name);
        return KERN_SUCCESS;
      }
      drop_send(space, name, *e);
      return KERN_SUCCESS;
    }
  }
}

}  // namespace mk
