#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "lib/multiboot2.h"

namespace {

// Builds boot information the way GRUB lays it out.
class Builder {
 public:
  Builder() {
    put32(0);  // total_size, patched by finish()
    put32(0);  // reserved
  }
  void put8(uint8_t v) { b_.push_back(v); }
  void put32(uint32_t v) { put_bytes(&v, 4); }
  void put64(uint64_t v) { put_bytes(&v, 8); }
  void put_bytes(const void* p, size_t n) {
    const uint8_t* s = static_cast<const uint8_t*>(p);
    b_.insert(b_.end(), s, s + n);
  }
  void put_string(const char* s) { put_bytes(s, std::strlen(s) + 1); }

  size_t begin(uint32_t type) {
    while (b_.size() % 8) b_.push_back(0);
    size_t at = b_.size();
    put32(type);
    put32(0);
    return at;
  }
  void end(size_t at) { set32(at + 4, uint32_t(b_.size() - at)); }
  void set32(size_t at, uint32_t v) { std::memcpy(&b_[at], &v, 4); }

  void string_tag(uint32_t type, const char* s) {
    size_t t = begin(type);
    put_string(s);
    end(t);
  }
  void module(uint32_t start, uint32_t end_addr, const char* cmdline) {
    size_t t = begin(3);
    put32(start);
    put32(end_addr);
    put_string(cmdline);
    end(t);
  }
  void mmap(const std::vector<mk::MemoryRegion>& regions, uint32_t entry_size = 24) {
    size_t t = begin(6);
    put32(entry_size);
    put32(0);
    for (const mk::MemoryRegion& r : regions) {
      put64(r.base);
      put64(r.length);
      put32(r.type);
      put32(0);
      for (uint32_t i = 24; i < entry_size; ++i) put8(0xee);
    }
    end(t);
  }

  std::vector<uint8_t> finish(bool with_end = true) {
    if (with_end) {
      size_t t = begin(0);
      end(t);
    }
    set32(0, uint32_t(b_.size()));
    return b_;
  }

 private:
  std::vector<uint8_t> b_;
};

// A heap copy whose allocation ends exactly where the bytes end, so the
// sanitizers or valgrind catch any read past it.
struct Exact {
  explicit Exact(const std::vector<uint8_t>& v, size_t n, size_t shift = 0)
      : mem(new uint8_t[n + shift]), data(mem.get() + shift), size(n) {
    std::memcpy(data, v.data(), n);
  }
  std::unique_ptr<uint8_t[]> mem;
  uint8_t* data;
  size_t size;
};

struct Parsed {
  kern_return_t kr;
  std::string error;
};

Parsed parse(const std::vector<uint8_t>& v, size_t n, mk::BootInfo* info, size_t shift = 0) {
  Exact e(v, n, shift);
  const char* error = "untouched";
  kern_return_t kr = mk::parse_multiboot2(e.data, e.size, info, &error);
  return {kr, error ? error : ""};
}

Parsed parse(const std::vector<uint8_t>& v) {
  auto info = std::make_unique<mk::BootInfo>();
  return parse(v, v.size(), info.get());
}

std::vector<uint8_t> well_formed() {
  Builder b;
  b.string_tag(1, "console=com1 selftest=all");
  b.string_tag(2, "GRUB 2.06");
  b.module(0x200000, 0x280000, "bootstrap --verbose");
  b.module(0x300000, 0x300000, "");
  size_t t = b.begin(4);
  b.put32(639);
  b.put32(130048);
  b.end(t);
  b.mmap({{0, 0x9fc00, 1}, {0x9fc00, 0x400, 2}, {0x100000, 0x7ee0000, 1}, {0x7fe0000, 0x20000, 3}, {0xfffc0000, 0x40000, 2}});
  t = b.begin(9);
  b.put32(3);   // num
  b.put32(64);  // entsize
  b.put32(2);   // shndx
  for (int i = 0; i < 3 * 64; ++i) b.put8(uint8_t(i));
  b.end(t);
  t = b.begin(21);  // image load base: not used, skipped
  b.put32(0x100000);
  b.end(t);
  t = b.begin(14);
  b.put_bytes("RSD PTR old-style-rsdp", 20);
  b.end(t);
  t = b.begin(15);
  b.put_bytes("RSD PTR new-style-rsdp-with-xsdt----", 36);
  b.end(t);
  return b.finish();
}

}  // namespace

