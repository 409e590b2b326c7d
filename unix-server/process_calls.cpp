// unix.defs, the process calls: exit, fork, execve, wait4, kill, process
// groups and sessions, the signal state, sleeping.
#include <task_rpc.h>
#include <unixServer.h>
#include <vm_rpc.h>
#include <mach/thread_status.h>

#include "calls.h"
#include "emulation_abi.h"
#include "exec.h"
#include "libmach/mach_ipc.h"
#include "libmach/malloc.h"
#include "libmach/print.h"
#include "libmach/string.h"
#include "linux_abi.h"
#include "server_state.h"
#include "signals.h"
#include "waiters.h"

using namespace ux;
using namespace linux_abi;

namespace {

constexpr int kWNOHANG = 1, kWUNTRACED = 2, kWCONTINUED = 8;
constexpr int kWaitOptions = kWNOHANG | kWUNTRACED | kWCONTINUED | 0x40000000 | int(0x80000000u) | 0x20000000;

bool wait_matches(const Process* p, const Process* c, int pid) {
  if (pid > 0) return c->pid == pid;
  if (pid == -1) return true;
  if (pid == 0) return c->pgrp == p->pgrp;
  return c->pgrp == -pid;
}

}  // namespace

namespace ux {

int try_wait4(Process* p, int pid, int options, int* waited, int* status) {
  bool any = false;
  for (int n = 1;; ++n) {
    Process* c = process_next(n);
    if (!c) break;
    n = c->pid;
    if (c->ppid != p->pid || !wait_matches(p, c, pid)) continue;
    any = true;
    if (!c->live) {
      *waited = c->pid;
      *status = c->wait_status;
      process_reap(c);
      return 0;
    }
    if ((options & kWUNTRACED) && c->stopped && !c->stop_reported) {
      c->stop_reported = true;
      *waited = c->pid;
      *status = (c->stop_signal << 8) | 0x7f;
      return 0;
    }
    if ((options & kWCONTINUED) && c->continued) {
      c->continued = false;
      *waited = c->pid;
      *status = 0xffff;
      return 0;
    }
  }
  if (!any) return kECHILD;
  if (options & kWNOHANG) {
    *waited = 0;
    *status = 0;
    return 0;
  }
  return kEAGAIN;
}

}  // namespace ux

kern_return_t S_unix_exit(mach_port_t proc, int32_t status) {
  PROCESS();
  process_exit(p, (status & 0xff) << 8);
  return MIG_NO_REPLY;  // the caller is gone
}

kern_return_t S_unix_getppid(mach_port_t proc, int32_t* ppid) {
  PROCESS();
  *ppid = p->ppid;
  return 0;
}

