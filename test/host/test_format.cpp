#include <doctest/doctest.h>

#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

#include "lib/format.h"

namespace {

// No format attribute: these take formats the compiler would (rightly) flag.
std::string mine(const char* fmt, ...) {
  char buf[8192];
  va_list ap;
  va_start(ap, fmt);
  size_t n = mk::format(buf, sizeof buf, fmt, ap);
  va_end(ap);
  REQUIRE(n < sizeof buf);
  CHECK(std::string(buf).size() == n);
  return buf;
}

std::string host(const char* fmt, ...) {
  char buf[8192];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  return buf;
}

size_t mine_sized(char* buf, size_t size, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  size_t n = mk::format(buf, size, fmt, ap);
  va_end(ap);
  return n;
}

void append(char c, void* ctx) { static_cast<std::string*>(ctx)->push_back(c); }

size_t streamed(std::string* out, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  size_t n = mk::format_to(append, out, fmt, ap);
  va_end(ap);
  return n;
}

const char* const kFlags[] = {"", "-", "0", "+", " ", "#", "-0", "+0", " 0", "#0", "-#", "+ ", "-+#0 "};
const char* const kWidths[] = {"", "1", "5", "25"};
const char* const kPrecisions[] = {"", ".", ".0", ".1", ".3", ".22"};

}  // namespace

TEST_CASE("format: integers match the host printf across flags, widths and precisions") {
  const long long signed_values[] = {0, 1, -1, 7, -42, 1000000, INT32_MIN, INT32_MAX, INT64_MIN, INT64_MAX};
  const unsigned long long unsigned_values[] = {0, 1, 8, 255, 0xdeadbeef, UINT32_MAX, UINT64_MAX,
                                                0x8000000000000000ull};
  int checked = 0;
  for (const char* flags : kFlags)
    for (const char* width : kWidths)
      for (const char* prec : kPrecisions) {
        for (char conv : {'d', 'i'}) {
          std::string f = std::string("[%") + flags + width + prec + "ll" + conv + "]";
          for (long long v : signed_values) {
            CAPTURE(f);
            CAPTURE(v);
            CHECK(mine(f.c_str(), v) == host(f.c_str(), v));
            ++checked;
          }
        }
        for (char conv : {'u', 'x', 'X', 'o'}) {
          std::string f = std::string("[%") + flags + width + prec + "ll" + conv + "]";
          for (unsigned long long v : unsigned_values) {
            CAPTURE(f);
            CAPTURE(v);
            CHECK(mine(f.c_str(), v) == host(f.c_str(), v));
            ++checked;
          }
        }
      }
  CHECK(checked > 10000);
}

TEST_CASE("format: length modifiers truncate and widen like C") {
  for (const char* f : {"%hhd", "%hhu", "%hhx", "%hd", "%hu", "%hx", "%d", "%u", "%x"}) {
    CAPTURE(f);
    for (int v : {0, 300, -129, 70000, -70000, INT32_MIN, INT32_MAX}) CHECK(mine(f, v) == host(f, v));
  }
  CHECK(mine("%ld %lu %lx", -5L, 5UL, 0xabcUL) == "-5 5 abc");
  CHECK(mine("%zu %zd %zx", size_t(SIZE_MAX), ptrdiff_t(-3), size_t(255)) == host("%zu %zd %zx", size_t(SIZE_MAX), ptrdiff_t(-3), size_t(255)));
  CHECK(mine("%jd %ju", intmax_t(INT64_MIN), uintmax_t(UINT64_MAX)) == "-9223372036854775808 18446744073709551615");
  CHECK(mine("%td %tx", ptrdiff_t(-17), ptrdiff_t(17)) == "-17 11");
  CHECK(mine("%lld", static_cast<long long>(INT64_MIN)) == "-9223372036854775808");
  CHECK(mine("%llu", static_cast<unsigned long long>(UINT64_MAX)) == "18446744073709551615");
  CHECK(mine("%llo", static_cast<unsigned long long>(UINT64_MAX)) == "1777777777777777777777");
}

