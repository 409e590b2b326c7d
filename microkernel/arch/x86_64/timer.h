// The periodic clock interrupt: the local APIC timer calibrated against the
// PIT, or the PIT itself on CPUs without an APIC (or when the command line
// says timer=pit).
#pragma once

namespace mk::x86 {

enum class TimerChoice { kAuto, kPit };
void timer_init(TimerChoice choice);

// Legacy 8259 PICs: remapped to vectors 32..47 and masked, as the APIC
// replaces them; the PIT fallback unmasks IRQ 0 only.
void pic_init_masked();
void pic_unmask(unsigned irq);
void pic_mask(unsigned irq);
void pic_eoi(unsigned irq);

}  // namespace mk::x86
