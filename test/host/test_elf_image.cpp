#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "lib/elf64.h"
#include "lib/elf_image.h"

using namespace mk;

namespace {

constexpr uint64_t kUserMin = 0x1000;
constexpr uint64_t kUserMax = 0x0000800000000000;
constexpr size_t kPhoff = sizeof(Elf64_Ehdr);
constexpr size_t kMaxPhdrs = 20;  // room reserved for the table before the first segment

// A valid static executable: text at 0x401000 (file 0x1000, R+X, 0x100 bytes),
// data+bss at 0x402000 (file 0x2000, R+W, 0x80 bytes in the file, a page in
// memory), entry 0x401010. Tests change one thing and parse again.
struct Image {
  std::vector<uint8_t> bytes = std::vector<uint8_t>(0x2080, 0xcc);

  Image() {
    Elf64_Ehdr eh{};
    eh.e_ident[EI_MAG0] = ELFMAG0;
    eh.e_ident[EI_MAG1] = ELFMAG1;
    eh.e_ident[EI_MAG2] = ELFMAG2;
    eh.e_ident[EI_MAG3] = ELFMAG3;
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_type = ET_EXEC;
    eh.e_machine = EM_X86_64;
    eh.e_version = EV_CURRENT;
    eh.e_entry = 0x401010;
    eh.e_phoff = kPhoff;
    eh.e_ehsize = sizeof(Elf64_Ehdr);
    eh.e_phentsize = sizeof(Elf64_Phdr);
    eh.e_phnum = 0;
    set_ehdr(eh);
    add(PT_LOAD, PF_R | PF_X, 0x1000, 0x401000, 0x100, 0x100, 0x1000);
    add(PT_LOAD, PF_R | PF_W, 0x2000, 0x402000, 0x80, 0x1000, 0x1000);
  }

  Elf64_Ehdr ehdr() const {
    Elf64_Ehdr eh;
    std::memcpy(&eh, bytes.data(), sizeof eh);
    return eh;
  }
  void set_ehdr(const Elf64_Ehdr& eh) { std::memcpy(bytes.data(), &eh, sizeof eh); }

  Elf64_Phdr phdr(size_t i) const {
    Elf64_Phdr ph;
    std::memcpy(&ph, bytes.data() + kPhoff + i * sizeof ph, sizeof ph);
    return ph;
  }
  void set_phdr(size_t i, const Elf64_Phdr& ph) {
    std::memcpy(bytes.data() + kPhoff + i * sizeof ph, &ph, sizeof ph);
  }

  // Appends a program header (index = the old e_phnum).
  void add(uint32_t type, uint32_t flags, uint64_t offset, uint64_t vaddr, uint64_t filesz, uint64_t memsz,
           uint64_t align) {
    Elf64_Ehdr eh = ehdr();
    REQUIRE(eh.e_phnum < kMaxPhdrs);
    Elf64_Phdr ph{};
    ph.p_type = type;
    ph.p_flags = flags;
    ph.p_offset = offset;
    ph.p_vaddr = ph.p_paddr = vaddr;
    ph.p_filesz = filesz;
    ph.p_memsz = memsz;
    ph.p_align = align;
    set_phdr(eh.e_phnum, ph);
    ++eh.e_phnum;
    set_ehdr(eh);
  }

  template <typename F>
  void edit_ehdr(F f) {
    Elf64_Ehdr eh = ehdr();
    f(eh);
    set_ehdr(eh);
  }
  template <typename F>
  void edit_phdr(size_t i, F f) {
    Elf64_Phdr ph = phdr(i);
    f(ph);
    set_phdr(i, ph);
  }
};

struct Outcome {
  kern_return_t kr;
  std::string error;
  ElfImage image;
};

Outcome parse(const std::vector<uint8_t>& bytes, size_t size, uint64_t user_min = kUserMin,
              uint64_t user_max = kUserMax) {
  Outcome o{};
  // An exact-size heap copy, so a read past the end is a real overrun.
  std::vector<uint8_t> copy(bytes.begin(), bytes.begin() + long(size));
  const char* error = "untouched";
  o.kr = elf_parse_executable(copy.data(), size, user_min, user_max, &o.image, &error);
  o.error = error ? error : "(null)";
  return o;
}
Outcome parse(const Image& img) { return parse(img.bytes, img.bytes.size()); }

bool mentions(const Outcome& o, const char* phrase) {
  const bool found = o.error.find(phrase) != std::string::npos;
  if (!found) MESSAGE("error was: " << o.error);
  return found;
}

void check_rejected(const Image& img, kern_return_t kr, const char* phrase) {
  Outcome o = parse(img);
  CHECK(o.kr == kr);
  CHECK(mentions(o, phrase));
  CHECK(o.error.rfind("elf: ", 0) == 0);
  CHECK(o.image.segment_count == 0);
}

}  // namespace

