// The process's identity and its per-process settings, answered in the
// library from the info page and local tables: ids, exit (an RPC), TLS
// (arch_prctl), prctl names, resource limits, uname, umask, scheduling.
#include <libmach/traps.h>
#include <unix.h>

#include "process_state.h"
#include "syscalls.h"
#include "unix_call.h"
#include "user_memory.h"

namespace emul {

using namespace linux_abi;

namespace {

constinit uint64_t g_fs_base = 0;  // the program's TLS pointer (fork gives it to the child)
constinit uint64_t g_clear_child_tid = 0;  // set_tid_address: used by thread exit, once threads exist
constinit char g_name[16] = {};
constinit uint32_t g_umask = 022;

constexpr int kRlimitCount = 16;
constexpr uint64_t kRlimInfinity = ~uint64_t(0);
constexpr int kRLIMIT_STACK = 3, kRLIMIT_NOFILE = 7;

struct Rlimit {
  uint64_t cur, max;
};

// Linux's defaults for a process started by init, except where noted.
struct Limits {
  Rlimit r[kRlimitCount];
  constexpr Limits() : r{} {
    for (Rlimit& l : r) l = {kRlimInfinity, kRlimInfinity};
    r[kRLIMIT_STACK] = {8ull << 20, kRlimInfinity};
    r[kRLIMIT_NOFILE] = {1024, 4096};
  }
};
constinit Limits g_limits;

bool own_pid(int pid) { return pid == 0 || pid == g_info.pid; }

// prlimit64's core: old (when wanted) before new (when given).
long prlimit(int resource, uint64_t new_limit, uint64_t old_limit) {
  if (resource < 0 || resource >= kRlimitCount) return -kEINVAL;
  Rlimit next{};
  if (new_limit) {
    if (long r = copy_in(&next, new_limit, sizeof next); r < 0) return r;
    if (next.cur > next.max) return -kEINVAL;
    if (next.max > g_limits.r[resource].max && g_info.euid != 0) return -kEPERM;
  }
  if (old_limit)
    if (long r = copy_out(old_limit, &g_limits.r[resource], sizeof(Rlimit)); r < 0) return r;
  if (new_limit) g_limits.r[resource] = next;
  return 0;
}

void put_field(char (&field)[65], const char* s) {
  for (int i = 0; i < 64 && s[i]; ++i) field[i] = s[i];
}

}  // namespace

void set_process_name(const char* name) {
  int i = 0;
  for (; i < 15 && name[i]; ++i) g_name[i] = name[i];
  for (; i < 16; ++i) g_name[i] = '\0';
}

uint32_t current_umask() { return g_umask; }
uint64_t current_fs_base() { return g_fs_base; }
void set_fs_base_record(uint64_t base) { g_fs_base = base; }

// exit(status) and exit_group(status): one thread per process, so the same.
// The server ends the task and never answers.
long sys_exit_group(const emulation_frame& f) {
  int status = iarg(arg0(f));
  (void)unix_exit(unix_port(), status & 0xff);
  task_terminate_self(status & 0xff);
}
long sys_exit(const emulation_frame& f) { return sys_exit_group(f); }

long sys_getpid(const emulation_frame&) { return g_info.pid; }
long sys_gettid(const emulation_frame&) { return g_info.pid; }  // one thread: its id is the pid
long sys_getuid(const emulation_frame&) { return long(g_info.uid); }
long sys_geteuid(const emulation_frame&) { return long(g_info.euid); }
long sys_getgid(const emulation_frame&) { return long(g_info.gid); }
long sys_getegid(const emulation_frame&) { return long(g_info.egid); }

// Always asked: the parent can exit and the process be reparented.
long sys_getppid(const emulation_frame&) {
  int32_t ppid = 0;
  long r = unix_result(unix_getppid(unix_port(), &ppid), "getppid");
  return r < 0 ? r : long(ppid);
}

// Process groups and sessions are the server's (unix_pgrp: 0 setpgid,
// 1 getpgid, 2 setsid, 3 getsid).
static long pgrp_call(int which, int pid, int pgid, const char* what) {
  int32_t result = 0;
  long r = unix_result(unix_pgrp(unix_port(), which, pid, pgid, &result), what);
  return r < 0 ? r : long(result);
}
long sys_getpgrp(const emulation_frame&) { return pgrp_call(1, 0, 0, "getpgrp"); }
long sys_getpgid(const emulation_frame& f) { return pgrp_call(1, iarg(arg0(f)), 0, "getpgid"); }
long sys_setpgid(const emulation_frame& f) { return pgrp_call(0, iarg(arg0(f)), iarg(arg1(f)), "setpgid"); }
long sys_setsid(const emulation_frame&) { return pgrp_call(2, 0, 0, "setsid"); }
long sys_getsid(const emulation_frame& f) { return pgrp_call(3, iarg(arg0(f)), 0, "getsid"); }

// kill(pid, sig); tkill(tid, sig) and tgkill(tgid, tid, sig) name a
// process's only thread by the pid.
long sys_kill(const emulation_frame& f) {
  return unix_result(unix_kill(unix_port(), iarg(arg0(f)), iarg(arg1(f))), "kill");
}
long sys_tkill(const emulation_frame& f) {
  if (iarg(arg0(f)) <= 0) return -kEINVAL;
  return unix_result(unix_kill(unix_port(), iarg(arg0(f)), iarg(arg1(f))), "tkill");
}
long sys_tgkill(const emulation_frame& f) {
  if (iarg(arg0(f)) <= 0 || iarg(arg1(f)) <= 0) return -kEINVAL;
  if (iarg(arg0(f)) != iarg(arg1(f))) return -kESRCH;  // a thread id is its process's pid
  return unix_result(unix_kill(unix_port(), iarg(arg1(f)), iarg(arg2(f))), "tgkill");
}

// getrusage and times: no accounting yet, zeros (and times' clock).
long sys_getrusage(const emulation_frame& f) {
  int who = iarg(arg0(f));
  if (who != 0 && who != -1 && who != 1) return -kEINVAL;  // SELF, CHILDREN, THREAD
  uint8_t zeros[144] = {};
  return copy_out(arg1(f), zeros, sizeof zeros);
}
long sys_times(const emulation_frame& f) {
  mach_task_basic info{};
  (void)task_info_self(&info);
  if (arg0(f)) {
    uint64_t zeros[4] = {};
    if (long r = copy_out(arg0(f), zeros, sizeof zeros); r < 0) return r;
  }
  return long(info.ticks_per_second ? info.ticks * 100 / info.ticks_per_second : 0);  // USER_HZ
}

long sys_set_tid_address(const emulation_frame& f) {
  g_clear_child_tid = arg0(f);
  return g_info.pid;
}
// set_robust_list(head, len): the list is the futex code's, which needs
// threads; Linux checks the length (sizeof(struct robust_list_head)).
long sys_set_robust_list(const emulation_frame& f) { return arg1(f) == 24 ? 0 : -kEINVAL; }
// Restartable sequences: libcs work without them.
long sys_rseq(const emulation_frame&) { return -kENOSYS; }

// arch_prctl(code, addr). FS is the program's TLS; GS is taken by the
// kernel (its per-CPU pointer on entry), so ARCH_SET_GS/GET_GS are EINVAL.
long sys_arch_prctl(const emulation_frame& f) {
  constexpr int kARCH_SET_FS = 0x1002, kARCH_GET_FS = 0x1003;
  switch (iarg(arg0(f))) {
    case kARCH_SET_FS:
      if (thread_set_fs_base(arg1(f)) != KERN_SUCCESS) return -kEPERM;
      g_fs_base = arg1(f);
      return 0;
    case kARCH_GET_FS: return copy_out(arg1(f), &g_fs_base, sizeof g_fs_base);
    default: return -kEINVAL;
  }
}

long sys_prctl(const emulation_frame& f) {
  constexpr int kPR_SET_NAME = 15, kPR_GET_NAME = 16;
  switch (iarg(arg0(f))) {
    case kPR_SET_NAME: {
      char name[16];
      long r = copy_in_string(arg1(f), name, sizeof name);
      if (r == -kEFAULT) return r;
      set_process_name(name);  // longer names are cut to 15, as Linux does
      return 0;
    }
    case kPR_GET_NAME: return copy_out(arg1(f), g_name, sizeof g_name);
    default: return -kEINVAL;
  }
}

// prlimit64(pid, resource, new, old)
long sys_prlimit64(const emulation_frame& f) {
  if (!own_pid(iarg(arg0(f)))) return -kESRCH;
  return prlimit(iarg(arg1(f)), arg2(f), arg3(f));
}
long sys_getrlimit(const emulation_frame& f) {
  if (!arg1(f)) return -kEFAULT;
  return prlimit(iarg(arg0(f)), 0, arg1(f));
}
long sys_setrlimit(const emulation_frame& f) {
  if (!arg1(f)) return -kEFAULT;
  return prlimit(iarg(arg0(f)), arg1(f), 0);
}

long sys_uname(const emulation_frame& f) {
  struct {
    char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65];
  } u{};
  put_field(u.sysname, "Linux");
  put_field(u.nodename, "machina");
  put_field(u.release, "6.1.0-machina");
  put_field(u.version, "#1 machina (Mach-style multiserver)");
  put_field(u.machine, "x86_64");
  put_field(u.domainname, "(none)");
  static_assert(sizeof u == 6 * 65, "struct new_utsname");
  return copy_out(arg0(f), &u, sizeof u);
}

long sys_umask(const emulation_frame& f) {
  uint32_t old = g_umask;
  g_umask = uint32_t(arg0(f)) & 0777;
  return long(old);
}

long sys_sched_yield(const emulation_frame&) {
  thread_switch();
  return 0;
}

// getcpu(cpu*, node*, cache): one CPU, one node as far as the program knows.
long sys_getcpu(const emulation_frame& f) {
  uint32_t zero = 0;
  if (arg0(f))
    if (long r = copy_out(arg0(f), &zero, sizeof zero); r < 0) return r;
  if (arg1(f))
    if (long r = copy_out(arg1(f), &zero, sizeof zero); r < 0) return r;
  return 0;
}

// sched_getaffinity(pid, len, mask): CPU 0 only; the size of the kernel's
// mask (8 bytes) is the result.
long sys_sched_getaffinity(const emulation_frame& f) {
  uint64_t len = arg1(f);
  if (len < 8 || (len & 7)) return -kEINVAL;
  uint64_t mask = 1;
  if (long r = copy_out(arg2(f), &mask, sizeof mask); r < 0) return r;
  return 8;
}

}  // namespace emul
