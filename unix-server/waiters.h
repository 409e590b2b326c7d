// Calls that wait: their reply rights, kept until the call can complete
// (docs/unix.md, "Waiting"). Every event that may let one go on (data in
// a pipe or from the terminal, a child's end, time passing, a signal)
// runs them all again: each is retried, and answered when it no longer
// has to wait. A caught signal answers a process's waiting calls with
// EINTR; a process that ends drops them.
#pragma once

#include <stdint.h>

#include <mach/kern_return.h>
#include <mach/message.h>
#include <mach/port.h>

#include "process.h"

namespace ux {

enum class WaitKind : uint8_t { kRead, kWrite, kWait4, kSleep, kPoll };

struct Waiter {
  bool used = false;
  WaitKind kind = WaitKind::kRead;
  Process* p = nullptr;
  mach_port_t reply = MACH_PORT_NULL;  // send-once
  int fd = -1;
  uint32_t count = 0;       // read: bytes wanted; write: bytes of data
  int64_t offset = -1;
  char* data = nullptr;     // write: a copy of the bytes; poll: the entries (malloc)
  uint32_t done = 0;        // write: bytes already written
  int pid = 0, options = 0; // wait4
  uint64_t deadline = 0;    // milliseconds since boot; 0: none
};

// Milliseconds since boot (the kernel's clock).
uint64_t now_ms();

// Keeps w (its data now belongs to the table); false when the table is full.
bool waiter_add(const Waiter& w);
// Retries every waiting call.
void waiters_run();
// Something changed that may let a waiting call go on: the server loop
// retries them after the current request (never from inside a try).
void waiters_run_later();
// After each message: retries them when asked to or a deadline passed.
void waiters_after_message();
// A caught signal for p: its waiting calls end with EINTR.
void waiters_interrupt(Process* p);
// p is gone: its waiting calls are dropped unanswered.
void waiters_drop(Process* p);
// The nearest deadline, or 0.
uint64_t waiters_next_deadline();

// Answers a call that kept its reply right with an error only.
void reply_error(mach_port_t reply, mach_msg_id_t request_id, kern_return_t code);

// The attempts the waiting calls repeat (calls.cpp and friends): 0, an
// errno, or EAGAIN when the call must go on waiting.
int try_read(Process* p, int fd, uint32_t count, int64_t offset, char* buf, uint32_t* got);
int try_write(Process* p, int fd, const char* data, uint32_t count, int64_t offset, uint32_t* put);
int try_wait4(Process* p, int pid, int options, int* waited, int* status);
int try_poll(Process* p, uint64_t* fds, uint32_t count, int* ready);

}  // namespace ux
