// unix.defs, the calls on names (mkdir, unlink, rename, chdir, truncate,
// chmod, utimes, links, statfs), pipes and poll.
#include <unixServer.h>

#include "calls.h"
#include "libmach/malloc.h"
#include "libmach/string.h"
#include "linux_abi.h"
#include "server_state.h"
#include "waiters.h"

using namespace ux;
using namespace linux_abi;

namespace {

enum PathOp : int { kMkdir, kUnlink, kChdir, kChmod, kChown, kTruncate, kUtimes, kFsync, kSync };
enum PathOp2 : int { kRename, kLink, kSymlink };
constexpr int kAT_REMOVEDIR = 0x200;
constexpr uint16_t POLLIN = 1, POLLPRI = 2, POLLOUT = 4, POLLERR = 8, POLLHUP = 16, POLLNVAL = 32,
                   POLLRDNORM = 0x40, POLLWRNORM = 0x100;

// An open file named by dirfd with an empty path (fchdir, ftruncate, fsync,
// fchmod): its location as if looked up.
int from_fd(Process* p, int fd, Location* loc, NodeInfo** node, OpenFile** file) {
  OpenFile* f = p->file(fd);
  if (!f) return kEBADF;
  if (f->pipe) return kEINVAL;
  loc->fs = f->fs;
  memcpy(loc->path, f->path, strlen(f->path) + 1);
  loc->must_be_dir = false;
  *node = &f->node;
  if (file) *file = f;
  return 0;
}

uint16_t poll_events(Process* p, int fd, uint16_t events) {
  OpenFile* f = p->file(fd);
  if (!f) return POLLNVAL;
  uint16_t r = 0;
  if (f->pipe) {
    if (!f->pipe_writer) {
      if (f->pipe->used()) r |= POLLIN | POLLRDNORM;
      if (f->pipe->hung_up()) r |= POLLHUP;
    } else {
      if (f->pipe->broken()) r |= POLLERR;
      else if (Pipe::kSize - f->pipe->used() >= Pipe::kAtomic) r |= POLLOUT | POLLWRNORM;
    }
  } else {
    bool in = f->fs == server().dev ? server().dev->readable(f->path) : true;
    if (in) r |= POLLIN | POLLRDNORM;
    r |= POLLOUT | POLLWRNORM;
  }
  return r & (events | POLLERR | POLLHUP | POLLNVAL);
}

}  // namespace

namespace ux {

int try_poll(Process* p, uint64_t* fds, uint32_t count, int* ready) {
  *ready = 0;
  for (uint32_t i = 0; i < count; ++i) {
    int32_t fd = int32_t(fds[i] >> 32);
    uint16_t events = uint16_t(fds[i] >> 16);
    uint16_t revents = fd < 0 ? 0 : poll_events(p, fd, events | POLLPRI);
    revents &= uint16_t(events | POLLERR | POLLHUP | POLLNVAL);
    fds[i] = (fds[i] & ~uint64_t(0xffff)) | revents;
    if (revents) ++*ready;
  }
  return 0;
}

}  // namespace ux

kern_return_t S_unix_pipe2(mach_port_t proc, int32_t flags, int32_t* read_fd, int32_t* write_fd) {
  PROCESS();
  if (flags & ~(kO_CLOEXEC | kO_NONBLOCK | 040000 /* O_DIRECT */)) return kEINVAL;
  Pipe* pipe = Pipe::create();
  if (!pipe) return kENFILE;
  OpenFile* ends[2] = {open_file_new(), open_file_new()};
  int fds[2] = {-1, -1};
  for (int i = 0; i < 2; ++i) {
    if (!ends[i]) continue;
    ends[i]->pipe = pipe;
    ends[i]->pipe_writer = i == 1;
    ends[i]->flags = (i == 0 ? kO_RDONLY : kO_WRONLY) | (flags & kO_NONBLOCK);
    ends[i]->node.mode = 0010000 | 0600;  // S_IFIFO
    fds[i] = p->install(ends[i], flags & kO_CLOEXEC);
  }
  if (fds[0] < 0 || fds[1] < 0) {
    for (int i = 0; i < 2; ++i) {
      if (fds[i] >= 0) p->close(fds[i]);
      else if (ends[i]) open_file_release(ends[i]);
      else pipe->drop_end(i == 1);
    }
    return kEMFILE;
  }
  *read_fd = fds[0];
  *write_fd = fds[1];
  return 0;
}

