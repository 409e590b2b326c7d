// The VFS's view of one file system (docs/unix.md, "Files"). Paths given
// to a FileSystem are relative to where it is mounted, normalized, without
// a leading '/' ("" is its root). Every call answers 0 or a Linux errno.
// Today: the boot archive (BootFs) at / and the devices (DevFs) at /dev;
// tmpfs and ext2 (part 2) implement the same interface.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <mach/port.h>

namespace ux {

struct NodeInfo {
  uint32_t mode = 0;  // Linux st_mode
  uint64_t size = 0, ino = 0, mtime = 0;
  uint64_t rdev = 0;  // devices: Linux's makedev(major, minor)
};

// Receives directory entries; returns false to stop (its buffer is full).
class DirSink {
 public:
  virtual bool add(const char* name, uint8_t d_type, uint64_t ino) = 0;
};

class FileSystem {
 public:
  // stat (follow: symbolic links followed) or lstat.
  virtual int stat(const char* path, bool follow, NodeInfo* out) = 0;
  // The target of a symbolic link (*len bytes, no NUL).
  virtual int readlink(const char* path, char* buf, size_t cap, size_t* len) = 0;
  virtual int read(const char* path, const NodeInfo& node, uint64_t offset, char* buf, uint32_t count,
                   uint32_t* got) = 0;
  virtual int write(const char*, const NodeInfo&, uint64_t, const char*, uint32_t, uint32_t*) { return 30; }  // EROFS
  // The entries of a directory from the index-th on ("." and ".." are the
  // VFS's), handed to sink until it refuses one; *next is the index of the
  // first one not taken.
  virtual int readdir(const char* path, uint64_t index, DirSink& sink, uint64_t* next) = 0;
  // A memory object for mmap and exec (a send right the caller owns).
  virtual int memory_object(const char*, mach_port_t*) { return 19; }  // ENODEV
  // Terminal requests on a device; 25 (ENOTTY) for anything else.
  virtual int ioctl(const char*, uint64_t, const char*, size_t, char*, size_t*, int64_t*) { return 25; }
  virtual bool is_tty(const char*) { return false; }
  virtual bool writable() const { return false; }
};

}  // namespace ux
