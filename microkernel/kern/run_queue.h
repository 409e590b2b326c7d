// Priority run queue: one intrusive FIFO per priority and a bitmap of the
// non-empty ones, so picking the most urgent thread is O(1). No allocation;
// the caller holds the scheduler lock. Header-only and free of kernel types
// so the host tests drive it directly.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <boost/intrusive/list.hpp>

namespace mk {

inline constexpr int kPriorityCount = 32;  // 0 lowest .. 31 most urgent

// T has: `boost::intrusive::list_member_hook<> run_link;` and `int priority;`
template <class T>
class RunQueue {
  using Hook = boost::intrusive::member_hook<T, boost::intrusive::list_member_hook<>, &T::run_link>;
  using List = boost::intrusive::list<T, Hook, boost::intrusive::constant_time_size<true>>;

 public:
  RunQueue() = default;
  RunQueue(const RunQueue&) = delete;
  RunQueue& operator=(const RunQueue&) = delete;

  // Back of its priority (a thread whose time slice ran out goes last).
  void enqueue(T& t) {
    queues_[clamp(t.priority)].push_back(t);
    bitmap_ |= 1u << clamp(t.priority);
    ++count_;
  }
  // Front of its priority (a preempted thread that still has time, a handoff).
  void enqueue_front(T& t) {
    queues_[clamp(t.priority)].push_front(t);
    bitmap_ |= 1u << clamp(t.priority);
    ++count_;
  }
  // The most urgent thread, removed; nullptr when empty.
  T* dequeue() {
    if (!bitmap_) return nullptr;
    int p = 31 - __builtin_clz(bitmap_);
    T& t = queues_[p].front();
    queues_[p].pop_front();
    if (queues_[p].empty()) bitmap_ &= ~(1u << p);
    --count_;
    return &t;
  }
  // Take out a queued thread (it is being terminated or re-prioritized).
  void remove(T& t) {
    int p = clamp(t.priority);
    queues_[p].erase(queues_[p].iterator_to(t));
    if (queues_[p].empty()) bitmap_ &= ~(1u << p);
    --count_;
  }
  // Highest queued priority, or -1.
  int top_priority() const { return bitmap_ ? 31 - __builtin_clz(bitmap_) : -1; }
  bool empty() const { return count_ == 0; }
  size_t size() const { return count_; }

 private:
  static int clamp(int p) { return p < 0 ? 0 : p >= kPriorityCount ? kPriorityCount - 1 : p; }
  List queues_[kPriorityCount];
  uint32_t bitmap_ = 0;
  size_t count_ = 0;
};

}  // namespace mk
