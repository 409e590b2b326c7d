// trap_dispatch: where isr.S delivers every interrupt and exception. Device
// interrupts go to the handler registered for their vector; a CPU exception
// in the kernel is a bug: dump everything we know and panic.
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/idt.h"
#include "arch/x86_64/trap_frame.h"
#include "kern/console.h"
#include "kern/panic.h"
#include "kern/sched.h"
#include "kern/symbols.h"
#include "lib/format.h"
#include "vm/vm_kern.h"

namespace mk::x86 {
namespace {

void describe_page_fault_error(uint64_t err, char* buf, size_t size) {
  const char* access = (err & 0x10) ? "instruction fetch" : (err & 2) ? "write" : "read";
  const char* cause = (err & 1) ? "protection violation" : "page not present";
  const char* mode = (err & 4) ? "user" : "kernel";
  const char* extra = (err & 8) ? ", reserved bit set" : "";
  mk::snformat(buf, size, "%s, %s, %s mode%s", access, cause, mode, extra);
}

[[noreturn]] void kernel_exception(TrapFrame& f) {
  uint64_t cr2 = read_cr2();
  kprintf_unlocked("\n*** CPU exception in kernel: %s (vector %lu, error code 0x%lx)\n",
                   exception_name(f.vector), f.vector, f.error);
  if (f.vector == 14) {
    char what[96];
    describe_page_fault_error(f.error, what, sizeof what);
    kprintf_unlocked("    faulting address: 0x%016lx (%s)\n", cr2, what);
  }
  char where[160];
  symbolize(f.rip, where, sizeof where);
  kprintf_unlocked("    rip %016lx <%s>\n", f.rip, where);
  kprintf_unlocked("    cs  %04lx  ss %04lx  rflags %016lx  rsp %016lx\n", f.cs, f.ss, f.rflags, f.rsp);
  kprintf_unlocked("    rax %016lx  rbx %016lx  rcx %016lx  rdx %016lx\n", f.rax, f.rbx, f.rcx, f.rdx);
  kprintf_unlocked("    rsi %016lx  rdi %016lx  rbp %016lx  r8  %016lx\n", f.rsi, f.rdi, f.rbp, f.r8);
  kprintf_unlocked("    r9  %016lx  r10 %016lx  r11 %016lx  r12 %016lx\n", f.r9, f.r10, f.r11, f.r12);
  kprintf_unlocked("    r13 %016lx  r14 %016lx  r15 %016lx\n", f.r13, f.r14, f.r15);
  kprintf_unlocked("    cr0 %016lx  cr2 %016lx  cr3 %016lx  cr4 %016lx\n", read_cr0(), cr2, read_cr3(),
                   read_cr4());
  print_backtrace(f.rip, f.rbp, f.rsp);
  kprintf_unlocked("panic: unhandled %s in kernel mode\n", exception_name(f.vector));
  halt_after_panic();
}

}  // namespace

void user_exception(TrapFrame& f, kern_return_t fault);  // syscall.cpp

// What a page fault's error code asks for.
vm_prot_t fault_access(uint64_t err) {
  if (err & 0x10) return VM_PROT_EXECUTE;
  return (err & 2) ? VM_PROT_WRITE : VM_PROT_READ;
}

}  // namespace mk::x86

extern "C" char copy_user_insn[], copy_user_insn_tail[], copy_user_fixup[];

extern "C" void trap_dispatch(mk::x86::TrapFrame* frame) {
  using namespace mk::x86;
  TrapFrame& f = *frame;
  if (IrqHandler h = idt_handler(uint8_t(f.vector))) {
    h(f);
  } else if (f.vector == 14 && from_user(f)) {
    // The VM resolves most faults (zero fill, copy on write); the rest
    // become an exception message or end the task.
    kern_return_t kr = mk::vm_fault_current(read_cr2(), fault_access(f.error));
    if (kr != KERN_SUCCESS) user_exception(f, kr);
  } else if (f.vector < 32 && from_user(f)) {
    user_exception(f, KERN_SUCCESS);  // ends the task; returns only if another thread of it raced ahead
  } else if (f.vector == 14 && (f.rip == reinterpret_cast<uint64_t>(copy_user_insn) ||
                                 f.rip == reinterpret_cast<uint64_t>(copy_user_insn_tail))) {
    // copyin/copyout: memory not faulted in yet is brought in and the copy
    // retried; a bad user address makes the copy fail.
    if (mk::vm_fault_current(read_cr2(), fault_access(f.error)) != KERN_SUCCESS)
      f.rip = reinterpret_cast<uint64_t>(copy_user_fixup);
    return;
  } else if (f.vector < 32) {
    kernel_exception(f);
  } else {
    mk::kprintf("trap: spurious vector %lu ignored\n", f.vector);
  }
  // Preempt only where no kernel code is interrupted mid-way: on the way back
  // to user mode, or out of the idle loop.
  if (from_user(f) || mk::sched_idle_thread_running()) mk::sched_preempt_point();
}
