// The block request queue (request_queue.h).
#include "request_queue.h"

namespace blk {

kern_return_t check_range(uint64_t sector, uint64_t count, uint64_t capacity, uint32_t max_sectors) {
  if (count == 0 || count > max_sectors) return D_INVALID_SIZE;
  if (sector >= capacity || count > capacity - sector) return D_INVALID_RECNUM;
  return KERN_SUCCESS;
}

kern_return_t check_write(uint64_t sector, uint64_t bytes, uint64_t capacity, uint32_t max_sectors,
                          uint32_t* count) {
  if (bytes == 0 || bytes % BLOCK_SECTOR_SIZE != 0 || bytes / BLOCK_SECTOR_SIZE > max_sectors)
    return D_INVALID_SIZE;
  kern_return_t kr = check_range(sector, bytes / BLOCK_SECTOR_SIZE, capacity, max_sectors);
  if (kr == KERN_SUCCESS) *count = uint32_t(bytes / BLOCK_SECTOR_SIZE);
  return kr;
}

void RequestQueue::init(uint32_t slots, uint64_t capacity, uint32_t max_sectors) {
  slots_ = slots < 1 ? 1 : slots > kMaxSlots ? kMaxSlots : slots;
  capacity_ = capacity;
  max_sectors_ = max_sectors;
  head_ = count_ = in_flight_ = 0;
  for (bool& b : busy_) b = false;
}

kern_return_t RequestQueue::add(const Request& r) {
  Request q = r;
  kern_return_t kr = KERN_SUCCESS;
  switch (r.op) {
    case Op::kRead: kr = check_range(r.sector, r.count, capacity_, max_sectors_); break;
    case Op::kWrite: kr = check_write(r.sector, r.data_size, capacity_, max_sectors_, &q.count); break;
    case Op::kFlush: q.count = 0; break;
  }
  if (kr != KERN_SUCCESS) return kr;
  if (count_ == kMaxPending) return D_WOULD_BLOCK;
  pending_[(head_ + count_) % kMaxPending] = q;
  ++count_;
  return KERN_SUCCESS;
}

Request* RequestQueue::start_next() {
  if (count_ == 0 || in_flight_ == slots_) return nullptr;
  uint32_t slot = 0;
  while (busy_[slot]) ++slot;  // in_flight_ < slots_: one is free
  active_[slot] = pending_[head_];
  active_[slot].slot = slot;
  head_ = (head_ + 1) % kMaxPending;
  --count_;
  busy_[slot] = true;
  ++in_flight_;
  return &active_[slot];
}

bool RequestQueue::complete(uint32_t slot, Request* done) {
  if (slot >= slots_ || !busy_[slot]) return false;
  *done = active_[slot];
  busy_[slot] = false;
  --in_flight_;
  return true;
}

const Request* RequestQueue::in_slot(uint32_t slot) const {
  return slot < slots_ && busy_[slot] ? &active_[slot] : nullptr;
}

}  // namespace blk
