// The two pieces of hardware the Unix server touches itself, through I/O
// ports the I/O master port grants: the CMOS clock (the time of day at
// boot, for CLOCK_REALTIME) and QEMU's isa-debug-exit (power off when the
// first process ends, so `scripts/run -- CMD` returns).
#pragma once

#include <stdint.h>

#include <mach/port.h>

namespace ux {

// Seconds since 1970 now (UTC, from the CMOS real-time clock), or 0 when
// the ports cannot be had.
uint64_t rtc_read_epoch(mach_port_t io_master);

// Leaves QEMU: its exit status is (value << 1) | 1 (0 pass, 1 fail as
// the kernel's tests read it). Returns only when the port cannot be had.
void power_off(mach_port_t io_master, uint32_t value);

}  // namespace ux
