// The Mach trap table (mach/mach_traps.h): machine-independent handlers,
// called by the architecture's system-call entry with the six arguments.
#pragma once

#include <stdint.h>

namespace mk {

// Returns the value for the caller's rax. Unknown numbers give
// KERN_INVALID_ARGUMENT (a forged trap number never crashes anything).
uint64_t mach_trap(uint32_t number, const uint64_t args[6]);

}  // namespace mk
