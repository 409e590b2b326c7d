// Calls that change the name space and files' metadata, as RPCs to the Unix
// server (unix_pathop, unix_pathop2, unix_statfs): mkdir, unlink, rmdir,
// rename, link, symlink, chdir, truncate, chmod, chown, utimes, fsync,
// statfs, and creat (openat's path in sys_fs.cpp). The checks Linux makes
// before it looks a name up (flags, negative lengths, the last component
// "." or "..", timestamps) are made here; the server answers the rest.
// A call on a descriptor (fchdir, ftruncate, fchmod, fchown, futimens,
// fsync, fstatfs) sends the descriptor as dirfd with the path "".
#include <unix.h>

#include "clock.h"
#include "io_buffer.h"
#include "process_state.h"
#include "syscalls.h"
#include "unix_call.h"
#include "user_memory.h"

namespace emul {

using namespace linux_abi;

namespace {

constexpr int kAT_REMOVEDIR = 0x200, kAT_SYMLINK_FOLLOW = 0x400;
constexpr int kRENAME_NOREPLACE = 1, kRENAME_EXCHANGE = 2, kRENAME_WHITEOUT = 4;
constexpr int64_t kUTIME_NOW = (1 << 30) - 1, kUTIME_OMIT = (1 << 30) - 2;
constexpr uint64_t kTimeUnchanged = ~uint64_t(0);  // unix_pathop's utimensat: keep this time

// unix_pathop's and unix_pathop2's operations (unix.defs).
enum PathOp : int32_t { kOpMkdir, kOpUnlink, kOpChdir, kOpChmod, kOpChown, kOpTruncate, kOpUtimes, kOpFsync, kOpSync };
enum PathOp2 : int32_t { kOpRename, kOpLink, kOpSymlink };

// Reads a path into buf (UNIX_PATH_MAX bytes): 0, -EFAULT, -ENAMETOOLONG,
// or -ENOENT for "" (as Linux's getname).
long read_path(uint64_t user, char* buf) {
  long r = copy_in_string(user, buf, UNIX_PATH_MAX);
  if (r < 0) return r;
  return r == 0 ? -kENOENT : 0;
}

// A path for a call that takes AT_EMPTY_PATH: "" then names the descriptor
// itself (the path stays "" and the server uses dirfd), or the working
// directory for AT_FDCWD (".").
long read_path_or_fd(uint64_t user, int dirfd, int flags) {
  long r = copy_in_string(user, g_path_buffer, UNIX_PATH_MAX);
  if (r < 0) return r;
  if (r > 0) return 0;
  if (!(flags & kAT_EMPTY_PATH)) return -kENOENT;
  if (dirfd == kAT_FDCWD) {
    g_path_buffer[0] = '.';
    g_path_buffer[1] = '\0';
  } else if (dirfd < 0) {
    return -kEBADF;
  }
  return 0;
}

// What the last component of a (non-empty) path is, as Linux's lookup of
// the parent classifies it: "/" (LAST_ROOT), ".", "..", or a name.
// Trailing slashes do not count.
enum class Last { kName, kDot, kDotDot, kRoot };
Last last_component(const char* path) {
  unsigned long end = bounded_length(path, UNIX_PATH_MAX);
  while (end > 0 && path[end - 1] == '/') --end;
  if (end == 0) return Last::kRoot;
  unsigned long start = end;
  while (start > 0 && path[start - 1] != '/') --start;
  if (end - start == 1 && path[start] == '.') return Last::kDot;
  if (end - start == 2 && path[start] == '.' && path[start + 1] == '.') return Last::kDotDot;
  return Last::kName;
}

// unix_pathop with the path in g_path_buffer.
long pathop(int32_t op, int dirfd, int flags, uint64_t arg, uint64_t arg2, const char* what) {
  return unix_result(unix_pathop(unix_port(), op, dirfd, g_path_buffer, flags, arg, arg2), what);
}

// unix_pathop on a descriptor (path ""): a negative one is EBADF here (the
// server would take AT_FDCWD with "" for a path).
long fd_op(int32_t op, int fd, uint64_t arg, uint64_t arg2, const char* what) {
  if (fd < 0) return -kEBADF;
  g_path_buffer[0] = '\0';
  return pathop(op, fd, 0, arg, arg2, what);
}

// unix_pathop2 with from in g_path_result and to in g_path_buffer.
long pathop2(int32_t op, int fromfd, int tofd, int flags, const char* what) {
  return unix_result(unix_pathop2(unix_port(), op, fromfd, g_path_result, tofd, g_path_buffer, flags), what);
}

long mkdirat(int dirfd, uint64_t path, uint32_t mode) {
  if (long r = read_path(path, g_path_buffer); r < 0) return r;
  // Linux keeps the permission bits and the sticky bit (vfs_mkdir), after
  // the umask (the library's: umask(2) is answered here).
  mode = mode & ~current_umask() & 01777;
  return pathop(kOpMkdir, dirfd, 0, mode, 0, "mkdirat");
}

long unlinkat(int dirfd, uint64_t path, int flags) {
  if (flags & ~kAT_REMOVEDIR) return -kEINVAL;
  if (long r = read_path(path, g_path_buffer); r < 0) return r;
  Last last = last_component(g_path_buffer);
  if (flags & kAT_REMOVEDIR) {
    if (last == Last::kDotDot) return -kENOTEMPTY;
    if (last == Last::kDot) return -kEINVAL;
    if (last == Last::kRoot) return -kEBUSY;
  } else if (last != Last::kName) {
    return -kEISDIR;
  }
  return pathop(kOpUnlink, dirfd, flags, 0, 0, "unlinkat");
}

long renameat2(int olddirfd, uint64_t oldpath, int newdirfd, uint64_t newpath, unsigned flags) {
  if (flags & ~unsigned(kRENAME_NOREPLACE | kRENAME_EXCHANGE | kRENAME_WHITEOUT)) return -kEINVAL;
  if ((flags & (kRENAME_NOREPLACE | kRENAME_WHITEOUT)) && (flags & kRENAME_EXCHANGE)) return -kEINVAL;
  // Neither the exchange nor whiteouts are supported: Linux answers so for
  // a file system without them.
  if (flags & (kRENAME_EXCHANGE | kRENAME_WHITEOUT)) return -kEINVAL;
  if (long r = read_path(oldpath, g_path_result); r < 0) return r;
  if (long r = read_path(newpath, g_path_buffer); r < 0) return r;
  if (last_component(g_path_result) != Last::kName) return -kEBUSY;
  if (last_component(g_path_buffer) != Last::kName) return (flags & kRENAME_NOREPLACE) ? -kEEXIST : -kEBUSY;
  return pathop2(kOpRename, olddirfd, newdirfd, int(flags), "renameat2");
}

long linkat(int olddirfd, uint64_t oldpath, int newdirfd, uint64_t newpath, int flags) {
  if (flags & ~(kAT_SYMLINK_FOLLOW | kAT_EMPTY_PATH)) return -kEINVAL;
  long n = copy_in_string(oldpath, g_path_result, UNIX_PATH_MAX);
  if (n < 0) return n;
  // AT_EMPTY_PATH with "" (a link to an open file) is not supported; with
  // a name it changes nothing, as in Linux.
  if (n == 0) return (flags & kAT_EMPTY_PATH) ? -kEINVAL : -kENOENT;
  if (long r = read_path(newpath, g_path_buffer); r < 0) return r;
  if (last_component(g_path_buffer) != Last::kName) return -kEEXIST;
  return pathop2(kOpLink, olddirfd, newdirfd, flags & kAT_SYMLINK_FOLLOW, "linkat");
}

long symlinkat(uint64_t target, int newdirfd, uint64_t linkpath) {
  if (long r = read_path(target, g_path_result); r < 0) return r;
  if (long r = read_path(linkpath, g_path_buffer); r < 0) return r;
  if (last_component(g_path_buffer) != Last::kName) return -kEEXIST;
  return pathop2(kOpSymlink, kAT_FDCWD, newdirfd, 0, "symlinkat");
}

long chownat(int dirfd, uint64_t path, uint32_t uid, uint32_t gid, int flags) {
  if (flags & ~(kAT_SYMLINK_NOFOLLOW | kAT_EMPTY_PATH)) return -kEINVAL;
  if (long r = read_path_or_fd(path, dirfd, flags); r < 0) return r;
  // uid or gid (uint32_t)-1: unchanged, which the server knows.
  return pathop(kOpChown, dirfd, flags & kAT_SYMLINK_NOFOLLOW, uint64_t(uid) << 32 | gid, 0, "fchownat");
}

long statfs_to(int dirfd, uint64_t buf) {
  unix_statfs_t st;
  long r = unix_result(unix_statfs(unix_port(), dirfd, g_path_buffer, &st), "statfs");
  return r < 0 ? r : copy_out(buf, st, sizeof st);
}

// The times of utimensat: seconds for the server (the server keeps no
// nanoseconds), or kTimeUnchanged. Linux checks the nanoseconds after the
// lookup; so does this (utimes_at).
bool nsec_valid(int64_t ns) { return ns == kUTIME_NOW || ns == kUTIME_OMIT || (ns >= 0 && ns < 1000000000); }
uint64_t seconds_of(const Timespec& t, int64_t now) {
  if (t.tv_nsec == kUTIME_OMIT) return kTimeUnchanged;
  if (t.tv_nsec == kUTIME_NOW) return uint64_t(now);
  return uint64_t(t.tv_sec);
}

// utimensat with the path (or "" and the descriptor) in g_path_buffer;
// times nullptr: both now.
long utimes_at(int dirfd, int flags, const Timespec* times) {
  int64_t now = realtime_now().tv_sec;
  uint64_t atime = uint64_t(now), mtime = uint64_t(now);
  if (times) {
    if (!nsec_valid(times[0].tv_nsec) || !nsec_valid(times[1].tv_nsec)) {
      // The lookup's error comes first in Linux.
      unix_stat_t st;
      int how = g_path_buffer[0] ? (flags & kAT_SYMLINK_NOFOLLOW) : kAT_EMPTY_PATH;
      long r = unix_result(unix_fstatat(unix_port(), dirfd, g_path_buffer, how, &st), "utimensat");
      return r < 0 ? r : -kEINVAL;
    }
    atime = seconds_of(times[0], now);
    mtime = seconds_of(times[1], now);
  }
  return pathop(kOpUtimes, dirfd, flags & kAT_SYMLINK_NOFOLLOW, atime, mtime, "utimensat");
}

// What do_utimes does with a path (nullptr: EFAULT, as getname(NULL)).
long utimes_path(uint64_t path, const Timespec* times) {
  if (long r = read_path(path, g_path_buffer); r < 0) return r;
  return utimes_at(kAT_FDCWD, 0, times);
}

}  // namespace

long sys_mkdir(const emulation_frame& f) { return mkdirat(kAT_FDCWD, arg0(f), uint32_t(arg1(f))); }
long sys_mkdirat(const emulation_frame& f) { return mkdirat(iarg(arg0(f)), arg1(f), uint32_t(arg2(f))); }

long sys_rmdir(const emulation_frame& f) { return unlinkat(kAT_FDCWD, arg0(f), kAT_REMOVEDIR); }
long sys_unlink(const emulation_frame& f) { return unlinkat(kAT_FDCWD, arg0(f), 0); }
long sys_unlinkat(const emulation_frame& f) { return unlinkat(iarg(arg0(f)), arg1(f), iarg(arg2(f))); }

long sys_rename(const emulation_frame& f) { return renameat2(kAT_FDCWD, arg0(f), kAT_FDCWD, arg1(f), 0); }
long sys_renameat(const emulation_frame& f) {
  return renameat2(iarg(arg0(f)), arg1(f), iarg(arg2(f)), arg3(f), 0);
}
long sys_renameat2(const emulation_frame& f) {
  return renameat2(iarg(arg0(f)), arg1(f), iarg(arg2(f)), arg3(f), uint32_t(arg4(f)));
}

long sys_link(const emulation_frame& f) { return linkat(kAT_FDCWD, arg0(f), kAT_FDCWD, arg1(f), 0); }
long sys_linkat(const emulation_frame& f) {
  return linkat(iarg(arg0(f)), arg1(f), iarg(arg2(f)), arg3(f), iarg(arg4(f)));
}

long sys_symlink(const emulation_frame& f) { return symlinkat(arg0(f), kAT_FDCWD, arg1(f)); }
long sys_symlinkat(const emulation_frame& f) { return symlinkat(arg0(f), iarg(arg1(f)), arg2(f)); }

long sys_chdir(const emulation_frame& f) {
  if (long r = read_path(arg0(f), g_path_buffer); r < 0) return r;
  return pathop(kOpChdir, kAT_FDCWD, 0, 0, 0, "chdir");
}
long sys_fchdir(const emulation_frame& f) { return fd_op(kOpChdir, iarg(arg0(f)), 0, 0, "fchdir"); }

// truncate(path, length), ftruncate(fd, length): a negative length is
// EINVAL before anything is looked up.
long sys_truncate(const emulation_frame& f) {
  int64_t length = int64_t(arg1(f));
  if (length < 0) return -kEINVAL;
  if (long r = read_path(arg0(f), g_path_buffer); r < 0) return r;
  return pathop(kOpTruncate, kAT_FDCWD, 0, uint64_t(length), 0, "truncate");
}
long sys_ftruncate(const emulation_frame& f) {
  int64_t length = int64_t(arg1(f));
  if (length < 0) return -kEINVAL;
  return fd_op(kOpTruncate, iarg(arg0(f)), uint64_t(length), 0, "ftruncate");
}

// chmod(path, mode), fchmod(fd, mode), fchmodat(dirfd, path, mode): Linux's
// fchmodat has no flags argument (a fourth register is ignored).
long sys_chmod(const emulation_frame& f) {
  if (long r = read_path(arg0(f), g_path_buffer); r < 0) return r;
  return pathop(kOpChmod, kAT_FDCWD, 0, uint32_t(arg1(f)) & 07777, 0, "chmod");
}
long sys_fchmod(const emulation_frame& f) {
  return fd_op(kOpChmod, iarg(arg0(f)), uint32_t(arg1(f)) & 07777, 0, "fchmod");
}
long sys_fchmodat(const emulation_frame& f) {
  if (long r = read_path(arg1(f), g_path_buffer); r < 0) return r;
  return pathop(kOpChmod, iarg(arg0(f)), 0, uint32_t(arg2(f)) & 07777, 0, "fchmodat");
}

long sys_chown(const emulation_frame& f) {
  return chownat(kAT_FDCWD, arg0(f), uint32_t(arg1(f)), uint32_t(arg2(f)), 0);
}
long sys_lchown(const emulation_frame& f) {
  return chownat(kAT_FDCWD, arg0(f), uint32_t(arg1(f)), uint32_t(arg2(f)), kAT_SYMLINK_NOFOLLOW);
}
long sys_fchown(const emulation_frame& f) {
  return fd_op(kOpChown, iarg(arg0(f)), uint64_t(uint32_t(arg1(f))) << 32 | uint32_t(arg2(f)), 0, "fchown");
}
long sys_fchownat(const emulation_frame& f) {
  return chownat(iarg(arg0(f)), arg1(f), uint32_t(arg2(f)), uint32_t(arg3(f)), iarg(arg4(f)));
}

// utimensat(dirfd, path, times, flags): path nullptr with a descriptor is
// futimens (flags must be 0 then); both times UTIME_OMIT do nothing, not
// even the lookup.
long sys_utimensat(const emulation_frame& f) {
  int dirfd = iarg(arg0(f));
  uint64_t path = arg1(f);
  int flags = iarg(arg3(f));
  Timespec times[2];
  if (arg2(f)) {
    if (long r = copy_in(times, arg2(f), sizeof times); r < 0) return r;
    if (times[0].tv_nsec == kUTIME_OMIT && times[1].tv_nsec == kUTIME_OMIT) return 0;
  }
  const Timespec* t = arg2(f) ? times : nullptr;
  if (!path && dirfd != kAT_FDCWD) {
    if (flags) return -kEINVAL;
    if (dirfd < 0) return -kEBADF;
    g_path_buffer[0] = '\0';
    return utimes_at(dirfd, 0, t);
  }
  if (flags & ~(kAT_SYMLINK_NOFOLLOW | kAT_EMPTY_PATH)) return -kEINVAL;
  if (long r = read_path_or_fd(path, dirfd, flags); r < 0) return r;
  return utimes_at(dirfd, flags, t);
}

// utimes(path, struct timeval[2]): microseconds out of range are EINVAL
// before the lookup.
long sys_utimes(const emulation_frame& f) {
  if (!arg1(f)) return utimes_path(arg0(f), nullptr);
  int64_t tv[4];
  if (long r = copy_in(tv, arg1(f), sizeof tv); r < 0) return r;
  if (tv[1] < 0 || tv[1] >= 1000000 || tv[3] < 0 || tv[3] >= 1000000) return -kEINVAL;
  Timespec times[2] = {{tv[0], tv[1] * 1000}, {tv[2], tv[3] * 1000}};
  return utimes_path(arg0(f), times);
}

// utime(path, struct utimbuf { actime, modtime }).
long sys_utime(const emulation_frame& f) {
  if (!arg1(f)) return utimes_path(arg0(f), nullptr);
  int64_t tb[2];
  if (long r = copy_in(tb, arg1(f), sizeof tb); r < 0) return r;
  Timespec times[2] = {{tb[0], 0}, {tb[1], 0}};
  return utimes_path(arg0(f), times);
}

long sys_fsync(const emulation_frame& f) { return fd_op(kOpFsync, iarg(arg0(f)), 0, 0, "fsync"); }
long sys_fdatasync(const emulation_frame& f) { return fd_op(kOpFsync, iarg(arg0(f)), 0, 0, "fdatasync"); }
long sys_syncfs(const emulation_frame& f) { return fd_op(kOpFsync, iarg(arg0(f)), 0, 0, "syncfs"); }

// sync(): Linux's cannot fail.
long sys_sync(const emulation_frame&) {
  g_path_buffer[0] = '\0';
  (void)pathop(kOpSync, kAT_FDCWD, 0, 0, 0, "sync");
  return 0;
}

// statfs(path, buf), fstatfs(fd, buf): the server's struct statfs as is;
// the buffer is written after the lookup (its EFAULT comes last, as in
// Linux).
long sys_statfs(const emulation_frame& f) {
  if (long r = read_path(arg0(f), g_path_buffer); r < 0) return r;
  return statfs_to(kAT_FDCWD, arg1(f));
}
long sys_fstatfs(const emulation_frame& f) {
  int fd = iarg(arg0(f));
  if (fd < 0) return -kEBADF;
  g_path_buffer[0] = '\0';
  return statfs_to(fd, arg1(f));
}

// creat(path, mode): openat(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC,
// mode), through sys_openat (sys_fs.cpp) and its umask.
long sys_creat(const emulation_frame& f) {
  emulation_frame open = f;
  open.rdi = static_cast<unsigned long>(long(kAT_FDCWD));
  open.rsi = arg0(f);
  open.rdx = unsigned(kO_CREAT | kO_WRONLY | kO_TRUNC);
  open.r10 = arg1(f);
  return sys_openat(open);
}

}  // namespace emul
