// Validation of static x86-64 ELF64 executables before the kernel loads them
// into a task. Pure code: no allocation, no memory outside the given file is
// ever read, headers are copied out with memcpy so the file may be unaligned.
// Built into the kernel and into the host tests (test/host/test_elf_image.cpp).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <mach/kern_return.h>

namespace mk {

inline constexpr size_t kMaxElfSegments = 16;
inline constexpr size_t kElfErrorSize = 192;

// One PT_LOAD segment: memory [vaddr, vaddr + memsz) gets the file bytes
// [offset, offset + filesz) at its start, zeros after. flags: PF_R|PF_W|PF_X.
struct ElfSegment {
  uint64_t vaddr, memsz, offset, filesz;
  uint32_t flags;
};

struct ElfImage {
  uint64_t entry;
  bool position_independent;  // ET_DYN (static-PIE): addresses are offsets from a load bias
  uint64_t phdr_vaddr;        // where the program headers are in memory (AT_PHDR), 0 if not loaded
  uint16_t phnum;             // their count (AT_PHNUM)
  ElfSegment segments[kMaxElfSegments];  // in program header order
  size_t segment_count;
  // Holds the text of the last error; *error points here (or to a literal).
  char error_text[kElfErrorSize];
};

// Checks that data[0..size) is a static x86-64 ELF64 executable (ET_EXEC)
// this kernel can load into [user_min, user_max), and describes its loadable
// segments in *out. On failure returns
//   KERN_INVALID_ARGUMENT  malformed, or not something this kernel could ever load;
//   KERN_NOT_SUPPORTED     valid ELF but unsupported: ET_DYN, PT_INTERP,
//                          PT_DYNAMIC, more than kMaxElfSegments PT_LOADs,
//                          extended program header numbering (PN_XNUM);
// and sets *error (when error is not null) to a message starting "elf: ",
// which lives in out->error_text or is static. Segment numbers in messages
// are program header indices (as `readelf -l` counts them).
//
// Rules: every PT_LOAD has filesz <= memsz, its file bytes inside the file,
// vaddr + memsz not wrapping, [vaddr, vaddr + memsz) inside
// [user_min, user_max), p_align 0, 1 or a power of two, and
// vaddr == offset modulo 4096 (pages can be copied or mapped whole); no two
// PT_LOADs touch the same 4 KiB page; the entry lies in a PF_X segment.
// PT_LOADs with memsz 0 are checked but not reported in out->segments.
kern_return_t elf_parse_executable(const void* data, size_t size, uint64_t user_min, uint64_t user_max,
                                   ElfImage* out, const char** error);

// As elf_parse_executable, and with allow_pie also static position-
// independent executables (ET_DYN with PT_DYNAMIC but no PT_INTERP, what
// `-static-pie` makes): their addresses are checked as offsets in
// [0, user_max - user_min), the loader adding a bias of at least user_min.
kern_return_t elf_parse_program(const void* data, size_t size, uint64_t user_min, uint64_t user_max, bool allow_pie,
                                ElfImage* out, const char** error);

}  // namespace mk
