// A disk as the file systems see it: 512-byte sectors, read and written by
// number. Every call answers 0 or a Linux errno (EIO for a failed or
// refused transfer). BlockClient (block_client.h) is the one over the
// block-device interface (drivers/block/block.defs); the host tests use a
// file.
#pragma once

#include <stdint.h>

namespace ux {

class BlockDevice {
 public:
  static constexpr uint32_t kSectorSize = 512;
  // count sectors from sector into buf (count * 512 bytes).
  virtual int read(uint64_t sector, void* buf, uint32_t count) = 0;
  // count sectors from buf onto the device from sector on.
  virtual int write(uint64_t sector, const void* buf, uint32_t count) = 0;
  // Everything written so far is on stable storage.
  virtual int flush() = 0;
  // The device's size in sectors.
  virtual uint64_t sectors() = 0;

 protected:
  ~BlockDevice() = default;
};

}  // namespace ux