kern_return_t S_unix_poll(mach_port_t proc, mach_port_t reply, unix_pollfds_t fds, mach_msg_type_number_t fdsCnt,
                          int64_t timeout_ms, int32_t* ready, unix_pollfds_t result,
                          mach_msg_type_number_t* resultCnt) {
  PROCESS();
  memcpy(result, fds, fdsCnt * sizeof(uint64_t));
  *resultCnt = fdsCnt;
  int n = 0;
  try_poll(p, result, fdsCnt, &n);
  *ready = n;
  if (n || timeout_ms == 0) return 0;
  if (p->pending & ~p->blocked & p->caught) return kEINTR;
  Waiter w;
  w.kind = WaitKind::kPoll;
  w.p = p;
  w.reply = reply;
  w.count = fdsCnt;
  w.deadline = timeout_ms > 0 ? now_ms() + uint64_t(timeout_ms) : 0;
  w.data = static_cast<char*>(malloc(fdsCnt * sizeof(uint64_t) + 1));
  if (!w.data) return kENOMEM;
  memcpy(w.data, fds, fdsCnt * sizeof(uint64_t));
  if (waiter_add(w)) return MIG_NO_REPLY;
  free(w.data);
  return kEAGAIN;
}

kern_return_t S_unix_pathop(mach_port_t proc, int32_t op, int32_t dirfd, unix_path_t path, int32_t flags,
                            uint64_t arg, uint64_t arg2) {
  PROCESS();
  if (op == kSync) {
    sync_all();
    return 0;
  }
  char abs[kPathMax];
  Location loc;
  NodeInfo stat_node;
  NodeInfo* node = &stat_node;
  OpenFile* file = nullptr;
  int err;
  bool by_fd = !*path && (op == kChdir || op == kTruncate || op == kFsync || op == kChmod || op == kChown ||
                          op == kUtimes);
  if (by_fd && dirfd != kAT_FDCWD) {
    err = from_fd(p, dirfd, &loc, &node, &file);
    if (err) return err;
    abs[0] = '\0';
    if (file) memcpy(abs, file->abs, strlen(file->abs) + 1);
  } else {
    err = resolve(p, dirfd, path, abs, &loc);
    if (err) return err;
    if (op != kMkdir && op != kUnlink) {
      err = lookup(loc, !(flags & 0x100 /* AT_SYMLINK_NOFOLLOW */), node);
      if (err) return err;
    }
  }
  switch (op) {
    case kMkdir: {
      NodeInfo existing;
      if (loc.fs->stat(loc.path, false, &existing) == 0) return kEEXIST;
      return loc.fs->mkdir(loc.path, uint32_t(arg) & 07777);
    }
    case kUnlink:
      if (flags & ~kAT_REMOVEDIR) return kEINVAL;
      if (!*loc.path) return kEBUSY;  // a mount point
      return (flags & kAT_REMOVEDIR) ? loc.fs->rmdir(loc.path) : loc.fs->unlink(loc.path);
    case kChdir:
      if (!is_dir(*node)) return kENOTDIR;
      memcpy(p->cwd, abs, strlen(abs) + 1);
      return 0;
    case kChmod: return loc.fs->chmod(loc.path, uint32_t(arg) & 07777);
    case kChown: return loc.fs->chown(loc.path, uint32_t(arg >> 32), uint32_t(arg), !(flags & 0x100));
    case kTruncate:
      if (is_dir(*node)) return kEISDIR;
      if (!is_reg(*node)) return kEINVAL;
      if (int64_t(arg) < 0) return kEINVAL;
      if (file && !can_write(file)) return kEINVAL;  // ftruncate needs a descriptor open for writing
      return loc.fs->truncate(loc.path, *node, arg);
    case kUtimes: return loc.fs->utimes(loc.path, arg, arg2, !(flags & 0x100));
    case kFsync: return loc.fs->sync();
    default: return kEINVAL;
  }
}

