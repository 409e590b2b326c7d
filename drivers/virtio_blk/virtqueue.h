// A split virtqueue in the legacy (virtio 0.9.5) layout: descriptor table,
// available ring and, on the next 4 KiB boundary, the used ring, all in one
// physically contiguous zeroed region whose page number the driver writes to
// the device's queue address register. Pure C++ over that memory (the host
// tests, test/host/test_virtqueue.cpp, play the device).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace virtio {

constexpr uint16_t kDescNext = 1, kDescWrite = 2;

struct Desc {
  uint64_t addr;
  uint32_t len;
  uint16_t flags;
  uint16_t next;
};
static_assert(sizeof(Desc) == 16);

struct UsedElem {
  uint32_t id;
  uint32_t len;
};

constexpr size_t kVringAlign = 4096;

constexpr size_t align_up(size_t v, size_t a) { return (v + a - 1) & ~(a - 1); }
// Bytes of the legacy layout for a queue of size entries.
constexpr size_t avail_offset(uint16_t size) { return 16u * size; }
constexpr size_t used_offset(uint16_t size) { return align_up(16u * size + 6u + 2u * size, kVringAlign); }
constexpr size_t vring_bytes(uint16_t size) { return used_offset(size) + align_up(6u + 8u * size, kVringAlign); }

class Virtqueue {
 public:
  // mem: the zeroed region of vring_bytes(size) bytes; size: the device's
  // queue size (a power of two).
  void init(void* mem, uint16_t size);

  Desc& desc(uint16_t i) { return desc_[i]; }
  uint16_t size() const { return size_; }

  // Offers the chain starting at descriptor head to the device (the
  // descriptors filled in first): the available ring's entry, a barrier,
  // then its index. The caller notifies the device afterwards.
  void push(uint16_t head);

  // The next chain the device has finished, in used-ring order: true and
  // *head/*len (bytes written), else false.
  bool pop_used(uint16_t* head, uint32_t* len);

  // Chains offered and not yet taken back by pop_used.
  uint16_t outstanding() const { return uint16_t(avail_idx_ - last_used_); }

  // The rings, for a device model.
  volatile uint16_t* avail_flags() { return avail_; }
  volatile uint16_t* avail_idx() { return avail_ + 1; }
  volatile uint16_t* avail_ring() { return avail_ + 2; }
  volatile uint16_t* used_flags() { return used_; }
  volatile uint16_t* used_idx() { return used_ + 1; }
  volatile UsedElem* used_ring() { return reinterpret_cast<volatile UsedElem*>(used_ + 2); }

 private:
  Desc* desc_ = nullptr;
  volatile uint16_t* avail_ = nullptr;
  volatile uint16_t* used_ = nullptr;
  uint16_t size_ = 0;
  uint16_t avail_idx_ = 0;
  uint16_t last_used_ = 0;
};

}  // namespace virtio
