// Calls to the Unix server (unix-server/unix.defs, stubs in unix.h): the
// process's port and the translation of a routine's return code.
#pragma once

#include <mach/kern_return.h>
#include <mach/port.h>

#include "emulation.h"

namespace emul {

// The send right to this process's port in the Unix server; the server
// knows the caller by it.
inline mach_port_t unix_port() { return mach_port_t(g_info.unix_port); }

// A routine's kern_return_t as a Linux result: 0 stays 0, an errno
// (1..4095) becomes -errno, anything else (a MIG or IPC failure: a broken
// server or message) is -EIO and one log line naming `what`.
long unix_result(kern_return_t kr, const char* what);

}  // namespace emul
