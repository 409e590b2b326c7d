// Task suspension (task_suspend / task_resume, Mach's semantics): a suspend
// count per task; while it is positive none of the task's threads runs. A
// thread that would be runnable then is "held" (ThreadState::kSuspended):
// on no queue, its wait (if it was blocked) already complete, so that
// task_resume only has to queue it. Header-only and free of kernel types
// (the caller holds the scheduler lock) so the host tests drive it.
//
// T (a thread) has: `state` (an enum with kRunnable, kRunning, kSuspended),
// `task` (a pointer to a type with `uint32_t suspend_count`, or null for a
// kernel thread), `priority` and `run_link` (RunQueue).
#pragma once

#include <mach/kern_return.h>
#include <stdint.h>

#include "kern/run_queue.h"

namespace mk {

// Its task is suspended: the thread must not run.
template <class T>
bool thread_held(const T& t) {
  return t.task && t.task->suspend_count > 0;
}

// The thread can run now (created, woken, preempted): queued (at the front
// with `front`), or held while its task is suspended. True when queued.
template <class T>
bool thread_ready(RunQueue<T>& q, T& t, bool front = false) {
  using S = decltype(t.state);
  if (thread_held(t)) {
    t.state = S::kSuspended;
    return false;
  }
  t.state = S::kRunnable;
  if (front)
    q.enqueue_front(t);
  else
    q.enqueue(t);
  return true;
}

// task_suspend: one more suspension; the first takes the task's queued
// threads off the run queue. A running thread (the caller's own, on this
// processor) is held when it is next switched away from. Threads: a range
// of T.
template <class TaskT, class T, class Threads>
kern_return_t task_suspend_threads(TaskT& task, Threads& threads, RunQueue<T>& q) {
  using S = decltype(T::state);
  if (task.suspend_count == UINT32_MAX) return KERN_FAILURE;
  if (task.suspend_count++ > 0) return KERN_SUCCESS;
  for (T& t : threads) {
    if (t.state != S::kRunnable) continue;
    q.remove(t);
    t.state = S::kSuspended;
  }
  return KERN_SUCCESS;
}

// task_resume: one suspension less (KERN_FAILURE when there is none); the
// last queues the held threads. *queued: how many were queued.
template <class TaskT, class T, class Threads>
kern_return_t task_resume_threads(TaskT& task, Threads& threads, RunQueue<T>& q, int* queued) {
  using S = decltype(T::state);
  *queued = 0;
  if (task.suspend_count == 0) return KERN_FAILURE;
  if (--task.suspend_count > 0) return KERN_SUCCESS;
  for (T& t : threads) {
    if (t.state != S::kSuspended) continue;
    t.state = S::kRunnable;
    q.enqueue(t);
    ++*queued;
  }
  return KERN_SUCCESS;
}

}  // namespace mk
