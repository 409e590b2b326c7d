// The scheduler: per-processor priority run queues, time slices from the
// clock, sleeping with deadlines, yield. One lock (g_sched_lock) guards the
// queues and thread states; it is held across a context switch and released
// by the thread that resumes.
#pragma once

#include <stdint.h>

#include "kern/spinlock.h"
#include "kern/thread.h"
#include <mach/kern_return.h>

namespace mk {

inline constexpr int kQuantumTicks = 3;

void sched_init();              // the boot context becomes this CPU's idle thread
Thread* current_thread();
void sched_make_runnable(Thread* t);
void thread_yield();
// Run `to` now, on the rest of the caller's time slice (the IPC fast path's
// direct switch); the caller stays runnable. False when `to` is not waiting
// in a run queue.
bool thread_handoff(Thread* to);
void thread_sleep_ticks(uint64_t ticks);
// Block the current thread until thread_wakeup() or until clock tick
// `deadline` (0: no deadline). `held` (locked with interrupt state
// `held_irq`) is released once the thread is marked blocked, so a waker that
// takes `held` first cannot be missed; it is not held on return.
WaitResult thread_block_unlock(IrqSpinLock& held, uint64_t held_irq, uint64_t deadline);
// The same, but the CPU goes straight to `to` (a thread blocked waiting for
// what the caller just gave it), skipping the run queue.
WaitResult thread_block_handoff(Thread* to, IrqSpinLock& held, uint64_t held_irq, uint64_t deadline);
// Make a blocked thread runnable (no effect on one that is not blocked).
void thread_wakeup(Thread* t);
void sched_tick();              // from the clock interrupt
// Called on the way back to user mode (and from the idle loop): switch if a
// more urgent thread or the end of the time slice asked for it.
void sched_preempt_point();
bool sched_idle();              // no thread is runnable or sleeping
// The idle thread is in its idle loop: an interrupt may switch away from
// it. Not while the boot context (which becomes the idle thread) still
// starts the boot tasks: those all start before any of them runs.
bool sched_idle_thread_running();
void sched_idle_loop_begin();
// Stop running the current thread for good (its state is kDead already).
[[noreturn]] void sched_exit_current();

// task_suspend / task_resume (kern/task_suspend.h): the task's suspend
// count, its threads held off or put back on the run queue. task_resume
// with no suspension: KERN_FAILURE. Takes g_sched_lock.
kern_return_t sched_task_suspend(Task* task);
kern_return_t sched_task_resume(Task* task);

// For task.cpp: with g_sched_lock held.
void sched_remove_locked(Thread* t);
void sched_reap_locked(Thread* t);

extern IrqSpinLock g_sched_lock;

}  // namespace mk

extern "C" void sched_thread_start();
