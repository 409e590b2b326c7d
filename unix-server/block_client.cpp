#include "block_client.h"

#include <block.h>
#include <vm_rpc.h>

#include "libmach/mach_ipc.h"
#include "libmach/string.h"
#include "linux_abi.h"

namespace ux {

using namespace linux_abi;

int BlockClient::init() {
  uint32_t sector_size = 0;
  uint64_t count = 0;
  if (block_get_info(device_, &sector_size, &count) != KERN_SUCCESS) return kEIO;
  if (sector_size != BLOCK_SECTOR_SIZE) return kEIO;
  sectors_ = count;
  return 0;
}

int BlockClient::read(uint64_t sector, void* buf, uint32_t count) {
  auto* out = static_cast<char*>(buf);
  while (count > 0) {
    uint32_t n = count < BLOCK_MAX_SECTORS ? count : BLOCK_MAX_SECTORS;
    vm_offset_t data = 0;
    mach_msg_type_number_t size = 0;
    kern_return_t kr = block_read(device_, sector, n, &data, &size);
    if (kr != KERN_SUCCESS) return kEIO;
    bool whole = size == n * BLOCK_SECTOR_SIZE;
    if (whole) memcpy(out, reinterpret_cast<const void*>(data), size);
    if (data) (void)vm_deallocate(mach_task_self(), data, size ? size : 1);
    if (!whole) return kEIO;
    out += size_t(n) * BLOCK_SECTOR_SIZE;
    sector += n;
    count -= n;
  }
  return 0;
}

int BlockClient::write(uint64_t sector, const void* buf, uint32_t count) {
  if (count == 0) return 0;
  // The data goes out of line from page-aligned memory of its own (the
  // caller's buffer need not be page-aligned).
  uint32_t chunk = count < BLOCK_MAX_SECTORS ? count : BLOCK_MAX_SECTORS;
  vm_size_t bounce_size = vm_size_t(chunk) * BLOCK_SECTOR_SIZE;
  vm_address_t bounce = 0;
  if (rpc_vm_allocate(mach_task_self(), &bounce, bounce_size, VM_FLAGS_ANYWHERE) != KERN_SUCCESS) return kEIO;
  const auto* in = static_cast<const char*>(buf);
  int err = 0;
  while (count > 0) {
    uint32_t n = count < BLOCK_MAX_SECTORS ? count : BLOCK_MAX_SECTORS;
    uint32_t bytes = n * BLOCK_SECTOR_SIZE;
    memcpy(reinterpret_cast<void*>(bounce), in, bytes);
    if (block_write(device_, sector, bounce, bytes) != KERN_SUCCESS) {
      err = kEIO;
      break;
    }
    in += bytes;
    sector += n;
    count -= n;
  }
  (void)vm_deallocate(mach_task_self(), bounce, bounce_size);
  return err;
}

int BlockClient::flush() { return block_flush(device_) == KERN_SUCCESS ? 0 : kEIO; }

}  // namespace ux
