#include "lib/elf_symbols.h"

#include "lib/elf64.h"

namespace mk {
namespace {

// The section headers in the Multiboot2 tag are only 4-byte aligned: copy out.
Elf64_Shdr section(const uint8_t* shdrs, uint32_t entsize, uint32_t i) {
  Elf64_Shdr sh;
  __builtin_memcpy(&sh, shdrs + size_t(i) * entsize, sizeof sh);
  return sh;
}

const void* map(const void* (*phys_to_virt)(uint64_t), uint64_t pa) {
  return phys_to_virt ? phys_to_virt(pa) : reinterpret_cast<const void*>(uintptr_t(pa));
}

}  // namespace

kern_return_t ElfSymbols::init(const void* shdrs, uint32_t num, uint32_t entsize,
                               const void* (*phys_to_virt)(uint64_t pa)) {
  *this = ElfSymbols{};
  if (!shdrs || entsize < sizeof(Elf64_Shdr)) return KERN_INVALID_ARGUMENT;
  const uint8_t* table = static_cast<const uint8_t*>(shdrs);

  uint32_t symtab_index = 0;
  while (symtab_index < num && section(table, entsize, symtab_index).sh_type != SHT_SYMTAB) ++symtab_index;
  if (symtab_index == num) return KERN_FAILURE;
  Elf64_Shdr symtab = section(table, entsize, symtab_index);
  if (symtab.sh_link >= num || symtab.sh_link == symtab_index) return KERN_INVALID_ARGUMENT;
  Elf64_Shdr strtab = section(table, entsize, symtab.sh_link);
  if (strtab.sh_type != SHT_STRTAB || strtab.sh_size == 0) return KERN_INVALID_ARGUMENT;
  if (symtab.sh_entsize < sizeof(Elf64_Sym)) return KERN_INVALID_ARGUMENT;
  if (symtab.sh_addr == 0 || strtab.sh_addr == 0) return KERN_FAILURE;

  const uint8_t* syms = static_cast<const uint8_t*>(map(phys_to_virt, symtab.sh_addr));
  const char* strs = static_cast<const char*>(map(phys_to_virt, strtab.sh_addr));
  if (!syms || !strs) return KERN_FAILURE;
  // A final NUL makes every in-range name offset a terminated string.
  if (strs[strtab.sh_size - 1] != '\0') return KERN_INVALID_ARGUMENT;

  size_t n = size_t(symtab.sh_size / symtab.sh_entsize);
  for (size_t i = 0; i < n; ++i) {
    Elf64_Sym sym;
    __builtin_memcpy(&sym, syms + i * symtab.sh_entsize, sizeof sym);
    if (sym.st_name >= strtab.sh_size) return KERN_INVALID_ARGUMENT;
  }

  syms_ = syms;
  sym_count_ = n;
  sym_entsize_ = size_t(symtab.sh_entsize);
  strtab_ = strs;
  strtab_size_ = size_t(strtab.sh_size);
  for (size_t i = 0; i < n; ++i) {
    uint64_t value, size;
    uint32_t name;
    if (candidate(syms_ + i * sym_entsize_, &value, &size, &name)) ++count_;
  }
  return KERN_SUCCESS;
}

bool ElfSymbols::candidate(const void* sym_bytes, uint64_t* value, uint64_t* size, uint32_t* name) const {
  Elf64_Sym sym;
  __builtin_memcpy(&sym, sym_bytes, sizeof sym);
  unsigned char type = elf64_st_type(sym.st_info), bind = elf64_st_bind(sym.st_info);
  bool code = type == STT_FUNC || (type == STT_NOTYPE && bind == STB_GLOBAL);
  // Undefined, absolute (linker script constants) and unnamed symbols name no code.
  if (!code || sym.st_shndx == SHN_UNDEF || sym.st_shndx == SHN_ABS || sym.st_name == 0 ||
      strtab_[sym.st_name] == '\0')
    return false;
  *value = sym.st_value;
  *size = sym.st_size;
  *name = sym.st_name;
  return true;
}

bool ElfSymbols::lookup(uint64_t addr, const char** name, uint64_t* offset) const {
  // sized: best symbol containing addr; label: best size-0 symbol at or before
  // addr; nearest_sized: greatest start of a sized symbol at or before addr,
  // which hides any label before it.
  bool have_sized = false, have_label = false, have_nearest = false;
  uint64_t sized_value = 0, label_value = 0, nearest_sized = 0;
  uint32_t sized_name = 0, label_name = 0;
  for (size_t i = 0; i < sym_count_; ++i) {
    uint64_t value, size;
    uint32_t n;
    if (!candidate(syms_ + i * sym_entsize_, &value, &size, &n) || value > addr) continue;
    if (size == 0) {
      if (!have_label || value > label_value) have_label = true, label_value = value, label_name = n;
      continue;
    }
    if (!have_nearest || value > nearest_sized) have_nearest = true, nearest_sized = value;
    if (addr - value < size && (!have_sized || value > sized_value))
      have_sized = true, sized_value = value, sized_name = n;
  }
  if (have_label && have_nearest && nearest_sized > label_value) have_label = false;
  // A label inside a sized function does not reach past that function's end.
  for (size_t i = 0; have_label && i < sym_count_; ++i) {
    uint64_t value, size;
    uint32_t n;
    if (candidate(syms_ + i * sym_entsize_, &value, &size, &n) && size != 0 && value <= label_value &&
        label_value - value < size && addr - value >= size)
      have_label = false;
  }
  if (have_label && (!have_sized || label_value > sized_value)) {
    *name = strtab_ + label_name;
    *offset = addr - label_value;
    return true;
  }
  if (have_sized) {
    *name = strtab_ + sized_name;
    *offset = addr - sized_value;
    return true;
  }
  return false;
}

}  // namespace mk
