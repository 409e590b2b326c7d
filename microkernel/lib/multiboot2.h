// Parser for the Multiboot2 boot information (GRUB 2's layout). It copies out
// what the kernel needs and checks every size and offset first: it never
// reads outside [info, info + available). Strings and tables it returns point
// into the info buffer, so that buffer must stay mapped and reserved.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <mach/kern_return.h>

namespace mk {

inline constexpr uint32_t kMultiboot2BootloaderMagic = 0x36d76289;  // in eax at entry

// Memory map region types (Multiboot2 / E820).
inline constexpr uint32_t kMemAvailable = 1;
inline constexpr uint32_t kMemReserved = 2;
inline constexpr uint32_t kMemAcpiReclaimable = 3;
inline constexpr uint32_t kMemAcpiNvs = 4;
inline constexpr uint32_t kMemBad = 5;

struct MemoryRegion {
  uint64_t base, length;
  uint32_t type;
};

const char* memory_region_type_name(uint32_t type);

struct BootModule {
  uint64_t start, end;  // physical [start, end)
  const char* cmdline;
};

struct BootInfo {
  static constexpr size_t kMaxMemoryRegions = 128;
  static constexpr size_t kMaxModules = 32;

  const char* cmdline;      // nullptr if absent
  const char* loader_name;  // nullptr if absent
  MemoryRegion mmap[kMaxMemoryRegions];
  size_t mmap_count;
  BootModule modules[kMaxModules];
  size_t module_count;
  const void* elf_sections;  // section headers (only 4-byte aligned), nullptr if absent
  uint32_t elf_num, elf_entsize, elf_shndx;
  const void* acpi_rsdp;  // the RSDP copy in the tag (new-style preferred), or nullptr
  size_t acpi_rsdp_size;
  uint64_t mem_lower_kb, mem_upper_kb;
};

inline constexpr size_t kMaxMemoryRegions = BootInfo::kMaxMemoryRegions;
inline constexpr size_t kMaxModules = BootInfo::kMaxModules;

// Fills *out from the info at `info` (8-byte aligned), of which `available`
// bytes may be read. On malformed input returns KERN_INVALID_ARGUMENT and, if
// error is not null, points *error at a message naming the tag and offset
// (the text lives in a static buffer until the next failing call).
kern_return_t parse_multiboot2(const void* info, size_t available, BootInfo* out, const char** error);

// Sum of the lengths of the available regions.
uint64_t usable_bytes(const BootInfo& info);
// End (exclusive) of the highest available region; 0 if there is none.
uint64_t highest_usable_address(const BootInfo& info);

}  // namespace mk
