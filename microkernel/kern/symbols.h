// Kernel symbol table for backtraces, taken from the ELF sections GRUB loads
// with the kernel (Multiboot2 tag 9).
#pragma once

#include <stdint.h>

#include "lib/multiboot2.h"

namespace mk {

void symbols_init(const BootInfo& info);
// Formats "name+0xoff" into buf, or "??" when no symbol covers addr.
void symbolize(uint64_t addr, char* buf, unsigned long size);
// The (mangled) name of the function containing addr, or nullptr.
const char* symbol_name(uint64_t addr);

}  // namespace mk
