// Spin lock that also disables interrupts on this CPU while held, so an
// interrupt handler taking the same lock cannot deadlock against its own CPU.
#pragma once

#include <atomic>

#include "kern/arch.h"

namespace mk {

class IrqSpinLock {
 public:
  constexpr IrqSpinLock() = default;
  IrqSpinLock(const IrqSpinLock&) = delete;
  IrqSpinLock& operator=(const IrqSpinLock&) = delete;

  // Returns the interrupt state to hand back to unlock().
  uint64_t lock() {
    uint64_t state = arch::interrupts_save_disable();
    while (locked_.exchange(true, std::memory_order_acquire)) {
      while (locked_.load(std::memory_order_relaxed)) arch::cpu_relax();
    }
    return state;
  }
  bool try_lock(uint64_t* state) {
    *state = arch::interrupts_save_disable();
    if (!locked_.exchange(true, std::memory_order_acquire)) return true;
    arch::interrupts_restore(*state);
    return false;
  }
  void unlock(uint64_t state) {
    locked_.store(false, std::memory_order_release);
    arch::interrupts_restore(state);
  }
  bool is_locked() const { return locked_.load(std::memory_order_relaxed); }

 private:
  std::atomic<bool> locked_{false};
};

// RAII holder: `LockGuard guard(lock);`
class LockGuard {
 public:
  explicit LockGuard(IrqSpinLock& lock) : lock_(lock), state_(lock.lock()) {}
  ~LockGuard() { lock_.unlock(state_); }
  LockGuard(const LockGuard&) = delete;
  LockGuard& operator=(const LockGuard&) = delete;

 private:
  IrqSpinLock& lock_;
  uint64_t state_;
};

}  // namespace mk