TEST_CASE("elf: a valid two-segment executable parses") {
  Image img;
  Outcome o = parse(img);
  REQUIRE(o.kr == KERN_SUCCESS);
  CHECK(o.error == "(null)");
  CHECK(o.image.entry == 0x401010);
  REQUIRE(o.image.segment_count == 2);
  const ElfSegment& text = o.image.segments[0];
  CHECK(text.vaddr == 0x401000);
  CHECK(text.memsz == 0x100);
  CHECK(text.offset == 0x1000);
  CHECK(text.filesz == 0x100);
  CHECK(text.flags == (PF_R | PF_X));
  const ElfSegment& data = o.image.segments[1];
  CHECK(data.vaddr == 0x402000);
  CHECK(data.memsz == 0x1000);
  CHECK(data.offset == 0x2000);
  CHECK(data.filesz == 0x80);
  CHECK(data.flags == (PF_R | PF_W));
}

TEST_CASE("elf: unaligned input and ignored program headers") {
  Image img;
  img.add(PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 16);
  img.add(PT_NOTE, PF_R, 0x1000, 0x401000, 0x10, 0x10, 4);
  img.add(PT_LOAD, PF_R, 0x1000, 0x500000, 0, 0, 0x1000);  // empty: checked, not reported
  std::vector<uint8_t> shifted(img.bytes.size() + 1);
  std::memcpy(shifted.data() + 1, img.bytes.data(), img.bytes.size());
  ElfImage image;
  const char* error = nullptr;
  REQUIRE(elf_parse_executable(shifted.data() + 1, img.bytes.size(), kUserMin, kUserMax, &image, &error) ==
          KERN_SUCCESS);
  CHECK(error == nullptr);
  CHECK(image.segment_count == 2);
  CHECK(image.entry == 0x401010);
  // A null error pointer is allowed.
  CHECK(elf_parse_executable(shifted.data() + 1, 10, kUserMin, kUserMax, &image, nullptr) ==
        KERN_INVALID_ARGUMENT);
}

