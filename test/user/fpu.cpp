// fpu TAG: floating-point and SSE work that shows FPU state corruption.
// The same tag-dependent computation runs twice: once straight through (the
// reference), once in chunks with long busy loops in between, during which
// the running values sit in xmm registers (inline-asm "+x" operands) and the
// task is preempted many times. The task also runs with its own MXCSR
// rounding mode. If the kernel lost or mixed up another task's vector state
// or MXCSR, the second run differs from the first. Two fpu tasks with
// different tags run at once.
#include <stdint.h>

#include "libmach/print.h"
#include "libmach/string.h"

namespace {

typedef double v2d __attribute__((vector_size(16)));
typedef float v4f __attribute__((vector_size(16)));

constexpr int kChunks = 64;
constexpr int kStepsPerChunk = 2000;
constexpr unsigned long kSpin = 6'000'000;  // busy-loop iterations between chunks (~2 instructions each)

struct State {
  double x;
  v2d v;
  v4f f;
};

struct Params {
  double c;
  v2d vk, vc;
  v4f fk, fc;
};

// One chunk of the computation; not inlined so both runs use the same code.
__attribute__((noinline)) void step(State& s, const Params& p) {
  double x = s.x;
  v2d v = s.v;
  v4f f = s.f;
  for (int i = 0; i < kStepsPerChunk; ++i) {
    x = x * 1.0000001 + p.c;
    v = v * p.vk + p.vc;
    f = f * p.fk + p.fc;
    if (x > 1e12) x *= 1e-9;  // keep them finite and changing
    if (v[0] > 1e12) v *= 1e-9;
    if (f[0] > 1e6f) f *= 1e-3f;
  }
  s.x = x;
  s.v = v;
  s.f = f;
}

uint64_t bits(double d) {
  uint64_t b;
  memcpy(&b, &d, sizeof b);
  return b;
}
uint32_t bits(float f) {
  uint32_t b;
  memcpy(&b, &f, sizeof b);
  return b;
}

// Bitwise, field by field (State has padding after x).
bool same(const State& a, const State& b) {
  return bits(a.x) == bits(b.x) && memcmp(&a.v, &b.v, sizeof a.v) == 0 && memcmp(&a.f, &b.f, sizeof a.f) == 0;
}

unsigned mxcsr_get() {
  unsigned m;
  asm volatile("stmxcsr %0" : "=m"(m));
  return m;
}
void mxcsr_set(unsigned m) { asm volatile("ldmxcsr %0" : : "m"(m)); }

}  // namespace

int main(int argc, char** argv, char**) {
  if (argc < 2) {
    printf("fpu: usage: fpu TAG\n");
    return 2;
  }
  const char* tag = argv[1];
  uint32_t h = 2166136261u;  // FNV-1a of the tag
  for (const char* p = tag; *p; ++p) h = (h ^ static_cast<unsigned char>(*p)) * 16777619u;

  // Rounding mode from the sum of the tag's characters (so tags like A and B
  // differ): 0 nearest, 1 down, 2 up, 3 toward zero.
  unsigned char_sum = 0;
  for (const char* p = tag; *p; ++p) char_sum += static_cast<unsigned char>(*p);
  const unsigned rounding = char_sum % 4;
  const unsigned mxcsr = 0x1f80u | (rounding << 13);
  mxcsr_set(mxcsr);

  const double base = 1.0 + double(h % 1000) / 1000.0;
  Params p;
  p.c = base * 0.001;
  p.vk = v2d{1.00000013, 0.99999991};
  p.vc = v2d{base, -base * 0.5};
  p.fk = v4f{1.0001f, 0.9999f, 1.00002f, 0.99998f};
  p.fc = v4f{float(base), float(-base), 0.25f, float(h % 7)};
  const State start = {base, v2d{base, base * 3}, v4f{1.0f, 2.0f, float(base), -1.0f}};

  // Reference, straight through; remember the state after each chunk.
  static State expected[kChunks];
  State s = start;
  for (int k = 0; k < kChunks; ++k) {
    step(s, p);
    expected[k] = s;
  }

  // Again, with the values held in xmm registers across long busy loops.
  s = start;
  for (int k = 0; k < kChunks; ++k) {
    step(s, p);
    double x = s.x;
    v2d v = s.v;
    v4f f = s.f;
    v2d d0 = p.vk, d1 = p.vc;
    v4f f0 = p.fk, f1 = p.fc;
    unsigned long n = kSpin;
    asm volatile("1: dec %[n]\n\tjnz 1b"
                 : [n] "+r"(n), "+x"(x), "+x"(v), "+x"(f), "+x"(d0), "+x"(d1), "+x"(f0), "+x"(f1));
    s = State{x, v, f};
    const unsigned now = mxcsr_get();
    if ((now & 0xffc0u) != (mxcsr & 0xffc0u)) {
      printf("fpu %s: MISMATCH mxcsr 0x%x, expected 0x%x (chunk %d)\n", tag, now, mxcsr, k);
      return 1;
    }
    if (memcmp(&d0, &p.vk, sizeof d0) != 0 || memcmp(&d1, &p.vc, sizeof d1) != 0 ||
        memcmp(&f0, &p.fk, sizeof f0) != 0 || memcmp(&f1, &p.fc, sizeof f1) != 0) {
      printf("fpu %s: MISMATCH constants held in xmm registers changed (chunk %d)\n", tag, k);
      return 1;
    }
    if (!same(s, expected[k])) {
      printf("fpu %s: MISMATCH chunk %d: x=0x%016lx expected 0x%016lx, v0=0x%016lx expected 0x%016lx, "
             "f0=0x%08x expected 0x%08x\n",
             tag, k, bits(s.x), bits(expected[k].x), bits(s.v[0]), bits(expected[k].v[0]), bits(s.f[0]),
             bits(expected[k].f[0]));
      return 1;
    }
  }
  printf("fpu %s: ok rounding=%u x=0x%016lx v=0x%016lx/0x%016lx f=0x%08x/0x%08x\n", tag, rounding, bits(s.x),
         bits(s.v[0]), bits(s.v[1]), bits(s.f[0]), bits(s.f[3]));
  return 0;
}
