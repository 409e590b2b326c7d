// C string functions for user programs. GCC turns byte loops into calls to
// memset/memcpy, which here would call themselves: the optimize attribute
// switches that pattern matching off (meson also passes the flag).
#include "libmach/string.h"

#include <stdint.h>

#define LIBMACH_STRING_FN extern "C" __attribute__((optimize("no-tree-loop-distribute-patterns")))

// Quad words, then the odd bytes (see microkernel/klibc/string.cpp).
LIBMACH_STRING_FN void* memcpy(void* __restrict dst, const void* __restrict src, size_t n) {
  void* ret = dst;
  size_t quads = n >> 3, tail = n & 7;
  asm volatile("rep movsq" : "+D"(dst), "+S"(src), "+c"(quads) : : "memory");
  asm volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(tail) : : "memory");
  return ret;
}

LIBMACH_STRING_FN void* memmove(void* dst, const void* src, size_t n) {
  auto* d = static_cast<unsigned char*>(dst);
  const auto* s = static_cast<const unsigned char*>(src);
  // Forwards is safe unless dst starts inside [src, src + n).
  if (uintptr_t(d) - uintptr_t(s) >= n) return memcpy(dst, src, n);
  // Backwards, from the last byte (DF is set only inside this asm).
  const unsigned char* s_last = s + n - 1;
  unsigned char* d_last = d + n - 1;
  asm volatile("std\n\trep movsb\n\tcld" : "+D"(d_last), "+S"(s_last), "+c"(n) : : "memory", "cc");
  return dst;
}

LIBMACH_STRING_FN void* memset(void* dst, int c, size_t n) {
  void* ret = dst;
  uint64_t pattern = 0x0101010101010101ull * static_cast<unsigned char>(c);
  size_t quads = n >> 3, tail = n & 7;
  asm volatile("rep stosq" : "+D"(dst), "+c"(quads) : "a"(pattern) : "memory");
  asm volatile("rep stosb" : "+D"(dst), "+c"(tail) : "a"(pattern) : "memory");
  return ret;
}

LIBMACH_STRING_FN int memcmp(const void* a, const void* b, size_t n) {
  const auto* x = static_cast<const unsigned char*>(a);
  const auto* y = static_cast<const unsigned char*>(b);
  for (size_t i = 0; i < n; ++i) {
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  }
  return 0;
}

LIBMACH_STRING_FN size_t strlen(const char* s) {
  size_t n = 0;
  while (s[n] != '\0') ++n;
  return n;
}

LIBMACH_STRING_FN int strcmp(const char* a, const char* b) {
  for (;; ++a, ++b) {
    const auto x = static_cast<unsigned char>(*a), y = static_cast<unsigned char>(*b);
    if (x != y) return x < y ? -1 : 1;
    if (x == '\0') return 0;
  }
}

LIBMACH_STRING_FN int strncmp(const char* a, const char* b, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const auto x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
    if (x != y) return x < y ? -1 : 1;
    if (x == '\0') return 0;
  }
  return 0;
}

LIBMACH_STRING_FN char* strchr(const char* s, int c) {
  const char ch = static_cast<char>(c);
  for (;; ++s) {
    if (*s == ch) return const_cast<char*>(s);
    if (*s == '\0') return nullptr;
  }
}
