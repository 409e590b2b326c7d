// Boot servers: every Multiboot2 module that is a static ELF64 executable is
// started as a task, with argv from its module command line. A module
// without ELF magic is a data module (the boot file-system archive): it is
// not started, and its pages stay reserved for io_module_map. The first (bootstrap)
// also gets, in its environment, the kernel command line and the other
// modules' command lines: KERNEL_CMDLINE=..., BOOT_MODULES=N,
// BOOT_MODULE_1=..., and so on.
#pragma once

#include <stddef.h>

#include <mach/kern_return.h>

#include "lib/multiboot2.h"
#include "lib/page.h"

namespace mk {

// Starts what it can; a malformed module is refused with a log line naming
// it and the reason. Returns the number of tasks started.
size_t start_boot_tasks(const BootInfo& info);

class Task;

// io_module_start: module `index` (saved at boot: the same image and
// command line) started again as a new task, in *task. IPC lock held.
// KERN_INVALID_ARGUMENT for module 0 (the bootstrap), data modules and
// indexes beyond the modules; otherwise the codes of a boot start (a refused ELF image,
// KERN_RESOURCE_SHORTAGE). When it fails after the task was made, *failed
// is that task, without threads: the caller terminates it once the IPC
// lock is dropped.
kern_return_t restart_boot_module(size_t index, Task** task, Task** failed);

// Data module `index`'s physical range [*start, *end) (reserved at boot,
// never freed); false when there is no such module or it is a program.
bool boot_data_module(size_t index, paddr_t* start, paddr_t* end);

}  // namespace mk
