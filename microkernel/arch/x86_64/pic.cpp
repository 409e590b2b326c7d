#include "arch/x86_64/cpu.h"
#include "arch/x86_64/idt.h"
#include "arch/x86_64/timer.h"
#include "kern/arch.h"

namespace mk::x86 {
namespace {
constexpr uint16_t kPic1Cmd = 0x20, kPic1Data = 0x21, kPic2Cmd = 0xA0, kPic2Data = 0xA1;

// Drivers' handlers per legacy line (arch::irq_route); written with
// interrupts off.
using DriverHandler = void (*)(unsigned);
constinit DriverHandler g_irq_handlers[16] = {};

// The in-service register of the PIC that owns `irq`.
bool in_service(unsigned irq) {
  uint16_t cmd = irq < 8 ? kPic1Cmd : kPic2Cmd;
  outb(cmd, 0x0B);  // OCW3: read ISR
  return (inb(cmd) >> (irq & 7)) & 1;
}

// Every routed line: spurious IRQ 7/15 (nothing in service) are dropped
// (the master still wants an EOI for a spurious 15); otherwise the line is
// masked and acknowledged before the driver's handler runs, so it stays
// quiet until the driver acknowledges it (io_interrupt_ack).
void legacy_irq(TrapFrame& f) {
  unsigned irq = unsigned(f.vector - kVectorIrqBase);
  if ((irq == 7 || irq == 15) && !in_service(irq)) {
    if (irq == 15) outb(kPic1Cmd, 0x20);
    return;
  }
  pic_mask(irq);
  pic_eoi(irq);
  if (auto h = g_irq_handlers[irq]) h(irq);
}

}  // namespace

void pic_init_masked() {
  // ICW1..ICW4: cascade, vector bases 32 and 40, 8086 mode. Remapping keeps
  // a stray legacy interrupt from looking like a CPU exception.
  outb(kPic1Cmd, 0x11), io_wait();
  outb(kPic2Cmd, 0x11), io_wait();
  outb(kPic1Data, kVectorIrqBase), io_wait();
  outb(kPic2Data, kVectorIrqBase + 8), io_wait();
  outb(kPic1Data, 4), io_wait();
  outb(kPic2Data, 2), io_wait();
  outb(kPic1Data, 1), io_wait();
  outb(kPic2Data, 1), io_wait();
  outb(kPic1Data, 0xFF);
  outb(kPic2Data, 0xFF);
}

void pic_unmask(unsigned irq) {
  uint16_t port = irq < 8 ? kPic1Data : kPic2Data;
  outb(port, uint8_t(inb(port) & ~(1u << (irq & 7))));
  if (irq >= 8) pic_unmask(2);  // the cascade line
}

void pic_mask(unsigned irq) {
  uint16_t port = irq < 8 ? kPic1Data : kPic2Data;
  outb(port, uint8_t(inb(port) | (1u << (irq & 7))));
}

void pic_eoi(unsigned irq) {
  if (irq >= 8) outb(kPic2Cmd, 0x20);
  outb(kPic1Cmd, 0x20);
}

}  // namespace mk::x86

namespace mk::arch {

bool irq_line_assignable(unsigned irq) { return irq < 16 && irq != 0 && irq != 2; }

void irq_route(unsigned irq, void (*handler)(unsigned)) {
  if (!irq_line_assignable(irq)) return;
  uint64_t state = interrupts_save_disable();
  x86::pic_mask(irq);
  x86::g_irq_handlers[irq] = handler;
  x86::idt_set_handler(uint8_t(x86::kVectorIrqBase + irq), handler ? x86::legacy_irq : nullptr);
  interrupts_restore(state);
}

void irq_mask(unsigned irq) {
  if (irq_line_assignable(irq)) x86::pic_mask(irq);
}

void irq_unmask(unsigned irq) {
  if (irq_line_assignable(irq)) x86::pic_unmask(irq);
}

}  // namespace mk::arch
