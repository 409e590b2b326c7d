// spinner TAG COUNT: prints "TAG 0" .. "TAG COUNT-1", one line each, with a
// long busy loop between lines. It never yields or sleeps, so two spinners
// only interleave their lines if the kernel preempts them.
#include "libmach/print.h"

namespace {

// Iterations of the busy loop between prints: each is a volatile load, add
// and store (a few instructions), so tens of milliseconds under QEMU TCG:
// several 10 ms time slices.
constexpr unsigned long kSpin = 4'000'000;

volatile unsigned long sink;

void spin() {
  for (unsigned long i = 0; i < kSpin; ++i) sink = sink + i;
}

bool parse_count(const char* s, unsigned long* out) {
  unsigned long v = 0;
  if (*s == '\0') return false;
  for (; *s; ++s) {
    if (*s < '0' || *s > '9' || v > 100'000'000) return false;
    v = v * 10 + static_cast<unsigned long>(*s - '0');
  }
  *out = v;
  return true;
}

}  // namespace

int main(int argc, char** argv, char**) {
  unsigned long count = 0;
  if (argc < 3 || !parse_count(argv[2], &count)) {
    printf("spinner: usage: spinner TAG COUNT\n");
    return 2;
  }
  for (unsigned long i = 0; i < count; ++i) {
    printf("%s %lu\n", argv[1], i);
    spin();
  }
  return 0;
}
