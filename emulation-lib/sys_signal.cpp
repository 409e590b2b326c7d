// Signal state kept in the library: actions, the blocked mask and the
// alternate stack. The server is told what it needs to act on a signal
// (which are caught, ignored, blocked: sync_signal_state); delivery to a
// handler is signal_delivery.cpp's, on the way out of each call.
#include <unix.h>

#include "process_state.h"
#include "syscalls.h"
#include "unix_call.h"
#include "user_memory.h"

namespace emul {

using namespace linux_abi;

namespace {

constexpr int kSigCount = 64;
constexpr int kSIGKILL = 9, kSIGSTOP = 19;
constexpr uint64_t kUnblockable = (uint64_t(1) << (kSIGKILL - 1)) | (uint64_t(1) << (kSIGSTOP - 1));
constexpr int kSIG_BLOCK = 0, kSIG_UNBLOCK = 1, kSIG_SETMASK = 2;
constexpr int kSS_ONSTACK = 1, kSS_DISABLE = 2;
constexpr uint32_t kSS_AUTODISARM = 1u << 31;
constexpr uint64_t kMinSigStackSize = 2048;

using KernelSigaction = SignalAction;
static_assert(sizeof(KernelSigaction) == 32, "kernel sigaction");

struct StackT {  // stack_t
  uint64_t sp;
  int32_t flags;
  int32_t pad;
  uint64_t size;
};
static_assert(sizeof(StackT) == 24, "stack_t");

constinit KernelSigaction g_actions[kSigCount] = {};
constinit uint64_t g_blocked = 0;
constinit StackT g_altstack = {0, kSS_DISABLE, 0, 0};

}  // namespace

SignalAction& signal_action(int sig) { return g_actions[sig - 1]; }
uint64_t& blocked_signals() { return g_blocked; }

bool alternate_stack(uint64_t* top) {
  if (g_altstack.flags & kSS_DISABLE) return false;
  *top = g_altstack.sp + g_altstack.size;
  return true;
}

long sync_signal_state(uint64_t taken) {
  uint64_t caught = 0, ignored = 0;
  for (int sig = 1; sig <= kSigCount; ++sig) {
    uint64_t h = g_actions[sig - 1].handler;
    if (h == kSIG_IGN) ignored |= uint64_t(1) << (sig - 1);
    else if (h != kSIG_DFL) caught |= uint64_t(1) << (sig - 1);
  }
  return unix_result(unix_sigstate(unix_port(), g_blocked, caught, ignored, taken), "sigstate");
}

// rt_sigaction(sig, act, oldact, sigsetsize)
long sys_rt_sigaction(const emulation_frame& f) {
  int sig = iarg(arg0(f));
  uint64_t act = arg1(f), oldact = arg2(f);
  if (arg3(f) != 8) return -kEINVAL;
  if (sig < 1 || sig > kSigCount) return -kEINVAL;
  KernelSigaction next{};
  if (act) {
    if (sig == kSIGKILL || sig == kSIGSTOP) return -kEINVAL;
    if (long r = copy_in(&next, act, sizeof next); r < 0) return r;
    next.mask &= ~kUnblockable;
  }
  if (oldact)
    if (long r = copy_out(oldact, &g_actions[sig - 1], sizeof(KernelSigaction)); r < 0) return r;
  if (act) {
    uint64_t before = g_actions[sig - 1].handler;
    g_actions[sig - 1] = next;
    // The server cares whether it is caught, ignored or default.
    bool changed = (before == kSIG_DFL) != (next.handler == kSIG_DFL) ||
                   (before == kSIG_IGN) != (next.handler == kSIG_IGN);
    if (changed) return sync_signal_state(0);
  }
  return 0;
}

// rt_sigprocmask(how, set, oldset, sigsetsize)
long sys_rt_sigprocmask(const emulation_frame& f) {
  int how = iarg(arg0(f));
  uint64_t set = arg1(f), oldset = arg2(f);
  if (arg3(f) != 8) return -kEINVAL;
  uint64_t mask = 0;
  if (set) {
    if (how != kSIG_BLOCK && how != kSIG_UNBLOCK && how != kSIG_SETMASK) return -kEINVAL;
    if (long r = copy_in(&mask, set, sizeof mask); r < 0) return r;
  }
  if (oldset)
    if (long r = copy_out(oldset, &g_blocked, sizeof g_blocked); r < 0) return r;
  if (set) {
    uint64_t before = g_blocked;
    if (how == kSIG_BLOCK) g_blocked |= mask;
    else if (how == kSIG_UNBLOCK) g_blocked &= ~mask;
    else g_blocked = mask;
    g_blocked &= ~kUnblockable;
    if (g_blocked != before) return sync_signal_state(0);
  }
  return 0;
}

// sigaltstack(ss, old_ss)
long sys_sigaltstack(const emulation_frame& f) {
  uint64_t ss = arg0(f), old = arg1(f);
  StackT next{};
  if (ss) {
    if (long r = copy_in(&next, ss, sizeof next); r < 0) return r;
    uint32_t mode = uint32_t(next.flags) & ~kSS_AUTODISARM;
    if (mode != 0 && mode != uint32_t(kSS_DISABLE) && mode != uint32_t(kSS_ONSTACK)) return -kEINVAL;
    if (mode == uint32_t(kSS_DISABLE)) {
      next.sp = next.size = 0;
    } else if (next.size < kMinSigStackSize) {
      return -kENOMEM;
    }
    if (mode == uint32_t(kSS_ONSTACK)) next.flags = int32_t(uint32_t(next.flags) & ~uint32_t(kSS_ONSTACK));
  }
  if (old)
    if (long r = copy_out(old, &g_altstack, sizeof g_altstack); r < 0) return r;
  if (ss) g_altstack = next;
  return 0;
}

}  // namespace emul

namespace emul {

// rt_sigpending(set, sigsetsize): the signals waiting while blocked (the
// server's pending word; unblocked ones were delivered on the way out).
long sys_rt_sigpending(const emulation_frame& f) {
  if (arg1(f) > 8) return -linux_abi::kEINVAL;
  uint64_t pending = *reinterpret_cast<volatile uint64_t*>(EMULATION_INFO + EMULATION_INFO_PENDING_OFFSET);
  pending &= blocked_signals();
  return copy_out(arg0(f), &pending, arg1(f));
}

}  // namespace emul
