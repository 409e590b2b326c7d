#include "libmach/print.h"

#include "lib/format.h"
#include "libmach/traps.h"

namespace {

// debug_write takes at most this much at once.
constexpr size_t kChunk = 4096;

// Collects one call's output and writes it with as few traps as possible.
struct Output {
  char buf[kChunk];
  size_t len = 0;

  void flush() {
    if (len != 0) debug_write(buf, len);
    len = 0;
  }
  void put(char c) {
    if (len == sizeof buf) flush();
    buf[len++] = c;
  }
  static void put_fn(char c, void* ctx) { static_cast<Output*>(ctx)->put(c); }
};

int clamp_int(size_t n) { return n > 0x7fffffff ? 0x7fffffff : int(n); }

}  // namespace

extern "C" int vprintf(const char* fmt, va_list ap) {
  Output out;
  const size_t n = mk::format_to(Output::put_fn, &out, fmt, ap);
  out.flush();
  return clamp_int(n);
}

extern "C" int printf(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  const int n = vprintf(fmt, ap);
  va_end(ap);
  return n;
}

extern "C" int vsnprintf(char* buf, size_t size, const char* fmt, va_list ap) {
  return clamp_int(mk::format(buf, size, fmt, ap));
}

extern "C" int snprintf(char* buf, size_t size, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  const int n = vsnprintf(buf, size, fmt, ap);
  va_end(ap);
  return n;
}

extern "C" int puts(const char* s) {
  Output out;
  size_t n = 0;
  for (; s[n] != '\0'; ++n) out.put(s[n]);
  out.put('\n');
  out.flush();
  return clamp_int(n + 1);
}
