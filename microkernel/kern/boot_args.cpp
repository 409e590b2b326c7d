#include "kern/boot_args.h"

namespace mk {

bool boot_arg(const char* cmdline, const char* key, char* buf, size_t size) {
  if (!cmdline || !key || !*key) return false;
  size_t klen = __builtin_strlen(key);
  const char* p = cmdline;
  while (*p) {
    while (*p == ' ' || *p == '\t') ++p;
    const char* word = p;
    while (*p && *p != ' ' && *p != '\t') ++p;
    size_t wlen = size_t(p - word);
    if (wlen < klen || __builtin_memcmp(word, key, klen) != 0) continue;
    if (wlen != klen && word[klen] != '=') continue;
    const char* value = wlen == klen ? word + klen : word + klen + 1;
    size_t vlen = size_t(p - value);
    if (buf && size) {
      size_t n = vlen < size - 1 ? vlen : size - 1;
      __builtin_memcpy(buf, value, n);
      buf[n] = 0;
    }
    return true;
  }
  return false;
}

bool boot_flag(const char* cmdline, const char* key) { return boot_arg(cmdline, key, nullptr, 0); }

}  // namespace mk
