// Clocks, answered in the library: the monotonic clock is the kernel's tick
// count (task_info_self), the real-time clock adds the boot epoch the Unix
// server wrote in the info page. (Sleeping is in sys_wait.cpp.)
#include <libmach/traps.h>

#include "clock.h"
#include "syscalls.h"
#include "user_memory.h"

namespace emul {

using namespace linux_abi;

namespace {

constexpr int kCLOCK_REALTIME = 0, kCLOCK_MONOTONIC = 1, kCLOCK_PROCESS_CPUTIME_ID = 2,
              kCLOCK_THREAD_CPUTIME_ID = 3, kCLOCK_MONOTONIC_RAW = 4, kCLOCK_REALTIME_COARSE = 5,
              kCLOCK_MONOTONIC_COARSE = 6, kCLOCK_BOOTTIME = 7;
constexpr int64_t kNanos = 1000000000;

// Ticks since boot and their rate (never 0, whatever the kernel says).
void ticks(uint64_t& count, uint64_t& rate) {
  mach_task_basic b{};
  (void)task_info_self(&b);
  count = b.ticks;
  rate = b.ticks_per_second ? b.ticks_per_second : 100;
}

Timespec monotonic() {
  uint64_t count, rate;
  ticks(count, rate);
  return {int64_t(count / rate), int64_t((count % rate) * uint64_t(kNanos) / rate)};
}

}  // namespace

bool clock_now(int clock, Timespec& t) {
  switch (clock) {
    case kCLOCK_MONOTONIC: case kCLOCK_MONOTONIC_RAW: case kCLOCK_MONOTONIC_COARSE: case kCLOCK_BOOTTIME:
    // No per-process CPU accounting yet: time since boot is an upper bound.
    case kCLOCK_PROCESS_CPUTIME_ID: case kCLOCK_THREAD_CPUTIME_ID:
      t = monotonic();
      return true;
    case kCLOCK_REALTIME: case kCLOCK_REALTIME_COARSE:
      t = monotonic();
      t.tv_sec += int64_t(g_info.boot_epoch);
      return true;
    default: return false;
  }
}

Timespec monotonic_now() { return monotonic(); }

Timespec realtime_now() {
  Timespec t;
  clock_now(kCLOCK_REALTIME, t);
  return t;
}

long sys_clock_gettime(const emulation_frame& f) {
  Timespec t;
  if (!clock_now(iarg(arg0(f)), t)) return -kEINVAL;
  return copy_out(arg1(f), &t, sizeof t);
}

long sys_clock_getres(const emulation_frame& f) {
  Timespec t;
  if (!clock_now(iarg(arg0(f)), t)) return -kEINVAL;
  if (!arg1(f)) return 0;
  uint64_t count, rate;
  ticks(count, rate);
  Timespec res{0, int64_t(uint64_t(kNanos) / rate)};
  return copy_out(arg1(f), &res, sizeof res);
}

// gettimeofday(tv, tz): the time zone is always UTC.
long sys_gettimeofday(const emulation_frame& f) {
  Timespec t;
  clock_now(kCLOCK_REALTIME, t);
  if (arg0(f)) {
    int64_t tv[2] = {t.tv_sec, t.tv_nsec / 1000};
    if (long r = copy_out(arg0(f), tv, sizeof tv); r < 0) return r;
  }
  if (arg1(f)) {
    int32_t tz[2] = {0, 0};
    if (long r = copy_out(arg1(f), tz, sizeof tz); r < 0) return r;
  }
  return 0;
}

long sys_time(const emulation_frame& f) {
  Timespec t;
  clock_now(kCLOCK_REALTIME, t);
  if (arg0(f))
    if (long r = copy_out(arg0(f), &t.tv_sec, sizeof t.tv_sec); r < 0) return r;
  return long(t.tv_sec);
}

// sysinfo(info): uptime from the clock; memory and load are not known here.
long sys_sysinfo(const emulation_frame& f) {
  struct {
    int64_t uptime;
    uint64_t loads[3];
    uint64_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
    uint16_t procs;
    uint16_t pad[3];
    uint64_t totalhigh, freehigh;
    uint32_t mem_unit;
    uint32_t pad2;
  } s{};
  static_assert(sizeof s == 112, "struct sysinfo on x86-64");
  s.uptime = monotonic().tv_sec;
  s.procs = 1;
  s.mem_unit = 1;
  return copy_out(arg0(f), &s, sizeof s);
}

}  // namespace emul
