#include <doctest/doctest.h>

#include <vector>

#include "kern/run_queue.h"

namespace {
struct FakeThread {
  boost::intrusive::list_member_hook<> run_link;
  int priority = 0;
  int id = 0;
};
}  // namespace

TEST_CASE("run queue picks the most urgent priority first, FIFO within one") {
  mk::RunQueue<FakeThread> q;
  std::vector<FakeThread> t(6);
  int prios[] = {5, 20, 5, 31, 0, 20};
  for (int i = 0; i < 6; ++i) {
    t[i].priority = prios[i];
    t[i].id = i;
    q.enqueue(t[i]);
  }
  CHECK(q.size() == 6);
  CHECK(q.top_priority() == 31);
  int order[] = {3, 1, 5, 0, 2, 4};
  for (int want : order) {
    FakeThread* got = q.dequeue();
    REQUIRE(got != nullptr);
    CHECK(got->id == want);
  }
  CHECK(q.empty());
  CHECK(q.dequeue() == nullptr);
  CHECK(q.top_priority() == -1);
}

TEST_CASE("enqueue_front puts a thread ahead of its peers") {
  mk::RunQueue<FakeThread> q;
  FakeThread a, b, c;
  a.id = 1, b.id = 2, c.id = 3;
  a.priority = b.priority = c.priority = 10;
  q.enqueue(a);
  q.enqueue(b);
  q.enqueue_front(c);
  CHECK(q.dequeue()->id == 3);
  CHECK(q.dequeue()->id == 1);
  CHECK(q.dequeue()->id == 2);
}

TEST_CASE("remove takes a thread out and keeps the bitmap right") {
  mk::RunQueue<FakeThread> q;
  FakeThread a, b, c;
  a.priority = 7, b.priority = 7, c.priority = 3;
  a.id = 1, b.id = 2, c.id = 3;
  q.enqueue(a);
  q.enqueue(b);
  q.enqueue(c);
  q.remove(a);
  CHECK(q.size() == 2);
  CHECK(q.top_priority() == 7);
  q.remove(b);
  CHECK(q.top_priority() == 3);
  CHECK(q.dequeue()->id == 3);
  CHECK(q.empty());
  CHECK(!a.run_link.is_linked());
}

TEST_CASE("out-of-range priorities are clamped, not out of bounds") {
  mk::RunQueue<FakeThread> q;
  FakeThread lo, hi;
  lo.priority = -4, hi.priority = 99;
  lo.id = 1, hi.id = 2;
  q.enqueue(lo);
  q.enqueue(hi);
  CHECK(q.top_priority() == 31);
  CHECK(q.dequeue()->id == 2);
  CHECK(q.dequeue()->id == 1);
}
