#include "waiters.h"

#include <mach/mig_errors.h>
#include <unix_reply.h>
#include <unix_types.h>

#include "libmach/mach_ipc.h"
#include "libmach/malloc.h"
#include "libmach/print.h"
#include "linux_abi.h"

namespace ux {

using namespace linux_abi;

namespace {

constexpr int kMaxWaiters = 128;
Waiter g_waiters[kMaxWaiters];
int g_count = 0;       // slots in use
bool g_run = false;    // waiters_run_later was called

void release(Waiter& w) {
  if (!w.used) return;
  free(w.data);
  w = Waiter{};
  --g_count;
}

// One try of w: true when answered.
bool attempt(Waiter& w) {
  Process* p = w.p;
  switch (w.kind) {
    case WaitKind::kRead: {
      static char buf[UNIX_DATA_MAX];
      uint32_t got = 0;
      int err = try_read(p, w.fd, w.count, w.offset, buf, &got);
      if (err == kEAGAIN) return false;
      if (err) reply_error(w.reply, 7004, err);
      else (void)unix_read_reply(w.reply, 0, buf, got);
      return true;
    }
    case WaitKind::kWrite: {
      uint32_t put = 0;
      int err = try_write(p, w.fd, w.data + w.done, w.count - w.done, w.offset, &put);
      w.done += put;
      if (err == kEAGAIN || (!err && w.done < w.count && put > 0)) return false;
      // A write that took some bytes reports them, whatever stopped it.
      if (err && w.done == 0) reply_error(w.reply, 7005, err);
      else (void)unix_write_reply(w.reply, 0, w.done);
      return true;
    }
    case WaitKind::kWait4: {
      int waited = 0, status = 0;
      int err = try_wait4(p, w.pid, w.options, &waited, &status);
      if (err == kEAGAIN) return false;
      if (err) reply_error(w.reply, 7019, err);
      else (void)unix_wait4_reply(w.reply, 0, waited, status);
      return true;
    }
    case WaitKind::kSleep:
      if (w.deadline == 0 || now_ms() < w.deadline) return false;
      (void)unix_sleep_reply(w.reply, 0, 0);
      return true;
    case WaitKind::kPoll: {
      auto* fds = reinterpret_cast<uint64_t*>(w.data);
      int ready = 0;
      int err = try_poll(p, fds, w.count, &ready);
      bool expired = w.deadline && now_ms() >= w.deadline;
      if (!err && ready == 0 && !expired) return false;
      if (err) reply_error(w.reply, 7025, err);
      else (void)unix_poll_reply(w.reply, 0, ready, fds, w.count);
      return true;
    }
  }
  return true;
}

}  // namespace

uint64_t now_ms() {
  mach_task_basic info{};
  (void)task_info_self(&info);
  return info.ticks_per_second ? info.ticks * 1000 / info.ticks_per_second : 0;
}

void reply_error(mach_port_t reply, mach_msg_id_t request_id, kern_return_t code) {
  mig_reply_error_t r{};
  r.Head.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0);
  r.Head.msgh_size = sizeof r;
  r.Head.msgh_remote_port = reply;
  r.Head.msgh_id = request_id + 100;
  r.RetCode = code;
  if (mach_msg(&r.Head, MACH_SEND_MSG | MACH_SEND_TIMEOUT, sizeof r, 0, MACH_PORT_NULL, 0) != MACH_MSG_SUCCESS)
    (void)mach_port_deallocate(mach_task_self(), reply);
}

bool waiter_add(const Waiter& w) {
  for (Waiter& slot : g_waiters)
    if (!slot.used) {
      slot = w;
      slot.used = true;
      ++g_count;
      return true;
    }
  printf("unix: too many waiting calls; one answered EAGAIN\n");
  return false;
}

void waiters_run_later() { g_run = true; }

void waiters_after_message() {
  if (g_count == 0) {
    g_run = false;
    return;
  }
  uint64_t next = waiters_next_deadline();
  if (g_run || (next && now_ms() >= next)) waiters_run();
}

void waiters_run() {
  g_run = false;
  // Answers may make others able to go on (a write feeds a read): repeat
  // while any was answered.
  for (bool again = true; again;) {
    again = false;
    for (Waiter& w : g_waiters)
      if (w.used && attempt(w)) {
        release(w);
        again = true;
      }
  }
}

void waiters_interrupt(Process* p) {
  for (Waiter& w : g_waiters) {
    if (!w.used || w.p != p) continue;
    // (An interrupted sleep's remaining time the library works out itself.)
    if (w.kind == WaitKind::kWrite && w.done) {
      (void)unix_write_reply(w.reply, 0, w.done);  // what was written counts
    } else {
      static const mach_msg_id_t ids[] = {7004, 7005, 7019, 7024, 7025};
      reply_error(w.reply, ids[int(w.kind)], kEINTR);
    }
    release(w);
  }
}

void waiters_drop(Process* p) {
  for (Waiter& w : g_waiters)
    if (w.used && w.p == p) {
      (void)mach_port_deallocate(mach_task_self(), w.reply);
      release(w);
    }
}

uint64_t waiters_next_deadline() {
  if (g_count == 0) return 0;  // the common case, on every request: no scan
  uint64_t next = 0;
  for (const Waiter& w : g_waiters)
    if (w.used && w.deadline && (next == 0 || w.deadline < next)) next = w.deadline;
  return next;
}

}  // namespace ux
