#include "lib/format.h"

#include <stdint.h>

#include <type_traits>

namespace mk {
namespace {

// Where characters go: a callback plus a running count.
struct Sink {
  void (*put)(char c, void* ctx);
  void* ctx;
  size_t count = 0;

  void emit(char c) {
    put(c, ctx);
    ++count;
  }
  void repeat(char c, int n) {
    for (int i = 0; i < n; ++i) emit(c);
  }
  void write(const char* s, size_t n) {
    for (size_t i = 0; i < n; ++i) emit(s[i]);
  }
};

struct Spec {
  bool left = false, zero = false, plus = false, space = false, alt = false;
  int width = 0;
  int precision = -1;  // -1: none given
};

enum class Length { kNone, kHH, kH, kL, kLL, kZ, kJ, kT };

int clamp_width(long v) { return v > kFormatMaxWidth ? kFormatMaxWidth : int(v); }

// Reads a decimal number, saturating instead of overflowing.
int parse_number(const char*& p) {
  long v = 0;
  while (*p >= '0' && *p <= '9') {
    if (v <= kFormatMaxWidth) v = v * 10 + (*p - '0');
    ++p;
  }
  return clamp_width(v);
}

// Pads the body (prefix, then digits or text) to the field width.
void emit_field(Sink& out, const Spec& spec, const char* prefix, size_t prefix_len, int zeros, const char* body,
                size_t body_len) {
  long len = long(prefix_len) + zeros + long(body_len);
  int pad = spec.width > len ? int(spec.width - len) : 0;
  if (!spec.left) out.repeat(' ', pad);
  out.write(prefix, prefix_len);
  out.repeat('0', zeros);
  out.write(body, body_len);
  if (spec.left) out.repeat(' ', pad);
}

void emit_integer(Sink& out, Spec spec, uint64_t magnitude, bool negative, bool is_signed, unsigned base,
                  bool upper) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  char buf[24];  // 22 octal digits hold 2^64 - 1
  size_t n = 0;
  for (uint64_t v = magnitude; v != 0; v /= base) buf[sizeof buf - ++n] = digits[v % base];
  // C: precision 0 with value 0 prints no digits (but "%#o" still prints "0").
  if (magnitude == 0 && spec.precision != 0) buf[sizeof buf - ++n] = '0';

