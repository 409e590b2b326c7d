// The kernel command line: space-separated words, `key=value` or bare flags.
#pragma once

#include <stddef.h>

namespace mk {

// Copies the value of `key=value` into buf (NUL-terminated, truncated to
// size-1). A bare `key` yields "". False when the key is absent.
bool boot_arg(const char* cmdline, const char* key, char* buf, size_t size);
bool boot_flag(const char* cmdline, const char* key);

}  // namespace mk
