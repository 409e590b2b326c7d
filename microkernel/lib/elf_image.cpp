#include "lib/elf_image.h"

#include "lib/elf64.h"
#include "lib/format.h"

namespace mk {
namespace {

constexpr uint64_t kPageSize = 4096;
constexpr Elf64_Half kPnXnum = 0xffff;  // e_phnum escape: the real count is in section 0

// Collects the outcome: the status, and a message in the image's buffer.
struct Checker {
  ElfImage* out;
  const char** error;

  kern_return_t fail(kern_return_t kr, const char* fmt, ...) __attribute__((format(printf, 3, 4))) {
    va_list ap;
    va_start(ap, fmt);
    format(out->error_text, sizeof out->error_text, fmt, ap);
    va_end(ap);
    out->segment_count = 0;
    out->entry = 0;
    if (error) *error = out->error_text;
    return kr;
  }
};

bool is_power_of_two(uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

}  // namespace

kern_return_t elf_parse_executable(const void* data, size_t size, uint64_t user_min, uint64_t user_max,
                                   ElfImage* out, const char** error) {
  return elf_parse_program(data, size, user_min, user_max, false, out, error);
}

kern_return_t elf_parse_program(const void* data, size_t size, uint64_t user_min, uint64_t user_max, bool allow_pie,
                                ElfImage* out, const char** error) {
  Checker c{out, error};
  out->entry = 0;
  out->position_independent = false;
  out->phdr_vaddr = 0;
  out->phnum = 0;
  out->segment_count = 0;
  out->error_text[0] = '\0';
  if (error) *error = nullptr;
  const auto* bytes = static_cast<const unsigned char*>(data);

  if (data == nullptr || size < sizeof(Elf64_Ehdr)) {
    return c.fail(KERN_INVALID_ARGUMENT, "elf: file too small for an ELF header (size 0x%zx, need 0x%zx)", size,
                  sizeof(Elf64_Ehdr));
  }
  Elf64_Ehdr eh;
  __builtin_memcpy(&eh, bytes, sizeof eh);

  if (eh.e_ident[EI_MAG0] != ELFMAG0 || eh.e_ident[EI_MAG1] != ELFMAG1 || eh.e_ident[EI_MAG2] != ELFMAG2 ||
      eh.e_ident[EI_MAG3] != ELFMAG3) {
    return c.fail(KERN_INVALID_ARGUMENT, "elf: not an ELF file (bad magic)");
  }
  if (eh.e_ident[EI_CLASS] != ELFCLASS64) {
    return c.fail(KERN_INVALID_ARGUMENT, "elf: not a 64-bit ELF file (class %u)", eh.e_ident[EI_CLASS]);
  }
  if (eh.e_ident[EI_DATA] != ELFDATA2LSB) {
    return c.fail(KERN_INVALID_ARGUMENT, "elf: not a little-endian ELF file (data encoding %u)",
                  eh.e_ident[EI_DATA]);
  }
  if (eh.e_ident[EI_VERSION] != EV_CURRENT || eh.e_version != EV_CURRENT) {
    return c.fail(KERN_INVALID_ARGUMENT, "elf: unsupported ELF version %u/%u", eh.e_ident[EI_VERSION],
                  eh.e_version);
  }
  if (eh.e_machine != EM_X86_64) {
    return c.fail(KERN_INVALID_ARGUMENT, "elf: not an x86-64 file (machine %u)", eh.e_machine);
  }
  if (eh.e_type == ET_DYN && allow_pie) {
    out->position_independent = true;
    user_max -= user_min;
    user_min = 0;
  } else if (eh.e_type == ET_DYN) {
    return c.fail(KERN_NOT_SUPPORTED, "elf: position-independent executable or shared object (ET_DYN) not supported");
  }
  if (eh.e_type != ET_EXEC && !out->position_independent) {
    return c.fail(KERN_INVALID_ARGUMENT, "elf: not an executable (type %u)", eh.e_type);
  }
  if (eh.e_phentsize != sizeof(Elf64_Phdr)) {
    return c.fail(KERN_INVALID_ARGUMENT, "elf: program header entry size %u, expected %zu", eh.e_phentsize,
                  sizeof(Elf64_Phdr));
  }
  if (eh.e_phnum == kPnXnum) {
    return c.fail(KERN_NOT_SUPPORTED, "elf: extended program header numbering (PN_XNUM) not supported");
  }
  uint64_t table_size = 0, table_end = 0;
  if (__builtin_mul_overflow(uint64_t(eh.e_phnum), uint64_t(sizeof(Elf64_Phdr)), &table_size) ||
      __builtin_add_overflow(eh.e_phoff, table_size, &table_end) || table_end > size) {
    return c.fail(KERN_INVALID_ARGUMENT,
                  "elf: program header table 0x%lx+0x%lx runs past the end of the file (size 0x%zx)", eh.e_phoff,
                  table_size, size);
  }

  size_t loads = 0;
  size_t index_of[kMaxElfSegments];  // program header index of each reported segment
  for (unsigned i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    __builtin_memcpy(&ph, bytes + eh.e_phoff + uint64_t(i) * sizeof(Elf64_Phdr), sizeof ph);
    if (ph.p_type == PT_INTERP) {
      return c.fail(KERN_NOT_SUPPORTED, "elf: dynamically linked (PT_INTERP in segment %u) not supported", i);
    }
    if (ph.p_type == PT_DYNAMIC && !out->position_independent) {
      return c.fail(KERN_NOT_SUPPORTED, "elf: dynamic section (PT_DYNAMIC in segment %u) not supported", i);
    }
    if (ph.p_type != PT_LOAD) continue;

    if (++loads > kMaxElfSegments) {
      return c.fail(KERN_NOT_SUPPORTED, "elf: more than %zu PT_LOAD segments not supported", kMaxElfSegments);
    }
    if (ph.p_filesz > ph.p_memsz) {
      return c.fail(KERN_INVALID_ARGUMENT, "elf: segment %u file size 0x%lx exceeds its memory size 0x%lx", i,
                    ph.p_filesz, ph.p_memsz);
    }
    uint64_t file_end = 0;
    if (__builtin_add_overflow(ph.p_offset, ph.p_filesz, &file_end) || file_end > size) {
      return c.fail(KERN_INVALID_ARGUMENT,
                    "elf: segment %u file range 0x%lx+0x%lx runs past the end of the file (size 0x%zx)", i,
                    ph.p_offset, ph.p_filesz, size);
    }
    uint64_t mem_end = 0;
    if (__builtin_add_overflow(ph.p_vaddr, ph.p_memsz, &mem_end)) {
      return c.fail(KERN_INVALID_ARGUMENT, "elf: segment %u address range 0x%lx+0x%lx wraps around", i,
                    ph.p_vaddr, ph.p_memsz);
    }
    if (ph.p_vaddr < user_min || mem_end > user_max) {
      return c.fail(KERN_INVALID_ARGUMENT,
                    "elf: segment %u address range 0x%lx-0x%lx is outside user space 0x%lx-0x%lx", i, ph.p_vaddr,
                    mem_end, user_min, user_max);
    }
    if (ph.p_align > 1 && !is_power_of_two(ph.p_align)) {
      return c.fail(KERN_INVALID_ARGUMENT, "elf: segment %u alignment 0x%lx is not a power of two", i,
                    ph.p_align);
    }
    if ((ph.p_vaddr - ph.p_offset) % kPageSize != 0) {
      return c.fail(KERN_INVALID_ARGUMENT,
                    "elf: segment %u address 0x%lx and file offset 0x%lx are not congruent modulo the page size", i,
                    ph.p_vaddr, ph.p_offset);
    }
    if (ph.p_memsz == 0) continue;

    // Whole pages touched by this segment, inclusive; compare with the others.
    const uint64_t first = ph.p_vaddr / kPageSize, last = (mem_end - 1) / kPageSize;
    for (size_t k = 0; k < out->segment_count; ++k) {
      const ElfSegment& o = out->segments[k];
      const uint64_t o_first = o.vaddr / kPageSize, o_last = (o.vaddr + o.memsz - 1) / kPageSize;
      if (first <= o_last && o_first <= last) {
        return c.fail(KERN_INVALID_ARGUMENT,
                      "elf: segments %zu and %u share a page (0x%lx-0x%lx and 0x%lx-0x%lx)", index_of[k], i,
                      o.vaddr, o.vaddr + o.memsz, ph.p_vaddr, mem_end);
      }
    }
    if (eh.e_phoff >= ph.p_offset && table_end <= file_end) out->phdr_vaddr = ph.p_vaddr + (eh.e_phoff - ph.p_offset);
    index_of[out->segment_count] = i;
    out->segments[out->segment_count++] = ElfSegment{ph.p_vaddr, ph.p_memsz, ph.p_offset, ph.p_filesz, ph.p_flags};
  }

  if (loads == 0 || out->segment_count == 0) {
    return c.fail(KERN_INVALID_ARGUMENT, "elf: no loadable (PT_LOAD) segment");
  }
  for (size_t k = 0; k < out->segment_count; ++k) {
    const ElfSegment& s = out->segments[k];
    if ((s.flags & PF_X) && eh.e_entry >= s.vaddr && eh.e_entry - s.vaddr < s.memsz) {
      out->entry = eh.e_entry;
      out->phnum = eh.e_phnum;
      return KERN_SUCCESS;
    }
  }
  return c.fail(KERN_INVALID_ARGUMENT, "elf: entry point 0x%lx is not inside an executable (PF_X) segment",
                eh.e_entry);
}

}  // namespace mk