kern_return_t S_unix_pathop2(mach_port_t proc, int32_t op, int32_t fromfd, unix_path_t from, int32_t tofd,
                             unix_path_t to, int32_t flags) {
  PROCESS();
  char abs_to[kPathMax];
  Location to_loc;
  int err = resolve(p, tofd, to, abs_to, &to_loc);
  if (err) return err;
  if (op == kSymlink) {
    if (!*from) return kENOENT;
    NodeInfo existing;
    if (to_loc.fs->stat(to_loc.path, false, &existing) == 0) return kEEXIST;
    return to_loc.fs->symlink(from, to_loc.path);
  }
  char abs_from[kPathMax];
  Location from_loc;
  err = resolve(p, fromfd, from, abs_from, &from_loc);
  if (err) return err;
  NodeInfo node;
  err = lookup(from_loc, op == kLink && (flags & 0x400 /* AT_SYMLINK_FOLLOW */), &node);
  if (err) return err;
  if (from_loc.fs != to_loc.fs) return kEXDEV;
  if (op == kRename) {
    if (flags & ~1 /* RENAME_NOREPLACE */) return kEINVAL;
    NodeInfo existing;
    if ((flags & 1) && to_loc.fs->stat(to_loc.path, false, &existing) == 0) return kEEXIST;
    if (!*from_loc.path || !*to_loc.path) return kEBUSY;
    return to_loc.fs->rename(from_loc.path, to_loc.path);
  }
  if (op == kLink && (flags & 0x400)) {
    // AT_SYMLINK_FOLLOW: the new name is for the file the links lead to.
    for (int depth = 0; depth < 8; ++depth) {
      NodeInfo n;
      if (from_loc.fs->stat(from_loc.path, false, &n) || (n.mode & kS_IFMT) != kS_IFLNK) break;
      char target[kPathMax];
      size_t len = 0;
      if (from_loc.fs->readlink(from_loc.path, target, sizeof target - 1, &len)) break;
      target[len] = '\0';
      char* slash = nullptr;  // the link's directory: abs_from up to its last '/'
      for (char* c = abs_from; *c; ++c)
        if (*c == '/') slash = c;
      if (slash) *(slash == abs_from ? slash + 1 : slash) = '\0';
      char next[kPathMax];
      bool trailing;
      if (Vfs::absolute(abs_from, target, next, &trailing)) return kENAMETOOLONG;
      memcpy(abs_from, next, strlen(next) + 1);
      server().vfs.locate(abs_from, &from_loc);
    }
    if (from_loc.fs != to_loc.fs) return kEXDEV;
  }
  if (op == kLink) {
    NodeInfo existing;
    if (to_loc.fs->stat(to_loc.path, false, &existing) == 0) return kEEXIST;
    if (is_dir(node)) return kEPERM;
    return to_loc.fs->link(from_loc.path, to_loc.path);
  }
  return kEINVAL;
}

kern_return_t S_unix_statfs(mach_port_t proc, int32_t dirfd, unix_path_t path, unix_statfs_t* st) {
  PROCESS();
  Location loc;
  if (!*path) {
    NodeInfo* node;
    int err = from_fd(p, dirfd, &loc, &node, nullptr);
    if (err) return err;
  } else {
    char abs[kPathMax];
    NodeInfo node;
    int err = resolve(p, dirfd, path, abs, &loc);
    if (!err) err = lookup(loc, true, &node);
    if (err) return err;
  }
  FsStats s;
  int err = loc.fs->statfs(&s);
  if (err) return err;
  // struct statfs (x86-64): type, bsize, blocks, bfree, bavail, files,
  // ffree (8 bytes each), fsid (8), namelen, frsize, flags, spare[4].
  uint64_t out[15] = {s.type, s.block_size, s.blocks, s.blocks_free, s.blocks_available, s.files, s.files_free,
                      0, s.name_max, s.block_size, loc.fs->writable() ? 0u : 1u /* ST_RDONLY */, 0, 0, 0, 0};
  memcpy(*st, out, sizeof out);
  return 0;
}
