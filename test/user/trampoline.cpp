// The system-call redirection ("trampoline") test. It installs an emulation
// entry (trampoline_entry.S) whose handler, emulate(), implements a tiny
// Linux: write(1) to fd 1/2, getpid(39) = 4242, everything else -ENOSYS.
// Then it issues raw Linux system calls and checks the results, that every
// register, the red zone, rflags, MXCSR and xmm0-15 survive the round trip
// (and a Mach trap), and that redirection can be switched off again.
#include <stddef.h>

#include <mach/emulation.h>

#include "libmach/print.h"
#include "libmach/string.h"
#include "libmach/traps.h"
#include "regcheck.h"

namespace {

constexpr long kLinuxWrite = 1, kLinuxGetpid = 39;
constexpr long kEBADF = 9, kEFAULT = 14, kEIO = 5, kENOSYS = 38;
constexpr long kFakePid = 4242;

struct RegCheck {
  unsigned long rax, flags_after, flags_before;
  unsigned long rbx, rbp, r12, r13, r14, r15, rdi, rsi, rdx, r8, r9, r10;
  unsigned int mxcsr_orig, mxcsr_after;
  unsigned long red[16];
  unsigned long xmm[16][2];
};
static_assert(offsetof(RegCheck, rax) == RC_RAX);
static_assert(offsetof(RegCheck, flags_after) == RC_FLAGS_AFTER);
static_assert(offsetof(RegCheck, flags_before) == RC_FLAGS_BEFORE);
static_assert(offsetof(RegCheck, rbx) == RC_RBX);
static_assert(offsetof(RegCheck, r10) == RC_R10);
static_assert(offsetof(RegCheck, mxcsr_orig) == RC_MXCSR_ORIG);
static_assert(offsetof(RegCheck, mxcsr_after) == RC_MXCSR_AFTER);
static_assert(offsetof(RegCheck, red) == RC_RED);
static_assert(offsetof(RegCheck, xmm) == RC_XMM);
static_assert(sizeof(RegCheck) == RC_SIZE);

// The offsets trampoline_entry.S uses.
static_assert(offsetof(emulation_frame, rax) == 0);
static_assert(offsetof(emulation_frame, rdi) == 8);
static_assert(offsetof(emulation_frame, r9) == 48);
static_assert(offsetof(emulation_frame, rbx) == 56);
static_assert(offsetof(emulation_frame, r15) == 96);
static_assert(offsetof(emulation_frame, rip) == 104);
static_assert(offsetof(emulation_frame, rflags) == 112);
static_assert(offsetof(emulation_frame, rsp) == 120);

int failures = 0;

void report(const char* check, const char* problem) {
  if (problem == nullptr) {
    printf("trampoline: %s ok\n", check);
  } else {
    ++failures;
    printf("trampoline: %s FAILED (%s)\n", check, problem);
  }
}

void expect_value(const char* check, long got, long want) {
  char why[96];
  if (got == want) {
    report(check, nullptr);
  } else {
    snprintf(why, sizeof why, "got %ld, expected %ld", got, want);
    report(check, why);
  }
}

long emulate_write(unsigned long fd, unsigned long buf, unsigned long len) {
  if (fd != 1 && fd != 2) return -kEBADF;
  unsigned long done = 0;
  while (done < len) {
    const unsigned long n = len - done < 4096 ? len - done : 4096;
    const kern_return_t kr = debug_write(reinterpret_cast<const char*>(buf + done), n);
    if (kr != KERN_SUCCESS) {
      if (done != 0) break;  // a short write, as Linux reports partial progress
      return kr == KERN_INVALID_ADDRESS ? -kEFAULT : -kEIO;
    }
    done += n;
  }
  return long(done);
}

}  // namespace

extern "C" void emulation_entry();
extern "C" void regcheck_syscall(unsigned long nr, unsigned long set_df, RegCheck* out);

// Called by emulation_entry for every redirected system call.
extern "C" void emulate(emulation_frame* f) {
  long result;
  switch (f->rax) {
    case kLinuxWrite: result = emulate_write(f->rdi, f->rsi, f->rdx); break;
    case kLinuxGetpid: result = kFakePid; break;
    default: result = -kENOSYS; break;
  }
  f->rax = static_cast<unsigned long>(result);
}

