// Waiting: nanosleep, clock_nanosleep and pause (unix_sleep), poll, ppoll,
// select and pselect6 (unix_poll). The Unix server does the waiting, so a
// signal the process catches ends it with EINTR; times are sent in whole
// milliseconds, rounded up. What is left of a timeout (nanosleep's rem,
// the updated timeouts of select, ppoll and pselect6) is measured on the
// library's monotonic clock against the deadline taken before the call.
#include <libmach/traps.h>
#include <unix.h>

#include "clock.h"
#include "syscalls.h"
#include "unix_call.h"
#include "user_memory.h"

namespace emul {

using namespace linux_abi;

namespace {

constexpr int kCLOCK_THREAD_CPUTIME_ID = 3, kCLOCK_MONOTONIC_RAW = 4,
              kCLOCK_REALTIME_COARSE = 5, kCLOCK_MONOTONIC_COARSE = 6;
constexpr int kTIMER_ABSTIME = 1;
constexpr int kEOPNOTSUPP = 95;
constexpr int64_t kNanos = 1000000000;
// Longer waits are this long (some 142,000 years): the server adds it to
// its clock.
constexpr int64_t kMaxMs = int64_t(1) << 52;

constexpr uint16_t kPOLLIN = 0x1, kPOLLPRI = 0x2, kPOLLOUT = 0x4, kPOLLERR = 0x8, kPOLLHUP = 0x10,
                   kPOLLNVAL = 0x20, kPOLLRDNORM = 0x40, kPOLLRDBAND = 0x80, kPOLLWRNORM = 0x100,
                   kPOLLWRBAND = 0x200;
// What select reports in each set (Linux's POLLIN_SET, POLLOUT_SET, POLLEX_SET).
constexpr uint16_t kSelectIn = kPOLLIN | kPOLLRDNORM | kPOLLRDBAND | kPOLLHUP | kPOLLERR;
constexpr uint16_t kSelectOut = kPOLLOUT | kPOLLWRNORM | kPOLLWRBAND | kPOLLERR;
constexpr uint16_t kSelectEx = kPOLLPRI;
constexpr int kSelectMax = 1024;  // FD_SETSIZE: the descriptors select looks at

struct PollFd {  // struct pollfd
  int32_t fd;
  int16_t events, revents;
};
static_assert(sizeof(PollFd) == 8, "struct pollfd");

// unix_poll's entries (fd << 32 | events << 16 | revents) and answer, and
// the program's pollfd array: static, as the library's other buffers.
constinit uint64_t g_poll_entries[UNIX_POLL_MAX] = {};
constinit uint64_t g_poll_result[UNIX_POLL_MAX] = {};
constinit PollFd g_pollfds[UNIX_POLL_MAX] = {};

bool valid(const Timespec& t) { return t.tv_sec >= 0 && t.tv_nsec >= 0 && t.tv_nsec < kNanos; }

// A valid interval in milliseconds, rounded up (at most kMaxMs).
int64_t ms_of(const Timespec& t) {
  if (t.tv_sec >= kMaxMs / 1000) return kMaxMs;
  return t.tv_sec * 1000 + (t.tv_nsec + 999999) / 1000000;
}

Timespec plus(Timespec a, const Timespec& b) {
  a.tv_sec += b.tv_sec < (int64_t(1) << 40) ? b.tv_sec : (int64_t(1) << 40);
  a.tv_nsec += b.tv_nsec;
  if (a.tv_nsec >= kNanos) {
    ++a.tv_sec;
    a.tv_nsec -= kNanos;
  }
  return a;
}

// a - b, or zero when b is not before a.
Timespec minus(const Timespec& a, const Timespec& b) {
  Timespec d{a.tv_sec - b.tv_sec, a.tv_nsec - b.tv_nsec};
  if (d.tv_nsec < 0) {
    --d.tv_sec;
    d.tv_nsec += kNanos;
  }
  if (d.tv_sec < 0) d = {0, 0};
  return d;
}

// The time from now (monotonic) to a deadline, never negative.
Timespec left_until(const Timespec& deadline) { return minus(deadline, monotonic_now()); }

// Sleeps for the interval t; on EINTR writes what is left to rem (when it
// is not 0) and answers -EINTR (-EFAULT if rem cannot be written).
long sleep_for(const Timespec& t, uint64_t rem, const char* what) {
  int64_t ms = ms_of(t);
  if (ms == 0) {  // unix_sleep's 0 would be pause()
    thread_switch();
    return 0;
  }
  Timespec deadline = plus(monotonic_now(), t);
  int64_t left_ms = 0;
  long r = unix_result(unix_sleep(unix_port(), ms, &left_ms), what);
  if (r == -kEINTR && rem) {
    Timespec left = left_until(deadline);
    if (long w = copy_out(rem, &left, sizeof left); w < 0) return w;
  }
  return r;
}

uint64_t poll_key(int fd, uint16_t events) { return uint64_t(uint32_t(fd)) << 32 | uint64_t(events) << 16; }

// unix_poll of g_poll_entries[0, n); timeout_ms -1: no timeout. The
// entries' revents (low 16 bits) are then the server's; the number of
// ready entries, or -errno.
long poll_entries(uint32_t n, int64_t timeout_ms) {
  int32_t ready = 0;
  mach_msg_type_number_t got = UNIX_POLL_MAX;
  long r = unix_result(unix_poll(unix_port(), g_poll_entries, n, timeout_ms, &ready, g_poll_result, &got), "poll");
  if (r < 0) return r;
  if (got > n) got = n;
  bool in_order = got == n;
  for (uint32_t i = 0; i < n; ++i) {
    g_poll_entries[i] &= ~uint64_t(0xffff);
    if (in_order && (g_poll_result[i] >> 16) != (g_poll_entries[i] >> 16)) in_order = false;
  }
  if (in_order) {
    for (uint32_t i = 0; i < n; ++i) g_poll_entries[i] |= g_poll_result[i] & 0xffff;
  } else {  // answered in another order, or only some: matched by fd and events
    for (uint32_t j = 0; j < got; ++j)
      for (uint32_t i = 0; i < n; ++i)
        if ((g_poll_entries[i] >> 16) == (g_poll_result[j] >> 16)) g_poll_entries[i] |= g_poll_result[j] & 0xffff;
  }
  return ready;
}

// poll(fds, nfds, timeout_ms) with the timeout in milliseconds (-1: none).
long poll_fds(uint64_t fds, uint32_t nfds, int64_t timeout_ms) {
  if (nfds > UNIX_POLL_MAX) return -kEINVAL;
  if (long r = copy_in(g_pollfds, fds, nfds * sizeof(PollFd)); r < 0) return r;
  for (uint32_t i = 0; i < nfds; ++i) g_poll_entries[i] = poll_key(g_pollfds[i].fd, uint16_t(g_pollfds[i].events));
  if (long r = poll_entries(nfds, timeout_ms); r < 0) return r;
  long ready = 0;
  for (uint32_t i = 0; i < nfds; ++i) {
    g_pollfds[i].revents = int16_t(g_poll_entries[i] & 0xffff);
    if (g_pollfds[i].revents) ++ready;
  }
  if (long w = copy_out(fds, g_pollfds, nfds * sizeof(PollFd)); w < 0) return w;
  return ready;
}

// A timeout given as a struct timespec (ppoll, pselect6): nullptr is none.
struct Timeout {
  bool given = false;
  Timespec interval{0, 0}, deadline{0, 0};
  int64_t ms() const { return given ? ms_of(interval) : -1; }
  void set(const Timespec& t) {
    given = true;
    interval = t;
    deadline = plus(monotonic_now(), t);
  }
  // Linux writes back what is left of a timeout that was not zero (a
  // failure to write is ignored: the call's result stands).
  bool updates() const { return given && (interval.tv_sec || interval.tv_nsec); }
};

long read_timespec_timeout(uint64_t user, Timeout& to) {
  if (!user) return 0;
  Timespec t;
  if (long r = copy_in(&t, user, sizeof t); r < 0) return r;
  if (!valid(t)) return -kEINVAL;
  to.set(t);
  return 0;
}

void write_timespec_left(uint64_t user, const Timeout& to) {
  if (!to.updates()) return;
  Timespec left = left_until(to.deadline);
  (void)copy_out(user, &left, sizeof left);
}

// A signal mask for the duration of the call (ppoll, pselect6): checked
// (size, pointer) but not applied.
long check_sigmask(uint64_t mask, uint64_t size) {
  if (!mask) return 0;
  if (size != 8) return -kEINVAL;
  uint64_t m;
  return copy_in(&m, mask, sizeof m);
}

bool bit(const uint64_t* set, int fd) { return (set[fd / 64] >> (fd % 64)) & 1; }
void set_bit(uint64_t* set, int fd) { set[fd / 64] |= uint64_t(1) << (fd % 64); }

// select's core (Linux's core_sys_select): the three sets of n bits (each
// may be 0), rewritten with the ready descriptors; the count of set bits.
long select_sets(int n, const uint64_t user[3], const Timeout& to) {
  if (n < 0) return -kEINVAL;
  if (n > kSelectMax) n = kSelectMax;  // Linux stops at the size of its descriptor table
  size_t bytes = size_t((n + 63) / 64) * 8;
  uint64_t sets[3][kSelectMax / 64] = {};
  for (int k = 0; k < 3; ++k)
    if (user[k])
      if (long r = copy_in(sets[k], user[k], bytes); r < 0) return r;
  uint32_t count = 0;
  for (int fd = 0; fd < n; ++fd) {
    uint16_t events = (bit(sets[0], fd) ? kPOLLIN : 0) | (bit(sets[1], fd) ? kPOLLOUT : 0) |
                      (bit(sets[2], fd) ? kPOLLPRI : 0);
    if (events) g_poll_entries[count++] = poll_key(fd, events);
  }
  const uint64_t keys_mask = ~uint64_t(0xffff);
  int64_t ms = to.ms();
  for (;;) {
    long ready = poll_entries(count, ms);
    if (ready < 0) return ready;
    uint64_t result[3][kSelectMax / 64] = {};
    long total = 0;
    for (uint32_t i = 0; i < count; ++i) {
      int fd = int(g_poll_entries[i] >> 32);
      uint16_t revents = uint16_t(g_poll_entries[i] & 0xffff);
      if (revents & kPOLLNVAL) return -kEBADF;
      const uint16_t wanted[3] = {kSelectIn, kSelectOut, kSelectEx};
      for (int k = 0; k < 3; ++k)
        if (bit(sets[k], fd) && (revents & wanted[k])) {
          set_bit(result[k], fd);
          ++total;
        }
      g_poll_entries[i] &= keys_mask;
    }
    // The server answers at once for events select does not report (a
    // hang-up of a descriptor in writefds or exceptfds only): those wait
    // on, polled every 10 ms, until the timeout.
    if (total == 0 && ready > 0 && ms != 0) {
      if (to.given) ms = ms_of(left_until(to.deadline));
      if (ms != 0) {
        int64_t step = ms < 0 || ms > 10 ? 10 : ms, left_ms = 0;
        if (long r = unix_result(unix_sleep(unix_port(), step, &left_ms), "select"); r < 0) return r;
        if (to.given) ms = ms_of(left_until(to.deadline));
        continue;
      }
    }
    for (int k = 0; k < 3; ++k)
      if (user[k])
        if (long w = copy_out(user[k], result[k], bytes); w < 0) return w;
    return total;
  }
}

}  // namespace

// nanosleep(req, rem).
long sys_nanosleep(const emulation_frame& f) {
  Timespec t;
  if (long r = copy_in(&t, arg0(f), sizeof t); r < 0) return r;
  if (!valid(t)) return -kEINVAL;
  return sleep_for(t, arg1(f), "nanosleep");
}

// clock_nanosleep(clock, flags, req, rem): an absolute time (TIMER_ABSTIME)
// becomes the interval from now on that clock, and rem is not written then.
// Clocks that cannot be slept on are EOPNOTSUPP, as in Linux; the process
// CPU clock is slept as elapsed time (no CPU accounting yet).
long sys_clock_nanosleep(const emulation_frame& f) {
  int clock = iarg(arg0(f));
  Timespec now;
  if (!clock_now(clock, now)) return -kEINVAL;
  if (clock == kCLOCK_THREAD_CPUTIME_ID || clock == kCLOCK_MONOTONIC_RAW || clock == kCLOCK_REALTIME_COARSE ||
      clock == kCLOCK_MONOTONIC_COARSE)
    return -kEOPNOTSUPP;
  Timespec t;
  if (long r = copy_in(&t, arg2(f), sizeof t); r < 0) return r;
  if (!valid(t)) return -kEINVAL;
  uint64_t rem = arg3(f);
  if (iarg(arg1(f)) & kTIMER_ABSTIME) {
    rem = 0;
    t = minus(t, now);
    if (t.tv_sec == 0 && t.tv_nsec == 0) return 0;
  }
  return sleep_for(t, rem, "clock_nanosleep");
}

// pause(): until a signal the process catches (-EINTR).
long sys_pause(const emulation_frame&) {
  for (;;) {
    int64_t left_ms = 0;
    if (long r = unix_result(unix_sleep(unix_port(), 0, &left_ms), "pause"); r < 0) return r;
  }
}

// poll(fds, nfds, timeout_ms): a negative timeout is none.
long sys_poll(const emulation_frame& f) {
  int timeout = iarg(arg2(f));
  return poll_fds(arg0(f), uint32_t(arg1(f)), timeout < 0 ? -1 : timeout);
}

// ppoll(fds, nfds, tsp, sigmask, sigsetsize): tsp nullptr is no timeout;
// what is left of it is written back.
long sys_ppoll(const emulation_frame& f) {
  Timeout to;
  if (long r = read_timespec_timeout(arg2(f), to); r < 0) return r;
  if (long r = check_sigmask(arg3(f), arg4(f)); r < 0) return r;
  long r = poll_fds(arg0(f), uint32_t(arg1(f)), to.ms());
  write_timespec_left(arg2(f), to);
  return r;
}

// select(n, readfds, writefds, exceptfds, struct timeval* timeout):
// microseconds past a second carry into the seconds; what is left of the
// timeout is written back.
long sys_select(const emulation_frame& f) {
  uint64_t tvp = arg4(f);
  Timeout to;
  if (tvp) {
    int64_t tv[2];
    if (long r = copy_in(tv, tvp, sizeof tv); r < 0) return r;
    Timespec t{tv[0] + tv[1] / 1000000, (tv[1] % 1000000) * 1000};
    if (!valid(t)) return -kEINVAL;
    to.set(t);
  }
  const uint64_t sets[3] = {arg1(f), arg2(f), arg3(f)};
  long r = select_sets(iarg(arg0(f)), sets, to);
  if (to.updates()) {
    Timespec left = left_until(to.deadline);
    int64_t tv[2] = {left.tv_sec, left.tv_nsec / 1000};
    (void)copy_out(tvp, tv, sizeof tv);
  }
  return r;
}

// pselect6(n, readfds, writefds, exceptfds, struct timespec* timeout,
// sig): sig points at { const sigset_t* mask; size_t size; }. The kernel
// writes back what is left of the timeout (C libraries pass a copy).
long sys_pselect6(const emulation_frame& f) {
  uint64_t pack[2] = {0, 0};
  if (arg5(f))
    if (long r = copy_in(pack, arg5(f), sizeof pack); r < 0) return r;
  Timeout to;
  if (long r = read_timespec_timeout(arg4(f), to); r < 0) return r;
  if (long r = check_sigmask(pack[0], pack[1]); r < 0) return r;
  const uint64_t sets[3] = {arg1(f), arg2(f), arg3(f)};
  long r = select_sets(iarg(arg0(f)), sets, to);
  write_timespec_left(arg4(f), to);
  return r;
}

}  // namespace emul