  char prefix[2];
  size_t prefix_len = 0;
  if (is_signed) {
    if (negative)
      prefix[prefix_len++] = '-';
    else if (spec.plus)
      prefix[prefix_len++] = '+';
    else if (spec.space)
      prefix[prefix_len++] = ' ';
  }
  int zeros = spec.precision > int(n) ? spec.precision - int(n) : 0;
  if (spec.alt && base == 16 && magnitude != 0) {
    prefix[prefix_len++] = '0';
    prefix[prefix_len++] = upper ? 'X' : 'x';
  }
  if (spec.alt && base == 8 && zeros == 0 && (n == 0 || buf[sizeof buf - n] != '0')) zeros = 1;
  // The 0 flag pads with zeros only when no precision was given.
  if (spec.zero && !spec.left && spec.precision < 0) {
    long used = long(prefix_len) + zeros + long(n);
    if (spec.width > used) zeros += int(spec.width - used);
  }
  emit_field(out, spec, prefix, prefix_len, zeros, buf + sizeof buf - n, n);
}

template <class S>
uint64_t magnitude_of(S v) {
  using U = std::make_unsigned_t<S>;
  return v < 0 ? uint64_t(U(0) - U(v)) : uint64_t(v);
}

// Fetches a signed argument of the given length; reports the sign separately so
// INT64_MIN needs no negation in a signed type.
uint64_t signed_arg(va_list* ap, Length len, bool* negative) {
  int64_t v;
  switch (len) {
    case Length::kHH: v = static_cast<signed char>(va_arg(*ap, int)); break;
    case Length::kH: v = static_cast<short>(va_arg(*ap, int)); break;
    case Length::kL: v = va_arg(*ap, long); break;
    case Length::kLL: v = va_arg(*ap, long long); break;
    case Length::kZ: v = va_arg(*ap, std::make_signed_t<size_t>); break;
    case Length::kJ: v = va_arg(*ap, intmax_t); break;
    case Length::kT: v = va_arg(*ap, ptrdiff_t); break;
    default: v = va_arg(*ap, int); break;
  }
  *negative = v < 0;
  return magnitude_of(v);
}

uint64_t unsigned_arg(va_list* ap, Length len) {
  switch (len) {
    case Length::kHH: return static_cast<unsigned char>(va_arg(*ap, unsigned));
    case Length::kH: return static_cast<unsigned short>(va_arg(*ap, unsigned));
    case Length::kL: return va_arg(*ap, unsigned long);
    case Length::kLL: return va_arg(*ap, unsigned long long);
    case Length::kZ: return va_arg(*ap, size_t);
    case Length::kJ: return va_arg(*ap, uintmax_t);
    case Length::kT: return uint64_t(va_arg(*ap, ptrdiff_t));
    default: return va_arg(*ap, unsigned);
  }
}

Length parse_length(const char*& p) {
  switch (*p) {
    case 'h':
      if (p[1] == 'h') return p += 2, Length::kHH;
      return ++p, Length::kH;
    case 'l':
      if (p[1] == 'l') return p += 2, Length::kLL;
      return ++p, Length::kL;
    case 'z': return ++p, Length::kZ;
    case 'j': return ++p, Length::kJ;
    case 't': return ++p, Length::kT;
    default: return Length::kNone;
  }
}

void run(Sink& out, const char* fmt, va_list* ap) {
  const char* p = fmt;
  while (*p) {
    if (*p != '%') {
      out.emit(*p++);
      continue;
    }
    const char* start = p++;
    Spec spec;
    for (;; ++p) {
      if (*p == '-') spec.left = true;
      else if (*p == '0') spec.zero = true;
      else if (*p == '+') spec.plus = true;
      else if (*p == ' ') spec.space = true;
      else if (*p == '#') spec.alt = true;
      else break;
    }
    if (*p == '*') {
      ++p;
      int w = va_arg(*ap, int);
      if (w < 0) {
        spec.left = true;
        spec.width = clamp_width(-long(w));
      } else {
        spec.width = clamp_width(w);
      }
    } else {
      spec.width = parse_number(p);
    }
    if (*p == '.') {
      ++p;
      if (*p == '*') {
        ++p;
        int prec = va_arg(*ap, int);
        spec.precision = prec < 0 ? -1 : clamp_width(prec);
      } else {
        spec.precision = parse_number(p);
      }
    }
    Length len = parse_length(p);

    switch (*p) {
      case 'd':
      case 'i': {
        bool negative;
        uint64_t m = signed_arg(ap, len, &negative);
        emit_integer(out, spec, m, negative, true, 10, false);
        break;
      }
      case 'u': emit_integer(out, spec, unsigned_arg(ap, len), false, false, 10, false); break;
      case 'x': emit_integer(out, spec, unsigned_arg(ap, len), false, false, 16, false); break;
      case 'X': emit_integer(out, spec, unsigned_arg(ap, len), false, false, 16, true); break;
      case 'o': emit_integer(out, spec, unsigned_arg(ap, len), false, false, 8, false); break;
      case 'c': {
        char c = static_cast<char>(va_arg(*ap, int));
        emit_field(out, spec, "", 0, 0, &c, 1);
        break;
      }
      case 's': {
        const char* s = va_arg(*ap, const char*);
        if (!s) s = "(null)";
        size_t n = 0;
        // Stop at the precision without reading past it: s need not be terminated.
        while ((spec.precision < 0 || n < size_t(spec.precision)) && s[n]) ++n;
        emit_field(out, spec, "", 0, 0, s, n);
        break;
      }
      case 'p': {
        // Always the full width: pointers line up in logs and dumps.
        uint64_t v = reinterpret_cast<uintptr_t>(va_arg(*ap, void*));
        char digits[16];
        for (int i = 15; i >= 0; --i, v >>= 4) digits[i] = "0123456789abcdef"[v & 0xf];
        emit_field(out, spec, "0x", 2, 0, digits, sizeof digits);
        break;
      }
      case '%': out.emit('%'); break;
      default:
        // Unknown or missing conversion: show the directive as written.
        if (*p) ++p;
        out.write(start, size_t(p - start));
        continue;
    }
    ++p;
  }
}

struct Buffer {
  char* buf;
  size_t size;
  size_t len;
};

void put_buffer(char c, void* ctx) {
  Buffer* b = static_cast<Buffer*>(ctx);
  if (b->len + 1 < b->size) b->buf[b->len++] = c;
}

}  // namespace

size_t format_to(void (*put)(char c, void* ctx), void* ctx, const char* fmt, va_list ap) {
  Sink out{put, ctx};
  va_list args;
  va_copy(args, ap);
  run(out, fmt, &args);
  va_end(args);
  return out.count;
}

size_t format(char* buf, size_t size, const char* fmt, va_list ap) {
  Buffer b{buf, size, 0};
  size_t n = format_to(put_buffer, &b, fmt, ap);
  if (size > 0) buf[b.len] = '\0';
  return n;
}

size_t snformat(char* buf, size_t size, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  size_t n = format(buf, size, fmt, ap);
  va_end(ap);
  return n;
}

}  // namespace mk
