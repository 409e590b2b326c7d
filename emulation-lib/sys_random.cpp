// getrandom, answered in the library: RDRAND when the CPU has it (retried
// while it reports no value ready), else a xorshift generator stirred with
// the time stamp counter. Good enough for hash seeds and stack canaries;
// not a cryptographic source.
#include "syscalls.h"
#include "user_memory.h"

namespace emul {

using namespace linux_abi;

namespace {

constexpr unsigned kGRND_NONBLOCK = 1, kGRND_RANDOM = 2, kGRND_INSECURE = 4;
constexpr uint64_t kMaxRequest = 33554431;  // Linux returns at most this much per call

constinit int g_have_rdrand = -1;  // unknown until the first call
constinit uint64_t g_state = 0;

bool have_rdrand() {
  if (g_have_rdrand < 0) {
    unsigned a = 1, b, c = 0, d;
    asm volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
    g_have_rdrand = (c >> 30) & 1;
  }
  return g_have_rdrand;
}

uint64_t rdtsc() {
  uint32_t lo, hi;
  asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return (uint64_t(hi) << 32) | lo;
}

uint64_t next_random() {
  if (have_rdrand()) {
    for (int tries = 0; tries < 100; ++tries) {
      uint64_t v;
      unsigned char ok;
      asm volatile("rdrand %0; setc %1" : "=r"(v), "=qm"(ok) : : "cc");
      if (ok) return v;
    }
  }
  g_state ^= rdtsc() * 0x9e3779b97f4a7c15ull;
  if (g_state == 0) g_state = 0x2545f4914f6cdd1dull;
  g_state ^= g_state << 13;
  g_state ^= g_state >> 7;
  g_state ^= g_state << 17;
  return g_state;
}

}  // namespace

// getrandom(buf, len, flags)
long sys_getrandom(const emulation_frame& f) {
  uint64_t buf = arg0(f), len = arg1(f);
  unsigned flags = unsigned(arg2(f));
  if (flags & ~(kGRND_NONBLOCK | kGRND_RANDOM | kGRND_INSECURE)) return -kEINVAL;
  if ((flags & kGRND_RANDOM) && (flags & kGRND_INSECURE)) return -kEINVAL;
  if (len > kMaxRequest) len = kMaxRequest;
  uint64_t block[32];
  uint64_t done = 0;
  while (done < len) {
    for (uint64_t& w : block) w = next_random();
    uint64_t n = len - done < sizeof block ? len - done : sizeof block;
    if (long r = copy_out(buf + done, block, n); r < 0) return done ? long(done) : r;
    done += n;
  }
  return long(done);
}

}  // namespace emul
