// Suspend bookkeeping (kern/task_suspend.h): counts, threads held off the
// run queue and put back, wake-ups of a suspended task's threads held.
#include <doctest/doctest.h>

#include <vector>

#include "kern/task_suspend.h"

namespace {

enum class St { kEmbryo, kRunnable, kRunning, kBlocked, kSuspended, kDead };

struct FakeTask {
  uint32_t suspend_count = 0;
};

struct FakeThread {
  boost::intrusive::list_member_hook<> run_link;
  int priority = 16;
  St state = St::kEmbryo;
  FakeTask* task = nullptr;
  int id = 0;
};

std::vector<int> drain(mk::RunQueue<FakeThread>& q) {
  std::vector<int> ids;
  while (FakeThread* t = q.dequeue()) ids.push_back(t->id);
  return ids;
}

}  // namespace

TEST_CASE("task suspend: queued threads leave the run queue, resume puts them back") {
  FakeTask task, other;
  std::vector<FakeThread> t(3), o(1);  // the task's threads, the other's
  mk::RunQueue<FakeThread> q;          // (after them: emptied first when it goes)
  for (int i = 0; i < 3; ++i) {
    t[i].id = i;
    t[i].task = &task;
    REQUIRE(mk::thread_ready(q, t[i]));
  }
  o[0].id = 3;
  o[0].task = &other;
  REQUIRE(mk::thread_ready(q, o[0]));
  t[1].state = St::kBlocked;  // not queued: pretend it blocked
  q.remove(t[1]);
  CHECK(q.size() == 3);

  REQUIRE(mk::task_suspend_threads(task, t, q) == KERN_SUCCESS);
  CHECK(task.suspend_count == 1);
  CHECK(t[0].state == St::kSuspended);
  CHECK(t[1].state == St::kBlocked);  // stays blocked until woken
  CHECK(t[2].state == St::kSuspended);
  CHECK(q.size() == 1);  // only the other task's thread

  // A wake-up of the blocked one while suspended: held, not queued.
  CHECK_FALSE(mk::thread_ready(q, t[1]));
  CHECK(t[1].state == St::kSuspended);
  CHECK(q.size() == 1);

  int queued = -1;
  REQUIRE(mk::task_resume_threads(task, t, q, &queued) == KERN_SUCCESS);
  CHECK(queued == 3);
  CHECK(task.suspend_count == 0);
  for (int i = 0; i < 3; ++i) CHECK(t[i].state == St::kRunnable);
  CHECK(drain(q) == std::vector<int>{3, 0, 1, 2});
}

TEST_CASE("task suspend counts: two suspends need two resumes; resume of a running task fails") {
  FakeTask task;
  std::vector<FakeThread> t(1);
  mk::RunQueue<FakeThread> q;
  t[0].task = &task;
  mk::thread_ready(q, t[0]);
  int queued = -1;
  CHECK(mk::task_resume_threads(task, t, q, &queued) == KERN_FAILURE);
  CHECK(task.suspend_count == 0);
  CHECK(q.size() == 1);

  REQUIRE(mk::task_suspend_threads(task, t, q) == KERN_SUCCESS);
  REQUIRE(mk::task_suspend_threads(task, t, q) == KERN_SUCCESS);
  CHECK(task.suspend_count == 2);
  CHECK(q.empty());
  REQUIRE(mk::task_resume_threads(task, t, q, &queued) == KERN_SUCCESS);
  CHECK(queued == 0);  // still suspended once
  CHECK(q.empty());
  CHECK(t[0].state == St::kSuspended);
  REQUIRE(mk::task_resume_threads(task, t, q, &queued) == KERN_SUCCESS);
  CHECK(queued == 1);
  CHECK(q.size() == 1);
  CHECK(mk::task_resume_threads(task, t, q, &queued) == KERN_FAILURE);
}

TEST_CASE("task suspend: a running thread is held when switched away from; kernel threads never are") {
  FakeTask task;
  std::vector<FakeThread> t(2);
  mk::RunQueue<FakeThread> q;
  t[0].task = &task;
  t[0].state = St::kRunning;  // the caller suspending its own task
  t[1].task = nullptr;        // a kernel thread
  REQUIRE(mk::task_suspend_threads(task, t, q) == KERN_SUCCESS);
  CHECK(t[0].state == St::kRunning);  // it stops at the next switch
  CHECK_FALSE(mk::thread_ready(q, t[0], /*front=*/true));
  CHECK(t[0].state == St::kSuspended);
  CHECK(mk::thread_ready(q, t[1]));
  CHECK(t[1].state == St::kRunnable);
  CHECK(q.size() == 1);
  int queued = 0;
  REQUIRE(mk::task_resume_threads(task, t, q, &queued) == KERN_SUCCESS);
  CHECK(queued == 1);
  CHECK(q.size() == 2);
}
