#include "kern/panic.h"

#include <stdarg.h>

#include "kern/arch.h"
#include "kern/console.h"
#include "kern/symbols.h"
#include "lib/format.h"

namespace mk {
namespace {
// Set by the first panic so a panic inside the panic path stops at once.
constinit bool g_panicking = false;
}  // namespace

namespace {

// Does `ret` look like a return address: kernel text right after a call?
bool after_call(uint64_t ret) {
  if (!arch::is_kernel_text(ret) || !arch::is_kernel_text(ret - 5)) return false;
  const uint8_t* p = reinterpret_cast<const uint8_t*>(ret);
  return p[-5] == 0xE8 || (p[-2] == 0xFF && (p[-1] & 0x38) == 0x10) || (p[-3] == 0xFF && (p[-2] & 0x38) == 0x10);
}

}  // namespace

void print_backtrace(uint64_t pc, uint64_t rbp, uint64_t sp) {
  char name[160];
  kprintf_unlocked("backtrace:\n");
  int depth = 0;
  if (pc) {
    symbolize(pc, name, sizeof name);
    kprintf_unlocked("  #%d 0x%016lx %s\n", depth++, pc, name);
  }
  // A leaf function, or one stopped in its prologue, has no frame of its own
  // yet: its return address is on top of the stack, not behind rbp.
  if (sp && (sp & 7) == 0 && arch::is_kernel_data_address(sp) && arch::is_kernel_data_address(sp + 7)) {
    uint64_t top = *reinterpret_cast<const uint64_t*>(sp);
    bool rbp_ok = rbp && (rbp & 7) == 0 && arch::is_kernel_data_address(rbp + 15);
    uint64_t frame_ret = rbp_ok ? reinterpret_cast<const uint64_t*>(rbp)[1] : 0;
    if (top != frame_ret && after_call(top)) {
      symbolize(top - 1, name, sizeof name);
      kprintf_unlocked("  #%d 0x%016lx %s\n", depth++, top, name);
    }
  }
  // Each frame is [saved rbp][return address]; frames grow upward as we walk,
  // so a non-increasing rbp or one outside kernel memory ends the walk.
  uint64_t prev = 0;
  while (depth < 32 && rbp && (rbp & 7) == 0 && rbp > prev && arch::is_kernel_data_address(rbp) &&
         arch::is_kernel_data_address(rbp + 15)) {
    const uint64_t* frame = reinterpret_cast<const uint64_t*>(rbp);
    uint64_t ret = frame[1];
    if (!arch::is_kernel_text(ret)) break;
    // The return address points after the call; look up the call itself.
    symbolize(ret - 1, name, sizeof name);
    kprintf_unlocked("  #%d 0x%016lx %s\n", depth++, ret, name);
    prev = rbp;
    rbp = frame[0];
  }
}

void halt_after_panic() {
  arch::emulator_exit(arch::ExitStatus::kPanic);
  arch::halt_forever();
}

void panic(const char* fmt, ...) {
  arch::interrupts_save_disable();
  if (g_panicking) {
    kprintf_unlocked("\npanic: nested panic, stopping\n");
    halt_after_panic();
  }
  g_panicking = true;
  kprintf_unlocked("\npanic: ");
  va_list ap;
  va_start(ap, fmt);
  char buf[256];
  format(buf, sizeof buf, fmt, ap);
  va_end(ap);
  kprintf_unlocked("%s\n", buf);
  uint64_t here;
  asm volatile("leaq 0(%%rip), %0" : "=r"(here));
  print_backtrace(here, reinterpret_cast<uint64_t>(__builtin_frame_address(0)), 0);
  halt_after_panic();
}

}  // namespace mk