TEST_CASE("multiboot2: a well-formed info parses to the right values") {
  std::vector<uint8_t> v = well_formed();
  Exact e(v, v.size());
  auto info = std::make_unique<mk::BootInfo>();
  const char* error = "untouched";
  REQUIRE(mk::parse_multiboot2(e.data, e.size, info.get(), &error) == KERN_SUCCESS);
  CHECK(error == nullptr);
  CHECK(std::string(info->cmdline) == "console=com1 selftest=all");
  CHECK(std::string(info->loader_name) == "GRUB 2.06");
  REQUIRE(info->module_count == 2);
  CHECK(info->modules[0].start == 0x200000);
  CHECK(info->modules[0].end == 0x280000);
  CHECK(std::string(info->modules[0].cmdline) == "bootstrap --verbose");
  CHECK(info->modules[1].start == 0x300000);
  CHECK(std::string(info->modules[1].cmdline) == "");
  CHECK(info->mem_lower_kb == 639);
  CHECK(info->mem_upper_kb == 130048);
  REQUIRE(info->mmap_count == 5);
  CHECK(info->mmap[2].base == 0x100000);
  CHECK(info->mmap[2].length == 0x7ee0000);
  CHECK(info->mmap[2].type == mk::kMemAvailable);
  CHECK(info->mmap[3].type == mk::kMemAcpiReclaimable);
  CHECK(info->elf_num == 3);
  CHECK(info->elf_entsize == 64);
  CHECK(info->elf_shndx == 2);
  REQUIRE(info->elf_sections);
  CHECK(static_cast<const uint8_t*>(info->elf_sections)[5] == 5);
  CHECK(static_cast<const uint8_t*>(info->elf_sections) >= e.data);
  REQUIRE(info->acpi_rsdp);
  CHECK(info->acpi_rsdp_size == 36);
  CHECK(std::memcmp(info->acpi_rsdp, "RSD PTR new", 11) == 0);
  CHECK(mk::usable_bytes(*info) == 0x9fc00 + 0x7ee0000);
  CHECK(mk::highest_usable_address(*info) == 0x7fe0000);
  CHECK(std::string(mk::memory_region_type_name(mk::kMemAcpiNvs)) == "ACPI NVS");
  CHECK(std::string(mk::memory_region_type_name(mk::kMemBad)) == "bad");
  CHECK(std::string(mk::memory_region_type_name(77)) == "unknown");

  // A larger entry_size (newer loaders may extend entries) is stepped over.
  Builder b;
  b.mmap({{0x1000, 0x2000, 1}, {0x100000, 0x100000, 1}}, 32);
  std::vector<uint8_t> wide = b.finish();
  Parsed p = parse(wide, wide.size(), info.get());
  REQUIRE(p.kr == KERN_SUCCESS);
  CHECK(info->mmap_count == 2);
  CHECK(info->mmap[1].base == 0x100000);
  CHECK(info->cmdline == nullptr);
  CHECK(info->acpi_rsdp == nullptr);
}

TEST_CASE("multiboot2: every truncation fails without reading past the end") {
  std::vector<uint8_t> v = well_formed();
  auto info = std::make_unique<mk::BootInfo>();
  for (size_t n = 0; n < v.size(); ++n) {
    CAPTURE(n);
    Parsed p = parse(v, n, info.get());
    CHECK(p.kr == KERN_INVALID_ARGUMENT);
    CHECK(p.error.rfind("multiboot2: ", 0) == 0);
    CHECK(info->mmap_count == 0);  // nothing half-parsed is left behind
  }
}

