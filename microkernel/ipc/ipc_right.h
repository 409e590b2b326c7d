// Rights in a space: moving them into messages (copyin by disposition) and
// out of them (copyout into a name), and the user's operations on names
// (deallocate, destroy, mod_refs). Errors are Mach's KERN_* codes; the
// message layer maps them to MACH_SEND_* / MACH_RCV_*.
#pragma once

#include <mach/message.h>
#include <mach/port.h>

#include "ipc/ipc_space.h"

namespace mk {

// The right a disposition yields in a message (MACH_MSG_TYPE_PORT_*).
mach_msg_type_name_t ipc_right_result_type(mach_msg_type_name_t disposition);

// Could `name` in `space` be copied in with `disposition`? Nothing changes.
// KERN_INVALID_NAME (no such name), KERN_INVALID_RIGHT (wrong kind of right,
// or a dead name where a live right is required), KERN_INVALID_VALUE (not
// a valid disposition).
kern_return_t ipc_right_copyin_check(IpcSpace* space, mach_port_name_t name, mach_msg_type_name_t disposition);

// Take a right out of `space` by `disposition`: *port holds the right (a
// reference) and *type its kind (MACH_MSG_TYPE_PORT_SEND/_SEND_ONCE/
// _RECEIVE). A dead name copied as a send right gives kIpcPortDead.
// MACH_PORT_NULL gives a null right. Same errors as the check.
kern_return_t ipc_right_copyin(IpcSpace* space, mach_port_name_t name, mach_msg_type_name_t disposition,
                               IpcPort** port, mach_msg_type_name_t* type);

// Give `space` a right (`type` as above): merged into an existing name for
// the port when there is one (send/receive), else a fresh name. The right is
// consumed. On KERN_NO_SPACE/KERN_RESOURCE_SHORTAGE/KERN_UREFS_OVERFLOW the
// right is destroyed and *name is MACH_PORT_DEAD. A dead port gives
// MACH_PORT_DEAD, a null right MACH_PORT_NULL.
kern_return_t ipc_right_copyout(IpcSpace* space, IpcPort* port, mach_msg_type_name_t type, mach_port_name_t* name);

// Insert a right under a chosen name (mach_port_insert_right). KERN_NAME_EXISTS
// when the name denotes something else, KERN_RIGHT_EXISTS when it already
// holds that receive/send-once right, KERN_UREFS_OVERFLOW. The right is
// consumed only on success.
kern_return_t ipc_right_copyout_named(IpcSpace* space, IpcPort* port, mach_msg_type_name_t type,
                                      mach_port_name_t name);

// Release a right the kernel holds (in a message, a request).
void ipc_right_release(IpcPort* port, mach_msg_type_name_t type);

// mach_port_deallocate: one user reference of a send, send-once or dead
// name. KERN_INVALID_NAME, KERN_INVALID_RIGHT (a receive-only or set name).
kern_return_t ipc_right_dealloc(IpcSpace* space, mach_port_name_t name);
// mach_port_destroy: every right under the name.
kern_return_t ipc_right_destroy(IpcSpace* space, mach_port_name_t name);
// mach_port_mod_refs. KERN_INVALID_VALUE for a bad right or delta,
// KERN_INVALID_RIGHT when the name lacks the right, KERN_UREFS_OVERFLOW.
kern_return_t ipc_right_delta(IpcSpace* space, mach_port_name_t name, mach_port_right_t right,
                              mach_port_delta_t delta);
// Release everything under a name (space teardown); the entry is freed.
void ipc_right_clean(IpcSpace* space, mach_port_name_t name, IpcEntry& e);

}  // namespace mk
