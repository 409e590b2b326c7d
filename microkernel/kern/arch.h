// The small interface generic kernel code uses to reach the machine. Each
// architecture implements it under arch/<name>/; generic code includes only
// this header, never arch headers.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/page.h"

namespace mk::arch {

// Early console (COM1 on PCs): used by kprintf and panic.
void console_init();
void console_putc(char c);

// Interrupt state; save/restore nests correctly.
uint64_t interrupts_save_disable();
void interrupts_restore(uint64_t state);
void interrupts_enable();
void cpu_relax();   // spin-wait hint
void wait_for_interrupt();
[[noreturn]] void halt_forever();

// Leave the emulator with a status (QEMU isa-debug-exit); returns if there is
// no such device so the caller can halt instead.
enum class ExitStatus : uint8_t { kPass = 0, kFail = 1, kPanic = 2 };
void emulator_exit(ExitStatus status);

// Physical memory is reachable through the direct map.
void* phys_to_virt(paddr_t pa);
paddr_t virt_to_phys(const void* va);  // only for direct-map and kernel image addresses
bool is_kernel_text(uint64_t va);
bool is_kernel_data_address(uint64_t va);  // a plausible kernel stack/frame address

// Timer: ticks per second of the periodic clock interrupt.
uint32_t timer_hz();
const char* timer_source();

}  // namespace mk::arch
