// The page-out daemon (vm_pageout.h): a kernel thread that runs the clock
// scan when free memory falls below the low-water mark and stops above the
// high one. Faults below the low-water mark wait for it, except in the
// default pager's task, which must keep working to make memory free (its
// pages come from the reserve between zero and the low-water mark).
#include "ipc/ipc_kernel.h"
#include "kern/clock.h"
#include "kern/console.h"
#include "kern/panic.h"
#include "kern/sched.h"
#include "kern/task.h"
#include "vm/vm_env.h"
#include "vm/vm_kern.h"
#include "vm/vm_page.h"
#include "vm/vm_pageout.h"
#include "vm/vm_pager.h"

namespace mk {
namespace {

Thread* g_daemon = nullptr;
bool g_daemon_idle = false;  // blocked without a deadline (VM lock)
// The last rounds could evict nothing (no default pager and only dirty
// temporary memory, say): faults do not wait for the daemon then, and it
// is woken again only after kStuckRetryTicks.
bool g_stuck = false;
uint64_t g_stuck_tick = 0;
constexpr uint64_t kStuckRetryTicks = 50;

// Below it faults wait for the daemon; the rest is the reserve the
// default pager, its disk's driver and the kernel's own allocations live on
// while page-out catches up.
uint64_t low_water() {
  uint64_t total = vm_env_total_pages();
  uint64_t low = total / 16;
  return low < 128 ? 128 : low;
}

uint64_t in_transit() {
  LockGuard guard(g_vm_lock);
  return g_vm_page_counts.in_transit;
}

// Page-out cannot make memory free now (and no returned page is still on
// its way to come free).
bool stuck() { return g_stuck && clock_ticks() - g_stuck_tick < kStuckRetryTicks && in_transit() == 0; }

uint64_t high_water() { return low_water() * 2; }

void wake_daemon() {
  if (stuck()) return;
  LockGuard guard(g_vm_lock);
  if (g_daemon && g_daemon_idle) {
    g_daemon_idle = false;
    thread_wakeup(g_daemon);
  }
}

// One batch: the scan under both locks (a temporary object's first
// page-out makes a port), then the messages go out.
uint64_t evict_batch() {
  uint64_t gone;
  {
    LockGuard ipc(g_ipc_lock);
    LockGuard vm(g_vm_lock);
    // Up to two turns of the clock: the first may only clear referenced
    // bits (every page written since the last scan has one).
    gone = vm_pageout_scan(64, 2 * vm_page_queue().size() + 64, {vm_pager_can_return, vm_pager_return_page});
  }
  vm_pager_flush();
  return gone;
}

void daemon(void*) {
  for (;;) {
    uint64_t idle_rounds = 0;
    while (vm_env_free_pages() < high_water()) {
      // Returned pages are free only once their pager is done with them:
      // when enough are on their way, let it catch up instead of flooding
      // it.
      if (vm_env_free_pages() + in_transit() >= high_water()) {
        thread_sleep_ticks(1);
        continue;
      }
      uint64_t gone = evict_batch();
      if (gone == 0) {
        if (in_transit() == 0 && ++idle_rounds == 4) {
          g_stuck = true;
          g_stuck_tick = clock_ticks();
          break;
        }
        thread_sleep_ticks(1);
      } else {
        idle_rounds = 0;
        g_stuck = false;
        if (vm_env_free_pages() < low_water()) thread_sleep_ticks(1);
      }
    }
    // Asleep until a fault finds memory low again.
    uint64_t irq = g_vm_lock.lock();
    g_daemon_idle = true;
    thread_block_unlock(g_vm_lock, irq, 0);
  }
}

bool privileged() {
  Task* task = current_task();
  return task && task->vm_privileged;
}

}  // namespace

void vm_pageout_init() {
  if (thread_create_kernel("vm_pageout", daemon, nullptr, 20, &g_daemon) != KERN_SUCCESS)
    panic("vm: cannot start the page-out daemon");
}

bool vm_pageout_wait_for_memory() {
  if (privileged()) {
    // The default pager itself: the reserve is empty too. Give the daemon a
    // moment; the pager's own writes free pages.
    thread_sleep_ticks(1);
    return vm_env_free_pages() > 0;
  }
  // Wait while the daemon makes progress. When it is stuck: with a default
  // pager, a round may have failed only for want of kernel memory at the
  // bottom of the reserve, so it gets a few more tries (stuck() lapses
  // after kStuckRetryTicks); without one, nothing will change.
  int tries = vm_pager_have_default() ? 3 : 0;
  for (;;) {
    wake_daemon();
    thread_sleep_ticks(1);
    if (vm_env_free_pages() > low_water()) return true;
    if (!stuck()) continue;
    if (tries-- <= 0) return vm_env_free_pages() > 0;
    thread_sleep_ticks(kStuckRetryTicks);
  }
}

void vm_pageout_throttle() {
  if (privileged()) return;
  while (vm_env_free_pages() < low_water() && !stuck()) {
    wake_daemon();
    thread_sleep_ticks(1);
  }
}

}  // namespace mk
