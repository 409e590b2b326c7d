// The VFS's view of one file system (docs/unix.md, "Files"). Paths given
// to a FileSystem are relative to where it is mounted, normalized, without
// a leading '/' ("" is its root). Every call answers 0 or a Linux errno.
//
// Name-space operations take paths. Operations on an open file take its
// NodeInfo too (node.ino identifies the file for as long as it is open,
// even after a rename or unlink: a file system that can, uses it and
// ignores the path). retain/release bracket each open file description,
// so an unlinked file's storage lives until its last close.
//
// Today: the boot archive (BootFs) at /, the devices (DevFs) at /dev, tmpfs
// at /tmp, ext2 on the virtio-blk disk.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <mach/port.h>

namespace ux {

struct NodeInfo {
  uint32_t mode = 0;  // Linux st_mode: type and permission bits
  uint64_t size = 0, ino = 0;
  uint64_t mtime = 0, atime = 0, ctime = 0;  // seconds since 1970
  uint64_t rdev = 0;   // devices: Linux's makedev(major, minor)
  uint32_t nlink = 1;
  uint32_t uid = 0, gid = 0;
  uint64_t blocks = 0;  // 512-byte blocks in use (st_blocks); 0: the VFS estimates from size
};

// statfs(2)'s answer (struct statfs's fields that mean something here).
struct FsStats {
  uint64_t type = 0;  // f_type magic: EXT2_SUPER_MAGIC 0xef53, TMPFS_MAGIC 0x01021994, ...
  uint64_t block_size = 4096;
  uint64_t blocks = 0, blocks_free = 0, blocks_available = 0;
  uint64_t files = 0, files_free = 0;
  uint64_t name_max = 255;
};

// Receives directory entries; returns false to stop (its buffer is full).
class DirSink {
 public:
  virtual bool add(const char* name, uint8_t d_type, uint64_t ino) = 0;
};

class FileSystem {
 public:
  static constexpr int kEROFS = 30, kENODEV = 19, kENOTTY = 25, kEPERM = 1;

  // --- reading ---
  // stat (follow: symbolic links followed) or lstat.
  virtual int stat(const char* path, bool follow, NodeInfo* out) = 0;
  // The target of a symbolic link (*len bytes, no NUL).
  virtual int readlink(const char* path, char* buf, size_t cap, size_t* len) = 0;
  virtual int read(const char* path, const NodeInfo& node, uint64_t offset, char* buf, uint32_t count,
                   uint32_t* got) = 0;
  // The entries of a directory from the index-th on ("." and ".." are the
  // VFS's), handed to sink until it refuses one; *next is the index of the
  // first one not taken.
  virtual int readdir(const char* path, uint64_t index, DirSink& sink, uint64_t* next) = 0;
  // A memory object for mmap and exec (a send right the caller owns).
  virtual int memory_object(const char*, mach_port_t*) { return kENODEV; }
  virtual int statfs(FsStats* out) {
    *out = FsStats{};
    return 0;
  }

  // --- writing (read-only file systems keep these defaults) ---
  virtual bool writable() const { return false; }
  // Writes at offset (growing the file as needed); *put bytes taken;
  // node.size is updated.
  virtual int write(const char*, NodeInfo&, uint64_t, const char*, uint32_t, uint32_t* put) {
    *put = 0;
    return kEROFS;
  }
  // A new regular file (EEXIST if the name is taken); its NodeInfo.
  virtual int create(const char*, uint32_t, NodeInfo*) { return kEROFS; }
  virtual int mkdir(const char*, uint32_t) { return kEROFS; }
  virtual int symlink(const char* /*target*/, const char* /*path*/) { return kEROFS; }
  // Another name for a file (not a directory: EPERM).
  virtual int link(const char* /*existing*/, const char* /*path*/) { return kEROFS; }
  // Removes a name of a non-directory (EISDIR for directories).
  virtual int unlink(const char*) { return kEROFS; }
  // Removes an empty directory (ENOTEMPTY, ENOTDIR).
  virtual int rmdir(const char*) { return kEROFS; }
  // rename(2) inside this file system, replacing to as Linux does
  // (EISDIR, ENOTDIR, ENOTEMPTY, EINVAL for a directory into itself).
  virtual int rename(const char* /*from*/, const char* /*to*/) { return kEROFS; }
  // The file's size becomes size (zeros when it grows); node.size updated.
  virtual int truncate(const char*, NodeInfo&, uint64_t) { return kEROFS; }
  virtual int chmod(const char*, uint32_t /*mode bits*/) { return kEROFS; }
  // follow false: lchown, the link itself.
  virtual int chown(const char*, uint32_t, uint32_t, bool /*follow*/) { return kEROFS; }
  // Times in seconds since 1970; UINT64_MAX leaves one as it is.
  virtual int utimes(const char*, uint64_t /*atime*/, uint64_t /*mtime*/, bool /*follow*/) { return kEROFS; }
  // Everything written so far reaches the device.
  virtual int sync() { return 0; }

  // --- open files ---
  virtual void retain(const NodeInfo&) {}
  virtual void release(const NodeInfo&) {}

  // --- devices ---
  // Terminal requests; ENOTTY for anything else.
  virtual int ioctl(const char*, uint64_t, const char*, size_t, char*, size_t*, int64_t*) { return kENOTTY; }
  virtual bool is_tty(const char*) { return false; }
};

}  // namespace ux
