#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "lib/elf64.h"
#include "lib/elf_symbols.h"

using namespace mk;

namespace {

// A symbol table and string table in "physical memory" (host memory whose
// address is used as the physical address), with section headers the way
// GRUB passes them: packed after a 20-byte tag head, so only 4-byte aligned.
struct Image {
  std::string strtab = std::string(1, '\0');
  std::vector<Elf64_Sym> syms{Elf64_Sym{}};  // index 0: the null symbol
  std::vector<Elf64_Shdr> shdrs;
  std::vector<uint8_t> packed;

  void add(const char* name, uint64_t value, uint64_t size, unsigned char type, unsigned char bind = STB_GLOBAL,
           uint16_t shndx = 1) {
    Elf64_Sym s{};
    s.st_name = uint32_t(strtab.size());
    strtab += name;
    strtab += '\0';
    s.st_info = elf64_st_info(bind, type);
    s.st_shndx = shndx;
    s.st_value = value;
    s.st_size = size;
    syms.push_back(s);
  }

  // Section 0 null, 1 .text, 2 .symtab (link 3), 3 .strtab.
  void build() {
    shdrs.assign(4, Elf64_Shdr{});
    shdrs[1].sh_type = SHT_PROGBITS;
    shdrs[1].sh_flags = SHF_ALLOC | SHF_EXECINSTR;
    shdrs[1].sh_addr = 0xffffffff80100000ull;
    shdrs[2].sh_type = SHT_SYMTAB;
    shdrs[2].sh_addr = reinterpret_cast<uintptr_t>(syms.data());
    shdrs[2].sh_size = syms.size() * sizeof(Elf64_Sym);
    shdrs[2].sh_entsize = sizeof(Elf64_Sym);
    shdrs[2].sh_link = 3;
    shdrs[3].sh_type = SHT_STRTAB;
    shdrs[3].sh_addr = reinterpret_cast<uintptr_t>(strtab.data());
    shdrs[3].sh_size = strtab.size();
    pack();
  }

  void pack() {
    packed.assign(4 + shdrs.size() * sizeof(Elf64_Shdr), 0);
    std::memcpy(packed.data() + 4, shdrs.data(), shdrs.size() * sizeof(Elf64_Shdr));
  }

  kern_return_t init(ElfSymbols* s, const void* (*p2v)(uint64_t) = nullptr) {
    return s->init(packed.data() + 4, uint32_t(shdrs.size()), sizeof(Elf64_Shdr), p2v);
  }
};

int g_p2v_calls = 0;
const void* identity(uint64_t pa) {
  ++g_p2v_calls;
  return reinterpret_cast<const void*>(uintptr_t(pa));
}

std::string at(const ElfSymbols& s, uint64_t addr) {
  const char* name;
  uint64_t off;
  if (!s.lookup(addr, &name, &off)) return "-";
  char buf[128];
  snprintf(buf, sizeof buf, "%s+%#llx", name, static_cast<unsigned long long>(off));
  return buf;
}

Image sample() {
  Image img;
  img.add("kmain", 0x1000, 0x100, STT_FUNC);
  img.add("helper", 0x1100, 0x40, STT_FUNC, STB_LOCAL);
  img.add("isr_common", 0x2000, 0, STT_NOTYPE);            // assembly label
  img.add("data_object", 0x1800, 0x100, STT_OBJECT);        // not code
  img.add(".Llocal_label", 0x3000, 0, STT_NOTYPE, STB_LOCAL);  // not global: ignored
  img.add("undefined_fn", 0x4000, 0x10, STT_FUNC, STB_GLOBAL, SHN_UNDEF);
  img.add("_kernel_end", 0x5000, 0, STT_NOTYPE, STB_GLOBAL, SHN_ABS);
  img.add("weak_fn", 0x6000, 0x20, STT_FUNC, STB_WEAK);
  img.add("outer", 0x7000, 0x100, STT_FUNC);
  img.add("inner", 0x7010, 0x10, STT_FUNC);
  img.add("label_in_outer", 0x7080, 0, STT_NOTYPE);
  img.build();
  return img;
}

}  // namespace