TEST_CASE("elf: header checks") {
  SUBCASE("too small") {
    Image img;
    Outcome o = parse(img.bytes, sizeof(Elf64_Ehdr) - 1);
    CHECK(o.kr == KERN_INVALID_ARGUMENT);
    CHECK(mentions(o, "too small"));
  }
  SUBCASE("null data") {
    ElfImage image;
    const char* error = nullptr;
    CHECK(elf_parse_executable(nullptr, 0x1000, kUserMin, kUserMax, &image, &error) == KERN_INVALID_ARGUMENT);
    REQUIRE(error != nullptr);
    CHECK(std::string(error).find("too small") != std::string::npos);
  }
  SUBCASE("bad magic") {
    for (int i = 0; i < 4; ++i) {
      CAPTURE(i);
      Image img;
      img.bytes[size_t(i)] ^= 0x20;
      check_rejected(img, KERN_INVALID_ARGUMENT, "not an ELF file (bad magic)");
    }
  }
  SUBCASE("32-bit class") {
    Image img;
    img.edit_ehdr([](Elf64_Ehdr& eh) { eh.e_ident[EI_CLASS] = 1; });
    check_rejected(img, KERN_INVALID_ARGUMENT, "not a 64-bit ELF file (class 1)");
  }
  SUBCASE("big endian") {
    Image img;
    img.edit_ehdr([](Elf64_Ehdr& eh) { eh.e_ident[EI_DATA] = 2; });
    check_rejected(img, KERN_INVALID_ARGUMENT, "not a little-endian ELF file");
  }
  SUBCASE("ident version") {
    Image img;
    img.edit_ehdr([](Elf64_Ehdr& eh) { eh.e_ident[EI_VERSION] = 0; });
    check_rejected(img, KERN_INVALID_ARGUMENT, "unsupported ELF version");
  }
  SUBCASE("e_version") {
    Image img;
    img.edit_ehdr([](Elf64_Ehdr& eh) { eh.e_version = 2; });
    check_rejected(img, KERN_INVALID_ARGUMENT, "unsupported ELF version");
  }
  SUBCASE("machine") {
    Image img;
    img.edit_ehdr([](Elf64_Ehdr& eh) { eh.e_machine = 3; });
    check_rejected(img, KERN_INVALID_ARGUMENT, "not an x86-64 file (machine 3)");
  }
  SUBCASE("ET_DYN is not supported") {
    Image img;
    img.edit_ehdr([](Elf64_Ehdr& eh) { eh.e_type = ET_DYN; });
    check_rejected(img, KERN_NOT_SUPPORTED, "(ET_DYN) not supported");
  }
  SUBCASE("ET_REL is not an executable") {
    Image img;
    img.edit_ehdr([](Elf64_Ehdr& eh) { eh.e_type = ET_REL; });
    check_rejected(img, KERN_INVALID_ARGUMENT, "not an executable (type 1)");
  }
  SUBCASE("phentsize") {
    Image img;
    img.edit_ehdr([](Elf64_Ehdr& eh) { eh.e_phentsize = 64; });
    check_rejected(img, KERN_INVALID_ARGUMENT, "program header entry size 64, expected 56");
  }
  SUBCASE("PN_XNUM") {
    Image img;
    img.edit_ehdr([](Elf64_Ehdr& eh) { eh.e_phnum = 0xffff; });
    check_rejected(img, KERN_NOT_SUPPORTED, "PN_XNUM");
  }
}

TEST_CASE("elf: program header table bounds") {
  SUBCASE("table past the end") {
    Image img;
    img.edit_ehdr([&](Elf64_Ehdr& eh) { eh.e_phoff = img.bytes.size() - sizeof(Elf64_Phdr); });
    check_rejected(img, KERN_INVALID_ARGUMENT, "program header table 0x2048+0x70 runs past the end of the file");
  }
  SUBCASE("phoff wraps") {
    Image img;
    img.edit_ehdr([](Elf64_Ehdr& eh) { eh.e_phoff = ~uint64_t(0) - 8; });
    check_rejected(img, KERN_INVALID_ARGUMENT, "runs past the end of the file");
  }
  SUBCASE("no program headers") {
    Image img;
    img.edit_ehdr([](Elf64_Ehdr& eh) { eh.e_phnum = 0; });
    check_rejected(img, KERN_INVALID_ARGUMENT, "no loadable (PT_LOAD) segment");
  }
  SUBCASE("no PT_LOAD") {
    Image img;
    img.edit_phdr(0, [](Elf64_Phdr& ph) { ph.p_type = PT_NOTE; });
    img.edit_phdr(1, [](Elf64_Phdr& ph) { ph.p_type = PT_GNU_STACK; });
    check_rejected(img, KERN_INVALID_ARGUMENT, "no loadable (PT_LOAD) segment");
  }
  SUBCASE("only empty PT_LOADs") {
    Image img;
    img.edit_phdr(0, [](Elf64_Phdr& ph) { ph.p_filesz = ph.p_memsz = 0; });
    img.edit_phdr(1, [](Elf64_Phdr& ph) { ph.p_filesz = ph.p_memsz = 0; });
    check_rejected(img, KERN_INVALID_ARGUMENT, "no loadable (PT_LOAD) segment");
  }
}

