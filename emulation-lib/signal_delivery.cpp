// Delivering signals to the program's handlers (docs/unix.md, "Signals").
// The server keeps the pending set in the info page; on the way out of
// every system call the library looks at it and, for a signal that is not
// blocked, builds Linux's rt_sigframe on the program's stack (or its
// alternate stack) and makes the call return into the handler, with the
// handler's return address the program's sa_restorer (its rt_sigreturn).
// rt_sigreturn restores the frame saved there. Signals are thus delivered
// at system call boundaries only: a program spinning without system calls
// sees a caught signal at its next call.
#include <unix.h>

#include "process_state.h"
#include "syscalls.h"
#include "unix_call.h"
#include "user_memory.h"

extern "C" uint8_t emulation_fpu_area[];  // entry.S: the program's saved x87/SSE state

namespace emul {

using namespace linux_abi;

namespace {

struct SigContext {  // struct sigcontext (x86-64): uc_mcontext
  uint64_t r8, r9, r10, r11, r12, r13, r14, r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
  uint16_t cs, gs, fs, ss;
  uint64_t err, trapno, oldmask, cr2, fpstate;
  uint64_t reserved[8];
};
static_assert(sizeof(SigContext) == 256, "sigcontext");

struct UContext {  // the kernel's struct ucontext
  uint64_t uc_flags, uc_link;
  uint64_t ss_sp;
  int32_t ss_flags, pad;
  uint64_t ss_size;
  SigContext mcontext;
  uint64_t sigmask;
};

struct SigInfo {
  int32_t signo, errno_, code, pad;
  int32_t pid, uid;
  uint8_t rest[104];
};
static_assert(sizeof(SigInfo) == 128, "siginfo");

struct SigFrame {  // rt_sigframe: the handler's return address first
  uint64_t pretcode;
  UContext uc;
  SigInfo info;
};

constexpr uint64_t kFpuSize = 512;
constexpr int kSIGSEGV = 11;

// rt_sigsuspend's mask from before: the one a handler's frame saves.
constinit bool g_suspended = false;
constinit uint64_t g_suspend_mask = 0;

// The calls SA_RESTART restarts after the handler, as Linux does (poll,
// select, nanosleep and pause return EINTR whatever the flag says).
bool restartable(unsigned long nr) {
  switch (nr) {
    case 0: case 1: case 2: case 16: case 17: case 18: case 19: case 20: case 40: case 61: case 247: case 257:
      return true;
    default:
      return false;
  }
}

// The signal cannot reach its handler (no restorer, a bad stack): the
// server applies SIGSEGV's default action.
void fail_delivery(int sig) {
  log("cannot deliver signal %d (no sa_restorer, or the stack is not writable): ending with SIGSEGV", sig);
  signal_action(kSIGSEGV).handler = kSIG_DFL;
  (void)sync_signal_state(0);
  (void)unix_kill(unix_port(), g_info.pid, kSIGSEGV);
}

}  // namespace

void set_suspend_mask(uint64_t mask) {
  g_suspended = true;
  g_suspend_mask = mask;
}

void finish_suspend() {
  if (!g_suspended) return;
  g_suspended = false;  // no handler ran: the mask from before comes back now
  blocked_signals() = g_suspend_mask;
  (void)sync_signal_state(0);
}

void deliver_signals(emulation_frame& frame, unsigned long nr) {
  uint64_t pending = *reinterpret_cast<volatile uint64_t*>(EMULATION_INFO + EMULATION_INFO_PENDING_OFFSET);
  uint64_t ready = pending & ~blocked_signals();
  if (!ready) return;
  int sig = __builtin_ctzll(ready) + 1;
  uint64_t bit = uint64_t(1) << (sig - 1);
  SignalAction action = signal_action(sig);
  if (action.handler == kSIG_DFL || action.handler == kSIG_IGN) {
    // Changed since the server queued it: the server acts on it now.
    (void)sync_signal_state(bit);
    if (action.handler == kSIG_DFL) (void)unix_kill(unix_port(), g_info.pid, sig);
    return;
  }
  if (!(action.flags & kSA_RESTORER) || !action.restorer) {
    (void)sync_signal_state(bit);
    return fail_delivery(sig);
  }
  if (long(frame.rax) == -kEINTR && (action.flags & kSA_RESTART) && restartable(nr)) {
    frame.rax = nr;  // the call runs again when the handler returns
    frame.rip -= 2;  // the `syscall` instruction
  }
  uint64_t sp = frame.rsp - EMULATION_RED_ZONE;
  uint64_t alt_top = 0;
  if ((action.flags & kSA_ONSTACK) && alternate_stack(&alt_top)) sp = alt_top;
  uint64_t fpstate = (sp - kFpuSize) & ~uint64_t(63);
  sp = ((fpstate - sizeof(SigFrame)) & ~uint64_t(15)) - 8;  // as after a call: (rsp + 8) % 16 == 0
  SigFrame sf{};
  sf.pretcode = action.restorer;
  SigContext& sc = sf.uc.mcontext;
  sc.r8 = frame.r8, sc.r9 = frame.r9, sc.r10 = frame.r10, sc.r11 = frame.rflags;
  sc.r12 = frame.r12, sc.r13 = frame.r13, sc.r14 = frame.r14, sc.r15 = frame.r15;
  sc.rdi = frame.rdi, sc.rsi = frame.rsi, sc.rbp = frame.rbp, sc.rbx = frame.rbx, sc.rdx = frame.rdx;
  sc.rax = frame.rax, sc.rcx = frame.rip, sc.rsp = frame.rsp, sc.rip = frame.rip, sc.eflags = frame.rflags;
  sc.cs = 0x2b, sc.ss = 0x23;
  uint64_t saved = g_suspended ? g_suspend_mask : blocked_signals();
  g_suspended = false;
  sc.oldmask = saved;
  sc.fpstate = fpstate;
  sf.uc.sigmask = saved;
  sf.uc.ss_flags = 2;  // SS_DISABLE unless on the alternate stack
  sf.info.signo = sig;
  sf.info.code = 0;  // SI_USER
  if (copy_out(fpstate, emulation_fpu_area, kFpuSize) < 0 || copy_out(sp, &sf, sizeof sf) < 0) {
    (void)sync_signal_state(bit);
    return fail_delivery(sig);
  }
  frame.rip = action.handler;
  frame.rsp = sp;
  frame.rdi = uint64_t(sig);
  frame.rsi = sp + __builtin_offsetof(SigFrame, info);
  frame.rdx = sp + __builtin_offsetof(SigFrame, uc);
  frame.rax = 0;
  frame.rflags &= ~uint64_t(0x400 | 0x100);  // DF and TF clear in the handler
  uint64_t& blocked = blocked_signals();
  blocked |= action.mask;
  if (!(action.flags & kSA_NODEFER)) blocked |= bit;
  if (action.flags & kSA_RESETHAND) signal_action(sig).handler = kSIG_DFL;
  (void)sync_signal_state(bit);
}

void signal_return(emulation_frame& frame) {
  // The handler returned to the restorer, which popped pretcode: rsp is
  // at the ucontext.
  UContext uc;
  if (copy_in(&uc, frame.rsp, sizeof uc) < 0) {
    log("rt_sigreturn with a bad stack: ending with SIGSEGV");
    signal_action(kSIGSEGV).handler = kSIG_DFL;
    (void)sync_signal_state(0);
    (void)unix_kill(unix_port(), g_info.pid, kSIGSEGV);
    return;
  }
  const SigContext& sc = uc.mcontext;
  frame.r8 = sc.r8, frame.r9 = sc.r9, frame.r10 = sc.r10;
  frame.r12 = sc.r12, frame.r13 = sc.r13, frame.r14 = sc.r14, frame.r15 = sc.r15;
  frame.rdi = sc.rdi, frame.rsi = sc.rsi, frame.rbp = sc.rbp, frame.rbx = sc.rbx, frame.rdx = sc.rdx;
  frame.rax = sc.rax, frame.rsp = sc.rsp, frame.rip = sc.rip;
  // The program may change only the flags a program can (not IOPL, IF...).
  constexpr uint64_t kUserFlags = 0xcd5 | 0x400 | 0x40000;  // CF PF AF ZF SF TF? DF OF, AC
  frame.rflags = (frame.rflags & ~kUserFlags) | (sc.eflags & kUserFlags & ~uint64_t(0x100));
  if (sc.fpstate) (void)copy_in(emulation_fpu_area, sc.fpstate, kFpuSize);
  blocked_signals() = uc.sigmask & ~((uint64_t(1) << 8) | (uint64_t(1) << 18));  // never KILL, STOP
  (void)sync_signal_state(0);
}

}  // namespace emul
