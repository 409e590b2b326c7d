// The server side of unix.defs: the system calls the emulation library
// hands over. Every routine answers 0 or a Linux errno (unix.defs).
#include <mach/vm_inherit.h>
#include <mach/vm_prot.h>
#include <task_rpc.h>
#include <unixServer.h>
#include <vm_rpc.h>

#include "calls.h"
#include "emulation_abi.h"
#include "libmach/mach_ipc.h"
#include "libmach/string.h"
#include "linux_abi.h"
#include "server_state.h"
#include "signals.h"
#include "waiters.h"
#include "libmach/malloc.h"

using namespace ux;
using namespace linux_abi;

namespace ux {

bool is_dir(const NodeInfo& n) { return (n.mode & kS_IFMT) == kS_IFDIR; }
bool is_reg(const NodeInfo& n) { return (n.mode & kS_IFMT) == kS_IFREG; }
bool can_read(const OpenFile* f) { return (f->flags & kO_ACCMODE) != kO_WRONLY && !(f->flags & kO_PATH); }
bool can_write(const OpenFile* f) { return (f->flags & kO_ACCMODE) != kO_RDONLY && !(f->flags & kO_PATH); }

// Where path (from dirfd) leads: its absolute form and file system.
int resolve(Process* p, int dirfd, const char* path, char* abs, Location* loc) {
  const char* base = p->cwd;
  if (path[0] != '/' && dirfd != kAT_FDCWD) {
    OpenFile* d = p->file(dirfd);
    if (!d) return kEBADF;
    if (*path && !is_dir(d->node)) return kENOTDIR;
    base = d->abs;
  }
  bool slash = false;
  int err = Vfs::absolute(base, path, abs, &slash);
  if (err) return err;
  server().vfs.locate(abs, loc);
  loc->must_be_dir = slash;
  return 0;
}

int lookup(const Location& loc, bool follow, NodeInfo* node) {
  int err = loc.fs->stat(loc.path, follow, node);
  if (!err && loc.must_be_dir && !is_dir(*node)) return kENOTDIR;
  return err;
}

}  // namespace ux

namespace {

constexpr uint64_t kMountPositions = 1ull << 32;  // getdents positions of mount points below a directory
constexpr uint64_t kPage = 4096;

// /proc/self/exe and /proc/<pid>/exe: the program's path.
bool proc_exe(Process* p, const char* abs, const char** target) {
  if (strncmp(abs, "/proc/", 6) != 0) return false;
  const char* rest = abs + 6;
  Process* who = nullptr;
  if (strncmp(rest, "self/", 5) == 0) {
    who = p;
    rest += 5;
  } else {
    int pid = 0;
    while (*rest >= '0' && *rest <= '9') pid = pid * 10 + (*rest++ - '0');
    if (*rest++ != '/') return false;
    who = process_by_pid(pid);
  }
  if (!who || strcmp(rest, "exe") != 0) return false;
  *target = who->exe;
  return true;
}

void fill_stat(const Location& loc, const NodeInfo& n, Stat* st) {
  *st = Stat{};
  st->st_dev = loc.fs == server().root ? 0x801 : 0x5;
  st->st_ino = n.ino;
  st->st_nlink = n.nlink;
  st->st_mode = n.mode;
  st->st_uid = n.uid;
  st->st_gid = n.gid;
  st->st_rdev = n.rdev;
  st->st_size = int64_t(n.size);
  st->st_blksize = 4096;
  st->st_blocks = int64_t(n.blocks ? n.blocks : (n.size + 511) / 512);
  st->st_atime_sec = n.atime;
  st->st_mtime_sec = n.mtime;
  st->st_ctime_sec = n.ctime;
}

// Collects linux_dirent64 records into a buffer.
class DirentBuffer final : public DirSink {
 public:
  DirentBuffer(char* buf, size_t cap) : buf_(buf), cap_(cap) {}
  // The position the next record will carry as d_off (the one after it).
  uint64_t position = 0;
  bool full = false;
  size_t used = 0;
  bool add(const char* name, uint8_t type, uint64_t ino) override {
    size_t n = strlen(name);
    size_t len = (sizeof(Dirent64) + n + 1 + 7) & ~size_t(7);
    if (used + len > cap_) {
      full = true;
      return false;
    }
    auto* d = reinterpret_cast<Dirent64*>(buf_ + used);
    memset(d, 0, len);
    d->d_ino = ino ? ino : 1;
    d->d_off = int64_t(position + 1);
    d->d_reclen = uint16_t(len);
    d->d_type = type;
    memcpy(d->d_name, name, n + 1);
    used += len;
    ++position;
    return true;
  }

