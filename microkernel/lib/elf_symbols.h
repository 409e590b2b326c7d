// ElfSymbols: address-to-name lookup over an ELF64 symbol table, for kernel
// backtraces. The input is the section header table GRUB passes in the
// Multiboot2 ELF-sections tag; GRUB loads the non-alloc sections (.symtab,
// .strtab) too and sets their sh_addr to the PHYSICAL address, which
// phys_to_virt maps (nullptr: addresses are used as they are). Nothing is
// copied or sorted (no allocation), so lookup scans every symbol: fine for a
// backtrace, not for a hot path.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <mach/kern_return.h>

namespace mk {

class ElfSymbols {
 public:
  constexpr ElfSymbols() = default;

  // KERN_INVALID_ARGUMENT: malformed headers (entsize too small, sh_link out of
  // range or not a string table, symbol entsize too small, a name offset past
  // the string table or a string table not NUL-terminated). KERN_FAILURE: no
  // symbol table, or one that was not loaded (sh_addr 0).
  kern_return_t init(const void* shdrs, uint32_t num, uint32_t entsize, const void* (*phys_to_virt)(uint64_t pa));

  // The function (STT_FUNC, or a global STT_NOTYPE label from assembly)
  // containing addr: the sized symbol with the greatest value such that
  // value <= addr < value + size, or a size-0 symbol when it is the nearest
  // symbol at or before addr and does not sit inside a sized function that
  // ends at or before addr. Sets *name and *offset = addr - value; false if
  // nothing fits.
  bool lookup(uint64_t addr, const char** name, uint64_t* offset) const;

  // Symbols lookup() can return.
  size_t count() const { return count_; }

 private:
  bool candidate(const void* sym_bytes, uint64_t* value, uint64_t* size, uint32_t* name) const;

  const uint8_t* syms_ = nullptr;
  size_t sym_count_ = 0;
  size_t sym_entsize_ = 0;
  const char* strtab_ = nullptr;
  size_t strtab_size_ = 0;
  size_t count_ = 0;
};

}  // namespace mk
