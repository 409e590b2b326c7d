// printf-style formatting without libc, for the kernel log and panic messages.
//
// Conversions: %d %i %u %x %X %o %c %s %p %%; flags - 0 + space #; width and
// precision (also * and .*); length modifiers hh h l ll z j t. No floating
// point and no %n. %p prints "0x" and 16 lowercase hex digits; a null %s
// prints "(null)". An unknown conversion is copied to the output as written
// (e.g. "%y") and consumes no argument. Widths and precisions are capped at
// kFormatMaxWidth so a bad format string cannot stall the kernel.
#pragma once

#include <stdarg.h>
#include <stddef.h>

namespace mk {

inline constexpr int kFormatMaxWidth = 4096;

// snprintf semantics: writes at most size - 1 characters and a NUL when
// size > 0; returns the length the full output would have had.
size_t format(char* buf, size_t size, const char* fmt, va_list ap);

// Streams each character to put(c, ctx); returns the number emitted.
size_t format_to(void (*put)(char c, void* ctx), void* ctx, const char* fmt, va_list ap);

size_t snformat(char* buf, size_t size, const char* fmt, ...) __attribute__((format(printf, 3, 4)));

}  // namespace mk
