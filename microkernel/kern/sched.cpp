#include "kern/sched.h"

#include "kern/arch.h"
#include "kern/clock.h"
#include "kern/panic.h"
#include "kern/run_queue.h"
#include "kern/task.h"
#include "kern/task_suspend.h"
#include "lib/global.h"
#include "vm/vm_map.h"

namespace mk {

constinit IrqSpinLock g_sched_lock;

namespace {

using ThreadList = boost::intrusive::list<
    Thread, boost::intrusive::member_hook<Thread, boost::intrusive::list_member_hook<>, &Thread::run_link>>;

// Per-processor scheduling state. One processor today; each CPU gets its own
// when SMP bring-up lands, and this_processor() picks it.
struct Processor {
  Thread* current = nullptr;
  Thread idle;
  RunQueue<Thread> runq;
  bool need_resched = false;
  Thread* dead_prev = nullptr;  // switched away from while dead: reap after the switch
};

constinit Global<Processor> g_processor;
constinit Global<ThreadList> g_sleepers;  // sorted by wake_tick, guarded by g_sched_lock

Processor& this_processor() { return *g_processor; }

// Reap what the previous thread left behind; g_sched_lock is held.
void finish_switch(Processor& p) {
  if (Thread* dead = p.dead_prev) {
    p.dead_prev = nullptr;
    sched_reap_locked(dead);
  }
}

// Pick the next thread and switch to it. Called with g_sched_lock held and
// `irq` the interrupt state to restore; releases the lock.
void schedule_locked(uint64_t irq) {
  Processor& p = this_processor();
  Thread* prev = p.current;
  if (prev->state == ThreadState::kRunning) {
    if (prev == &p.idle) {
      prev->state = ThreadState::kRunnable;
    } else {
      // A thread with time left (woken by a more urgent one) keeps its place
      // (one of a suspended task is held instead).
      thread_ready(p.runq, *prev, prev->quantum > 0);
    }
  }
  Thread* next = p.runq.dequeue();
  if (!next) next = &p.idle;
  p.need_resched = false;
  if (next == prev) {
    prev->state = ThreadState::kRunning;
    if (prev->quantum <= 0) prev->quantum = kQuantumTicks;
    g_sched_lock.unlock(irq);
    return;
  }
  if (prev->state == ThreadState::kDead) p.dead_prev = prev;
  next->state = ThreadState::kRunning;
  if (next->quantum <= 0) next->quantum = kQuantumTicks;
  p.current = next;
  arch::io_bitmap_activate(next->task ? next->task->io_bitmap : nullptr);
  arch::context_switch(prev->arch, next->arch, next->task ? next->task->map->pmap : nullptr);
  // prev runs again here, possibly much later and after other switches.
  finish_switch(this_processor());
  g_sched_lock.unlock(irq);
}

// Run `to` now on the rest of self's time slice, without a pass through the
// run queue (L4's direct process switch). g_sched_lock is held; it is
// released with `irq` once self runs again.
void switch_direct(Processor& p, Thread* self, Thread* to, uint64_t irq) {
  to->state = ThreadState::kRunning;
  to->quantum = self->quantum > 0 ? self->quantum : kQuantumTicks;
  self->quantum = 0;
  p.current = to;
  arch::io_bitmap_activate(to->task ? to->task->io_bitmap : nullptr);
  arch::context_switch(self->arch, to->arch, to->task ? to->task->map->pmap : nullptr);
  finish_switch(this_processor());
  g_sched_lock.unlock(irq);
}

}  // namespace

void sched_init() {
  g_processor.init();
  g_sleepers.init();
  Processor& p = this_processor();
  p.idle.id = 0;
  p.idle.priority = 0;
  p.idle.state = ThreadState::kRunning;
  __builtin_memcpy(p.idle.name, "idle", 5);
  arch::thread_adopt_boot_context(p.idle.arch);
  p.current = &p.idle;
}

Thread* current_thread() { return this_processor().current; }

void sched_make_runnable(Thread* t) {
  uint64_t irq = g_sched_lock.lock();
  Processor& p = this_processor();
  if (thread_ready(p.runq, *t) && (t->priority > p.current->priority || p.current == &p.idle))
    p.need_resched = true;
  g_sched_lock.unlock(irq);
}

void thread_yield() {
  uint64_t irq = g_sched_lock.lock();
  Thread* self = this_processor().current;
  if (self->state == ThreadState::kRunning) self->quantum = 0;  // to the back of its queue
  schedule_locked(irq);
}

bool thread_handoff(Thread* to) {
  uint64_t irq = g_sched_lock.lock();
  Processor& p = this_processor();
  Thread* self = p.current;
  if (to == self || to->state != ThreadState::kRunnable || to->sleeping) {
    g_sched_lock.unlock(irq);
    return false;
  }
  p.runq.remove(*to);
  if (self != &p.idle) {
    thread_ready(p.runq, *self, /*front=*/true);
  } else {
    self->state = ThreadState::kRunnable;
  }
  switch_direct(p, self, to, irq);
  return true;
}

void thread_sleep_ticks(uint64_t ticks) {
  uint64_t irq = g_sched_lock.lock();
  Thread* self = this_processor().current;
  self->wake_tick = clock_ticks() + (ticks ? ticks : 1);
  auto it = g_sleepers->begin();
  while (it != g_sleepers->end() && it->wake_tick <= self->wake_tick) ++it;
  g_sleepers->insert(it, *self);
  self->sleeping = true;
  self->state = ThreadState::kBlocked;
  schedule_locked(irq);
}

namespace {

// Mark the current thread blocked (with a deadline on the sleep list);
// g_sched_lock is held.
Thread* block_self_locked(uint64_t deadline) {
  Thread* self = this_processor().current;
  self->state = ThreadState::kBlocked;
  self->wait_result = WaitResult::kAwakened;
  if (deadline) {
    self->wake_tick = deadline;
    auto it = g_sleepers->begin();
    while (it != g_sleepers->end() && it->wake_tick <= deadline) ++it;
    g_sleepers->insert(it, *self);
    self->sleeping = true;
  }
  return self;
}

}  // namespace

WaitResult thread_block_unlock(IrqSpinLock& held, uint64_t held_irq, uint64_t deadline) {
  uint64_t irq = g_sched_lock.lock();
  Thread* self = block_self_locked(deadline);
  held.unlock(irq);  // interrupts stay off: the scheduler lock is still held
  schedule_locked(held_irq);
  return self->wait_result;
}

WaitResult thread_block_handoff(Thread* to, IrqSpinLock& held, uint64_t held_irq, uint64_t deadline) {
  uint64_t irq = g_sched_lock.lock();
  Processor& p = this_processor();
  Thread* self = block_self_locked(deadline);
  held.unlock(irq);
  if (to->state != ThreadState::kBlocked) {  // woken meanwhile (a timeout): the usual way
    schedule_locked(held_irq);
    return self->wait_result;
  }
  if (to->sleeping) {
    g_sleepers->erase(g_sleepers->iterator_to(*to));
    to->sleeping = false;
  }
  if (thread_held(*to)) {  // its task is suspended: woken, but it runs once resumed
    to->state = ThreadState::kSuspended;
    schedule_locked(held_irq);
    return self->wait_result;
  }
  switch_direct(p, self, to, held_irq);
  return self->wait_result;
}

void thread_wakeup(Thread* t) {
  LockGuard guard(g_sched_lock);
  if (t->state != ThreadState::kBlocked) return;
  if (t->sleeping) {
    g_sleepers->erase(g_sleepers->iterator_to(*t));
    t->sleeping = false;
  }
  Processor& p = this_processor();
  if (thread_ready(p.runq, *t) && (t->priority >= p.current->priority || p.current == &p.idle))
    p.need_resched = true;
}

void sched_tick() {
  LockGuard guard(g_sched_lock);
  Processor& p = this_processor();
  uint64_t now = clock_ticks();
  while (!g_sleepers->empty() && g_sleepers->front().wake_tick <= now) {
    Thread& t = g_sleepers->front();
    g_sleepers->pop_front();
    t.sleeping = false;
    t.wait_result = WaitResult::kTimedOut;
    if (thread_ready(p.runq, t) && t.priority > p.current->priority) p.need_resched = true;
  }
  if (p.current == &p.idle) {
    if (!p.runq.empty()) p.need_resched = true;
  } else if (--p.current->quantum <= 0) {
    if (p.runq.top_priority() >= p.current->priority) p.need_resched = true;
    else p.current->quantum = kQuantumTicks;  // nobody else to run: keep going
  }
}

void sched_preempt_point() {
  if (!this_processor().need_resched) return;
  uint64_t irq = g_sched_lock.lock();
  schedule_locked(irq);
}

bool sched_idle() {
  LockGuard guard(g_sched_lock);
  return this_processor().runq.empty() && g_sleepers->empty();
}

namespace {
constinit bool g_idle_loop_started = false;
}  // namespace

void sched_idle_loop_begin() { g_idle_loop_started = true; }

bool sched_idle_thread_running() {
  return g_idle_loop_started && this_processor().current == &this_processor().idle;
}

void sched_exit_current() {
  uint64_t irq = g_sched_lock.lock();
  Thread* self = this_processor().current;
  self->state = ThreadState::kDead;
  schedule_locked(irq);
  panic("sched: dead thread %lu resumed", self->id);
}

kern_return_t sched_task_suspend(Task* task) {
  LockGuard guard(g_sched_lock);
  Processor& p = this_processor();
  kern_return_t kr = task_suspend_threads(*task, task->threads, p.runq);
  // The caller's own task: it stops on its way back to user mode.
  if (kr == KERN_SUCCESS && p.current->task == task) p.need_resched = true;
  return kr;
}

kern_return_t sched_task_resume(Task* task) {
  LockGuard guard(g_sched_lock);
  Processor& p = this_processor();
  int queued = 0;
  kern_return_t kr = task_resume_threads(*task, task->threads, p.runq, &queued);
  if (queued && (p.runq.top_priority() > p.current->priority || p.current == &p.idle)) p.need_resched = true;
  return kr;
}

void sched_remove_locked(Thread* t) {
  if (t->state == ThreadState::kRunnable) this_processor().runq.remove(*t);
  if (t->sleeping) {
    g_sleepers->erase(g_sleepers->iterator_to(*t));
    t->sleeping = false;
  }
}

}  // namespace mk

// First code a new thread runs after the switch that started it (from
// context.S): finish that switch and drop the scheduler lock. Interrupts stay
// off until the thread's own entry turns them on (iretq or sti).
extern "C" void sched_thread_start() {
  mk::finish_switch(mk::this_processor());
  mk::g_sched_lock.unlock(0);
}

// A kernel thread's function returned (context.S).
extern "C" [[noreturn]] void kernel_thread_exit() { mk::sched_exit_current(); }