TEST_CASE("format: strings and characters") {
  const char* strings[] = {"", "a", "hello", "a longer string than the widths"};
  for (const char* flags : {"", "-"})
    for (const char* width : kWidths)
      for (const char* prec : kPrecisions)
        for (const char* s : strings) {
          std::string f = std::string("<%") + flags + width + prec + "s>";
          CAPTURE(f);
          CHECK(mine(f.c_str(), s) == host(f.c_str(), s));
        }
  for (const char* f : {"%c", "%5c", "%-5c", "%1c"}) CHECK(mine(f, 'x') == host(f, 'x'));
  CHECK(mine("%s", static_cast<const char*>(nullptr)) == "(null)");
  CHECK(mine("[%8s]", static_cast<const char*>(nullptr)) == "[  (null)]");
  CHECK(mine("[%-8s]", static_cast<const char*>(nullptr)) == "[(null)  ]");
  // Precision bounds the read: the array need not be terminated.
  const char unterminated[3] = {'a', 'b', 'c'};
  CHECK(mine("%.3s", unterminated) == "abc");
}

TEST_CASE("format: star width and precision") {
  CHECK(mine("[%*d]", 6, 42) == host("[%*d]", 6, 42));
  CHECK(mine("[%*d]", -6, 42) == "[42    ]");
  CHECK(mine("[%.*d]", 5, 42) == "[00042]");
  CHECK(mine("[%.*d]", -1, 42) == "[42]");
  CHECK(mine("[%*.*s]", 8, 3, "abcdef") == "[     abc]");
  CHECK(mine("[%-*s|%d]", 4, "x", 9) == "[x   |9]");
}

TEST_CASE("format: %p, %% and literal text") {
  CHECK(mine("%p", reinterpret_cast<void*>(0xdeadbeef)) == "0x00000000deadbeef");
  CHECK(mine("%p", nullptr) == "0x0000000000000000");
  CHECK(mine("%p", reinterpret_cast<void*>(~uintptr_t(0))) == "0xffffffffffffffff");
  CHECK(mine("[%20p]", reinterpret_cast<void*>(0x10)) == "[  0x0000000000000010]");
  CHECK(mine("[%-20p]", reinterpret_cast<void*>(0x10)) == "[0x0000000000000010  ]");
  CHECK(mine("100%%") == "100%");
  CHECK(mine("no conversions") == "no conversions");
  CHECK(mine("") == "");
}

TEST_CASE("format: unknown conversions are printed as written and consume nothing") {
  CHECK(mine("%y") == "%y");
  CHECK(mine("%y %d", 5) == "%y 5");
  CHECK(mine("%ly|%5q|%-#w") == "%ly|%5q|%-#w");
  CHECK(mine("%n %d", 3) == "%n 3");  // %n is never supported
  CHECK(mine("abc%") == "abc%");
  CHECK(mine("abc%-5") == "abc%-5");
  CHECK(mine("%f") == "%f");
}

TEST_CASE("format: huge widths are capped") {
  std::string s = mine("%99999999999999999999d", 1);
  CHECK(s.size() == size_t(mk::kFormatMaxWidth));
  CHECK(s.back() == '1');
  CHECK(mine("%.5000d", 0).size() == size_t(mk::kFormatMaxWidth));
}

TEST_CASE("format: truncation follows snprintf") {
  char buf[16];
  for (size_t size : {size_t(1), size_t(2), size_t(5), size_t(11), size_t(12), size_t(16)}) {
    CAPTURE(size);
    std::memset(buf, 'Z', sizeof buf);
    char expect[16];
    std::memset(expect, 'Z', sizeof expect);
    int host_n = snprintf(expect, size, "hello %d!", 12345);
    size_t n = mine_sized(buf, size, "hello %d!", 12345);
    CHECK(n == size_t(host_n));
    CHECK(n == 12);
    CHECK(std::memcmp(buf, expect, sizeof buf) == 0);  // same bytes, same untouched tail
    CHECK(std::strlen(buf) == (size - 1 < 12 ? size - 1 : 12));
  }
  // size 0 writes nothing at all, even through a null buffer.
  CHECK(mine_sized(nullptr, 0, "%s", "abc") == 3);
  buf[0] = 'Q';
  CHECK(mine_sized(buf, 0, "%d", 7) == 1);
  CHECK(buf[0] == 'Q');
}

TEST_CASE("format: snformat and the streaming variant") {
  char buf[32];
  CHECK(mk::snformat(buf, sizeof buf, "%s=%u", "x", 3u) == 3);
  CHECK(std::string(buf) == "x=3");
  std::string out;
  CHECK(streamed(&out, "%05d|%-3s|%x", -42, "ab", 255u) == 12);
  CHECK(out == "-0042|ab |ff");
  CHECK(out.size() == 12);
}
