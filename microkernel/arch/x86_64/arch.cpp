// kern/arch.h for x86-64: interrupt flag, halting, leaving the emulator.
#include "arch/x86_64/cpu.h"
#include "kern/arch.h"

namespace mk::arch {

uint64_t interrupts_save_disable() {
  uint64_t flags = x86::read_rflags();
  x86::cli();
  return flags & x86::kRflagsIf;
}

void interrupts_restore(uint64_t state) {
  if (state) x86::sti();
}

void interrupts_enable() { x86::sti(); }
void cpu_relax() { x86::pause(); }
void wait_for_interrupt() { asm volatile("sti; hlt" ::: "memory"); }

void halt_forever() {
  for (;;) {
    x86::cli();
    x86::hlt();
  }
}

void emulator_exit(ExitStatus status) {
  // QEMU's isa-debug-exit at port 0xf4 exits with (value << 1) | 1; on real
  // hardware or without the device the write goes nowhere.
  x86::outb(0xF4, static_cast<uint8_t>(status));
}

}  // namespace mk::arch
