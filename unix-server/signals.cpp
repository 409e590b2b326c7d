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

// The default action of sig for p: ending it, or nothing.
void default_action(Process* p, int sig) {
  if (default_ignored(sig)) return;
  // Stop signals would suspend the task: the kernel has no task_suspend
  // yet, so they are ignored (job control's ^Z does nothing).
  if (sig == kSIGSTOP || sig == kSIGTSTP || sig == kSIGTTIN || sig == kSIGTTOU) return;
  process_exit(p, sig);
}

}  // namespace

void post_signal(Process* p, int sig) {
  if (!p->live || sig < 1 || sig > kMaxSignal) return;
  uint64_t bit = sigbit(sig);
  if (sig == kSIGKILL || sig == kSIGSTOP) return default_action(p, sig);
  if (sig == kSIGCONT) p->continued = true;
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
