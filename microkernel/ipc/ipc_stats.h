// Counters of live IPC objects: the leak checks compare them before and
// after a workload (mach_ipc_stats trap, host tests).
#pragma once

#include <stdint.h>

namespace mk {

struct IpcStats {
  uint64_t ports = 0;     // IpcPort objects not yet freed
  uint64_t port_sets = 0;
  uint64_t kmsgs = 0;     // messages queued, in flight or being received
  uint64_t spaces = 0;
  uint64_t ool_bytes = 0; // kernel copies of out-of-line regions
};

extern IpcStats g_ipc_stats;

}  // namespace mk
