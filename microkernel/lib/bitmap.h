// Bit arrays over uint64_t words: bit i lives in word i / 64 at position
// i % 64. Range operations take [begin, end) bit indices and work a word at a
// time, so scans skip 64 uninteresting bits per step.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace mk::bitmap {

inline constexpr size_t kBitsPerWord = 64;

constexpr size_t words_for(size_t bits) { return (bits + kBitsPerWord - 1) / kBitsPerWord; }

// Bit count without __builtin_popcountll, which without -mpopcnt becomes a
// libgcc call the kernel does not link.
constexpr size_t popcount(uint64_t v) {
  v = v - ((v >> 1) & 0x5555555555555555ull);
  v = (v & 0x3333333333333333ull) + ((v >> 2) & 0x3333333333333333ull);
  v = (v + (v >> 4)) & 0x0f0f0f0f0f0f0f0full;
  return size_t((v * 0x0101010101010101ull) >> 56);
}

inline bool test(const uint64_t* w, size_t i) { return (w[i / 64] >> (i % 64)) & 1; }
inline void set(uint64_t* w, size_t i) { w[i / 64] |= uint64_t(1) << (i % 64); }
inline void clear(uint64_t* w, size_t i) { w[i / 64] &= ~(uint64_t(1) << (i % 64)); }

// Bits [lo, hi) of one word, 0 <= lo < hi <= 64.
constexpr uint64_t word_mask(size_t lo, size_t hi) {
  uint64_t upper = hi == 64 ? ~uint64_t(0) : (uint64_t(1) << hi) - 1;
  return upper & ~((uint64_t(1) << lo) - 1);
}

// Calls fn(word_index, mask) for each word the range touches.
template <class Fn>
inline void for_each_word(size_t begin, size_t end, Fn fn) {
  while (begin < end) {
    size_t word = begin / 64, lo = begin % 64;
    size_t hi = (end - word * 64) < 64 ? end - word * 64 : 64;
    fn(word, word_mask(lo, hi));
    begin = word * 64 + hi;
  }
}

inline void set_range(uint64_t* w, size_t begin, size_t end) {
  for_each_word(begin, end, [w](size_t i, uint64_t m) { w[i] |= m; });
}

inline void clear_range(uint64_t* w, size_t begin, size_t end) {
  for_each_word(begin, end, [w](size_t i, uint64_t m) { w[i] &= ~m; });
}

inline size_t count_range(const uint64_t* w, size_t begin, size_t end) {
  size_t n = 0;
  for_each_word(begin, end, [w, &n](size_t i, uint64_t m) { n += popcount(w[i] & m); });
  return n;
}

// First index in [begin, end) whose bit equals `value`, or `end` if none.
inline size_t find_first(const uint64_t* w, size_t begin, size_t end, bool value) {
  const uint64_t flip = value ? 0 : ~uint64_t(0);
  while (begin < end) {
    size_t word = begin / 64, lo = begin % 64;
    uint64_t bits = (w[word] ^ flip) & word_mask(lo, 64);
    if (bits) {
      size_t found = word * 64 + size_t(__builtin_ctzll(bits));
      return found < end ? found : end;
    }
    begin = (word + 1) * 64;
  }
  return end;
}

inline size_t find_first_set(const uint64_t* w, size_t begin, size_t end) { return find_first(w, begin, end, true); }
inline size_t find_first_clear(const uint64_t* w, size_t begin, size_t end) {
  return find_first(w, begin, end, false);
}

}  // namespace mk::bitmap
