// The host tests' environment for the IPC core: heap memory, a fake user
// memory (addresses are host pointers inside registered ranges) and a log
// of woken waiters.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <vector>

#include "ipc/ipc_port.h"

namespace hostipc {

// Make [p, p+len) valid "user memory" for copyin/copyout until reset().
void allow_user_range(const void* p, size_t len);
void reset();
// Waiters woken since the last reset(), in order.
extern std::vector<mk::IpcWaiter*> woken;
// Regions handed out by ipc_user_allocate and not yet deallocated.
size_t live_user_regions();
// Fail the next N ipc_alloc calls (to test resource shortage).
void fail_allocs_after(long n);

}  // namespace hostipc
