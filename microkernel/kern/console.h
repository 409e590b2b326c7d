// Kernel log: formatted output to the early console, serialized by a lock so
// lines from different CPUs do not interleave mid-line.
#pragma once

#include <stdarg.h>

namespace mk {

void kprintf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void kvprintf(const char* fmt, va_list ap);
// For panic: write even if another CPU (or an interrupted caller) holds the lock.
void kprintf_unlocked(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

}  // namespace mk