TEST_CASE("ElfSymbols: lookup inside, at and past functions") {
  constinit static ElfSymbols constant_initialized;  // usable as a kernel global
  const char* name;
  uint64_t off;
  CHECK(!constant_initialized.lookup(0x1000, &name, &off));

  Image img = sample();
  ElfSymbols s;
  g_p2v_calls = 0;
  REQUIRE(img.init(&s, identity) == KERN_SUCCESS);
  CHECK(g_p2v_calls == 2);
  CHECK(s.count() == 7);  // kmain helper isr_common weak_fn outer inner label_in_outer

  CHECK(at(s, 0x0fff) == "-");
  CHECK(at(s, 0x1000) == "kmain+0");
  CHECK(at(s, 0x10ff) == "kmain+0xff");
  CHECK(at(s, 0x1100) == "helper+0");
  CHECK(at(s, 0x113f) == "helper+0x3f");
  CHECK(at(s, 0x1140) == "-");  // past helper, before anything else
  CHECK(at(s, 0x1850) == "-");  // objects are not functions
  CHECK(at(s, 0x2000) == "isr_common+0");
  CHECK(at(s, 0x2abc) == "isr_common+0xabc");  // size 0: nearest preceding
  CHECK(at(s, 0x3004) == "isr_common+0x1004");  // local labels are skipped
  CHECK(at(s, 0x5010) == "isr_common+0x3010");  // so are absolute symbols
  CHECK(at(s, 0x6010) == "weak_fn+0x10");
  CHECK(at(s, 0x6020) == "-");  // a sized function ends the reach of earlier labels
  CHECK(at(s, 0x7008) == "outer+0x8");
  CHECK(at(s, 0x7012) == "inner+0x2");
  CHECK(at(s, 0x7020) == "outer+0x20");  // back in outer after inner
  CHECK(at(s, 0x7090) == "label_in_outer+0x10");
  CHECK(at(s, 0x7100) == "-");
  CHECK(at(s, ~uint64_t(0)) == "-");

  ElfSymbols direct;  // a null phys_to_virt uses addresses as they are
  REQUIRE(img.init(&direct) == KERN_SUCCESS);
  CHECK(at(direct, 0x1010) == "kmain+0x10");
}

TEST_CASE("ElfSymbols: malformed tables are rejected") {
  ElfSymbols s;
  {
    Image img = sample();
    CHECK(s.init(img.packed.data() + 4, 4, 32, nullptr) == KERN_INVALID_ARGUMENT);  // entsize < 64
    CHECK(s.init(nullptr, 4, 64, nullptr) == KERN_INVALID_ARGUMENT);
  }
  {
    Image img = sample();
    img.shdrs[2].sh_link = 9;
    img.pack();
    CHECK(img.init(&s) == KERN_INVALID_ARGUMENT);
    img.shdrs[2].sh_link = 1;  // not a string table
    img.pack();
    CHECK(img.init(&s) == KERN_INVALID_ARGUMENT);
    img.shdrs[2].sh_link = 2;  // itself
    img.pack();
    CHECK(img.init(&s) == KERN_INVALID_ARGUMENT);
  }
  {
    Image img = sample();
    img.syms[3].st_name = uint32_t(img.strtab.size());  // one past the table
    CHECK(img.init(&s) == KERN_INVALID_ARGUMENT);
    img.syms[3].st_name = 0xffffffffu;
    CHECK(img.init(&s) == KERN_INVALID_ARGUMENT);
  }
  {
    Image img = sample();
    img.shdrs[3].sh_size -= 1;  // the last name loses its terminator
    img.pack();
    CHECK(img.init(&s) == KERN_INVALID_ARGUMENT);
  }
  {
    Image img = sample();
    img.shdrs[2].sh_entsize = 16;
    img.pack();
    CHECK(img.init(&s) == KERN_INVALID_ARGUMENT);
  }
  {
    Image img = sample();
    img.shdrs[2].sh_type = SHT_PROGBITS;  // no symbol table at all
    img.pack();
    CHECK(img.init(&s) == KERN_FAILURE);
    CHECK(s.count() == 0);
    CHECK(at(s, 0x1000) == "-");
    CHECK(s.init(img.packed.data() + 4, 0, 64, nullptr) == KERN_FAILURE);
  }
  {
    Image img = sample();
    img.shdrs[2].sh_addr = 0;  // not loaded
    img.pack();
    CHECK(img.init(&s) == KERN_FAILURE);
  }
}

TEST_CASE("ElfSymbols: a larger section entsize and symbol entsize are honoured") {
  Image img = sample();
  // Re-pack section headers at a 72-byte stride.
  std::vector<uint8_t> wide(4 + 4 * 72, 0xcc);
  for (size_t i = 0; i < 4; ++i) std::memcpy(wide.data() + 4 + i * 72, &img.shdrs[i], sizeof(Elf64_Shdr));
  ElfSymbols s;
  REQUIRE(s.init(wide.data() + 4, 4, 72, nullptr) == KERN_SUCCESS);
  CHECK(at(s, 0x1010) == "kmain+0x10");
}
