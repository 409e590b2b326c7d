// COM1 (16550 UART) polled output: the kernel's early log and panic channel.
// The interrupt-driven console driver lives in user space (drivers/).
#include "arch/x86_64/cpu.h"
#include "kern/arch.h"

namespace mk::arch {
namespace {
constexpr uint16_t kCom1 = 0x3F8;
bool g_serial_present = false;
}  // namespace

void console_init() {
  x86::outb(kCom1 + 1, 0x00);  // no interrupts
  x86::outb(kCom1 + 3, 0x80);  // DLAB on
  x86::outb(kCom1 + 0, 0x01);  // 115200 baud
  x86::outb(kCom1 + 1, 0x00);
  x86::outb(kCom1 + 3, 0x03);  // 8N1, DLAB off
  x86::outb(kCom1 + 2, 0xC7);  // FIFO on, cleared, 14-byte threshold
  x86::outb(kCom1 + 4, 0x0B);  // DTR, RTS, OUT2
  // A floating bus reads 0xFF: then there is no UART and we must not spin on it.
  g_serial_present = x86::inb(kCom1 + 5) != 0xFF;
}

void console_putc(char c) {
  if (!g_serial_present) return;
  if (c == '\n') console_putc('\r');
  // Bounded wait for the transmit holding register so a wedged UART cannot hang a panic.
  for (int spins = 0; spins < 100000 && !(x86::inb(kCom1 + 5) & 0x20); ++spins) x86::pause();
  x86::outb(kCom1, static_cast<uint8_t>(c));
}

}  // namespace mk::arch
