#include "arch/x86_64/timer.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/idt.h"
#include "arch/x86_64/paging.h"
#include "kern/arch.h"
#include "kern/clock.h"
#include "kern/console.h"
#include "kern/panic.h"
#include "kern/sched.h"

namespace mk::x86 {
namespace {

constexpr uint32_t kHz = 100;
constexpr uint32_t kPitFrequency = 1193182;

// Local APIC registers (offsets into its 4 KiB MMIO page).
constexpr uint32_t kApicEoi = 0xB0, kApicSpurious = 0xF0, kApicTpr = 0x80, kApicLvtTimer = 0x320,
                   kApicTimerInitial = 0x380, kApicTimerCurrent = 0x390, kApicTimerDivide = 0x3E0;
constexpr uint32_t kLvtMasked = 1u << 16, kLvtPeriodic = 1u << 17;

constinit volatile uint32_t* g_apic = nullptr;
constinit uint32_t g_hz = 0;
constinit const char* g_source = "none";

uint32_t apic_read(uint32_t reg) { return g_apic[reg / 4]; }
void apic_write(uint32_t reg, uint32_t v) { g_apic[reg / 4] = v; }

// Acknowledge first: the tick may switch threads before this returns.
void apic_timer_interrupt(TrapFrame&) {
  apic_write(kApicEoi, 0);
  clock_tick();
  sched_tick();
}

void pit_timer_interrupt(TrapFrame&) {
  pic_eoi(0);
  clock_tick();
  sched_tick();
}

void spurious_interrupt(TrapFrame&) {}  // the APIC wants no EOI for these

// Program PIT channel 2 for `ms` milliseconds (gate through port 0x61) and
// return how far the APIC timer counted down meanwhile.
uint32_t apic_ticks_in(uint32_t ms) {
  uint32_t count = kPitFrequency * ms / 1000;
  uint8_t gate = inb(0x61);
  outb(0x61, uint8_t((gate & ~0x02) | 0x01));  // speaker off, gate on
  outb(0x43, 0xB0);                            // channel 2, lo/hi, mode 0
  outb(0x42, uint8_t(count));
  outb(0x42, uint8_t(count >> 8));
  // Restart the gate so the count starts now.
  gate = inb(0x61);
  outb(0x61, uint8_t(gate & ~0x01));
  outb(0x61, uint8_t(gate | 0x01));
  apic_write(kApicTimerInitial, 0xFFFFFFFF);
  while (!(inb(0x61) & 0x20)) pause();  // OUT2 goes high when the count ends
  uint32_t elapsed = 0xFFFFFFFF - apic_read(kApicTimerCurrent);
  apic_write(kApicTimerInitial, 0);
  return elapsed;
}

void start_apic_timer() {
  paddr_t base = rdmsr(kMsrApicBase) & 0xFFFFFF000ull;
  wrmsr(kMsrApicBase, rdmsr(kMsrApicBase) | (1u << 11));  // global enable
  g_apic = static_cast<volatile uint32_t*>(map_device(base, 4096));
  apic_write(kApicTpr, 0);
  apic_write(kApicSpurious, 0x100 | kVectorApicSpurious);  // software enable
  apic_write(kApicTimerDivide, 0x3);                       // divide by 16
  apic_write(kApicLvtTimer, kLvtMasked | kVectorTimer);
  uint32_t per_10ms = apic_ticks_in(10);
  if (per_10ms < 100) panic("timer: APIC timer calibration failed (%u counts in 10 ms)", per_10ms);
  uint32_t initial = per_10ms * 100 / kHz;
  idt_set_handler(kVectorTimer, apic_timer_interrupt);
  idt_set_handler(kVectorApicSpurious, spurious_interrupt);
  apic_write(kApicLvtTimer, kLvtPeriodic | kVectorTimer);
  apic_write(kApicTimerInitial, initial);
  g_hz = kHz;
  g_source = "local APIC";
  kprintf("timer: local APIC at %#lx, %u counts per 10 ms (PIT-calibrated), %u Hz\n", base, per_10ms, kHz);
}

void start_pit_timer() {
  uint32_t divisor = kPitFrequency / kHz;
  outb(0x43, 0x34);  // channel 0, lo/hi, rate generator
  outb(0x40, uint8_t(divisor));
  outb(0x40, uint8_t(divisor >> 8));
  idt_set_handler(kVectorTimer, pit_timer_interrupt);
  pic_unmask(0);
  g_hz = kHz;
  g_source = "PIT";
  kprintf("timer: PIT channel 0, divisor %u, %u Hz\n", divisor, kHz);
}

}  // namespace

void timer_init(TimerChoice choice) {
  pic_init_masked();
  if (choice == TimerChoice::kAuto && g_cpu.apic)
    start_apic_timer();
  else
    start_pit_timer();
}

}  // namespace mk::x86

namespace mk::arch {
uint32_t timer_hz() { return x86::g_hz; }
const char* timer_source() { return x86::g_source; }
}  // namespace mk::arch
