// Boot servers: every Multiboot2 module is a static ELF64 executable started
// as a task, with argv from its module command line. The first (bootstrap)
// also gets, in its environment, the kernel command line and the other
// modules' command lines: KERNEL_CMDLINE=..., BOOT_MODULES=N,
// BOOT_MODULE_1=..., and so on.
#pragma once

#include <stddef.h>

#include <mach/kern_return.h>

#include "lib/multiboot2.h"

namespace mk {

// Starts what it can; a malformed module is refused with a log line naming
// it and the reason. Returns the number of tasks started.
size_t start_boot_tasks(const BootInfo& info);

class Task;

// io_module_start: module `index` (saved at boot: the same image and
// command line) started again as a new task, in *task. IPC lock held.
// KERN_INVALID_ARGUMENT for module 0 (the bootstrap) and indexes beyond
// the modules; otherwise the codes of a boot start (a refused ELF image,
// KERN_RESOURCE_SHORTAGE). When it fails after the task was made, *failed
// is that task, without threads: the caller terminates it once the IPC
// lock is dropped.
kern_return_t restart_boot_module(size_t index, Task** task, Task** failed);

}  // namespace mk
