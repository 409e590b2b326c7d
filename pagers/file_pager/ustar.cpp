#include "ustar.h"

namespace ustar {
namespace {

// Header fields (POSIX ustar).
constexpr size_t kName = 0, kNameLen = 100, kMode = 100, kSize = 124, kMtime = 136, kChksum = 148,
                 kTypeflag = 156, kLinkname = 157, kMagic = 257, kPrefix = 345, kPrefixLen = 155;

size_t length(const char* s) { return __builtin_strlen(s); }
bool same(const char* a, const char* b) { return __builtin_strcmp(a, b) == 0; }

// A numeric field: octal digits after optional spaces, ended by NUL, space
// or the field's end; or GNU's base-256 (high bit of the first byte).
bool number(const uint8_t* f, size_t len, uint64_t* out) {
  uint64_t v = 0;
  if (f[0] & 0x80) {
    if (f[0] != 0x80) return false;  // negative or too big for us
    for (size_t i = 1; i < len; ++i) {
      if (v >> 56) return false;
      v = (v << 8) | f[i];
    }
    *out = v;
    return true;
  }
  size_t i = 0;
  while (i < len && f[i] == ' ') ++i;
  for (; i < len && f[i] >= '0' && f[i] <= '7'; ++i) {
    if (v >> 60) return false;
    v = v * 8 + uint64_t(f[i] - '0');
  }
  if (i < len && f[i] != 0 && f[i] != ' ') return false;
  *out = v;
  return true;
}

bool all_zero(const uint8_t* h) {
  for (size_t i = 0; i < kBlock; ++i)
    if (h[i]) return false;
  return true;
}

// Both sums tar programs have used: bytes unsigned (POSIX) or signed.
bool checksum_ok(const uint8_t* h) {
  uint64_t want;
  if (!number(h + kChksum, 8, &want)) return false;
  uint64_t usum = 0;
  int64_t ssum = 0;
  for (size_t i = 0; i < kBlock; ++i) {
    uint8_t b = (i >= kChksum && i < kChksum + 8) ? ' ' : h[i];
    usum += b;
    ssum += int8_t(b);
  }
  return usum == want || uint64_t(ssum) == want;
}

// Appends the components of [s, s + len) to out (length *n), normalized;
// ".." is refused: archive paths stay inside the archive.
bool append_components(const char* s, size_t len, char* out, size_t* n) {
  size_t i = 0;
  while (i < len && s[i]) {
    while (i < len && s[i] == '/') ++i;
    size_t start = i;
    while (i < len && s[i] && s[i] != '/') ++i;
    size_t clen = i - start;
    if (clen == 0 || (clen == 1 && s[start] == '.')) continue;
    if (clen == 2 && s[start] == '.' && s[start + 1] == '.') return false;
    size_t need = (*n ? 1 : 0) + clen;
    if (*n + need >= kMaxPath) return false;
    if (*n) out[(*n)++] = '/';
    __builtin_memcpy(out + *n, s + start, clen);
    *n += clen;
  }
  out[*n] = 0;
  return true;
}

size_t find(const Entry* e, size_t count, const char* path) {
  for (size_t i = 0; i < count; ++i)
    if (same(e[i].path, path)) return i;
  return count;
}

void set_directory(Entry* e, const char* path, uint32_t mode, uint64_t mtime) {
  __builtin_memset(e, 0, sizeof *e);
  __builtin_memcpy(e->path, path, length(path) + 1);
  e->type = Type::kDirectory;
  e->mode = mode;
  e->mtime = mtime;
}

// Adds the parents of every path that are not in the table (tar writes
// them as a rule, but need not).
Error add_implied_directories(Entry* e, size_t* count, size_t max) {
  for (size_t i = 1; i < *count; ++i) {
    char parent[kMaxPath];
    __builtin_memcpy(parent, e[i].path, length(e[i].path) + 1);
    for (size_t k = length(parent); k > 0; --k) {
      if (parent[k - 1] != '/') continue;
      parent[k - 1] = 0;
      if (find(e, *count, parent) != *count) continue;
      if (*count == max) return Error::kTooMany;
      set_directory(&e[(*count)++], parent, 0755, e[i].mtime);
    }
  }
  return Error::kOk;
}

}  // namespace

const char* error_name(Error e) {
  switch (e) {
    case Error::kOk: return "ok";
    case Error::kTruncated: return "truncated archive";
    case Error::kBadChecksum: return "bad header checksum";
    case Error::kBadHeader: return "not a ustar header";
    case Error::kBadPath: return "bad path";
    case Error::kTooMany: return "too many entries";
    case Error::kBadLink: return "hard link to an unknown file";
    case Error::kNotFound: return "no such path";
    case Error::kNotDirectory: return "not a directory";
    case Error::kLoop: return "too many symbolic links";
    case Error::kNameTooLong: return "path too long";
  }
  return "?";
}

Result parse(const uint8_t* data, uint64_t size, Entry* entries, size_t max) {
  size_t count = 1;  // the root
  if (entries) {
    if (max == 0) return {Error::kTooMany, 0, 0};
    set_directory(&entries[0], "", 0755, 0);
  }
  for (uint64_t pos = 0;;) {
    if (pos > size || size - pos < kBlock) return {Error::kTruncated, pos, 0};
    const uint8_t* h = data + pos;
    if (all_zero(h)) break;  // the end marker (tar writes two such blocks; one is enough)
    if (!checksum_ok(h)) return {Error::kBadChecksum, pos, 0};
    if (__builtin_memcmp(h + kMagic, "ustar", 5) != 0) return {Error::kBadHeader, pos, 0};
    uint64_t fsize, mode, mtime;
    if (!number(h + kSize, 12, &fsize) || !number(h + kMode, 8, &mode) || !number(h + kMtime, 12, &mtime))
      return {Error::kBadHeader, pos, 0};
    uint64_t body = (fsize + kBlock - 1) / kBlock * kBlock;
    if (fsize > size || body > size - pos - kBlock) return {Error::kTruncated, pos, 0};
    char type = char(h[kTypeflag]);

    char path[kMaxPath];
    size_t n = 0;
    path[0] = 0;
    if (!append_components(reinterpret_cast<const char*>(h + kPrefix), kPrefixLen, path, &n) ||
        !append_components(reinterpret_cast<const char*>(h + kName), kNameLen, path, &n))
      return {Error::kBadPath, pos, 0};
    bool kept = type == '0' || type == 0 || type == '7' || type == '5' || type == '2' || type == '1';
    if (kept && n == 0 && type != '5') return {Error::kBadPath, pos, 0};  // only a directory may be "."

    if (!entries) {
      for (size_t i = 0; kept && i <= n; ++i)
        if (i == n || path[i] == '/') ++count;  // the entry and its parents at most
    } else if (kept) {
      size_t at = find(entries, count, path);
      if (at == count) {
        if (count == max) return {Error::kTooMany, pos, 0};
        ++count;
      }
      Entry e{};
      __builtin_memcpy(e.path, path, n + 1);
      e.mode = uint32_t(mode & 07777);
      e.mtime = mtime;
      if (type == '5') {
        e.type = Type::kDirectory;
      } else if (type == '2') {
        e.type = Type::kSymlink;
        __builtin_memcpy(e.link, h + kLinkname, kMaxLink - 1);
        e.link[kMaxLink - 1] = 0;
      } else if (type == '1') {
        char target[kMaxPath];
        size_t tn = 0;
        target[0] = 0;
        size_t t = count;
        if (append_components(reinterpret_cast<const char*>(h + kLinkname), kMaxLink - 1, target, &tn))
          t = find(entries, count, target);
        if (t == count || t == at || entries[t].type != Type::kRegular) return {Error::kBadLink, pos, 0};
        e.type = Type::kRegular;
        e.size = entries[t].size;
        e.offset = entries[t].offset;
      } else {
        e.type = Type::kRegular;
        e.size = fsize;
        e.offset = pos + kBlock;
      }
      if (at == 0 && e.type != Type::kDirectory) return {Error::kBadPath, pos, 0};
      entries[at] = e;
    }
    pos += kBlock + body;
  }
  if (entries) {
    Error err = add_implied_directories(entries, &count, max);
    if (err != Error::kOk) return {err, 0, 0};
  }
  return {Error::kOk, 0, count};
}

Error resolve(const Entry* entries, size_t count, const char* path, bool follow_last, size_t* index) {
  char todo[kMaxPath], cur[kMaxPath];
  size_t plen = length(path);
  if (plen >= kMaxPath) return Error::kNameTooLong;
  __builtin_memcpy(todo, path, plen + 1);
  cur[0] = 0;
  size_t cur_index = 0, p = 0, clen = 0;
  unsigned hops = 0;
  bool need_directory = false;
  for (;;) {
    while (todo[p] == '/') ++p;
    if (!todo[p]) break;
    size_t q = p;
    while (todo[q] && todo[q] != '/') ++q;
    size_t len = q - p;
    bool last = todo[q] == 0;  // a trailing '/' makes it no last component: followed, and a directory
    need_directory = !last;
    if (len == 1 && todo[p] == '.') {
      p = q;
      continue;
    }
    if (len == 2 && todo[p] == '.' && todo[p + 1] == '.') {
      while (clen > 0 && cur[clen - 1] != '/') --clen;
      if (clen > 0) --clen;
      cur[clen] = 0;
      cur_index = find(entries, count, cur);
      if (cur_index == count) return Error::kNotFound;  // (not reached: prefixes are directories)
      p = q;
      continue;
    }
    if (entries[cur_index].type != Type::kDirectory) return Error::kNotDirectory;
    size_t nlen = clen + (clen ? 1 : 0) + len;
    if (nlen >= kMaxPath) return Error::kNameTooLong;
    char candidate[kMaxPath];
    __builtin_memcpy(candidate, cur, clen);
    if (clen) candidate[clen] = '/';
    __builtin_memcpy(candidate + nlen - len, todo + p, len);
    candidate[nlen] = 0;
    size_t at = find(entries, count, candidate);
    if (at == count) return Error::kNotFound;
    if (entries[at].type == Type::kSymlink && (!last || follow_last)) {
      if (++hops > kMaxSymlinks) return Error::kLoop;
      const char* link = entries[at].link;
      size_t llen = length(link), rest = length(todo + q);
      if (llen == 0) return Error::kNotFound;
      if (llen + rest >= kMaxPath) return Error::kNameTooLong;
      char next[kMaxPath];
      __builtin_memcpy(next, link, llen);
      __builtin_memcpy(next + llen, todo + q, rest + 1);
      __builtin_memcpy(todo, next, llen + rest + 1);
      p = 0;
      if (link[0] == '/') {  // absolute: from the root again; relative: from the link's directory
        clen = 0;
        cur[0] = 0;
        cur_index = 0;
      }
      continue;
    }
    __builtin_memcpy(cur, candidate, nlen + 1);
    clen = nlen;
    cur_index = at;
    p = q;
  }
  if (need_directory && entries[cur_index].type != Type::kDirectory) return Error::kNotDirectory;
  *index = cur_index;
  return Error::kOk;
}

size_t list_directory(const Entry* entries, size_t count, size_t dir, char* out, size_t out_size, size_t* n) {
  const char* d = entries[dir].path;
  size_t dlen = length(d), used = 0;
  *n = 0;
  for (size_t i = 0; i < count; ++i) {
    const char* p = entries[i].path;
    if (i == dir || __builtin_strncmp(p, d, dlen) != 0) continue;
    const char* name = p + dlen;
    if (dlen) {
      if (*name != '/') continue;
      ++name;
    }
    if (!*name || __builtin_strchr(name, '/')) continue;  // the directory itself, or deeper
    size_t len = length(name);
    uint8_t dt = entries[i].type == Type::kDirectory ? kDtDir : entries[i].type == Type::kSymlink ? kDtLnk : kDtReg;
    if (used + len + 2 <= out_size) {
      out[used] = char(dt);
      __builtin_memcpy(out + used + 1, name, len + 1);
    }
    used += len + 2;
    ++*n;
  }
  return used;
}

}  // namespace ustar
