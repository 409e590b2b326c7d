// The mach_msg trap: send, receive, or both in one call (an RPC for a
// client, "reply and wait for the next request" for a server).
#pragma once

#include <mach/message.h>
#include <stdint.h>

namespace mk {

mach_msg_return_t mach_msg_trap(uint64_t msg, mach_msg_option_t option, mach_msg_size_t send_size,
                                mach_msg_size_t rcv_size, mach_port_name_t rcv_name, mach_msg_timeout_t timeout);

// The IPC traps other than mach_msg (mach/mach_traps.h numbers 7..31).
// *handled is false for a number that is not one of them.
uint64_t ipc_trap(uint32_t number, const uint64_t args[6], bool* handled);

}  // namespace mk
