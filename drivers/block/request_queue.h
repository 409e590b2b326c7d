// The block request queue of a driver that answers later (virtio-blk):
// checks requests against the device, queues them in arrival order, hands
// them to the device as slots free up and matches completions to requests.
// Pure C++ (no system calls): built into the drivers and into the host tests
// (test/host/test_block_queue.cpp).
//
// A slot is what the device works on: the driver owns one DMA buffer and one
// descriptor chain per slot and tells the queue which slot completed.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "block_types.h"

namespace blk {

enum class Op : uint8_t { kRead, kWrite, kFlush };

// The checks every block server makes (block.defs's errors).
// A read (or write) of count sectors from sector on a device of capacity
// sectors, at most max_sectors at once: KERN_SUCCESS, D_INVALID_SIZE (count
// 0 or above max_sectors) or D_INVALID_RECNUM (beyond the end, overflow
// included).
kern_return_t check_range(uint64_t sector, uint64_t count, uint64_t capacity, uint32_t max_sectors);
// Write data of bytes bytes: whole sectors, 1..max_sectors of them (else
// D_INVALID_SIZE), then as check_range. *count: the sectors.
kern_return_t check_write(uint64_t sector, uint64_t bytes, uint64_t capacity, uint32_t max_sectors,
                          uint32_t* count);

struct Request {
  Op op = Op::kRead;
  uint64_t sector = 0;
  uint32_t count = 0;        // sectors (0 for a flush)
  mach_port_t reply = 0;     // the client's send-once right, answered at completion
  vm_offset_t data = 0;      // a write's data (the client's region, freed after)
  uint64_t data_size = 0;
  uint32_t slot = 0;         // set by start_next
};

class RequestQueue {
 public:
  static constexpr uint32_t kMaxSlots = 32;
  static constexpr uint32_t kMaxPending = 64;

  // slots: how many requests the device takes at once (1..kMaxSlots);
  // capacity: the device's size in sectors; max_sectors: per request.
  void init(uint32_t slots, uint64_t capacity, uint32_t max_sectors);

  // Checks r (check_range/check_write by its op; a write's count from
  // data_size) and queues it. Codes: KERN_SUCCESS (queued; r.count filled
  // in for writes), the check's D_* code, or D_WOULD_BLOCK when kMaxPending
  // requests wait already. Nothing is queued on failure.
  kern_return_t add(const Request& r);

  // The oldest waiting request, moved into a free slot (its slot field
  // set), or nullptr when none waits or no slot is free. The pointer stays
  // valid until complete(slot).
  Request* start_next();

  // The device finished slot: *done = its request, the slot is free again.
  // False (and nothing changes) for a slot not in flight: a duplicate or
  // bogus completion.
  bool complete(uint32_t slot, Request* done);

  // The request in flight in slot, or nullptr.
  const Request* in_slot(uint32_t slot) const;

  uint32_t in_flight() const { return in_flight_; }
  uint32_t waiting() const { return count_; }
  uint32_t slots() const { return slots_; }
  uint64_t capacity() const { return capacity_; }

 private:
  Request pending_[kMaxPending];
  uint32_t head_ = 0, count_ = 0;
  Request active_[kMaxSlots];
  bool busy_[kMaxSlots] = {};
  uint32_t slots_ = 0, in_flight_ = 0;
  uint64_t capacity_ = 0;
  uint32_t max_sectors_ = 0;
};

}  // namespace blk