kern_return_t S_unix_fork(mach_port_t proc, uint64_t child_entry, uint64_t frame, uint64_t fs_base,
                          int32_t* child) {
  PROCESS();
  if (child_entry < EMULATION_BASE || frame == 0 || frame % 16) return kEINVAL;
  Process* c = process_create(p->pid);
  if (!c) return kEAGAIN;
  c->uid = p->uid, c->euid = p->euid, c->gid = p->gid, c->egid = p->egid;
  c->pgrp = p->pgrp, c->sid = p->sid;
  c->blocked = p->blocked, c->caught = p->caught, c->ignored = p->ignored;
  memcpy(c->cwd, p->cwd, sizeof c->cwd);
  memcpy(c->exe, p->exe, sizeof c->exe);
  mach_port_t task = MACH_PORT_NULL, thread = MACH_PORT_NULL;
  int err = 0;
  kern_return_t kr = rpc_task_create(p->task, TRUE, &task);  // the address space, copy-on-write
  if (kr) err = kENOMEM;
  if (!err && mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &c->port) != KERN_SUCCESS) err = kENOMEM;
  if (!err) {
    c->port_name = p->port_name;  // the name the library's copy of the info page expects
    if (mach_port_insert_right(task, c->port_name, c->port, MACH_MSG_TYPE_MAKE_SEND) != KERN_SUCCESS) err = kENOMEM;
  }
  // The child's info page is its parent's copy: its own pid and the rest.
  if (!err) err = write_info_page(c, task, 0, 0, 0, server().boot_epoch);
  if (!err) {
    // The library's fork_child: rdi = the copied frame.
    (void)fs_base;
    x86_thread_state64_t state{};
    state.rip = child_entry;
    state.rsp = frame;
    state.rdi = frame;
    kr = rpc_thread_create_running(task, x86_THREAD_STATE64, reinterpret_cast<thread_state_t>(&state),
                                   x86_THREAD_STATE64_COUNT, &thread);
    if (kr) err = kENOMEM;
    else (void)mach_port_deallocate(mach_task_self(), thread);
  }
  if (err) {
    printf("unix: fork of pid %d failed: %#x\n", p->pid, kr);
    if (MACH_PORT_VALID(task)) (void)rpc_task_terminate(task);
    if (MACH_PORT_VALID(task)) (void)mach_port_deallocate(mach_task_self(), task);
    process_release(c);
    return err;
  }
  for (int fd = 0; fd < kMaxFds; ++fd)
    if (p->fds[fd]) {
      c->fds[fd] = p->fds[fd];
      c->cloexec[fd] = p->cloexec[fd];
      ++c->fds[fd]->refs;
    }
  c->task = task;
  c->live = true;
  process_watch(c);
  *child = c->pid;
  return 0;
}

kern_return_t S_unix_execve(mach_port_t proc, unix_path_t path, unix_args_t args, mach_msg_type_number_t argsCnt,
                            uint32_t argc, uint32_t envc) {
  auto drop_args = [&] {
    if (args && argsCnt) (void)vm_deallocate(mach_task_self(), reinterpret_cast<vm_address_t>(args), argsCnt);
  };
  Process* p = process_by_port(proc);
  if (!p || !p->live) {
    drop_args();
    return kESRCH;
  }
  // argc + envc NUL-terminated strings, exactly filling args.
  uint64_t n = uint64_t(argc) + envc;
  if (n > 8192 || argsCnt > UNIX_ARGS_MAX) {
    drop_args();
    return kE2BIG;
  }
  auto** vec = static_cast<const char**>(malloc((n + 2) * sizeof(char*)));
  if (!vec) {
    drop_args();
    return kENOMEM;
  }
  uint32_t at = 0;
  bool ok = true;
  for (uint64_t i = 0; i < n && ok; ++i) {
    vec[i + (i >= argc ? 1 : 0)] = args + at;
    while (at < argsCnt && args[at]) ++at;
    ok = at < argsCnt;
    ++at;
  }
  ok = ok && at == argsCnt;
  vec[argc] = nullptr;
  vec[n + 1] = nullptr;
  mach_port_t task = MACH_PORT_NULL;
  int err = ok ? exec_program(p, server().vfs, path, vec, vec + argc + 1, server().boot_epoch, &task) : kEINVAL;
  free(vec);
  drop_args();
  if (err) return err;
  // The new image replaces the old task; the process, its pid, port and
  // descriptors (but those marked close-on-exec) stay.
  mach_port_t old = p->task;
  p->task = task;
  (void)rpc_task_terminate(old);  // its death is noticed and ignored (main.cpp)
  for (int fd = 0; fd < kMaxFds; ++fd)
    if (p->cloexec[fd]) p->close(fd);
  p->caught = 0;  // handlers are gone with the image; ignored signals stay ignored
  process_watch(p);
  return MIG_NO_REPLY;
}

kern_return_t S_unix_wait4(mach_port_t proc, mach_port_t reply, int32_t pid, int32_t options, int32_t* waited,
                           int32_t* status) {
  PROCESS();
  if (options & ~kWaitOptions) return kEINVAL;
  int err = try_wait4(p, pid, options, waited, status);
  if (err != kEAGAIN) return err;
  Waiter w;
  w.kind = WaitKind::kWait4;
  w.p = p;
  w.reply = reply;
  w.pid = pid;
  w.options = options;
  return waiter_add(w) ? MIG_NO_REPLY : kEAGAIN;
}

