// PCI enumeration and BAR decoding (drivers/pci/pci.h) over a fake
// configuration space with BAR size masks, as a PCI device answers.
#include <doctest/doctest.h>

#include <cstring>
#include <map>
#include <tuple>

#include "../../drivers/pci/pci.h"

namespace {

struct FakeFunction {
  uint32_t regs[64] = {};
  uint32_t bar_mask[6] = {};  // writable bits of each BAR (0: not implemented)
  int probes_with_decoding_on = 0;
};

class FakeConfig final : public pci::ConfigAccess {
 public:
  std::map<std::tuple<int, int, int>, FakeFunction> fns;
  int reads = 0;

  FakeFunction& add(int bus, int dev, int fn, uint16_t vendor, uint16_t device) {
    FakeFunction& f = fns[{bus, dev, fn}];
    f.regs[0] = uint32_t(device) << 16 | vendor;
    return f;
  }
  uint32_t read32(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t offset) override {
    ++reads;
    CHECK(offset % 4 == 0);
    auto it = fns.find({bus, dev, fn});
    return it == fns.end() ? 0xffffffffu : it->second.regs[offset / 4];
  }
  void write32(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t offset, uint32_t value) override {
    CHECK(offset % 4 == 0);
    auto it = fns.find({bus, dev, fn});
    if (it == fns.end()) return;
    FakeFunction& f = it->second;
    if (offset >= pci::kBar0 && offset < pci::kBar0 + 24) {
      int i = (offset - pci::kBar0) / 4;
      uint32_t ro = f.regs[offset / 4] & ~f.bar_mask[i];  // type bits stay
      if (value == 0xffffffffu && (f.regs[1] & 3)) ++f.probes_with_decoding_on;
      f.regs[offset / 4] = ro | (value & f.bar_mask[i]);
      return;
    }
    f.regs[offset / 4] = value;
  }
};

}  // namespace

TEST_CASE("pci: config address of mechanism #1") {
  CHECK(pci::config_address(0, 0, 0, 0) == 0x80000000u);
  CHECK(pci::config_address(1, 2, 3, 0x3d) == (0x80000000u | 1u << 16 | 2u << 11 | 3u << 8 | 0x3c));
}

TEST_CASE("pci: scan visits functions of multi-function devices only") {
  FakeConfig cfg;
  cfg.add(0, 0, 0, 0x8086, 0x1237);
  FakeFunction& isa = cfg.add(0, 1, 0, 0x8086, 0x7000);
  isa.regs[3] = 0x00800000;  // header type 0x80: multi-function
  cfg.add(0, 1, 1, 0x8086, 0x7010);
  cfg.add(0, 2, 0, 0x1234, 0x1111);
  cfg.add(0, 2, 1, 0x1234, 0x2222);  // not multi-function at fn 0: never seen
  cfg.add(3, 4, 0, 0x1af4, 0x1001);
  int n = 0;
  int seen = pci::scan(cfg, [&](const pci::Device& d) {
    ++n;
    CHECK(d.device != 0x2222);
    return true;
  });
  CHECK(seen == 5);
  CHECK(n == 5);
  // Stopping early.
  n = 0;
  pci::scan(cfg, [&](const pci::Device&) { return ++n < 2; });
  CHECK(n == 2);
}

TEST_CASE("pci: find a legacy virtio-blk and decode its BARs and interrupt") {
  FakeConfig cfg;
  cfg.add(0, 0, 0, 0x8086, 0x1237);
  cfg.add(0, 3, 0, 0x1af4, 0x1000);  // virtio-net: another virtio device
  FakeFunction& f = cfg.add(0, 4, 0, 0x1af4, 0x1001);
  f.regs[1] = 0x0007;                       // command: I/O, memory, bus master
  f.regs[4] = 0xc041;                       // BAR0: I/O at 0xc040, 64 ports
  f.bar_mask[0] = 0xffffffc0u;
  f.regs[5] = 0xfebf1000;                   // BAR1: 32-bit memory, 4 KiB
  f.bar_mask[1] = 0xfffff000u;
  f.regs[8] = 0xfe00000c;                   // BAR4: 64-bit prefetchable, 16 KiB
  f.bar_mask[4] = 0xffffc000u;
  f.regs[9] = 0x00000001;                   // BAR5: its high half
  f.bar_mask[5] = 0xffffffffu;
  f.regs[11] = 0x00021af4u;                 // subsystem 2 (block)
  f.regs[15] = 0x0000010bu;                 // INTA, line 11
  pci::Device d;
  REQUIRE(pci::find(cfg, 0x1af4, 0x1001, &d));
  CHECK(d.dev == 4);
  CHECK(d.subsystem == 2);
  CHECK(d.irq_line == 11);
  CHECK(d.irq_pin == 1);
  CHECK(d.bars[0].present);
  CHECK(d.bars[0].io);
  CHECK(d.bars[0].base == 0xc040);
  CHECK(d.bars[0].size == 64);
  CHECK(d.bars[1].present);
  CHECK_FALSE(d.bars[1].io);
  CHECK(d.bars[1].base == 0xfebf1000);
  CHECK(d.bars[1].size == 4096);
  CHECK_FALSE(d.bars[2].present);
  CHECK_FALSE(d.bars[3].present);
  CHECK(d.bars[4].present);
  CHECK(d.bars[4].is64);
  CHECK(d.bars[4].prefetchable);
  CHECK(d.bars[4].base == 0x1fe000000ull);
  CHECK(d.bars[4].size == 0x4000);
  CHECK_FALSE(d.bars[5].present);
  // Probing restored every BAR and the command register, decoding off meanwhile.
  CHECK(f.regs[4] == 0xc041);
  CHECK(f.regs[5] == 0xfebf1000);
  CHECK(f.regs[8] == 0xfe00000c);
  CHECK(f.regs[9] == 1);
  CHECK(f.regs[1] == 7);
  CHECK(f.probes_with_decoding_on == 0);
  // Not there, or not that many.
  CHECK_FALSE(pci::find(cfg, 0x1af4, 0x1001, &d, 1));
  CHECK_FALSE(pci::find(cfg, 0x1af4, 0x1042, &d));
}

TEST_CASE("pci: command register updates touch only their bits") {
  FakeConfig cfg;
  FakeFunction& f = cfg.add(0, 5, 0, 0x1af4, 0x1001);
  f.regs[1] = 0x02b00400;  // status bits above, INTx disabled
  pci::Device d;
  REQUIRE(pci::find(cfg, 0x1af4, 0x1001, &d));
  pci::update_command(cfg, d, pci::kCommandIo | pci::kCommandBusMaster, pci::kCommandIntxDisable);
  CHECK((f.regs[1] & 0xffff) == 0x0005);
  CHECK((f.regs[1] >> 16) == 0x02b0);
  CHECK(cfg.read8(0, 5, 0, 5) == 0);
  CHECK(cfg.read16(0, 5, 0, 6) == 0x02b0);
}
