// Configuration mechanism #1 through the I/O ports 0xcf8 (address) and 0xcfc
// (data), for a task the ports were granted to (io_port_grant(master, task,
// 0xcf8, 8)); without them the first in/out faults. Also the port I/O
// helpers the drivers use.
#pragma once

#include <stdint.h>

#include "pci.h"

namespace pci {

inline void outb(uint16_t port, uint8_t v) { asm volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
inline void outw(uint16_t port, uint16_t v) { asm volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
inline void outl(uint16_t port, uint32_t v) { asm volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
inline uint8_t inb(uint16_t port) {
  uint8_t v;
  asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}
inline uint16_t inw(uint16_t port) {
  uint16_t v;
  asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}
inline uint32_t inl(uint16_t port) {
  uint32_t v;
  asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}

class PortConfig final : public ConfigAccess {
 public:
  uint32_t read32(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t offset) override {
    outl(kConfigAddress, config_address(bus, dev, fn, offset));
    return inl(kConfigData);
  }
  void write32(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t offset, uint32_t value) override {
    outl(kConfigAddress, config_address(bus, dev, fn, offset));
    outl(kConfigData, value);
  }
};

}  // namespace pci