 private:
  char* buf_;
  size_t cap_;
};

}  // namespace

kern_return_t S_unix_openat(mach_port_t proc, int32_t dirfd, unix_path_t path, int32_t flags, uint32_t mode,
                            int32_t* fd) {
  PROCESS();
  char abs[kPathMax];
  Location loc;
  int err = resolve(p, dirfd, path, abs, &loc);
  if (err) return err;
  NodeInfo node;
  err = lookup(loc, !(flags & kO_NOFOLLOW), &node);
  bool created = false;
  if (err == kENOENT && (flags & kO_CREAT)) {
    // The library applied the umask to mode already.
    if (loc.must_be_dir) return kEISDIR;
    if (!loc.fs->writable()) return kEROFS;
    err = loc.fs->create(loc.path, mode & 07777, &node);
    created = err == 0;
  }
  if (err) return err;
  if ((flags & kO_NOFOLLOW) && (node.mode & kS_IFMT) == kS_IFLNK && !(flags & kO_PATH)) return kELOOP;
  if ((flags & kO_CREAT) && (flags & kO_EXCL) && !created) return kEEXIST;
  if ((flags & kO_DIRECTORY) && !is_dir(node)) return kENOTDIR;
  bool writes = (flags & kO_ACCMODE) != kO_RDONLY || (flags & kO_TRUNC);
  if (writes && is_dir(node)) return kEISDIR;
  if (writes && !loc.fs->writable()) return kEROFS;
  if ((flags & kO_TRUNC) && is_reg(node) && (flags & kO_ACCMODE) != kO_RDONLY && node.size) {
    err = loc.fs->truncate(loc.path, node, 0);
    if (err) return err;
  }
  OpenFile* f = open_file_new();
  if (!f) return kENOMEM;
  f->fs = loc.fs;
  f->node = node;
  loc.fs->retain(node);
  f->flags = flags & ~(kO_CREAT | kO_EXCL | kO_TRUNC | kO_CLOEXEC);
  memcpy(f->path, loc.path, strlen(loc.path) + 1);
  memcpy(f->abs, abs, strlen(abs) + 1);
  int n = p->install(f, flags & kO_CLOEXEC);
  if (n < 0) {
    open_file_release(f);
    return kEMFILE;
  }
  *fd = n;
  return 0;
}

kern_return_t S_unix_close(mach_port_t proc, int32_t fd) {
  PROCESS();
  return p->close(fd) ? 0 : kEBADF;
}

