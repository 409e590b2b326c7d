#include "machine.h"

#include <io_rpc.h>

#include "libmach/mach_ipc.h"

namespace ux {
namespace {

uint8_t inb(uint16_t port) {
  uint8_t v;
  asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}
void outb(uint16_t port, uint8_t v) { asm volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }

uint8_t cmos(uint8_t reg) {
  outb(0x70, reg);
  return inb(0x71);
}

int bcd(uint8_t v, bool binary) { return binary ? v : (v >> 4) * 10 + (v & 15); }

// Days from 1970-01-01 to y-m-d (the proleptic Gregorian calendar).
int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

}  // namespace

uint64_t rtc_read_epoch(mach_port_t io_master) {
  if (rpc_io_port_grant(io_master, mach_task_self(), 0x70, 2) != KERN_SUCCESS) return 0;
  // Read twice until both agree: the clock may tick between the bytes.
  // Seconds, minutes, hours, day, month, year, century.
  static constexpr uint8_t kRegs[7] = {0x00, 0x02, 0x04, 0x07, 0x08, 0x09, 0x32};
  uint8_t a[7], b[7];
  do {
    while (cmos(0x0a) & 0x80) {}  // an update in progress
    for (int i = 0; i < 7; ++i) a[i] = cmos(kRegs[i]);
    for (int i = 0; i < 7; ++i) b[i] = cmos(kRegs[i]);
  } while (__builtin_memcmp(a, b, sizeof a) != 0);
  uint8_t status_b = cmos(0x0b);
  bool binary = status_b & 4, h24 = status_b & 2;
  int sec = bcd(a[0], binary), min = bcd(a[1], binary);
  int hour = bcd(a[2] & 0x7f, binary);
  if (!h24 && (a[2] & 0x80)) hour = (hour % 12) + 12;
  else if (!h24 && hour == 12) hour = 0;
  int day = bcd(a[3], binary), month = bcd(a[4], binary), year = bcd(a[5], binary);
  int century = bcd(a[6], binary);
  year += century >= 19 && century <= 21 ? century * 100 : 2000;
  int64_t days = days_from_civil(year, month, day);
  return uint64_t(days * 86400 + hour * 3600 + min * 60 + sec);
}

void power_off(mach_port_t io_master, uint32_t value) {
  if (rpc_io_port_grant(io_master, mach_task_self(), 0xf4, 4) != KERN_SUCCESS) return;
  asm volatile("outl %0, %1" : : "a"(value), "Nd"(uint16_t(0xf4)));
}

}  // namespace ux
