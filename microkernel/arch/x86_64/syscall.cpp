// System calls and user-mode exceptions on x86-64: Mach traps by their tag,
// every other number redirected to the task's emulation entry (the
// trampoline) or fatal to the task; a CPU exception in user mode ends the
// task with a log line.
#include <mach/emulation.h>
#include <mach/mach_traps.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/idt.h"
#include "arch/x86_64/trap_frame.h"
#include "arch/x86_64/vm_layout.h"
#include "kern/arch.h"
#include "kern/exception.h"
#include "kern/mach_traps.h"
#include "kern/sched.h"
#include "kern/task.h"
#include "lib/format.h"

namespace mk::x86 {
namespace {

// Push the caller's registers as an emulation_frame below the red zone and
// resume at the task's entry. False when the stack is not writable.
bool redirect(TrapFrame& f, uint64_t entry) {
  emulation_frame frame{};
  frame.rax = f.rax;
  frame.rdi = f.rdi, frame.rsi = f.rsi, frame.rdx = f.rdx;
  frame.r10 = f.r10, frame.r8 = f.r8, frame.r9 = f.r9;
  frame.rbx = f.rbx, frame.rbp = f.rbp;
  frame.r12 = f.r12, frame.r13 = f.r13, frame.r14 = f.r14, frame.r15 = f.r15;
  frame.rip = f.rip;
  frame.rflags = f.rflags;
  frame.rsp = f.rsp;
  uint64_t sp = (f.rsp - EMULATION_RED_ZONE - sizeof frame) & ~15ull;
  if (sp > f.rsp || arch::copyout(sp, &frame, sizeof frame) != KERN_SUCCESS) return false;
  f.rsp = sp;
  f.rdi = sp;
  f.rip = entry;
  return true;
}

}  // namespace

// `fault`: for a page fault, what the VM found (KERN_INVALID_ADDRESS:
// nothing mapped; KERN_PROTECTION_FAILURE: access not allowed).
void user_exception(TrapFrame& f, kern_return_t fault) {
  // The exception port's handler may take it (and resume the thread).
  exception_type_t exc;
  int64_t code = f.vector, subcode = int64_t(f.error);
  switch (f.vector) {
    case 14:
      exc = EXC_BAD_ACCESS;
      code = fault;
      subcode = int64_t(read_cr2());
      break;
    case 13:
    case 12:
    case 11:
      exc = EXC_BAD_ACCESS;
      break;
    case 0:
    case 16:
    case 19:
      exc = EXC_ARITHMETIC;
      break;
    case 1:
    case 3:
      exc = EXC_BREAKPOINT;
      break;
    default:
      exc = EXC_BAD_INSTRUCTION;
      break;
  }
  uint64_t cr2 = read_cr2();
  if (exception_raise(exc, code, subcode)) return;
  char why[192];
  if (f.vector == 14) {
    const char* access = (f.error & 0x10) ? "execute" : (f.error & 2) ? "write" : "read";
    snformat(why, sizeof why, "terminated: #PF Page fault, %s at 0x%016lx (%s), rip 0x%016lx", access, cr2,
             fault == KERN_PROTECTION_FAILURE ? "protection violation"
             : fault == KERN_RESOURCE_SHORTAGE ? "out of memory"
             : fault == KERN_MEMORY_ERROR    ? "memory error: its pager failed"
                                             : "not mapped", f.rip);
  } else {
    snformat(why, sizeof why, "terminated: %s (error code 0x%lx), rip 0x%016lx", exception_name(f.vector),
             f.error, f.rip);
  }
  task_terminate(current_task(), 128 + int(f.vector), why);
}

}  // namespace mk::x86

// Returns 1 when SYSRET may return (a plain return to canonical user code),
// 0 to go through iretq.
extern "C" int syscall_dispatch(mk::x86::TrapFrame* frame) {
  using namespace mk;
  using namespace mk::x86;
  TrapFrame& f = *frame;
  if ((f.rax & MACH_TRAP_MASK) == MACH_TRAP_TAG) {
    const uint64_t args[6] = {f.rdi, f.rsi, f.rdx, f.r10, f.r8, f.r9};
    f.rax = mach_trap(uint32_t(f.rax), args);
  } else {
    Task* task = current_task();
    char why[96];
    if (!task->emulation_entry && exception_raise(EXC_SYSCALL, int64_t(f.rax), int64_t(f.rip))) {
      f.rax = uint64_t(-38);  // handled: the call itself fails with ENOSYS
    } else if (!task->emulation_entry) {
      snformat(why, sizeof why, "terminated: system call %ld with no emulation entry, rip 0x%016lx", long(f.rax),
               f.rip);
      task_terminate(task, 128 + 31, why);  // SIGSYS-like status
    } else if (!redirect(f, task->emulation_entry)) {
      snformat(why, sizeof why, "terminated: no room for the emulation frame below rsp 0x%016lx", f.rsp);
      task_terminate(task, 128 + 11, why);
    }
  }
  sched_preempt_point();
  f.rflags = (f.rflags & 0x3C0FD5) | 0x202;  // user-settable flags, IF on
  return f.rip < kUserTop && f.rip >= 0x1000 ? 1 : 0;
}
