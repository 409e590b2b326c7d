// Interrupt descriptor table and the vector assignments.
#pragma once

#include <stdint.h>

#include "arch/x86_64/trap_frame.h"

namespace mk::x86 {

constexpr uint8_t kVectorIrqBase = 32;       // legacy PIC IRQ 0..15 land at 32..47
constexpr uint8_t kVectorTimer = 32;         // PIT IRQ0 or the local APIC timer
constexpr uint8_t kVectorApicSpurious = 0xFF;

using IrqHandler = void (*)(TrapFrame& frame);

void idt_init();
// Route a vector to a handler; the handler runs with interrupts off and must
// acknowledge the interrupt controller itself.
void idt_set_handler(uint8_t vector, IrqHandler handler);
IrqHandler idt_handler(uint8_t vector);

const char* exception_name(uint64_t vector);

}  // namespace mk::x86
