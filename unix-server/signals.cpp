#include "signals.h"

#include <task_rpc.h>
#include <vm_rpc.h>

#include "emulation_abi.h"
#include "libmach/mach_ipc.h"
#include "server_state.h"
#include "waiters.h"

namespace ux {
namespace {

// What SIG_DFL does with the signals that do not end the process.
bool default_ignored(int sig) { return sig == kSIGCHLD || sig == kSIGCONT || sig == 23 /* URG */ || sig == 28; }

void write_pending(Process* p) {
  if (!p->live || !MACH_PORT_VALID(p->task)) return;
  (void)rpc_vm_write(p->task, EMULATION_INFO + EMULATION_INFO_PENDING_OFFSET,
                     reinterpret_cast<vm_offset_t>(&p->pending), sizeof p->pending);
}

bool stop_signal(int sig) { return sig == kSIGSTOP || sig == kSIGTSTP || sig == kSIGTTIN || sig == kSIGTTOU; }
constexpr uint64_t kStopBits = (1ull << (kSIGSTOP - 1)) | (1ull << (kSIGTSTP - 1)) | (1ull << (kSIGTTIN - 1)) |
                               (1ull << (kSIGTTOU - 1));

// The parent hears of a child's stop or continue (SIGCHLD; wait4 with
// WUNTRACED or WCONTINUED reports it).
void notify_parent(Process* p) {
  Process* parent = p->ppid ? process_by_pid(p->ppid) : nullptr;
  if (parent && parent->live) post_signal(parent, kSIGCHLD);
  waiters_run_later();
}

// Stop p: its task is suspended (its waiting calls stay waiting; replies
// wait for it in its ports' queues). A stopped process stays stopped.
void stop_process(Process* p, int sig) {
  p->pending &= ~sigbit(kSIGCONT);
  if (p->stopped) return;
  if (MACH_PORT_VALID(p->task) && rpc_task_suspend(p->task) != KERN_SUCCESS) return;
  p->stopped = true;
  p->stop_signal = sig;
  p->stop_reported = false;
  p->continued = false;
  notify_parent(p);
}

// SIGCONT: a stopped p runs again.
void continue_process(Process* p) {
  p->pending &= ~kStopBits;  // stops not acted on yet are forgotten
  if (!p->stopped) return;
  if (MACH_PORT_VALID(p->task)) (void)rpc_task_resume(p->task);
  p->stopped = false;
  p->stop_reported = true;
  p->continued = true;
  notify_parent(p);
}

// The default action of sig for p: ending it, stopping it, or nothing.
void default_action(Process* p, int sig) {
  if (stop_signal(sig)) return stop_process(p, sig);
  if (default_ignored(sig)) return;
  process_exit(p, sig);
}

}  // namespace

void post_signal(Process* p, int sig) {
  if (!p->live || sig < 1 || sig > kMaxSignal) return;
  uint64_t bit = sigbit(sig);
  if (sig == kSIGKILL || sig == kSIGSTOP) return default_action(p, sig);
  if (sig == kSIGCONT) {
    p->continued = true;
    continue_process(p);  // even when caught or ignored
    write_pending(p);
  }
  if ((p->ignored & bit) && !(p->caught & bit)) return;
  if (!(p->caught & bit) && default_ignored(sig)) return;
  if (p->blocked & bit) {
    p->pending |= bit;  // acted on when unblocked (signal_state_changed)
    write_pending(p);
    return;
  }
  if (!(p->caught & bit)) return default_action(p, sig);
  p->pending |= bit;
  write_pending(p);
  waiters_interrupt(p);
}

bool signal_group(int pgrp, int sig) {
  bool any = false;
  for (int pid = 1; pid < (1 << 30); ++pid) {
    Process* p = process_next(pid);
    if (!p) break;
    pid = p->pid;
    if (p->live && p->pgrp == pgrp) {
      any = true;
      post_signal(p, sig);
    }
  }
  return any;
}

void signal_state_changed(Process* p) {
  uint64_t ready = p->pending & ~p->blocked;
  for (int sig = 1; sig <= kMaxSignal && p->live; ++sig) {
    uint64_t bit = sigbit(sig);
    if (!(ready & bit) || (p->caught & bit)) continue;
    p->pending &= ~bit;  // no handler: the default action, now
    if (!(p->ignored & bit)) default_action(p, sig);
  }
  if (!p->live) return;
  write_pending(p);
  if (p->pending & ~p->blocked & p->caught) waiters_interrupt(p);
}

void process_exit(Process* p, int wait_status) {
  if (!p->live) return;
  p->live = false;
  p->stopped = false;  // task_terminate ends a suspended task too
  p->wait_status = wait_status;
  if (MACH_PORT_VALID(p->task)) (void)rpc_task_terminate(p->task);
  waiters_drop(p);
  p->close_all();  // pipes see their end now
  // Children go to init (pid 1); the zombies among them init may wait for.
  Process* init = process_by_pid(1);
  for (int pid = 1;; ++pid) {
    Process* c = process_next(pid);
    if (!c) break;
    pid = c->pid;
    if (c->ppid == p->pid) c->ppid = init && init != p ? 1 : 0;
  }
  Process* parent = p->ppid ? process_by_pid(p->ppid) : nullptr;
  if (parent && parent->live) post_signal(parent, kSIGCHLD);
  process_ended(p);
  if (!parent || !parent->live) process_reap(p);  // no one will wait for it
  waiters_run_later();
}

void process_reap(Process* p) {
  p->reaped = true;
  if (!MACH_PORT_VALID(p->task)) process_release(p);  // else when its death is seen (main.cpp)
}

}  // namespace ux
