// Boot servers: every Multiboot2 module is a static ELF64 executable started
// as a task, with argv from its module command line. The first (bootstrap)
// also gets, in its environment, the kernel command line and the other
// modules' command lines: KERNEL_CMDLINE=..., BOOT_MODULES=N,
// BOOT_MODULE_1=..., and so on.
#pragma once

#include <stddef.h>

#include "lib/multiboot2.h"

namespace mk {

// Starts what it can; a malformed module is refused with a log line naming
// it and the reason. Returns the number of tasks started.
size_t start_boot_tasks(const BootInfo& info);

}  // namespace mk