TEST_CASE("elf: unsupported program headers") {
  SUBCASE("PT_INTERP") {
    Image img;
    img.add(PT_INTERP, PF_R, 0x1000, 0x401000, 0x10, 0x10, 1);
    check_rejected(img, KERN_NOT_SUPPORTED, "dynamically linked (PT_INTERP in segment 2)");
  }
  SUBCASE("PT_DYNAMIC") {
    Image img;
    img.add(PT_DYNAMIC, PF_R | PF_W, 0x2000, 0x402000, 0x10, 0x10, 8);
    check_rejected(img, KERN_NOT_SUPPORTED, "PT_DYNAMIC in segment 2");
  }
  SUBCASE("16 PT_LOADs are fine, 17 are not") {
    Image img;
    for (uint64_t k = 0; k < 14; ++k) img.add(PT_LOAD, PF_R, 0x2000, 0x600000 + k * 0x1000, 0x10, 0x10, 0x1000);
    Outcome ok = parse(img);
    REQUIRE(ok.kr == KERN_SUCCESS);
    CHECK(ok.image.segment_count == kMaxElfSegments);
    img.add(PT_LOAD, PF_R, 0x2000, 0x700000, 0x10, 0x10, 0x1000);
    check_rejected(img, KERN_NOT_SUPPORTED, "more than 16 PT_LOAD segments");
  }
}

TEST_CASE("elf: PT_LOAD checks") {
  SUBCASE("filesz > memsz") {
    Image img;
    img.edit_phdr(1, [](Elf64_Phdr& ph) { ph.p_memsz = 0x40; });
    check_rejected(img, KERN_INVALID_ARGUMENT, "segment 1 file size 0x80 exceeds its memory size 0x40");
  }
  SUBCASE("file range past the end") {
    Image img;
    img.edit_phdr(1, [](Elf64_Phdr& ph) {
      ph.p_filesz = 0x5000;
      ph.p_memsz = 0x5000;
    });
    check_rejected(img, KERN_INVALID_ARGUMENT,
                   "segment 1 file range 0x2000+0x5000 runs past the end of the file (size 0x2080)");
  }
  SUBCASE("file range wraps") {
    Image img;
    img.edit_phdr(0, [](Elf64_Phdr& ph) { ph.p_offset = ~uint64_t(0) - 0xfff; });
    check_rejected(img, KERN_INVALID_ARGUMENT, "segment 0 file range");
  }
  SUBCASE("address range wraps") {
    Image img;
    img.edit_phdr(1, [](Elf64_Phdr& ph) {
      ph.p_vaddr = ~uint64_t(0) - 0xfff;
      ph.p_offset = 0;
      ph.p_filesz = 0;
      ph.p_memsz = 0x2000;
    });
    check_rejected(img, KERN_INVALID_ARGUMENT, "segment 1 address range 0xfffffffffffff000+0x2000 wraps around");
  }
  SUBCASE("below user space") {
    Image img;
    img.edit_phdr(0, [](Elf64_Phdr& ph) {
      ph.p_vaddr = 0;
      ph.p_offset = 0;
    });
    img.edit_ehdr([](Elf64_Ehdr& eh) { eh.e_entry = 0x10; });
    check_rejected(img, KERN_INVALID_ARGUMENT, "segment 0 address range 0x0-0x100 is outside user space");
  }
  SUBCASE("above user space") {
    Image img;
    img.edit_phdr(1, [](Elf64_Phdr& ph) { ph.p_vaddr = kUserMax - 0x1000 + 0x0; });
    CHECK(parse(img).kr == KERN_SUCCESS);  // ends exactly at the top
    img.edit_phdr(1, [](Elf64_Phdr& ph) { ph.p_memsz = 0x1001; });
    check_rejected(img, KERN_INVALID_ARGUMENT, "is outside user space");
  }
  SUBCASE("kernel address") {
    Image img;
    img.edit_phdr(1, [](Elf64_Phdr& ph) { ph.p_vaddr = 0xffffffff80002000; });
    check_rejected(img, KERN_INVALID_ARGUMENT, "segment 1 address range 0xffffffff80002000-");
  }
  SUBCASE("alignment not a power of two") {
    Image img;
    img.edit_phdr(0, [](Elf64_Phdr& ph) { ph.p_align = 0x3000; });
    check_rejected(img, KERN_INVALID_ARGUMENT, "segment 0 alignment 0x3000 is not a power of two");
  }
  SUBCASE("alignment 0, 1 and large powers of two are fine") {
    for (uint64_t align : {uint64_t(0), uint64_t(1), uint64_t(0x200000)}) {
      CAPTURE(align);
      Image img;
      img.edit_phdr(0, [&](Elf64_Phdr& ph) { ph.p_align = align; });
      CHECK(parse(img).kr == KERN_SUCCESS);
    }
  }
  SUBCASE("address and offset not congruent") {
    Image img;
    img.edit_phdr(1, [](Elf64_Phdr& ph) { ph.p_vaddr = 0x402010; });
    check_rejected(img, KERN_INVALID_ARGUMENT,
                   "segment 1 address 0x402010 and file offset 0x2000 are not congruent modulo the page size");
  }
  SUBCASE("congruent but not page-aligned is fine") {
    Image img;
    img.edit_phdr(1, [](Elf64_Phdr& ph) {
      ph.p_vaddr = 0x402010;
      ph.p_offset = 0x2010;
      ph.p_filesz = 0x70;
    });
    CHECK(parse(img).kr == KERN_SUCCESS);
  }
}

