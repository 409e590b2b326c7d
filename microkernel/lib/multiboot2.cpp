#include "lib/multiboot2.h"

#include "lib/format.h"
#include "lib/result.h"

namespace mk {
namespace {

// Tag types this parser reads (Multiboot2 specification, section 3.6).
enum : uint32_t {
  kTagEnd = 0,
  kTagCmdline = 1,
  kTagLoaderName = 2,
  kTagModule = 3,
  kTagBasicMeminfo = 4,
  kTagMmap = 6,
  kTagElfSections = 9,
  kTagAcpiOld = 14,
  kTagAcpiNew = 15,
};

constexpr size_t kInfoHeaderBytes = 8;  // u32 total_size, u32 reserved
constexpr size_t kTagHeaderBytes = 8;   // u32 type, u32 size
constexpr size_t kMmapEntryBytes = 24;  // u64 base, u64 length, u32 type, u32 reserved

// Message buffer for the one boot-time caller; see the header.
constinit char g_error[160];

uint32_t read_u32(const uint8_t* p) {
  uint32_t v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}

uint64_t read_u64(const uint8_t* p) {
  uint64_t v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}

// Bounds-checked view of one tag.
struct Tag {
  const uint8_t* data;  // start of the tag (its header)
  uint32_t type;
  uint32_t size;
  size_t offset;  // from the start of the info
};

class Parser {
 public:
  explicit Parser(BootInfo* out) : out_(out) {}

  kern_return_t fail(const char* fmt, ...) __attribute__((format(printf, 2, 3))) {
    va_list ap;
    va_start(ap, fmt);
    size_t n = snformat(g_error, sizeof g_error, "multiboot2: ");
    format(g_error + n, sizeof g_error - n, fmt, ap);
    va_end(ap);
    return KERN_INVALID_ARGUMENT;
  }

  // A NUL-terminated string in [tag + from, tag end), or nullptr.
  const char* string_in(const Tag& t, size_t from) {
    for (size_t i = from; i < t.size; ++i)
      if (t.data[i] == 0) return reinterpret_cast<const char*>(t.data + from);
    return nullptr;
  }

  kern_return_t need(const Tag& t, size_t bytes) {
    if (t.size < bytes)
      return fail("tag %u at offset %zu is too small (size %u < %zu)", t.type, t.offset, t.size, bytes);
    return KERN_SUCCESS;
  }

  kern_return_t string_tag(const Tag& t, const char** dst, const char* what) {
    const char* s = string_in(t, kTagHeaderBytes);
    if (!s) return fail("%s (tag %u at offset %zu) is not NUL-terminated", what, t.type, t.offset);
    *dst = s;
    return KERN_SUCCESS;
  }

  kern_return_t module(const Tag& t) {
    TRY(need(t, kTagHeaderBytes + 8 + 1));
    if (out_->module_count == BootInfo::kMaxModules)
      return fail("more than %zu modules (tag at offset %zu)", BootInfo::kMaxModules, t.offset);
    BootModule m;
    m.start = read_u32(t.data + 8);
    m.end = read_u32(t.data + 12);
    if (m.start > m.end)
      return fail("module at offset %zu ends before it starts (0x%lx > 0x%lx)", t.offset, m.start, m.end);
    m.cmdline = string_in(t, 16);
    if (!m.cmdline) return fail("module command line (tag at offset %zu) is not NUL-terminated", t.offset);
    out_->modules[out_->module_count++] = m;
    return KERN_SUCCESS;
  }

  kern_return_t mmap(const Tag& t) {
    TRY(need(t, kTagHeaderBytes + 8));
    if (seen_mmap_) return fail("second memory map tag at offset %zu", t.offset);
    seen_mmap_ = true;
    uint32_t entry_size = read_u32(t.data + 8);
    if (entry_size < kMmapEntryBytes)
      return fail("memory map at offset %zu has entry_size %u < %zu", t.offset, entry_size, kMmapEntryBytes);
    size_t count = (t.size - 16) / entry_size;  // whole entries only: they lie inside the tag
    if (count > BootInfo::kMaxMemoryRegions)
      return fail("memory map at offset %zu has %zu entries (at most %zu)", t.offset, count,
                  BootInfo::kMaxMemoryRegions);
    for (size_t i = 0; i < count; ++i) {
      const uint8_t* e = t.data + 16 + i * entry_size;
      out_->mmap[i] = MemoryRegion{read_u64(e), read_u64(e + 8), read_u32(e + 16)};
    }
    out_->mmap_count = count;
    return KERN_SUCCESS;
  }

  kern_return_t elf_sections(const Tag& t) {
    TRY(need(t, kTagHeaderBytes + 12));
    uint32_t num = read_u32(t.data + 8), entsize = read_u32(t.data + 12), shndx = read_u32(t.data + 16);
    if (uint64_t(num) * entsize > t.size - 20)
      return fail("ELF sections tag at offset %zu: %u headers of %u bytes overrun its %u bytes", t.offset, num,
                  entsize, t.size);
    if (num != 0 && shndx >= num)
      return fail("ELF sections tag at offset %zu: string table index %u >= %u sections", t.offset, shndx, num);
    out_->elf_sections = t.data + 20;
    out_->elf_num = num;
    out_->elf_entsize = entsize;
    out_->elf_shndx = shndx;
    return KERN_SUCCESS;
  }

