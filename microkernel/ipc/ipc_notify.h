// Kernel-generated notifications. Each consumes the send-once right
// `notify` it is sent on; if no message can be allocated the right is
// consumed and the notification lost (logged by the caller's environment).
#pragma once

#include <mach/port.h>

namespace mk {

class IpcPort;

void ipc_notify_dead_name(IpcPort* notify, mach_port_name_t name);
void ipc_notify_port_deleted(IpcPort* notify, mach_port_name_t name);
void ipc_notify_no_senders(IpcPort* notify, mach_port_mscount_t mscount);
void ipc_notify_send_once(IpcPort* port);

}  // namespace mk