namespace ux {

int try_read(Process* p, int fd, uint32_t count, int64_t offset, char* buf, uint32_t* got) {
  *got = 0;
  OpenFile* f = p->file(fd);
  if (!f || !can_read(f)) return kEBADF;
  if (count > UNIX_DATA_MAX) count = UNIX_DATA_MAX;
  if (f->pipe) {
    if (offset >= 0) return kESPIPE;
    if (f->pipe_writer) return kEBADF;
    int err = f->pipe->read(buf, count, got);
    if (!err && *got) waiters_run_later();  // a writer may go on
    return err;
  }
  if (is_dir(f->node)) return kEISDIR;
  bool tty = f->fs->is_tty(f->path);
  if (offset >= 0 && tty) return kESPIPE;
  if (offset < -1) return kEINVAL;
  uint64_t at = offset >= 0 ? uint64_t(offset) : f->offset;
  int err = f->fs->read(f->path, f->node, at, buf, count, got);
  if (err) return err;
  if (offset < 0 && !tty) f->offset = at + *got;
  return 0;
}

int try_write(Process* p, int fd, const char* data, uint32_t count, int64_t offset, uint32_t* put) {
  *put = 0;
  OpenFile* f = p->file(fd);
  if (!f || !can_write(f)) return kEBADF;
  if (f->pipe) {
    if (offset >= 0) return kESPIPE;
    if (!f->pipe_writer) return kEBADF;
    int err = f->pipe->write(data, count, put);
    if (err == kEPIPE) post_signal(p, kSIGPIPE);
    if (!err && *put) waiters_run_later();  // a reader may go on
    return err;
  }
  bool tty = f->fs->is_tty(f->path);
  if (offset >= 0 && tty) return kESPIPE;
  if (offset < -1) return kEINVAL;
  uint64_t at = offset >= 0 ? uint64_t(offset) : (f->flags & kO_APPEND) ? f->node.size : f->offset;
  int err = f->fs->write(f->path, f->node, at, data, count, put);
  if (err) return err;
  if (offset < 0 && !tty) f->offset = at + *put;
  return 0;
}

}  // namespace ux

kern_return_t S_unix_read(mach_port_t proc, mach_port_t reply, int32_t fd, uint32_t count, int64_t offset,
                          unix_data_t data, mach_msg_type_number_t* dataCnt) {
  PROCESS();
  *dataCnt = 0;
  uint32_t got = 0;
  int err = try_read(p, fd, count, offset, data, &got);
  if (err == kEAGAIN && !(p->file(fd)->flags & kO_NONBLOCK)) {
    Waiter w;
    w.kind = WaitKind::kRead;
    w.p = p;
    w.reply = reply;
    w.fd = fd;
    w.count = count;
    w.offset = offset;
    return waiter_add(w) ? MIG_NO_REPLY : kEAGAIN;
  }
  *dataCnt = got;
  return err;
}

kern_return_t S_unix_write(mach_port_t proc, mach_port_t reply, int32_t fd, unix_data_t data,
                           mach_msg_type_number_t dataCnt, int64_t offset, uint32_t* written) {
  PROCESS();
  *written = 0;
  uint32_t put = 0;
  int err = try_write(p, fd, data, dataCnt, offset, &put);
  bool partial = !err && put < dataCnt && p->file(fd) && p->file(fd)->pipe;
  if ((err == kEAGAIN || partial) && !(p->file(fd)->flags & kO_NONBLOCK)) {
    // The rest waits for room (the reader's reads), kept in a copy.
    Waiter w;
    w.kind = WaitKind::kWrite;
    w.p = p;
    w.reply = reply;
    w.fd = fd;
    w.offset = offset;
    w.count = dataCnt;
    w.done = put;
    w.data = static_cast<char*>(malloc(dataCnt));
    if (!w.data) return put ? (*written = put, 0) : kENOMEM;
    memcpy(w.data, data, dataCnt);
    if (waiter_add(w)) return MIG_NO_REPLY;
    free(w.data);
    if (!put) return kEAGAIN;
    err = 0;
  }
  *written = put;
  return err;
}

kern_return_t S_unix_lseek(mach_port_t proc, int32_t fd, int64_t offset, int32_t whence, int64_t* position) {
  PROCESS();
  OpenFile* f = p->file(fd);
  if (!f) return kEBADF;
  if (f->pipe || f->fs->is_tty(f->path)) return kESPIPE;
  int64_t base;
  switch (whence) {
    case kSEEK_SET: base = 0; break;
    case kSEEK_CUR: base = int64_t(f->offset); break;
    case kSEEK_END: base = int64_t(f->node.size); break;
    default: return kEINVAL;
  }
  int64_t to;
  if (__builtin_add_overflow(base, offset, &to)) return kEOVERFLOW;
  if (to < 0) return kEINVAL;
  if (is_dir(f->node) && to != 0 && whence != kSEEK_CUR) return kEINVAL;  // directories rewind only
  f->offset = uint64_t(to);
  *position = to;
  return 0;
}

