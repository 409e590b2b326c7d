#include "boot_fs.h"

#include <fs.h>
#include <fs_types.h>

#include "libmach/mach_ipc.h"
#include "libmach/string.h"
#include "linux_abi.h"

namespace ux {

using namespace linux_abi;

int fs_errno(kern_return_t kr) {
  switch (kr) {
    case KERN_SUCCESS: return 0;
    case FS_NO_SUCH_FILE: return kENOENT;
    case FS_NOT_DIRECTORY: return kENOTDIR;
    case FS_IS_DIRECTORY: return kEISDIR;
    case FS_NOT_SYMLINK: return kEINVAL;
    case FS_LOOP: return kELOOP;
    case FS_NAME_TOO_LONG: return kENAMETOOLONG;
    case KERN_RESOURCE_SHORTAGE: return kENOMEM;
    case MIG_ARRAY_TOO_LARGE: return kENAMETOOLONG;  // longer than the interface's 255 bytes
    default: return kEIO;
  }
}

namespace {
// fs.defs paths are at most 255 bytes; the root is "/" there.
bool too_long(const char* path) { return strlen(path) > 254; }
const char* fs_path(const char* path) { return *path ? path : "/"; }
}  // namespace

int BootFs::stat(const char* path, bool follow, NodeInfo* out) {
  if (too_long(path)) return kENAMETOOLONG;
  uint32_t mode = 0;
  uint64_t size = 0, ino = 0, mtime = 0;
  kern_return_t kr = fs_stat(pager_, fs_path(path), follow, &mode, &size, &ino, &mtime);
  if (kr != KERN_SUCCESS) return fs_errno(kr);
  *out = NodeInfo{};
  out->mode = mode;
  out->size = size;
  out->ino = ino;
  out->mtime = out->atime = out->ctime = mtime;
  out->nlink = (mode & kS_IFMT) == kS_IFDIR ? 2 : 1;
  return 0;
}

int BootFs::readlink(const char* path, char* buf, size_t cap, size_t* len) {
  if (too_long(path)) return kENAMETOOLONG;
  fs_link_t target;
  kern_return_t kr = fs_readlink(pager_, fs_path(path), target);
  if (kr != KERN_SUCCESS) return fs_errno(kr);
  size_t n = strlen(target);
  if (n > cap) n = cap;
  memcpy(buf, target, n);
  *len = n;
  return 0;
}

int BootFs::read(const char* path, const NodeInfo& node, uint64_t offset, char* buf, uint32_t count, uint32_t* got) {
  *got = 0;
  if ((node.mode & kS_IFMT) == kS_IFDIR) return kEISDIR;
  if (offset >= node.size || count == 0) return 0;
  if (count > node.size - offset) count = uint32_t(node.size - offset);
  vm_offset_t data = 0;
  mach_msg_type_number_t n = 0;
  kern_return_t kr = fs_read(pager_, fs_path(path), offset, count, &data, &n);
  if (kr != KERN_SUCCESS) return fs_errno(kr);
  if (n > count) n = count;
  memcpy(buf, reinterpret_cast<const void*>(data), n);
  if (data) (void)vm_deallocate(mach_task_self(), data, n ? n : 1);
  *got = n;
  return 0;
}

int BootFs::readdir(const char* path, uint64_t index, DirSink& sink, uint64_t* next) {
  if (too_long(path)) return kENAMETOOLONG;
  vm_offset_t data = 0;
  mach_msg_type_number_t size = 0;
  uint32_t count = 0;
  kern_return_t kr = fs_readdir(pager_, fs_path(path), &data, &size, &count);
  if (kr != KERN_SUCCESS) return fs_errno(kr);
  // Records: one d_type byte, the name, a NUL.
  const char* p = reinterpret_cast<const char*>(data);
  const char* end = p + size;
  uint64_t i = 0;
  char child[256];
  size_t plen = strlen(path);
  int err = 0;
  while (p < end) {
    uint8_t type = uint8_t(*p++);
    const char* name = p;
    while (p < end && *p) ++p;
    if (p >= end) break;  // a record without its NUL: the rest is not trusted
    ++p;
    if (i++ < index) continue;
    // The entry's inode number is its path's (fs_stat's ino).
    uint64_t ino = 0;
    size_t nlen = strlen(name);
    if (plen + 1 + nlen < sizeof child) {
      memcpy(child, path, plen);
      size_t at = plen;
      if (plen) child[at++] = '/';
      memcpy(child + at, name, nlen + 1);
      uint32_t mode;
      uint64_t sz, mt;
      if (fs_stat(pager_, child, FALSE, &mode, &sz, &ino, &mt) != KERN_SUCCESS) ino = 0;
    }
    if (!sink.add(name, type, ino)) {
      --i;
      break;
    }
  }
  *next = i;
  if (data) (void)vm_deallocate(mach_task_self(), data, size ? size : 1);
  return err;
}

int BootFs::memory_object(const char* path, mach_port_t* object) {
  if (too_long(path)) return kENAMETOOLONG;
  uint64_t size = 0;
  uint32_t mode = 0;
  return fs_errno(fs_lookup(pager_, fs_path(path), object, &size, &mode));
}

}  // namespace ux
