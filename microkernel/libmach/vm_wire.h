// Keeping a task resident: what a task the default pager depends on (the
// pager itself, the driver of its disk) calls at start, so none of its
// memory is ever paged out to the pager it would then wait for.
#pragma once

#include <stdint.h>

namespace libmach {

// Wire every region of the task's address space as it is now, each with
// the access its protection allows (vm_wire, vm.defs 4840). Regions that
// cannot be wired (device memory) are skipped. Returns the bytes wired.
uint64_t vm_wire_all();

}  // namespace libmach
