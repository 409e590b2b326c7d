// The machine-independent half of kernel start-up, called by the
// architecture's entry once the CPU, the console and the kernel's page
// tables are set up.
#pragma once

#include "kern/boot_memory.h"
#include "lib/multiboot2.h"

namespace mk {

// Memory pools, the heap and the symbol table.
void kernel_startup(const BootInfo& info, BootReservations& reserved);
// After the clock runs: a self-test named by `selftest=` or the idle loop.
[[noreturn]] void kernel_run(const BootInfo& info);

}  // namespace mk
