#include "lib/demangle.h"

namespace mk {
namespace {

struct Out {
  char* buf;
  size_t size;
  size_t len = 0;
  bool ok = true;
  void put(const char* s, size_t n) {
    if (len + n + 1 > size) {
      ok = false;
      return;
    }
    for (size_t i = 0; i < n; ++i) buf[len++] = s[i];
    buf[len] = 0;
  }
  void put(const char* s) { put(s, __builtin_strlen(s)); }
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// <source-name> ::= <length> <identifier>; on success *p is advanced.
bool source_name(const char** p, const char** name, size_t* len) {
  const char* s = *p;
  if (!is_digit(*s)) return false;
  size_t n = 0;
  while (is_digit(*s)) {
    n = n * 10 + size_t(*s - '0');
    if (n > 4096) return false;
    ++s;
  }
  for (size_t i = 0; i < n; ++i)
    if (!s[i]) return false;
  *name = s;
  *len = n;
  *p = s + n;
  return true;
}

// Skip a template argument list "I ... E", counting nested openers; source
// names are skipped whole so their letters are not taken for openers.
bool skip_template_args(const char** p) {
  const char* s = *p;
  if (*s != 'I') return false;
  int depth = 0;
  while (*s) {
    if (is_digit(*s)) {
      const char* n;
      size_t len;
      if (!source_name(&s, &n, &len)) return false;
      continue;
    }
    char c = *s++;
    if (c == 'I' || c == 'N' || c == 'L' || c == 'X') ++depth;
    if (c == 'E' && --depth == 0) {
      *p = s;
      return true;
    }
  }
  return false;
}

void put_component(Out& out, const char* name, size_t len) {
  static const char kAnon[] = "_GLOBAL__N";
  if (len >= sizeof kAnon - 1 && __builtin_memcmp(name, kAnon, sizeof kAnon - 1) == 0)
    out.put("(anonymous namespace)");
  else
    out.put(name, len);
}

}  // namespace

bool demangle(const char* mangled, char* buf, size_t size) {
  if (!mangled || !buf || size == 0 || mangled[0] != '_' || mangled[1] != 'Z') return false;
  const char* p = mangled + 2;
  Out out{buf, size};
  buf[0] = 0;
  const char* last = nullptr;
  size_t last_len = 0;

  if (*p == 'N') {
    ++p;
    while (*p == 'r' || *p == 'V' || *p == 'K' || *p == 'R' || *p == 'O') ++p;  // cv/ref qualifiers
    bool first = true;
    while (*p && *p != 'E') {
      if (*p == 'S' && p[1] == 't') {  // std::
        out.put("std");
        p += 2;
        first = false;
        continue;
      }
      if (*p == 'I') {
        if (!skip_template_args(&p)) return false;
        out.put("<...>");
        continue;
      }
      if (!first) out.put("::");
      first = false;
      if (*p == 'C' && (p[1] >= '1' && p[1] <= '5') && last) {
        out.put(last, last_len);
        p += 2;
      } else if (*p == 'D' && (p[1] >= '0' && p[1] <= '5') && last) {
        out.put("~");
        out.put(last, last_len);
        p += 2;
      } else {
        const char* name;
        size_t len;
        if (!source_name(&p, &name, &len)) return false;
        put_component(out, name, len);
        last = name;
        last_len = len;
      }
    }
    if (*p != 'E') return false;
  } else if (*p == 'S' && p[1] == 't') {
    p += 2;
    const char* name;
    size_t len;
    if (!source_name(&p, &name, &len)) return false;
    out.put("std::");
    out.put(name, len);
  } else {
    const char* name;
    size_t len;
    if (!source_name(&p, &name, &len)) return false;
    put_component(out, name, len);
  }
  return out.ok;
}

}  // namespace mk
