// The block request queue of drivers/block (request_queue.h): checks,
// arrival order, slots, completion matching.
#include <doctest/doctest.h>

#include "../../drivers/block/request_queue.h"

using blk::Op;
using blk::Request;
using blk::RequestQueue;

namespace {
Request read(uint64_t sector, uint32_t count, mach_port_t reply = 1) {
  Request r;
  r.op = Op::kRead;
  r.sector = sector;
  r.count = count;
  r.reply = reply;
  return r;
}
Request write(uint64_t sector, uint64_t bytes) {
  Request r;
  r.op = Op::kWrite;
  r.sector = sector;
  r.data = 0x1000;
  r.data_size = bytes;
  return r;
}
}  // namespace

TEST_CASE("block checks: sizes and ranges") {
  CHECK(blk::check_range(0, 1, 100, 8) == KERN_SUCCESS);
  CHECK(blk::check_range(92, 8, 100, 8) == KERN_SUCCESS);
  CHECK(blk::check_range(99, 1, 100, 8) == KERN_SUCCESS);
  CHECK(blk::check_range(0, 0, 100, 8) == D_INVALID_SIZE);
  CHECK(blk::check_range(0, 9, 100, 8) == D_INVALID_SIZE);
  CHECK(blk::check_range(100, 1, 100, 8) == D_INVALID_RECNUM);
  CHECK(blk::check_range(93, 8, 100, 8) == D_INVALID_RECNUM);
  CHECK(blk::check_range(~0ull, 2, 100, 8) == D_INVALID_RECNUM);      // sector + count wraps
  CHECK(blk::check_range(~0ull - 1, 2, ~0ull, 8) == D_INVALID_RECNUM);  // ends one past the end
  CHECK(blk::check_range(0, 1, 0, 8) == D_INVALID_RECNUM);            // an empty device
  uint32_t count = 0;
  CHECK(blk::check_write(0, 512, 100, 8, &count) == KERN_SUCCESS);
  CHECK(count == 1);
  CHECK(blk::check_write(10, 8 * 512, 100, 8, &count) == KERN_SUCCESS);
  CHECK(count == 8);
  count = 77;
  CHECK(blk::check_write(0, 0, 100, 8, &count) == D_INVALID_SIZE);
  CHECK(blk::check_write(0, 100, 100, 8, &count) == D_INVALID_SIZE);
  CHECK(blk::check_write(0, 513, 100, 8, &count) == D_INVALID_SIZE);
  CHECK(blk::check_write(0, 9 * 512, 100, 8, &count) == D_INVALID_SIZE);
  CHECK(blk::check_write(0, (1ull << 41) * 512, 100, 8, &count) == D_INVALID_SIZE);  // no 32-bit truncation
  CHECK(blk::check_write(99, 2 * 512, 100, 8, &count) == D_INVALID_RECNUM);
  CHECK(count == 77);  // untouched on failure
}

TEST_CASE("block queue: requests start in arrival order as slots free up") {
  RequestQueue q;
  q.init(2, 1000, 16);
  CHECK(q.start_next() == nullptr);
  for (uint32_t i = 0; i < 5; ++i) CHECK(q.add(read(i * 10, 1, 100 + i)) == KERN_SUCCESS);
  CHECK(q.waiting() == 5);
  Request* a = q.start_next();
  Request* b = q.start_next();
  REQUIRE(a);
  REQUIRE(b);
  CHECK(q.start_next() == nullptr);  // both slots busy
  CHECK(a->reply == 100);
  CHECK(b->reply == 101);
  CHECK(a->slot != b->slot);
  CHECK(q.in_flight() == 2);
  CHECK(q.waiting() == 3);

  // Completions out of order, matched by slot.
  Request done;
  uint32_t bslot = b->slot, aslot = a->slot;
  CHECK(q.complete(bslot, &done));
  CHECK(done.reply == 101);
  CHECK(done.sector == 10);
  CHECK_FALSE(q.complete(bslot, &done));  // a second completion of the same slot
  Request* c = q.start_next();
  REQUIRE(c);
  CHECK(c->reply == 102);
  CHECK(c->slot == bslot);  // the freed slot is reused
  CHECK(q.in_slot(aslot)->reply == 100);
  CHECK(q.complete(aslot, &done));
  CHECK(done.reply == 100);
  CHECK(q.in_slot(aslot) == nullptr);
  CHECK_FALSE(q.complete(7, &done));   // beyond the slots
  CHECK_FALSE(q.complete(~0u, &done));
  int left = 0;
  while (Request* r = q.start_next()) {
    ++left;
    CHECK(q.complete(r->slot, &done));
  }
  CHECK(q.complete(bslot, &done));
  CHECK(left == 2);
  CHECK(q.in_flight() == 0);
  CHECK(q.waiting() == 0);
}