kern_return_t S_unix_fstatat(mach_port_t proc, int32_t dirfd, unix_path_t path, int32_t flags, unix_stat_t* st) {
  PROCESS();
  if (flags & ~(kAT_SYMLINK_NOFOLLOW | kAT_EMPTY_PATH | 0x800)) return kEINVAL;
  Location loc;
  NodeInfo node;
  if (!*path && (flags & kAT_EMPTY_PATH) && dirfd != kAT_FDCWD) {
    OpenFile* f = p->file(dirfd);
    if (!f) return kEBADF;
    loc.fs = f->fs;
    if (f->pipe) {
      node = f->node;  // a FIFO with no name
    } else if (int err = f->fs->stat(f->path, false, &node)) {
      return err;
    }
  } else {
    char abs[kPathMax];
    int err = resolve(p, dirfd, *path || !(flags & kAT_EMPTY_PATH) ? path : ".", abs, &loc);
    if (err) return err;
    err = lookup(loc, !(flags & kAT_SYMLINK_NOFOLLOW), &node);
    if (err) return err;
  }
  fill_stat(loc, node, reinterpret_cast<Stat*>(*st));
  return 0;
}

kern_return_t S_unix_getdents(mach_port_t proc, int32_t fd, uint32_t count, unix_data_t data,
                              mach_msg_type_number_t* dataCnt) {
  PROCESS();
  *dataCnt = 0;
  OpenFile* f = p->file(fd);
  if (!f || (f->flags & kO_PATH)) return kEBADF;
  if (f->pipe || !is_dir(f->node)) return kENOTDIR;
  DirentBuffer out(data, count < UNIX_DATA_MAX ? count : UNIX_DATA_MAX);
  uint64_t pos = f->offset;
  // "." and "..", then the file system's entries, then mount points it does not list.
  while (pos < 2) {
    out.position = pos;
    if (!out.add(pos == 0 ? "." : "..", kDT_DIR, pos == 0 ? f->node.ino : 0)) break;
    pos = out.position;
  }
  if (!out.full && pos < kMountPositions) {
    out.position = pos;
    uint64_t next = 0;
    int err = f->fs->readdir(f->path, pos - 2, out, &next);
    if (err) return err;
    pos = out.full ? next + 2 : kMountPositions;
  }
  const char* name = nullptr;
  while (!out.full && pos >= kMountPositions && server().vfs.child_mount(f->abs, pos - kMountPositions, &name)) {
    char abs[kPathMax];
    bool slash;
    Location loc;
    NodeInfo node;
    if (Vfs::absolute(f->abs, name, abs, &slash) == 0) {
      // Listed by the file system already when it has the directory itself.
      int err = f->fs->stat(name, false, &node);
      (void)loc;
      if (err) {
        out.position = pos;
        if (!out.add(name, kDT_DIR, 0)) break;
      }
    }
    ++pos;
  }
  if (out.used == 0 && out.full) return kEINVAL;  // not even one record fits
  f->offset = pos;
  *dataCnt = mach_msg_type_number_t(out.used);
  return 0;
}

kern_return_t S_unix_readlinkat(mach_port_t proc, int32_t dirfd, unix_path_t path, unix_path_out_t target) {
  PROCESS();
  char abs[kPathMax];
  Location loc;
  int err = resolve(p, dirfd, path, abs, &loc);
  if (err) return err;
  const char* exe = nullptr;
  if (proc_exe(p, abs, &exe)) {
    size_t n = strlen(exe);
    memcpy(target, exe, n + 1);
    return 0;
  }
  size_t len = 0;
  err = loc.fs->readlink(loc.path, target, UNIX_PATH_MAX - 1, &len);
  if (err) return err;
  target[len] = '\0';
  return 0;
}

