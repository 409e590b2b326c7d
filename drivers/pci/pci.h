// PCI enumeration over configuration mechanism #1 (ports 0xcf8/0xcfc): find a
// device by vendor and device id, decode its BARs (base, size, I/O or
// memory), its interrupt line and pin, and enable decoding and bus mastering.
// The scanning and decoding are pure (host-tested over a fake configuration
// space, test/host/test_pci.cpp); PortConfig (pci_ports.h) is the real access
// for a driver that holds the ports (io_port_grant(master, task, 0xcf8, 8)).
#pragma once

#include <stdint.h>

namespace pci {

// Configuration registers (type 0 header).
constexpr uint8_t kVendorId = 0x00, kDeviceId = 0x02, kCommand = 0x04, kHeaderType = 0x0e, kBar0 = 0x10,
                  kSubsystemId = 0x2e, kInterruptLine = 0x3c, kInterruptPin = 0x3d;
constexpr uint16_t kCommandIo = 1, kCommandMemory = 2, kCommandBusMaster = 4, kCommandIntxDisable = 0x400;
constexpr uint16_t kConfigAddress = 0xcf8, kConfigData = 0xcfc;

// Reads and writes 32-bit aligned configuration dwords.
class ConfigAccess {
 public:
  virtual uint32_t read32(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t offset) = 0;
  virtual void write32(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t offset, uint32_t value) = 0;

  uint16_t read16(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t offset);
  uint8_t read8(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t offset);
  void write16(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t offset, uint16_t value);

 protected:
  ~ConfigAccess() = default;
};

// The address mechanism #1 puts in 0xcf8 for a register.
constexpr uint32_t config_address(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t offset) {
  return 0x80000000u | uint32_t(bus) << 16 | uint32_t(dev & 31) << 11 | uint32_t(fn & 7) << 8 | (offset & 0xfcu);
}

struct Bar {
  bool present = false;  // size 0: not implemented
  bool io = false;       // I/O space (else memory)
  bool is64 = false;     // a 64-bit memory BAR (takes this slot and the next)
  bool prefetchable = false;
  uint64_t base = 0;
  uint64_t size = 0;
};

struct Device {
  uint8_t bus = 0, dev = 0, fn = 0;
  uint16_t vendor = 0, device = 0, subsystem = 0;
  uint8_t irq_line = 0xff;  // as the firmware routed it (0xff: none)
  uint8_t irq_pin = 0;      // 1..4 = INTA..INTD, 0: no interrupt
  Bar bars[6];
};

// Calls fn(Device) for every function present (bus 0..255; functions 1..7
// only of multi-function devices) until fn returns false. BARs are not
// decoded here. Returns how many were visited.
template <class F>
int scan(ConfigAccess& cfg, F&& fn);

// The index-th (0-based) function with this vendor and device id: true and
// *out filled in with its BARs decoded (read_bars), else false.
bool find(ConfigAccess& cfg, uint16_t vendor, uint16_t device, Device* out, int index = 0);

// Decodes the six BARs of d: base, kind and size (by writing all ones and
// reading back with decoding turned off, then restoring).
void read_bars(ConfigAccess& cfg, Device* d);

// Sets the command register's bits in set and clears those in clear.
void update_command(ConfigAccess& cfg, const Device& d, uint16_t set, uint16_t clear = 0);

// --- implementation of scan

void fill_ids(ConfigAccess& cfg, uint8_t bus, uint8_t dev, uint8_t fn, Device* d);

template <class F>
int scan(ConfigAccess& cfg, F&& fn) {
  int seen = 0;
  for (int bus = 0; bus < 256; ++bus)
    for (uint8_t dev = 0; dev < 32; ++dev) {
      if (cfg.read16(uint8_t(bus), dev, 0, kVendorId) == 0xffff) continue;
      bool multi = cfg.read8(uint8_t(bus), dev, 0, kHeaderType) & 0x80;
      for (uint8_t f = 0; f < (multi ? 8 : 1); ++f) {
        if (cfg.read16(uint8_t(bus), dev, f, kVendorId) == 0xffff) continue;
        Device d;
        fill_ids(cfg, uint8_t(bus), dev, f, &d);
        ++seen;
        if (!fn(d)) return seen;
      }
    }
  return seen;
}

}  // namespace pci
