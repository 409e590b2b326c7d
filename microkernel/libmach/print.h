// Formatted output for user programs, on the kernel's formatter (lib/format:
// %d %i %u %x %X %o %c %s %p %% with flags, width, precision and the hh h l
// ll z j t lengths; no floating point). Each printf/puts call is one
// debug_write trap (split only past 4096 bytes), so lines printed by
// different tasks do not interleave mid-line.
#pragma once

#include <stdarg.h>
#include <stddef.h>

extern "C" {
int printf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char* fmt, va_list ap) __attribute__((format(printf, 1, 0)));
int snprintf(char* buf, size_t size, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
int vsnprintf(char* buf, size_t size, const char* fmt, va_list ap) __attribute__((format(printf, 3, 0)));
// Writes s and a newline (one trap); returns a non-negative number.
int puts(const char* s);
}