namespace {

// Runs regcheck_syscall and reports the first difference it finds.
void check_registers(const char* check, unsigned long nr, bool set_df, unsigned long want_rax) {
  RegCheck rc;
  memset(&rc, 0, sizeof rc);
  regcheck_syscall(nr, set_df ? 1 : 0, &rc);

  char why[160] = "";
  char name[32];
  auto differ = [&](const char* what, unsigned long got, unsigned long want) {
    if (got != want && why[0] == '\0') snprintf(why, sizeof why, "%s = 0x%lx, expected 0x%lx", what, got, want);
  };
  differ("rax", rc.rax, want_rax);
  differ("rbx", rc.rbx, RC_V_RBX);
  differ("rbp", rc.rbp, RC_V_RBP);
  differ("r12", rc.r12, RC_V_R12);
  differ("r13", rc.r13, RC_V_R13);
  differ("r14", rc.r14, RC_V_R14);
  differ("r15", rc.r15, RC_V_R15);
  differ("rdi", rc.rdi, RC_V_RDI);
  differ("rsi", rc.rsi, RC_V_RSI);
  differ("rdx", rc.rdx, RC_V_RDX);
  differ("r8", rc.r8, RC_V_R8);
  differ("r9", rc.r9, RC_V_R9);
  differ("r10", rc.r10, RC_V_R10);
  for (int i = 0; i < 16; ++i) {
    snprintf(name, sizeof name, "red zone at rsp-%d", 128 - 8 * i);
    differ(name, rc.red[i], RC_RED_BASE + unsigned(i));
  }
  constexpr unsigned long kDF = 1ul << 10, kRF = 1ul << 16;
  differ("rflags.DF", rc.flags_after & kDF, set_df ? kDF : 0);
  differ("rflags", rc.flags_after & ~kRF, rc.flags_before & ~kRF);
  differ("mxcsr (control bits)", rc.mxcsr_after & 0xffc0u, RC_MXCSR & 0xffc0u);
  for (int n = 0; n < 16; ++n) {
    snprintf(name, sizeof name, "xmm%d low", n);
    differ(name, rc.xmm[n][0], RC_XMM_BASE + 2 * unsigned(n));
    snprintf(name, sizeof name, "xmm%d high", n);
    differ(name, rc.xmm[n][1], RC_XMM_BASE + 2 * unsigned(n) + 1);
  }
  report(check, why[0] ? why : nullptr);
}

}  // namespace

int main(int, char**, char**) {
  const kern_return_t bad = task_set_emulation(reinterpret_cast<void*>(0xffffffff80000000ul));
  expect_value("bad entry refused", bad, KERN_INVALID_ADDRESS);

  const kern_return_t set = task_set_emulation(reinterpret_cast<void*>(&emulation_entry));
  expect_value("emulation set", set, KERN_SUCCESS);
  if (set != KERN_SUCCESS) {
    printf("trampoline: cannot continue without an emulation entry\n");
    return 1;
  }

  static const char hello[] = "trampoline: hello via write\n";
  const long len = long(sizeof hello - 1);
  expect_value("write", linux_syscall6(kLinuxWrite, 1, long(hello), len), len);
  expect_value("write bad fd", linux_syscall6(kLinuxWrite, 7, long(hello), len), -kEBADF);
  expect_value("write bad pointer", linux_syscall6(kLinuxWrite, 1, 0x1, 10), -kEFAULT);
  expect_value("getpid", linux_syscall6(kLinuxGetpid), kFakePid);
  expect_value("unknown syscall", linux_syscall6(999), -kENOSYS);

  check_registers("registers", kLinuxGetpid, false, kFakePid);
  check_registers("registers with DF=1", kLinuxGetpid, true, kFakePid);
  check_registers("mach trap registers", MACH_TRAP_TAG | MACH_TRAP_thread_switch, false, KERN_SUCCESS);
  check_registers("mach trap registers with DF=1", MACH_TRAP_TAG | MACH_TRAP_thread_switch, true, KERN_SUCCESS);

  // No foreign system call after this: without an entry it ends the task.
  expect_value("emulation off", task_set_emulation(nullptr), KERN_SUCCESS);

  if (failures != 0) {
    printf("trampoline: %d checks FAILED\n", failures);
    return 1;
  }
  printf("trampoline: all checks passed\n");
  return 0;
}
