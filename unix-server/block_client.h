// BlockDevice over the block-device interface (drivers/block/block.defs,
// docs/drivers.md "Block devices"): the virtio-blk driver or the RAM disk,
// reached through a send right to its device port (the caller looks the
// driver up by name and hands the right over). Transfers larger than
// BLOCK_MAX_SECTORS are split; read data arrives out of line and is copied
// out, writes go out of line from a bounce buffer.
#pragma once

#include <mach/port.h>

#include "block_device.h"

namespace ux {

class BlockClient final : public BlockDevice {
 public:
  explicit BlockClient(mach_port_t device) : device_(device) {}
  // Asks the driver for its geometry: 0, or EIO when it does not answer or
  // its sectors are not 512 bytes.
  int init();
  int read(uint64_t sector, void* buf, uint32_t count) override;
  int write(uint64_t sector, const void* buf, uint32_t count) override;
  int flush() override;
  uint64_t sectors() override { return sectors_; }

 private:
  mach_port_t device_;
  uint64_t sectors_ = 0;
};

}  // namespace ux
