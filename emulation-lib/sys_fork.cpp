// Processes: fork, vfork and clone (a copy-on-write copy of the process,
// made by the Unix server), execve, wait4, waitid, pipes, sigsuspend.
#include <libmach/traps.h>
#include <unix.h>

#include "libmach/mach_ipc.h"
#include "process_state.h"
#include "syscalls.h"
#include "unix_call.h"
#include "user_memory.h"

extern "C" __attribute__((visibility("hidden"))) void emulation_fork_child();

namespace emul {

using namespace linux_abi;

namespace {

constexpr uint64_t kCLONE_VM = 0x100, kCLONE_FS = 0x200, kCLONE_FILES = 0x400, kCLONE_SIGHAND = 0x800,
                   kCLONE_VFORK = 0x4000, kCLONE_THREAD = 0x10000, kCLONE_SETTLS = 0x80000,
                   kCLONE_PARENT_SETTID = 0x100000, kCLONE_CHILD_CLEARTID = 0x200000,
                   kCLONE_CHILD_SETTID = 0x1000000;

// Read by the child in its copy of memory (set just before the fork).
constinit uint64_t g_child_rsp = 0, g_child_settid = 0, g_child_tls = 0;

long fork_process(const emulation_frame& f) {
  int32_t child = 0;
  // The child reads its TLS pointer from its copy of g_child_tls (a new
  // thread gets only rip, rsp and rdi from the kernel).
  if (!g_child_tls) g_child_tls = current_fs_base();
  uint64_t tls = g_child_tls;
  long r = unix_result(unix_fork(unix_port(), reinterpret_cast<uint64_t>(&emulation_fork_child),
                                 reinterpret_cast<uint64_t>(&f), tls, &child),
                       "fork");
  g_child_rsp = g_child_settid = g_child_tls = 0;
  return r < 0 ? r : long(child);
}

constexpr size_t kArgsMax = 256 * 1024;  // argv and envp strings (Linux allows more; E2BIG beyond)
constinit char g_args[kArgsMax] = {};

// Appends the strings of a NULL-terminated vector at user (argv or envp)
// to g_args; their count in *count.
long pack_strings(uint64_t user, size_t* used, uint32_t* count) {
  *count = 0;
  if (!user) return 0;  // Linux allows a NULL argv or envp
  for (;; ++*count) {
    uint64_t s = 0;
    if (long r = copy_in(&s, user + 8 * uint64_t(*count), 8); r < 0) return r;
    if (!s) return 0;
    if (*count >= 8192 || *used >= kArgsMax) return -kE2BIG;
    long n = copy_in_string(s, g_args + *used, kArgsMax - *used);
    if (n == -kENAMETOOLONG) return -kE2BIG;
    if (n < 0) return n;
    *used += size_t(n) + 1;
  }
}

}  // namespace

long sys_fork(const emulation_frame& f) { return fork_process(f); }
// The child gets a copy, not the parent's memory: a vfork child's writes
// stay its own (programs that vfork then exec do not notice).
long sys_vfork(const emulation_frame& f) { return fork_process(f); }

// clone(flags, newsp, parent_tid, child_tid, tls): processes only.
long sys_clone(const emulation_frame& f) {
  uint64_t flags = arg0(f);
  if (flags & kCLONE_THREAD) {
    log("clone of a thread (flags %#lx): threads are not supported yet -> ENOSYS", (unsigned long)flags);
    return -kENOSYS;
  }
  if ((flags & (kCLONE_SIGHAND | kCLONE_FILES | kCLONE_FS)) || ((flags & kCLONE_VM) && !(flags & kCLONE_VFORK)))
    return -kEINVAL;
  g_child_rsp = arg1(f);
  g_child_settid = (flags & kCLONE_CHILD_SETTID) ? arg3(f) : 0;
  g_child_tls = (flags & kCLONE_SETTLS) ? arg4(f) : 0;
  long child = fork_process(f);
  if (child > 0 && (flags & kCLONE_PARENT_SETTID)) {
    int32_t tid = int32_t(child);
    (void)copy_out(arg2(f), &tid, sizeof tid);
  }
  return child;
}

long sys_execve(const emulation_frame& f) {
  static char path[UNIX_PATH_MAX];
  if (long r = copy_in_string(arg0(f), path, sizeof path); r < 0) return r;
  size_t used = 0;
  uint32_t argc = 0, envc = 0;
  if (long r = pack_strings(arg1(f), &used, &argc); r < 0) return r;
  if (long r = pack_strings(arg2(f), &used, &envc); r < 0) return r;
  // On success the server replaces this task: the call does not return.
  return unix_result(unix_execve(unix_port(), path, g_args, mach_msg_type_number_t(used), argc, envc), "execve");
}

// wait4(pid, status, options, rusage)
long sys_wait4(const emulation_frame& f) {
  int32_t waited = 0, status = 0;
  long r = unix_result(unix_wait4(unix_port(), iarg(arg0(f)), iarg(arg2(f)), &waited, &status), "wait4");
  if (r < 0) return r;
  if (waited && arg1(f))
    if (long e = copy_out(arg1(f), &status, sizeof status); e < 0) return e;
  if (arg3(f)) {
    uint8_t zeros[144] = {};
    if (long e = copy_out(arg3(f), zeros, sizeof zeros); e < 0) return e;
  }
  return waited;
}

// waitid(idtype, id, infop, options, rusage): through wait4.
long sys_waitid(const emulation_frame& f) {
  int idtype = iarg(arg0(f)), id = iarg(arg1(f)), options = iarg(arg3(f));
  constexpr int kWNOHANG = 1, kWSTOPPED = 2, kWEXITED = 4, kWCONTINUED = 8;
  if (options & ~(kWNOHANG | kWSTOPPED | kWEXITED | kWCONTINUED) || !(options & (kWEXITED | kWSTOPPED | kWCONTINUED)))
    return -kEINVAL;
  int pid = idtype == 0 ? -1 : idtype == 1 ? id : idtype == 2 ? (id ? -id : 0) : -2;
  if (pid == -2 || (idtype == 1 && id <= 0)) return -kEINVAL;
  int32_t waited = 0, status = 0;
  int wopts = (options & kWNOHANG) | (options & kWCONTINUED) | ((options & kWSTOPPED) ? 2 : 0);
  long r = unix_result(unix_wait4(unix_port(), pid, wopts, &waited, &status), "waitid");
  if (r < 0) return r;
  if (arg2(f)) {
    struct {
      int32_t signo, errno_, code, pad;
      int32_t pid, uid, status, pad2;
      uint8_t rest[96];
    } info{};
    if (waited) {
      info.signo = 17;  // SIGCHLD
      info.pid = waited;
      bool exited = (status & 0x7f) == 0;
      if (status == 0xffff) {  // continued
        info.code = 6;         // CLD_CONTINUED
        info.status = 18;      // SIGCONT
      } else if ((status & 0xff) == 0x7f) {
        info.code = 5;  // CLD_STOPPED
        info.status = (status >> 8) & 0xff;
      } else {
        info.code = exited ? 1 : 2;  // CLD_EXITED, CLD_KILLED
        info.status = exited ? (status >> 8) & 0xff : status & 0x7f;
      }
    }
    if (long e = copy_out(arg2(f), &info, sizeof info); e < 0) return e;
  }
  return 0;
}

long sys_pipe2(const emulation_frame& f) {
  int32_t fds[2] = {-1, -1};
  long r = unix_result(unix_pipe2(unix_port(), iarg(arg1(f)), &fds[0], &fds[1]), "pipe2");
  if (r < 0) return r;
  if (long e = copy_out(arg0(f), fds, sizeof fds); e < 0) {
    (void)unix_close(unix_port(), fds[0]);
    (void)unix_close(unix_port(), fds[1]);
    return e;
  }
  return 0;
}

long sys_pipe(const emulation_frame& f) {
  emulation_frame g = f;
  g.rsi = 0;
  return sys_pipe2(g);
}

// rt_sigsuspend(mask, size): waits with mask until a signal is delivered;
// the handler's frame keeps the mask from before, which rt_sigreturn puts
// back.
long sys_rt_sigsuspend(const emulation_frame& f) {
  if (arg1(f) != 8) return -kEINVAL;
  uint64_t mask = 0;
  if (long r = copy_in(&mask, arg0(f), sizeof mask); r < 0) return r;
  uint64_t& blocked = blocked_signals();
  uint64_t before = blocked;
  blocked = mask & ~((uint64_t(1) << 8) | (uint64_t(1) << 18));
  (void)sync_signal_state(0);
  int64_t left = 0;
  long r = unix_result(unix_sleep(unix_port(), 0, &left), "rt_sigsuspend");
  set_suspend_mask(before);
  return r < 0 ? r : -kEINTR;
}

}  // namespace emul

// The child's first C++ (rdi = its frame): caches that named the parent's ports or pid are
// the child's now (it has the same process-port name, a new reply port),
// its TLS pointer is set, its stack is the one clone asked for.
extern "C" void emulation_fork_child_init(emulation_frame* frame) {
  using namespace emul;
  libmach::reset_after_fork();
  g_info = *reinterpret_cast<const EmulationInfo*>(EMULATION_INFO);
  if (g_child_tls) {
    (void)thread_set_fs_base(g_child_tls);
    set_fs_base_record(g_child_tls);
  }
  if (g_child_rsp) frame->rsp = g_child_rsp;
  if (g_child_settid) {
    int32_t tid = g_info.pid;
    (void)copy_out(g_child_settid, &tid, sizeof tid);
  }
  g_child_rsp = g_child_settid = g_child_tls = 0;
  frame->rax = 0;  // fork returns 0 in the child
}
