#include "arch/x86_64/idt.h"

#include "arch/x86_64/gdt.h"

extern "C" char isr_stubs[];

namespace mk::x86 {
namespace {

struct [[gnu::packed]] IdtEntry {
  uint16_t offset_low;
  uint16_t selector;
  uint8_t ist;
  uint8_t type_attr;
  uint16_t offset_mid;
  uint32_t offset_high;
  uint32_t zero;
};
static_assert(sizeof(IdtEntry) == 16);

alignas(16) constinit IdtEntry g_idt[256]{};
constinit IrqHandler g_handlers[256]{};

struct [[gnu::packed]] IdtPointer {
  uint16_t limit;
  uint64_t base;
};

void set_gate(int vector, int ist) {
  uint64_t addr = reinterpret_cast<uint64_t>(isr_stubs) + 16 * uint64_t(vector);
  IdtEntry& e = g_idt[vector];
  e.offset_low = uint16_t(addr);
  e.selector = kKernelCs;
  e.ist = uint8_t(ist);
  e.type_attr = 0x8E;  // present, DPL 0, 64-bit interrupt gate (IF cleared on entry)
  e.offset_mid = uint16_t(addr >> 16);
  e.offset_high = uint32_t(addr >> 32);
  e.zero = 0;
}

constexpr const char* kExceptionNames[32] = {
    "#DE Divide error",
    "#DB Debug",
    "NMI",
    "#BP Breakpoint",
    "#OF Overflow",
    "#BR Bound range exceeded",
    "#UD Invalid opcode",
    "#NM Device not available",
    "#DF Double fault",
    "Coprocessor segment overrun",
    "#TS Invalid TSS",
    "#NP Segment not present",
    "#SS Stack-segment fault",
    "#GP General protection fault",
    "#PF Page fault",
    "Reserved (15)",
    "#MF x87 floating-point exception",
    "#AC Alignment check",
    "#MC Machine check",
    "#XM SIMD floating-point exception",
    "#VE Virtualization exception",
    "#CP Control protection exception",
    "Reserved (22)", "Reserved (23)", "Reserved (24)", "Reserved (25)",
    "Reserved (26)", "Reserved (27)",
    "#HV Hypervisor injection exception",
    "#VC VMM communication exception",
    "#SX Security exception",
    "Reserved (31)",
};

}  // namespace

void idt_init() {
  for (int v = 0; v < 256; ++v) set_gate(v, 0);
  set_gate(8, kIstDoubleFault);  // a kernel stack overflow must not triple-fault
  set_gate(2, kIstNmi);
  set_gate(18, kIstMachineCheck);
  IdtPointer idtr{sizeof(g_idt) - 1, reinterpret_cast<uint64_t>(g_idt)};
  asm volatile("lidt %0" : : "m"(idtr));
}

void idt_set_handler(uint8_t vector, IrqHandler handler) { g_handlers[vector] = handler; }



const char* exception_name(uint64_t vector) {
  return vector < 32 ? kExceptionNames[vector] : "Interrupt";
}

}  // namespace mk::x86

namespace mk::x86 {
IrqHandler idt_handler(uint8_t vector) { return g_handlers[vector]; }
}  // namespace mk::x86
