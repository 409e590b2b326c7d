// The port calls of Mach (mach_port_*) on one IPC space. The trap layer
// finds the space (the caller's, or another task's through its task port),
// takes the IPC lock and moves rights between spaces where a call needs it.
// Every call returns a KERN_* code; the codes each can return are listed.
#pragma once

#include <mach/port.h>
#include <stddef.h>

#include "ipc/ipc_space.h"

namespace mk {

// RECEIVE, PORT_SET or DEAD_NAME. KERN_INVALID_VALUE (other rights),
// KERN_NO_SPACE, KERN_RESOURCE_SHORTAGE.
kern_return_t mach_port_allocate(IpcSpace* space, mach_port_right_t right, mach_port_name_t* name);
// The same under a chosen name; also KERN_NAME_EXISTS.
kern_return_t mach_port_allocate_name(IpcSpace* space, mach_port_right_t right, mach_port_name_t name);
// KERN_INVALID_NAME, KERN_INVALID_VALUE.
kern_return_t mach_port_get_refs(IpcSpace* space, mach_port_name_t name, mach_port_right_t right,
                                 mach_port_urefs_t* refs);
// KERN_INVALID_NAME.
kern_return_t mach_port_type(IpcSpace* space, mach_port_name_t name, mach_port_type_t* type);
// Up to `capacity` names and their types; *count is the total (may exceed
// capacity: call again with more room).
kern_return_t mach_port_names(IpcSpace* space, mach_port_name_t* names, mach_port_type_t* types, size_t capacity,
                              size_t* count);
// KERN_INVALID_NAME (old), KERN_INVALID_VALUE (new is NULL/DEAD),
// KERN_NAME_EXISTS (new in use).
kern_return_t mach_port_rename(IpcSpace* space, mach_port_name_t old_name, mach_port_name_t new_name);
// Put a receive right into a set, or take it out (after == MACH_PORT_NULL).
// KERN_INVALID_NAME, KERN_INVALID_RIGHT, KERN_NOT_IN_SET.
kern_return_t mach_port_move_member(IpcSpace* space, mach_port_name_t member, mach_port_name_t after);
// Register `notify` (a send-once right the caller gives up; may be null to
// cancel) for MACH_NOTIFY_NO_SENDERS (on a receive right; fires at once
// when there are no senders and mscount >= sync) or MACH_NOTIFY_DEAD_NAME
// (on a send, send-once or dead name; a dead name with sync != 0 fires at
// once). *previous gets the request's former send-once right.
// KERN_INVALID_NAME, KERN_INVALID_RIGHT, KERN_INVALID_VALUE (variant),
// KERN_INVALID_ARGUMENT (dead name without sync), KERN_RESOURCE_SHORTAGE,
// KERN_UREFS_OVERFLOW. A dead-name notification adds a user reference to
// the dead name (Mach's rule), for its receiver to deallocate.
// On error `notify` is still the caller's.
kern_return_t mach_port_request_notification(IpcSpace* space, mach_port_name_t name, int32_t variant,
                                             mach_port_mscount_t sync, IpcPort* notify, IpcPort** previous);
// KERN_INVALID_NAME, KERN_INVALID_RIGHT, KERN_INVALID_VALUE (> MACH_PORT_QLIMIT_MAX).
kern_return_t mach_port_set_qlimit(IpcSpace* space, mach_port_name_t name, mach_port_msgcount_t qlimit);
// MACH_PORT_LIMITS_INFO or MACH_PORT_RECEIVE_STATUS into info (*count
// 32-bit words of room, set to the words written). KERN_INVALID_NAME,
// KERN_INVALID_RIGHT, KERN_INVALID_VALUE (flavor), KERN_FAILURE (too small).
kern_return_t mach_port_get_attributes(IpcSpace* space, mach_port_name_t name, int32_t flavor, uint32_t* info,
                                       uint32_t* count);

}  // namespace mk
