#include "kern/symbols.h"

#include "kern/arch.h"
#include "lib/result.h"
#include "kern/console.h"
#include "lib/demangle.h"
#include "lib/elf_symbols.h"
#include "lib/format.h"

namespace mk {
namespace {

constinit ElfSymbols g_symbols{};
constinit bool g_have_symbols = false;

const void* phys_to_virt_const(uint64_t pa) { return arch::phys_to_virt(pa); }

}  // namespace

void symbols_init(const BootInfo& info) {
  if (!info.elf_sections) {
    kprintf("symbols: the loader gave no ELF sections; backtraces show addresses only\n");
    return;
  }
  kern_return_t kr = g_symbols.init(info.elf_sections, info.elf_num, info.elf_entsize, phys_to_virt_const);
  if (kr != KERN_SUCCESS) {
    kprintf("symbols: unusable kernel symbol table (%s); backtraces show addresses only\n",
            kern_return_name(kr));
    return;
  }
  g_have_symbols = true;
  kprintf("symbols: %zu kernel symbols\n", g_symbols.count());
}

const char* symbol_name(uint64_t addr) {
  const char* name;
  uint64_t offset;
  if (!g_have_symbols || !g_symbols.lookup(addr, &name, &offset)) return nullptr;
  return name;
}

void symbolize(uint64_t addr, char* buf, unsigned long size) {
  const char* name;
  uint64_t offset;
  if (!g_have_symbols || !g_symbols.lookup(addr, &name, &offset)) {
    snformat(buf, size, "??");
    return;
  }
  char plain[128];
  if (demangle(name, plain, sizeof plain)) name = plain;
  snformat(buf, size, "%s+0x%lx", name, offset);
}

}  // namespace mk
