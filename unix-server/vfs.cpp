#include "vfs.h"

#include "libmach/string.h"
#include "linux_abi.h"

namespace ux {

using namespace linux_abi;

bool Vfs::mount(const char* at, FileSystem* fs) {
  if (count_ == kMaxMounts) return false;
  mounts_[count_++] = Mount{at, fs};
  return true;
}

int Vfs::absolute(const char* base, const char* path, char* out, bool* trailing_slash) {
  if (!*path) return kENOENT;
  // Components are appended to out one by one; ".." drops the last.
  size_t len = 0;
  out[0] = '\0';
  for (int pass = path[0] == '/' ? 1 : 0; pass < 2; ++pass) {
    const char* p = pass == 0 ? base : path;
    while (*p) {
      while (*p == '/') ++p;
      const char* start = p;
      while (*p && *p != '/') ++p;
      size_t n = size_t(p - start);
      if (n == 0 || (n == 1 && start[0] == '.')) continue;
      if (n == 2 && start[0] == '.' && start[1] == '.') {
        while (len > 0 && out[len - 1] != '/') --len;
        if (len > 0) --len;  // the slash before it
        out[len] = '\0';
        continue;
      }
      if (len + 1 + n + 1 > kPathMax) return kENAMETOOLONG;
      out[len++] = '/';
      memcpy(out + len, start, n);
      len += n;
      out[len] = '\0';
    }
  }
  if (len == 0) {
    out[0] = '/';
    out[1] = '\0';
  }
  size_t plen = strlen(path);
  *trailing_slash = plen > 0 && path[plen - 1] == '/';
  return 0;
}

void Vfs::locate(const char* abs, Location* out) const {
  const Mount* best = nullptr;
  size_t best_len = 0;
  for (int i = 0; i < count_; ++i) {
    size_t n = strlen(mounts_[i].at);
    bool root = n == 1;
    bool match = root || (strncmp(abs, mounts_[i].at, n) == 0 && (abs[n] == '\0' || abs[n] == '/'));
    if (match && (!best || n > best_len)) {
      best = &mounts_[i];
      best_len = root ? 0 : n;
    }
  }
  const char* rest = abs + best_len;
  while (*rest == '/') ++rest;
  out->fs = best ? best->fs : nullptr;
  size_t n = strlen(rest);
  memcpy(out->path, rest, n + 1);
  out->must_be_dir = false;
}

bool Vfs::child_mount(const char* abs, uint64_t k, const char** name) const {
  size_t n = strlen(abs);
  bool root = n == 1;
  for (int i = 0; i < count_; ++i) {
    const char* at = mounts_[i].at;
    if (strlen(at) == 1) continue;  // "/" is no one's child
    const char* rest;
    if (root) {
      rest = at + 1;
    } else {
      if (strncmp(at, abs, n) != 0 || at[n] != '/') continue;
      rest = at + n + 1;
    }
    if (strchr(rest, '/')) continue;  // deeper
    if (k-- == 0) {
      *name = rest;
      return true;
    }
  }
  return false;
}

}  // namespace ux
