#include "arch/x86_64/cpu.h"
#include "arch/x86_64/idt.h"
#include "arch/x86_64/timer.h"

namespace mk::x86 {
namespace {
constexpr uint16_t kPic1Cmd = 0x20, kPic1Data = 0x21, kPic2Cmd = 0xA0, kPic2Data = 0xA1;
}

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

void pic_eoi(unsigned irq) {
  if (irq >= 8) outb(kPic2Cmd, 0x20);
  outb(kPic1Cmd, 0x20);
}

}  // namespace mk::x86
