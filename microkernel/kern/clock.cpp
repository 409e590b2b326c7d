#include "kern/clock.h"

#include <atomic>

#include "kern/arch.h"

namespace mk {
namespace {
constinit std::atomic<uint64_t> g_ticks{0};
}

void clock_tick() { g_ticks.fetch_add(1, std::memory_order_relaxed); }

uint64_t clock_ticks() { return g_ticks.load(std::memory_order_relaxed); }

uint64_t clock_uptime_ms() {
  uint32_t hz = arch::timer_hz();
  return hz ? clock_ticks() * 1000 / hz : 0;
}

}  // namespace mk
