#include "kern/console.h"

#include "kern/arch.h"
#include "kern/spinlock.h"
#include "lib/format.h"

namespace mk {
namespace {

constinit IrqSpinLock g_console_lock;

void put(char c, void*) { arch::console_putc(c); }

}  // namespace

void kvprintf(const char* fmt, va_list ap) {
  LockGuard guard(g_console_lock);
  format_to(put, nullptr, fmt, ap);
}

void kprintf(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  kvprintf(fmt, ap);
  va_end(ap);
}

void kprintf_unlocked(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  format_to(put, nullptr, fmt, ap);
  va_end(ap);
}

}  // namespace mk
