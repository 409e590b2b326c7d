// The VFS: one name space over mounted file systems. Paths are made
// absolute (against the working directory or a directory descriptor) and
// normalized lexically ("." and ".." and repeated slashes), then the
// longest mount prefix picks the file system. Symbolic links inside one
// file system are that file system's business (the boot archive's file
// pager resolves them); links across mounts are not followed yet.
#pragma once

#include "file_system.h"

namespace ux {

constexpr size_t kPathMax = 512;  // the longest path the server keeps (the boot archive's limit is 255)

struct Location {
  FileSystem* fs;
  char path[kPathMax];  // inside fs, no leading '/'
  bool must_be_dir;     // the caller's path ended in '/'
};

class Vfs {
 public:
  // at: an absolute normalized path; false when the table is full.
  bool mount(const char* at, FileSystem* fs);
  // The absolute normalized path for path seen from the directory base
  // (absolute); ENOENT for "", ENAMETOOLONG beyond kPathMax.
  static int absolute(const char* base, const char* path, char* out, bool* trailing_slash);
  // Which file system holds abs, and its path there.
  void locate(const char* abs, Location* out) const;
  // The k-th mount point directly inside directory abs (its last
  // component in *name), or false when there is none.
  bool child_mount(const char* abs, uint64_t k, const char** name) const;

 private:
  static constexpr int kMaxMounts = 8;
  struct Mount {
    const char* at;
    FileSystem* fs;
  };
  Mount mounts_[kMaxMounts] = {};
  int count_ = 0;
};

}  // namespace ux
