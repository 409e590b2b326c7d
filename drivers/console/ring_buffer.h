// A fixed-capacity FIFO of trivially copyable items: the console driver's
// input and output byte buffers and its queues of waiting requests.
//
// Pure: no allocation, no libc, no hardware; the same header builds into the
// driver (freestanding) and the host doctest suite (test/host/
// test_console_buffers.cpp). Not thread-safe: the driver is one thread.
//
// Head and tail are free-running 32-bit counters (size = tail - head, in
// unsigned arithmetic, so they may wrap); the capacity is a power of two so
// a counter maps to a slot with a mask.
#pragma once

#include <stdint.h>

namespace console {

template <class T, uint32_t Capacity>
class RingBuffer {
  static_assert(Capacity >= 2 && (Capacity & (Capacity - 1)) == 0, "capacity must be a power of two");

 public:
  static constexpr uint32_t kCapacity = Capacity;

  constexpr RingBuffer() = default;
  // For tests: start both counters at `start` (to exercise their wrap).
  constexpr explicit RingBuffer(uint32_t start) : head_(start), tail_(start) {}

  uint32_t size() const { return tail_ - head_; }
  uint32_t space() const { return Capacity - size(); }
  bool empty() const { return head_ == tail_; }
  bool full() const { return size() == Capacity; }

  // Appends one item; false (and nothing changes) when full.
  bool push(const T& item) {
    if (full()) return false;
    slots_[tail_ & kMask] = item;
    ++tail_;
    return true;
  }

  // Appends as many of items[0..n) as fit, in order; returns how many.
  uint32_t write(const T* items, uint32_t n) {
    uint32_t count = n < space() ? n : space();
    for (uint32_t i = 0; i < count; ++i) slots_[(tail_ + i) & kMask] = items[i];
    tail_ += count;
    return count;
  }

  // The oldest item (the buffer must not be empty).
  T& front() { return slots_[head_ & kMask]; }
  const T& front() const { return slots_[head_ & kMask]; }
  // The i-th oldest item, i < size().
  const T& at(uint32_t i) const { return slots_[(head_ + i) & kMask]; }

  // Removes the oldest item into *out; false when empty.
  bool pop(T* out) {
    if (empty()) return false;
    *out = slots_[head_ & kMask];
    ++head_;
    return true;
  }

  // Drops the oldest item (the buffer must not be empty).
  void drop_front() { ++head_; }

  // Moves up to max of the oldest items to out[0..); returns how many.
  uint32_t read(T* out, uint32_t max) {
    uint32_t count = max < size() ? max : size();
    for (uint32_t i = 0; i < count; ++i) out[i] = slots_[(head_ + i) & kMask];
    head_ += count;
    return count;
  }

  void clear() { head_ = tail_; }

 private:
  static constexpr uint32_t kMask = Capacity - 1;
  uint32_t head_ = 0;  // counter of the oldest item
  uint32_t tail_ = 0;  // counter of the next free slot
  T slots_[Capacity] = {};
};

}  // namespace console