TEST_CASE("elf: segments may not share a page") {
  SUBCASE("overlapping ranges") {
    Image img;
    img.edit_phdr(1, [](Elf64_Phdr& ph) { ph.p_vaddr = 0x401000; });
    check_rejected(img, KERN_INVALID_ARGUMENT, "segments 0 and 1 share a page");
  }
  SUBCASE("disjoint bytes in the same page") {
    Image img;
    img.edit_phdr(1, [](Elf64_Phdr& ph) {
      ph.p_vaddr = 0x401800;
      ph.p_offset = 0x1800;
      ph.p_filesz = 0x10;
      ph.p_memsz = 0x10;
    });
    check_rejected(img, KERN_INVALID_ARGUMENT, "segments 0 and 1 share a page (0x401000-0x401100 and 0x401800-0x401810)");
  }
  SUBCASE("the last page of one is the first of the next") {
    Image img;
    img.edit_phdr(0, [](Elf64_Phdr& ph) { ph.p_memsz = 0x1001; });
    check_rejected(img, KERN_INVALID_ARGUMENT, "share a page");
  }
  SUBCASE("a later segment below an earlier one") {
    Image img;
    img.add(PT_LOAD, PF_R, 0x1000, 0x400000, 0x10, 0x1010, 0x1000);
    check_rejected(img, KERN_INVALID_ARGUMENT, "segments 0 and 2 share a page");
  }
  SUBCASE("adjacent pages are fine") {
    Image img;
    img.edit_phdr(0, [](Elf64_Phdr& ph) { ph.p_memsz = 0x1000; });
    CHECK(parse(img).kr == KERN_SUCCESS);
  }
}

TEST_CASE("elf: entry point") {
  SUBCASE("entry in the data segment") {
    Image img;
    img.edit_ehdr([](Elf64_Ehdr& eh) { eh.e_entry = 0x402000; });
    check_rejected(img, KERN_INVALID_ARGUMENT, "entry point 0x402000 is not inside an executable (PF_X) segment");
  }
  SUBCASE("entry just past the text") {
    Image img;
    img.edit_ehdr([](Elf64_Ehdr& eh) { eh.e_entry = 0x401100; });
    check_rejected(img, KERN_INVALID_ARGUMENT, "entry point 0x401100");
  }
  SUBCASE("entry in an unmapped page") {
    Image img;
    img.edit_ehdr([](Elf64_Ehdr& eh) { eh.e_entry = 0x10; });
    check_rejected(img, KERN_INVALID_ARGUMENT, "is not inside an executable");
  }
  SUBCASE("text not executable") {
    Image img;
    img.edit_phdr(0, [](Elf64_Phdr& ph) { ph.p_flags = PF_R; });
    check_rejected(img, KERN_INVALID_ARGUMENT, "is not inside an executable");
  }
  SUBCASE("last byte of the text is fine") {
    Image img;
    img.edit_ehdr([](Elf64_Ehdr& eh) { eh.e_entry = 0x4010ff; });
    Outcome o = parse(img);
    CHECK(o.kr == KERN_SUCCESS);
    CHECK(o.image.entry == 0x4010ff);
  }
}

