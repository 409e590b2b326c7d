// PCI enumeration and BAR decoding (pci.h).
#include "pci.h"

namespace pci {

uint16_t ConfigAccess::read16(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t offset) {
  return uint16_t(read32(bus, dev, fn, offset & 0xfc) >> ((offset & 2) * 8));
}

uint8_t ConfigAccess::read8(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t offset) {
  return uint8_t(read32(bus, dev, fn, offset & 0xfc) >> ((offset & 3) * 8));
}

void ConfigAccess::write16(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t offset, uint16_t value) {
  uint8_t aligned = offset & 0xfc;
  unsigned shift = (offset & 2) * 8;
  uint32_t v = read32(bus, dev, fn, aligned);
  v = (v & ~(0xffffu << shift)) | uint32_t(value) << shift;
  write32(bus, dev, fn, aligned, v);
}

void fill_ids(ConfigAccess& cfg, uint8_t bus, uint8_t dev, uint8_t fn, Device* d) {
  d->bus = bus;
  d->dev = dev;
  d->fn = fn;
  d->vendor = cfg.read16(bus, dev, fn, kVendorId);
  d->device = cfg.read16(bus, dev, fn, kDeviceId);
  d->subsystem = cfg.read16(bus, dev, fn, kSubsystemId);
  d->irq_line = cfg.read8(bus, dev, fn, kInterruptLine);
  d->irq_pin = cfg.read8(bus, dev, fn, kInterruptPin);
}

bool find(ConfigAccess& cfg, uint16_t vendor, uint16_t device, Device* out, int index) {
  bool found = false;
  scan(cfg, [&](const Device& d) {
    if (d.vendor != vendor || d.device != device) return true;
    if (index-- > 0) return true;
    *out = d;
    found = true;
    return false;
  });
  if (found) read_bars(cfg, out);
  return found;
}

void read_bars(ConfigAccess& cfg, Device* d) {
  uint16_t command = cfg.read16(d->bus, d->dev, d->fn, kCommand);
  // No decoding while a BAR holds all ones.
  cfg.write16(d->bus, d->dev, d->fn, kCommand, uint16_t(command & ~(kCommandIo | kCommandMemory)));
  for (int i = 0; i < 6; ++i) {
    Bar& b = d->bars[i];
    b = Bar{};
    uint8_t off = uint8_t(kBar0 + 4 * i);
    uint32_t low = cfg.read32(d->bus, d->dev, d->fn, off);
    cfg.write32(d->bus, d->dev, d->fn, off, 0xffffffffu);
    uint32_t mask = cfg.read32(d->bus, d->dev, d->fn, off);
    cfg.write32(d->bus, d->dev, d->fn, off, low);
    if (low & 1) {
      b.io = true;
      uint32_t m = mask & 0xfffffffcu & 0xffffu;  // I/O addresses are 16 bits on x86
      if (m == 0) continue;
      b.present = true;
      b.base = low & 0xfffcu;
      b.size = (~m & 0xffffu) + 1;
      continue;
    }
    b.prefetchable = low & 8;
    uint64_t base = low & 0xfffffff0u;
    uint64_t m = mask & 0xfffffff0u;
    if (((low >> 1) & 3) == 2 && i < 5) {  // 64-bit: the next BAR holds the high half
      b.is64 = true;
      uint8_t hoff = uint8_t(off + 4);
      uint32_t high = cfg.read32(d->bus, d->dev, d->fn, hoff);
      cfg.write32(d->bus, d->dev, d->fn, hoff, 0xffffffffu);
      uint32_t hmask = cfg.read32(d->bus, d->dev, d->fn, hoff);
      cfg.write32(d->bus, d->dev, d->fn, hoff, high);
      base |= uint64_t(high) << 32;
      m |= uint64_t(hmask) << 32;
      if (m != 0) {
        b.present = true;
        b.base = base;
        b.size = ~m + 1;
      }
      d->bars[++i] = Bar{};  // the high half is no BAR of its own
      continue;
    }
    if (m == 0) continue;
    b.present = true;
    b.base = base;
    b.size = uint64_t(uint32_t(~uint32_t(m) + 1));
  }
  cfg.write16(d->bus, d->dev, d->fn, kCommand, command);
}

void update_command(ConfigAccess& cfg, const Device& d, uint16_t set, uint16_t clear) {
  uint16_t c = cfg.read16(d.bus, d.dev, d.fn, kCommand);
  cfg.write16(d.bus, d.dev, d.fn, kCommand, uint16_t((c & ~clear) | set));
}

}  // namespace pci