kern_return_t S_unix_faccessat(mach_port_t proc, int32_t dirfd, unix_path_t path, int32_t mode, int32_t flags) {
  PROCESS();
  if (mode & ~(kR_OK | kW_OK | kX_OK)) return kEINVAL;
  if (flags & ~(kAT_EACCESS | kAT_SYMLINK_NOFOLLOW | kAT_EMPTY_PATH)) return kEINVAL;
  char abs[kPathMax];
  Location loc;
  int err = resolve(p, dirfd, path, abs, &loc);
  if (err) return err;
  NodeInfo node;
  err = lookup(loc, !(flags & kAT_SYMLINK_NOFOLLOW), &node);
  if (err) return err;
  if ((mode & kW_OK) && !loc.fs->writable()) return kEROFS;
  if ((mode & kX_OK) && !is_dir(node) && !(node.mode & 0111)) return kEACCES;  // root: any execute bit
  return 0;
}

kern_return_t S_unix_ioctl(mach_port_t proc, int32_t fd, uint64_t request, unix_ioctl_arg_t arg_in,
                           mach_msg_type_number_t arg_inCnt, int64_t* result, unix_ioctl_arg_t arg_out,
                           mach_msg_type_number_t* arg_outCnt) {
  PROCESS();
  *arg_outCnt = 0;
  *result = 0;
  OpenFile* f = p->file(fd);
  if (!f) return kEBADF;
  size_t out_size = 0;
  if (f->pipe) {
    if (request != 0x541b) return kENOTTY;  // FIONREAD: what a read would get now
    int32_t n = int32_t(f->pipe->used());
    memcpy(arg_out, &n, sizeof n);
    *arg_outCnt = sizeof n;
    return 0;
  }
  int err = f->fs->ioctl(f->path, request, arg_in, arg_inCnt, arg_out, &out_size, result);
  if (err) return err;
  *arg_outCnt = mach_msg_type_number_t(out_size);
  return 0;
}

kern_return_t S_unix_mmap(mach_port_t proc, uint64_t address, uint64_t length, int32_t prot, int32_t flags,
                          int32_t fd, int64_t offset, uint64_t* mapped) {
  PROCESS();
  OpenFile* f = p->file(fd);
  if (!f) return kEBADF;
  if (length == 0 || offset < 0 || (uint64_t(offset) % kPage) || (prot & ~7)) return kEINVAL;
  int type = flags & kMAP_TYPE;
  if (type != kMAP_PRIVATE && type != kMAP_SHARED) return kEINVAL;
  if ((flags & kMAP_FIXED) && (address % kPage)) return kEINVAL;
  if (f->pipe || !is_reg(f->node)) return kENODEV;
  if (!can_read(f) || (type == kMAP_SHARED && (prot & kPROT_WRITE) && !can_write(f))) return kEACCES;
  mach_port_t object = MACH_PORT_NULL;
  int err = f->fs->memory_object(f->path, &object);
  if (err) return err == kENODEV ? kENODEV : err;
  uint64_t size = (length + kPage - 1) & ~(kPage - 1);
  vm_address_t addr = address;
  int vmflags = VM_FLAGS_FIXED;
  if (flags & kMAP_FIXED) {
    (void)rpc_vm_deallocate(p->task, addr, size);
  } else {
    vmflags = VM_FLAGS_ANYWHERE;
    if (addr < EMULATION_MMAP_BASE) addr = EMULATION_MMAP_BASE;
  }
  kern_return_t kr = rpc_vm_map(p->task, &addr, size, 0, vmflags, object, uint64_t(offset),
                                type == kMAP_PRIVATE, vm_prot_t(prot), VM_PROT_ALL,
                                type == kMAP_PRIVATE ? VM_INHERIT_COPY : VM_INHERIT_SHARE);
  (void)mach_port_deallocate(mach_task_self(), object);
  if (kr != KERN_SUCCESS) return kENOMEM;
  *mapped = addr;
  return 0;
}

kern_return_t S_unix_getcwd(mach_port_t proc, unix_path_out_t path) {
  PROCESS();
  memcpy(path, p->cwd, strlen(p->cwd) + 1);
  return 0;
}