TEST_CASE("elf: every truncation fails cleanly") {
  Image img;
  img.add(PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 16);
  const size_t full = img.bytes.size();
  for (size_t len = 0; len <= full; ++len) {
    Outcome o = parse(img.bytes, len);
    if (len == full) {
      CHECK(o.kr == KERN_SUCCESS);
    } else if (o.kr != KERN_INVALID_ARGUMENT || o.error.rfind("elf: ", 0) != 0) {
      FAIL("length " << len << " gave " << o.kr << ": " << o.error);
    }
  }
}

// elf_parse_program with allow_pie: static position-independent
// executables (what `-static-pie` links), addresses as offsets from a bias.
TEST_CASE("elf: static PIE only when allowed") {
  auto make_pie = [] {
    Image img;
    img.edit_ehdr([](Elf64_Ehdr& eh) {
      eh.e_type = ET_DYN;
      eh.e_entry = 0x1010;
    });
    img.edit_phdr(0, [](Elf64_Phdr& ph) { ph.p_vaddr = ph.p_paddr = 0x1000; });
    img.edit_phdr(1, [](Elf64_Phdr& ph) { ph.p_vaddr = ph.p_paddr = 0x2000; });
    img.add(PT_DYNAMIC, PF_R | PF_W, 0x2000, 0x2000, 0x10, 0x10, 8);
    return img;
  };
  Image pie = make_pie();
  auto program = [&](const Image& img, bool allow, ElfImage* out, const char** error) {
    std::vector<uint8_t> copy(img.bytes);
    return elf_parse_program(copy.data(), copy.size(), 0x10000, kUserMax, allow, out, error);
  };
  ElfImage out{};
  const char* error = nullptr;
  SUBCASE("refused without allow_pie, as elf_parse_executable refuses it") {
    CHECK(program(pie, false, &out, &error) == KERN_NOT_SUPPORTED);
    CHECK(std::string(error).find("ET_DYN") != std::string::npos);
    CHECK(parse(pie).kr == KERN_NOT_SUPPORTED);
  }
  SUBCASE("accepted with it: offsets below the user minimum, PT_DYNAMIC allowed") {
    REQUIRE(program(pie, true, &out, &error) == KERN_SUCCESS);
    CHECK(out.position_independent);
    CHECK(out.entry == 0x1010);
    CHECK(out.segment_count == 2);
    CHECK(out.phnum == 3);
    CHECK(out.phdr_vaddr == 0);  // the table (at file offset 0x40) is in no PT_LOAD here
  }
  SUBCASE("an ET_EXEC with allow_pie is still checked against the user range, and reports its headers") {
    Image exec;
    exec.add(PT_LOAD, PF_R, 0, 0x400000, 0x200, 0x200, 0x1000);  // the headers' page
    REQUIRE(program(exec, true, &out, &error) == KERN_SUCCESS);
    CHECK(!out.position_independent);
    CHECK(out.phdr_vaddr == 0x400000 + kPhoff);
    CHECK(out.phnum == 3);
    Image low;
    low.edit_phdr(0, [](Elf64_Phdr& ph) { ph.p_vaddr = ph.p_paddr = 0x1000; });
    CHECK(program(low, true, &out, &error) == KERN_INVALID_ARGUMENT);
  }
  SUBCASE("PT_INTERP is refused even with allow_pie") {
    Image dyn = make_pie();
    dyn.add(PT_INTERP, PF_R, 0x1000, 0x1000, 0x10, 0x10, 1);
    CHECK(program(dyn, true, &out, &error) == KERN_NOT_SUPPORTED);
    CHECK(std::string(error).find("PT_INTERP") != std::string::npos);
  }
  SUBCASE("a PIE larger than the range allows is refused") {
    Image big = make_pie();
    big.edit_phdr(1, [](Elf64_Phdr& ph) { ph.p_memsz = kUserMax; });
    CHECK(program(big, true, &out, &error) == KERN_INVALID_ARGUMENT);
  }
}