TEST_CASE("multiboot2: malformed infos fail with a message") {
  struct Case {
    const char* what;
    std::vector<uint8_t> bytes;
    const char* message;
  };
  std::vector<Case> cases;

  {
    Builder b;
    b.string_tag(1, "x");
    std::vector<uint8_t> v = b.finish();
    v[4] = 1;
    cases.push_back({"reserved field", v, "reserved"});
  }
  {
    Builder b;
    std::vector<uint8_t> v = b.finish();
    uint32_t small = 8;
    std::memcpy(&v[0], &small, 4);
    cases.push_back({"total_size below 16", v, "total_size 8"});
  }
  {
    Builder b;
    size_t t = b.begin(1);
    b.end(t);
    b.set32(t + 4, 4);
    cases.push_back({"tag size below 8", b.finish(), "size 4 < 8"});
  }
  {
    Builder b;
    b.string_tag(1, "x");
    size_t t = b.begin(6);
    b.put32(24);
    b.put32(0);
    b.end(t);
    b.set32(t + 4, 4000);
    cases.push_back({"tag overruns the info", b.finish(), "tag 6 at offset 24 overruns the info (size 4000 > 24 left)"});
  }
  {
    Builder b;
    b.string_tag(1, "x");
    cases.push_back({"no end tag", b.finish(false), "no end tag"});
  }
  {
    Builder b;
    b.string_tag(1, "x");
    std::vector<uint8_t> v = b.finish(false);
    v.resize(v.size() + 4);  // the last tag's padding would leave the info
    std::vector<uint8_t> w = v;
    uint32_t total = uint32_t(v.size()) - 4 + 2;
    std::memcpy(&w[0], &total, 4);
    cases.push_back({"total_size ends inside the padding", w, "no end tag"});
  }
  {
    Builder b;
    size_t t = b.begin(1);
    b.put_bytes("abc", 3);
    b.end(t);
    cases.push_back({"unterminated cmdline", b.finish(), "command line (tag 1 at offset 8) is not NUL-terminated"});
  }
  {
    Builder b;
    size_t t = b.begin(2);
    b.put_bytes("GRUB", 4);
    b.end(t);
    cases.push_back({"unterminated loader name", b.finish(), "boot loader name"});
  }
  {
    Builder b;
    size_t t = b.begin(3);
    b.put32(0x1000);
    b.put32(0x2000);
    b.put_bytes("mod", 3);
    b.end(t);
    cases.push_back({"unterminated module cmdline", b.finish(), "module command line"});
  }
  {
    Builder b;
    b.module(0x3000, 0x2000, "backwards");
    cases.push_back({"module end before start", b.finish(), "ends before it starts"});
  }
  {
    Builder b;
    size_t t = b.begin(3);
    b.put32(0x1000);
    b.end(t);
    cases.push_back({"short module tag", b.finish(), "too small"});
  }
  {
    Builder b;
    for (int i = 0; i < 33; ++i) b.module(0x100000 * uint32_t(i), 0x100000 * uint32_t(i) + 10, "m");
    cases.push_back({"too many modules", b.finish(), "more than 32 modules"});
  }
  {
    Builder b;
    b.mmap({{0, 0x1000, 1}}, 16);
    cases.push_back({"mmap entry_size too small", b.finish(), "entry_size 16 < 24"});
  }
  {
    Builder b;
    std::vector<mk::MemoryRegion> many(129, mk::MemoryRegion{0, 0x1000, 1});
    b.mmap(many);
    cases.push_back({"too many regions", b.finish(), "129 entries"});
  }
  {
    Builder b;
    b.mmap({{0, 0x1000, 1}});
    b.mmap({{0, 0x1000, 1}});
    cases.push_back({"two memory maps", b.finish(), "second memory map"});
  }
  {
    Builder b;
    size_t t = b.begin(9);
    b.put32(10);
    b.put32(64);
    b.put32(1);
    for (int i = 0; i < 64; ++i) b.put8(0);
    b.end(t);
    cases.push_back({"ELF headers overrun their tag", b.finish(), "overrun its"});
  }
  {
    Builder b;
    size_t t = b.begin(0);
    b.put32(0);
    b.put32(0);
    b.end(t);
    std::vector<uint8_t> v = b.finish(false);
    cases.push_back({"end tag with a body", v, "end tag at offset 8 has size 16"});
  }

  for (const Case& c : cases) {
    CAPTURE(c.what);
    Parsed p = parse(c.bytes);
    CHECK(p.kr == KERN_INVALID_ARGUMENT);
    CAPTURE(p.error);
    CHECK(p.error.rfind("multiboot2: ", 0) == 0);
    CHECK(p.error.find(c.message) != std::string::npos);
  }
}

TEST_CASE("multiboot2: misaligned info and null error pointer") {
  std::vector<uint8_t> v = well_formed();
  auto info = std::make_unique<mk::BootInfo>();
  Parsed p = parse(v, v.size(), info.get(), 4);
  CHECK(p.kr == KERN_INVALID_ARGUMENT);
  CHECK(p.error.find("not 8-byte aligned") != std::string::npos);
  Exact e(v, 7);
  CHECK(mk::parse_multiboot2(e.data, e.size, info.get(), nullptr) == KERN_INVALID_ARGUMENT);
  CHECK(mk::parse_multiboot2(nullptr, 0, info.get(), nullptr) == KERN_INVALID_ARGUMENT);
}

TEST_CASE("multiboot2: random damage never crashes or reads out of bounds") {
  std::vector<uint8_t> good = well_formed();
  auto info = std::make_unique<mk::BootInfo>();
  std::mt19937 rng(12345);
  int accepted = 0;
  for (int round = 0; round < 3000; ++round) {
    std::vector<uint8_t> v = good;
    int flips = 1 + int(rng() % 4);
    for (int i = 0; i < flips; ++i) v[8 + rng() % (v.size() - 8)] = uint8_t(rng());
    Parsed p = parse(v, v.size(), info.get());
    if (p.kr == KERN_SUCCESS) {
      ++accepted;
      CHECK(info->mmap_count <= mk::kMaxMemoryRegions);
      CHECK(info->module_count <= mk::kMaxModules);
    } else {
      CHECK(!p.error.empty());
    }
  }
  CHECK(accepted > 0);  // damage to string bodies and values is not detectable
}

TEST_CASE("multiboot2: usable memory sums and saturates") {
  auto info = std::make_unique<mk::BootInfo>();
  *info = mk::BootInfo{};
  CHECK(mk::usable_bytes(*info) == 0);
  CHECK(mk::highest_usable_address(*info) == 0);
  info->mmap[0] = {0x1000, 0x1000, mk::kMemAvailable};
  info->mmap[1] = {0xfffffffffffff000ull, 0x10000, mk::kMemAvailable};
  info->mmap[2] = {0x100000, 0x100000, mk::kMemReserved};
  info->mmap_count = 3;
  CHECK(mk::highest_usable_address(*info) == ~uint64_t(0));
  info->mmap_count = 1;
  CHECK(mk::highest_usable_address(*info) == 0x2000);
  CHECK(mk::usable_bytes(*info) == 0x1000);
}