kern_return_t S_unix_kill(mach_port_t proc, int32_t pid, int32_t sig) {
  PROCESS();
  if (sig < 0 || sig > kMaxSignal) return kEINVAL;
  auto send = [&](Process* t) {
    if (sig) post_signal(t, sig);
  };
  if (pid > 0) {
    Process* t = process_by_pid(pid);
    if (!t) return kESRCH;
    send(t);
  } else if (pid == 0 || pid < -1) {
    int pgrp = pid == 0 ? p->pgrp : -pid;
    bool any = false;
    for (int n = 1;; ++n) {
      Process* t = process_next(n);
      if (!t) break;
      n = t->pid;
      if (t->live && t->pgrp == pgrp) any = true, send(t);
    }
    if (!any) return kESRCH;
  } else {  // -1: every process but init and the caller
    for (int n = 2;; ++n) {
      Process* t = process_next(n);
      if (!t) break;
      n = t->pid;
      if (t != p && t->live) send(t);
    }
  }
  if (!p->live) return MIG_NO_REPLY;  // it killed itself
  return 0;
}

kern_return_t S_unix_pgrp(mach_port_t proc, int32_t which, int32_t pid, int32_t pgid, int32_t* result) {
  PROCESS();
  Process* t = pid == 0 ? p : process_by_pid(pid);
  switch (which) {
    case 0: {  // setpgid
      if (pgid < 0) return kEINVAL;
      if (!t || (t != p && t->ppid != p->pid)) return kESRCH;
      if (t->sid != p->sid) return kEPERM;
      if (t->pid == t->sid) return kEPERM;  // a session leader stays in its group
      int target = pgid ? pgid : t->pid;
      if (target != t->pid) {
        bool exists = false;
        for (int n = 1;; ++n) {
          Process* q = process_next(n);
          if (!q) break;
          n = q->pid;
          if (q->pgrp == target && q->sid == p->sid) exists = true;
        }
        if (!exists) return kEPERM;
      }
      t->pgrp = target;
      *result = 0;
      return 0;
    }
    case 1:  // getpgid
      if (!t) return kESRCH;
      *result = t->pgrp;
      return 0;
    case 2:  // setsid
      for (int n = 1;; ++n) {
        Process* q = process_next(n);
        if (!q) break;
        n = q->pid;
        if (q->pgrp == p->pid) return kEPERM;  // it leads a group already
      }
      p->sid = p->pgrp = p->pid;
      *result = p->sid;
      return 0;
    case 3:  // getsid
      if (!t) return kESRCH;
      *result = t->sid;
      return 0;
    default: return kEINVAL;
  }
}

kern_return_t S_unix_sigstate(mach_port_t proc, uint64_t blocked, uint64_t caught, uint64_t ignored, uint64_t taken) {
  PROCESS();
  constexpr uint64_t kUnblockable = (uint64_t(1) << (kSIGKILL - 1)) | (uint64_t(1) << (kSIGSTOP - 1));
  p->blocked = blocked & ~kUnblockable;
  p->caught = caught & ~kUnblockable;
  p->ignored = ignored & ~kUnblockable;
  p->pending &= ~taken;
  signal_state_changed(p);
  return p->live ? 0 : MIG_NO_REPLY;
}

kern_return_t S_unix_sleep(mach_port_t proc, mach_port_t reply, int64_t ms, int64_t* left_ms) {
  PROCESS();
  *left_ms = 0;
  if (ms < 0) return kEINVAL;
  if (p->pending & ~p->blocked & p->caught) return kEINTR;
  Waiter w;
  w.kind = WaitKind::kSleep;
  w.p = p;
  w.reply = reply;
  w.deadline = ms ? now_ms() + uint64_t(ms) : 0;  // 0: until a signal (pause)
  return waiter_add(w) ? MIG_NO_REPLY : kEAGAIN;
}