kern_return_t S_unix_sendfile(mach_port_t proc, int32_t out_fd, int32_t in_fd, int64_t offset, uint64_t count,
                              int64_t* sent) {
  PROCESS();
  *sent = 0;
  OpenFile* in = p->file(in_fd);
  OpenFile* out = p->file(out_fd);
  if (!in || !can_read(in) || !out || !can_write(out)) return kEBADF;
  if (in->pipe || !is_reg(in->node) || offset < -1) return kEINVAL;
  if (out->flags & kO_APPEND) return kEINVAL;
  if (count > 0x7ffff000) count = 0x7ffff000;  // Linux's limit for one call
  static char buf[UNIX_DATA_MAX];
  uint64_t at = offset >= 0 ? uint64_t(offset) : in->offset;
  uint64_t done = 0;
  while (done < count) {
    uint32_t want = count - done < sizeof buf ? uint32_t(count - done) : uint32_t(sizeof buf);
    uint32_t got = 0, put = 0;
    int err = in->fs->read(in->path, in->node, at + done, buf, want, &got);
    if (!err && got) err = try_write(p, out_fd, buf, got, -1, &put);
    if (err) {
      // A full pipe: this call does not wait; EINVAL before any byte makes
      // callers (busybox's copy loop) fall back to read and write, which do.
      if (done == 0) return err == kEAGAIN ? kEINVAL : err;
      break;
    }
    done += put;
    if (got < want || put < got) break;
  }
  if (offset < 0) in->offset = at + done;
  *sent = int64_t(done);
  return 0;
}

kern_return_t S_unix_fcntl(mach_port_t proc, int32_t fd, int32_t cmd, int64_t arg, int64_t* result) {
  PROCESS();
  OpenFile* f = p->file(fd);
  if (!f) return kEBADF;
  constexpr int kF_DUPFD = 0, kF_GETFD = 1, kF_SETFD = 2, kF_GETFL = 3, kF_SETFL = 4, kF_DUPFD_CLOEXEC = 1030;
  constexpr int kFD_CLOEXEC = 1;
  switch (cmd) {
    case kF_DUPFD:
    case kF_DUPFD_CLOEXEC: {
      if (arg < 0 || arg >= kMaxFds) return kEINVAL;
      for (int n = int(arg); n < kMaxFds; ++n)
        if (!p->fds[n]) {
          p->fds[n] = f;
          p->cloexec[n] = cmd == kF_DUPFD_CLOEXEC;
          ++f->refs;
          *result = n;
          return 0;
        }
      return kEMFILE;
    }
    case kF_GETFD: *result = p->cloexec[fd] ? kFD_CLOEXEC : 0; return 0;
    case kF_SETFD: p->cloexec[fd] = arg & kFD_CLOEXEC; *result = 0; return 0;
    case kF_GETFL: *result = f->flags & ~kO_CLOEXEC; return 0;
    case kF_SETFL:  // only these status flags change; the access mode stays
      f->flags = (f->flags & ~(kO_APPEND | kO_NONBLOCK)) | (int(arg) & (kO_APPEND | kO_NONBLOCK));
      *result = 0;
      return 0;
    default: return kEINVAL;
  }
}

kern_return_t S_unix_dup3(mach_port_t proc, int32_t oldfd, int32_t newfd, int32_t flags) {
  PROCESS();
  OpenFile* f = p->file(oldfd);
  if (!f) return kEBADF;
  if (newfd < 0 || newfd >= kMaxFds) return kEBADF;
  bool dup2 = flags == -1;
  if (!dup2 && (flags & ~kO_CLOEXEC)) return kEINVAL;
  if (oldfd == newfd) return dup2 ? 0 : kEINVAL;
  if (p->fds[newfd]) p->close(newfd);
  p->fds[newfd] = f;
  p->cloexec[newfd] = !dup2 && (flags & kO_CLOEXEC);
  ++f->refs;
  return 0;
}