  kern_return_t tag(const Tag& t) {
    switch (t.type) {
      case kTagCmdline: return string_tag(t, &out_->cmdline, "command line");
      case kTagLoaderName: return string_tag(t, &out_->loader_name, "boot loader name");
      case kTagModule: return module(t);
      case kTagBasicMeminfo:
        TRY(need(t, kTagHeaderBytes + 8));
        out_->mem_lower_kb = read_u32(t.data + 8);
        out_->mem_upper_kb = read_u32(t.data + 12);
        return KERN_SUCCESS;
      case kTagMmap: return mmap(t);
      case kTagElfSections: return elf_sections(t);
      case kTagAcpiOld:
      case kTagAcpiNew:
        TRY(need(t, kTagHeaderBytes + 1));
        // Prefer the ACPI 2.0+ RSDP when both are given.
        if (t.type == kTagAcpiNew || !have_new_rsdp_) {
          out_->acpi_rsdp = t.data + kTagHeaderBytes;
          out_->acpi_rsdp_size = t.size - kTagHeaderBytes;
          have_new_rsdp_ = t.type == kTagAcpiNew;
        }
        return KERN_SUCCESS;
      default: return KERN_SUCCESS;  // tags the kernel does not use
    }
  }

 private:
  BootInfo* out_;
  bool seen_mmap_ = false;
  bool have_new_rsdp_ = false;
};

}  // namespace

kern_return_t parse_multiboot2(const void* info, size_t available, BootInfo* out, const char** error) {
  const uint8_t* base = static_cast<const uint8_t*>(info);
  __builtin_memset(out, 0, sizeof *out);
  Parser parser(out);
  kern_return_t kr = KERN_SUCCESS;
  if (error) *error = nullptr;

  if (!info || reinterpret_cast<uintptr_t>(info) % 8 != 0) {
    kr = parser.fail("info at %p is not 8-byte aligned", info);
  } else if (available < kInfoHeaderBytes) {
    kr = parser.fail("only %zu bytes available, the header alone needs 8", available);
  } else {
    uint32_t total = read_u32(base), reserved = read_u32(base + 4);
    if (total < kInfoHeaderBytes + kTagHeaderBytes || total > available) {
      kr = parser.fail("total_size %u is outside [16, %zu]", total, available);
    } else if (reserved != 0) {
      kr = parser.fail("reserved field is 0x%x, not 0", reserved);
    } else {
      size_t offset = kInfoHeaderBytes;
      for (;;) {
        if (total - offset < kTagHeaderBytes) {
          kr = parser.fail("no end tag within total_size %u", total);
          break;
        }
        Tag t{base + offset, read_u32(base + offset), read_u32(base + offset + 4), offset};
        if (t.size < kTagHeaderBytes) {
          kr = parser.fail("tag %u at offset %zu has size %u < 8", t.type, offset, t.size);
          break;
        }
        if (t.size > total - offset) {
          kr = parser.fail("tag %u at offset %zu overruns the info (size %u > %zu left)", t.type, offset, t.size,
                           total - offset);
          break;
        }
        if (t.type == kTagEnd) {
          if (t.size != kTagHeaderBytes) kr = parser.fail("end tag at offset %zu has size %u, not 8", offset, t.size);
          break;
        }
        kr = parser.tag(t);
        if (kr != KERN_SUCCESS) break;
        // Tags start 8-byte aligned; stepping past the last one may leave the info.
        size_t step = (size_t(t.size) + 7) & ~size_t(7);
        if (step > total - offset) {
          kr = parser.fail("no end tag within total_size %u", total);
          break;
        }
        offset += step;
      }
    }
  }
  if (kr != KERN_SUCCESS) {
    __builtin_memset(out, 0, sizeof *out);
    if (error) *error = g_error;
  }
  return kr;
}

const char* memory_region_type_name(uint32_t type) {
  switch (type) {
    case kMemAvailable: return "available";
    case kMemReserved: return "reserved";
    case kMemAcpiReclaimable: return "ACPI reclaimable";
    case kMemAcpiNvs: return "ACPI NVS";
    case kMemBad: return "bad";
    default: return "unknown";
  }
}

uint64_t usable_bytes(const BootInfo& info) {
  uint64_t sum = 0;
  for (size_t i = 0; i < info.mmap_count; ++i)
    if (info.mmap[i].type == kMemAvailable) sum += info.mmap[i].length;
  return sum;
}

uint64_t highest_usable_address(const BootInfo& info) {
  uint64_t top = 0;
  for (size_t i = 0; i < info.mmap_count; ++i) {
    const MemoryRegion& r = info.mmap[i];
    if (r.type != kMemAvailable || r.length == 0) continue;
    uint64_t end = r.length > ~uint64_t(0) - r.base ? ~uint64_t(0) : r.base + r.length;
    if (end > top) top = end;
  }
  return top;
}

}  // namespace mk