TEST_CASE("block queue: bad requests are refused, nothing queued") {
  RequestQueue q;
  q.init(4, 64, 8);
  CHECK(q.add(read(0, 0)) == D_INVALID_SIZE);
  CHECK(q.add(read(0, 9)) == D_INVALID_SIZE);
  CHECK(q.add(read(64, 1)) == D_INVALID_RECNUM);
  CHECK(q.add(read(60, 5)) == D_INVALID_RECNUM);
  CHECK(q.add(write(0, 511)) == D_INVALID_SIZE);
  CHECK(q.add(write(0, 0)) == D_INVALID_SIZE);
  CHECK(q.add(write(63, 1024)) == D_INVALID_RECNUM);
  CHECK(q.waiting() == 0);
  CHECK(q.add(write(63, 512)) == KERN_SUCCESS);
  Request flush;
  flush.op = Op::kFlush;
  flush.sector = 12345;  // ignored
  CHECK(q.add(flush) == KERN_SUCCESS);
  Request* w = q.start_next();
  REQUIRE(w);
  CHECK(w->op == Op::kWrite);
  CHECK(w->count == 1);  // from the data size
  CHECK(w->data == 0x1000);
  Request* f = q.start_next();
  REQUIRE(f);
  CHECK(f->op == Op::kFlush);
  CHECK(f->count == 0);
}

TEST_CASE("block queue: the waiting list is bounded and wraps around") {
  RequestQueue q;
  q.init(1, 1u << 20, 8);
  for (uint32_t i = 0; i < RequestQueue::kMaxPending; ++i) REQUIRE(q.add(read(i, 1, i)) == KERN_SUCCESS);
  CHECK(q.add(read(0, 1)) == D_WOULD_BLOCK);
  // Many rounds through the ring: order is kept.
  uint32_t next_in = RequestQueue::kMaxPending, next_out = 0;
  for (int round = 0; round < 300; ++round) {
    Request* r = q.start_next();
    REQUIRE(r);
    CHECK(r->reply == next_out);
    CHECK(r->slot == 0);
    Request done;
    REQUIRE(q.complete(0, &done));
    CHECK(done.sector == next_out);
    ++next_out;
    REQUIRE(q.add(read(next_in, 1, next_in)) == KERN_SUCCESS);
    ++next_in;
  }
  CHECK(q.waiting() == RequestQueue::kMaxPending);
}

TEST_CASE("block queue: slot counts are clamped") {
  RequestQueue q;
  q.init(0, 10, 8);
  CHECK(q.slots() == 1);
  q.init(1000, 10, 8);
  CHECK(q.slots() == RequestQueue::kMaxSlots);
  for (uint32_t i = 0; i < RequestQueue::kMaxSlots + 3; ++i) REQUIRE(q.add(read(0, 1)) == KERN_SUCCESS);
  uint32_t started = 0;
  while (q.start_next()) ++started;
  CHECK(started == RequestQueue::kMaxSlots);
}
