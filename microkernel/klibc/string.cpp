// The C string and memory functions the compiler may call on its own
// (struct copies, zeroing) and that kernel code uses. Kernel only: host
// builds use the C library's.
//
// GCC recognizes loops like the ones below and turns them back into calls to
// memset/memcpy, which here would call themselves; the optimize attribute
// switches that pattern matching off for this file.
#include <stddef.h>
#include <stdint.h>

#define KLIBC_FN extern "C" __attribute__((optimize("no-tree-loop-distribute-patterns")))

// Quad words first, then the odd bytes: as fast as rep movsb on CPUs with
// ERMSB, faster on others, and an eighth of the steps under QEMU's
// instruction counting (each repetition counts), which the benchmarks use.
KLIBC_FN void* memcpy(void* __restrict dst, const void* __restrict src, size_t n) {
  void* ret = dst;
  size_t quads = n >> 3, tail = n & 7;
  asm volatile("rep movsq" : "+D"(dst), "+S"(src), "+c"(quads) : : "memory");
  asm volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(tail) : : "memory");
  return ret;
}

KLIBC_FN void* memset(void* dst, int c, size_t n) {
  void* ret = dst;
  uint64_t pattern = 0x0101010101010101ull * static_cast<unsigned char>(c);
  size_t quads = n >> 3, tail = n & 7;
  asm volatile("rep stosq" : "+D"(dst), "+c"(quads) : "a"(pattern) : "memory");
  asm volatile("rep stosb" : "+D"(dst), "+c"(tail) : "a"(pattern) : "memory");
  return ret;
}

KLIBC_FN void* memmove(void* dst, const void* src, size_t n) {
  unsigned char* d = static_cast<unsigned char*>(dst);
  const unsigned char* s = static_cast<const unsigned char*>(src);
  if (d == s || n == 0) return dst;
  // Copy forwards unless dst starts inside src, where that would clobber src.
  if (reinterpret_cast<uintptr_t>(d) - reinterpret_cast<uintptr_t>(s) >= n) {
    for (size_t i = 0; i < n; ++i) d[i] = s[i];
  } else {
    for (size_t i = n; i > 0; --i) d[i - 1] = s[i - 1];
  }
  return dst;
}

KLIBC_FN int memcmp(const void* a, const void* b, size_t n) {
  const unsigned char* x = static_cast<const unsigned char*>(a);
  const unsigned char* y = static_cast<const unsigned char*>(b);
  for (size_t i = 0; i < n; ++i)
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  return 0;
}

KLIBC_FN size_t strlen(const char* s) {
  size_t n = 0;
  while (s[n]) ++n;
  return n;
}

KLIBC_FN size_t strnlen(const char* s, size_t max) {
  size_t n = 0;
  while (n < max && s[n]) ++n;
  return n;
}

KLIBC_FN int strcmp(const char* a, const char* b) {
  const unsigned char* x = reinterpret_cast<const unsigned char*>(a);
  const unsigned char* y = reinterpret_cast<const unsigned char*>(b);
  while (*x && *x == *y) ++x, ++y;
  return *x < *y ? -1 : *x > *y ? 1 : 0;
}

KLIBC_FN int strncmp(const char* a, const char* b, size_t n) {
  const unsigned char* x = reinterpret_cast<const unsigned char*>(a);
  const unsigned char* y = reinterpret_cast<const unsigned char*>(b);
  for (size_t i = 0; i < n; ++i) {
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
    if (x[i] == 0) return 0;
  }
  return 0;
}
