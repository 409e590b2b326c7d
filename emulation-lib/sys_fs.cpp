// Names and metadata of files, and terminal control, as RPCs to the Unix
// server: open, stat, readlink, access, getdents64, getcwd, ioctl. Paths are
// read from the program a page at a time (user_memory.h); output buffers
// are checked before the RPC so a bad pointer gives EFAULT with no effect.
#include <unix.h>

#include "io_buffer.h"
#include "process_state.h"
#include "syscalls.h"
#include "unix_call.h"
#include "user_memory.h"

namespace emul {

using namespace linux_abi;

namespace {

constexpr int kO_TMPFILE = 020200000;

long read_path(uint64_t user) {
  long r = copy_in_string(user, g_path_buffer, sizeof g_path_buffer);
  return r < 0 ? r : 0;
}

long openat(int dirfd, uint64_t path, int flags, uint32_t mode) {
  if (long r = read_path(path); r < 0) return r;
  // The umask is the library's (umask(2) is answered here), so it is
  // applied here; the server takes the mode as final.
  if ((flags & kO_CREAT) || (flags & kO_TMPFILE) == kO_TMPFILE)
    mode = mode & 07777 & ~current_umask();
  else
    mode = 0;
  int32_t fd = -1;
  long r = unix_result(unix_openat(unix_port(), dirfd, g_path_buffer, flags, mode, &fd), "openat");
  return r < 0 ? r : long(fd);
}

// newfstatat with the path already in g_path_buffer.
long fstatat(int dirfd, int flags, uint64_t statbuf) {
  if (long r = check_writable(statbuf, sizeof(Stat)); r < 0) return r;
  unix_stat_t st;
  long r = unix_result(unix_fstatat(unix_port(), dirfd, g_path_buffer, flags, &st), "fstatat");
  return r < 0 ? r : copy_out(statbuf, st, sizeof st);
}

long stat_path(int dirfd, uint64_t path, int flags, uint64_t statbuf) {
  if (long r = read_path(path); r < 0) return r;
  return fstatat(dirfd, flags, statbuf);
}

long readlinkat(int dirfd, uint64_t path, uint64_t buf, long size) {
  if (long r = read_path(path); r < 0) return r;
  if (size <= 0) return -kEINVAL;
  long r = unix_result(unix_readlinkat(unix_port(), dirfd, g_path_buffer, g_path_result), "readlinkat");
  if (r < 0) return r;
  unsigned long n = bounded_length(g_path_result, sizeof g_path_result);
  if (n > unsigned(size)) n = unsigned(size);  // truncated without a NUL, as Linux does
  if (long w = copy_out(buf, g_path_result, n); w < 0) return w;
  return long(n);
}

long faccessat(int dirfd, uint64_t path, int mode, int flags) {
  if (mode & ~(kR_OK | kW_OK | kX_OK)) return -kEINVAL;
  if (flags & ~(kAT_EACCESS | kAT_SYMLINK_NOFOLLOW | kAT_EMPTY_PATH)) return -kEINVAL;
  if (long r = read_path(path); r < 0) return r;
  return unix_result(unix_faccessat(unix_port(), dirfd, g_path_buffer, mode, flags), "faccessat");
}

// How many bytes of an ioctl's argument go to the server and come back.
// Requests whose argument is a value rather than a pointer send the value
// (8 bytes, little-endian); unknown requests send nothing and the server
// answers ENOTTY for what it does not know.
struct IoctlSize {
  uint32_t request;
  uint8_t in, out;
  bool value;
};
constexpr uint32_t kFIONREAD = 0x541b, kFIONBIO = 0x5421, kTIOCGSID = 0x5429, kTCSBRK = 0x5409,
                   kTCXONC = 0x540a, kTCFLSH = 0x540b, kTIOCSCTTY = 0x540e;
constexpr IoctlSize kIoctlSizes[] = {
    {uint32_t(kTCGETS), 0, 36, false},     {uint32_t(kTCSETS), 36, 0, false},
    {uint32_t(kTCSETSW), 36, 0, false},    {uint32_t(kTCSETSF), 36, 0, false},
    {uint32_t(kTIOCGWINSZ), 0, 8, false},  {uint32_t(kTIOCSWINSZ), 8, 0, false},
    {uint32_t(kTIOCGPGRP), 0, 4, false},   {uint32_t(kTIOCSPGRP), 4, 0, false},
    {kFIONREAD, 0, 4, false},              {kFIONBIO, 4, 0, false},
    {kTIOCGSID, 0, 4, false},              {kTCSBRK, 8, 0, true},
    {kTCXONC, 8, 0, true},                 {kTCFLSH, 8, 0, true},
    {kTIOCSCTTY, 8, 0, true},
};

}  // namespace

long sys_open(const emulation_frame& f) { return openat(kAT_FDCWD, arg0(f), iarg(arg1(f)), uint32_t(arg2(f))); }
long sys_openat(const emulation_frame& f) {
  return openat(iarg(arg0(f)), arg1(f), iarg(arg2(f)), uint32_t(arg3(f)));
}

long sys_fstat(const emulation_frame& f) {
  g_path_buffer[0] = '\0';
  return fstatat(iarg(arg0(f)), kAT_EMPTY_PATH, arg1(f));
}
long sys_stat(const emulation_frame& f) { return stat_path(kAT_FDCWD, arg0(f), 0, arg1(f)); }
long sys_lstat(const emulation_frame& f) { return stat_path(kAT_FDCWD, arg0(f), kAT_SYMLINK_NOFOLLOW, arg1(f)); }
long sys_newfstatat(const emulation_frame& f) {
  int flags = iarg(arg3(f));
  if (flags & ~(kAT_SYMLINK_NOFOLLOW | kAT_EMPTY_PATH | 0x800 /* AT_NO_AUTOMOUNT */)) return -kEINVAL;
  return stat_path(iarg(arg0(f)), arg1(f), flags, arg2(f));
}

// getdents64(fd, buf, count): one RPC; the server fits whole records.
long sys_getdents64(const emulation_frame& f) {
  uint64_t buf = arg1(f);
  uint32_t count = arg2(f) < UNIX_DATA_MAX ? uint32_t(arg2(f)) : UNIX_DATA_MAX;
  if (long r = check_writable(buf, count); r < 0) return r;
  mach_msg_type_number_t got = UNIX_DATA_MAX;
  long r = unix_result(unix_getdents(unix_port(), iarg(arg0(f)), count, g_io_buffer, &got), "getdents64");
  if (r < 0) return r;
  if (got > count) got = count;
  if (long w = copy_out(buf, g_io_buffer, got); w < 0) return w;
  return long(got);
}

long sys_readlink(const emulation_frame& f) { return readlinkat(kAT_FDCWD, arg0(f), arg1(f), long(arg2(f))); }
long sys_readlinkat(const emulation_frame& f) {
  return readlinkat(iarg(arg0(f)), arg1(f), arg2(f), long(arg3(f)));
}

long sys_access(const emulation_frame& f) { return faccessat(kAT_FDCWD, arg0(f), iarg(arg1(f)), 0); }
long sys_faccessat(const emulation_frame& f) { return faccessat(iarg(arg0(f)), arg1(f), iarg(arg2(f)), 0); }
long sys_faccessat2(const emulation_frame& f) {
  return faccessat(iarg(arg0(f)), arg1(f), iarg(arg2(f)), iarg(arg3(f)));
}

// getcwd(buf, size): Linux's system call returns the length with the NUL.
long sys_getcwd(const emulation_frame& f) {
  long r = unix_result(unix_getcwd(unix_port(), g_path_result), "getcwd");
  if (r < 0) return r;
  unsigned long n = bounded_length(g_path_result, sizeof g_path_result - 1) + 1;
  g_path_result[n - 1] = '\0';
  if (arg1(f) < n) return -kERANGE;
  if (long w = copy_out(arg0(f), g_path_result, n); w < 0) return w;
  return long(n);
}

long sys_ioctl(const emulation_frame& f) {
  uint32_t request = uint32_t(arg1(f));  // an unsigned int in Linux
  uint64_t arg = arg2(f);
  IoctlSize size{request, 0, 0, false};
  for (const IoctlSize& s : kIoctlSizes)
    if (s.request == request) size = s;
  unix_ioctl_arg_t in, out;
  if (size.value)
    __builtin_memcpy(in, &arg, sizeof arg);
  else if (long r = copy_in(in, arg, size.in); r < 0)
    return r;
  if (long r = check_writable(arg, size.out); r < 0) return r;
  int64_t result = 0;
  mach_msg_type_number_t out_count = UNIX_IOCTL_ARG_MAX;
  long r = unix_result(
      unix_ioctl(unix_port(), iarg(arg0(f)), request, in, size.in, &result, out, &out_count), "ioctl");
  if (r < 0) return r;
  if (out_count > size.out) out_count = size.out;
  if (long w = copy_out(arg, out, out_count); w < 0) return w;
  return long(result);
}

}  // namespace emul
