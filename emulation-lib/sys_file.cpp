// Moving data through files: read, write and their positioned and vectored
// forms, sendfile, and file mmap, as RPCs to the Unix server. Data passes
// through the library's buffer, at most UNIX_DATA_MAX bytes per RPC; a
// larger request loops until it is done or one RPC comes back short (end of
// file, a pipe or terminal with less ready), as a read(2) would return.
#include <unix.h>

#include "file_mmap.h"
#include "io_buffer.h"
#include "syscalls.h"
#include "unix_call.h"
#include "user_memory.h"

namespace emul {

using namespace linux_abi;

constinit char g_io_buffer[UNIX_DATA_MAX] = {};
constinit char g_path_buffer[UNIX_PATH_MAX] = {};
constinit char g_path_result[UNIX_PATH_MAX] = {};

namespace {

constexpr uint64_t kMaxRw = 0x7ffff000;  // Linux's MAX_RW_COUNT: longer requests are cut
constexpr int kIovMax = 1024;

uint32_t chunk_of(uint64_t left) { return left < UNIX_DATA_MAX ? uint32_t(left) : UNIX_DATA_MAX; }

// What a loop that moved `done` bytes before failing with `err` returns:
// the bytes if any (the failure shows on the next call), else the error.
long partial(uint64_t done, long err) { return done ? long(done) : err; }

// Reads into g_io_buffer; offset -1: at the file position. The byte count.
long read_chunk(int fd, uint32_t count, int64_t offset) {
  mach_msg_type_number_t got = UNIX_DATA_MAX;
  long r = unix_result(unix_read(unix_port(), fd, count, offset, g_io_buffer, &got), "read");
  if (r < 0) return r;
  return got < count ? long(got) : long(count);
}

long write_chunk(int fd, uint32_t count, int64_t offset) {
  uint32_t written = 0;
  long r = unix_result(unix_write(unix_port(), fd, g_io_buffer, count, offset, &written), "write");
  if (r < 0) return r;
  return written < count ? long(written) : long(count);
}

int64_t at(int64_t offset, uint64_t done) { return offset < 0 ? -1 : offset + int64_t(done); }

long read_to(int fd, uint64_t buf, uint64_t count, int64_t offset) {
  if (count > kMaxRw) count = kMaxRw;
  uint64_t done = 0;
  do {
    uint32_t chunk = chunk_of(count - done);
    // Before the RPC: data read from a pipe cannot be put back.
    if (long r = check_writable(buf + done, chunk); r < 0) return partial(done, r);
    long got = read_chunk(fd, chunk, at(offset, done));
    if (got < 0) return partial(done, got);
    (void)copy_out(buf + done, g_io_buffer, size_t(got));
    done += uint64_t(got);
    if (uint32_t(got) < chunk) break;
  } while (done < count);
  return long(done);
}

long write_from(int fd, uint64_t buf, uint64_t count, int64_t offset) {
  if (count > kMaxRw) count = kMaxRw;
  uint64_t done = 0;
  do {
    uint32_t chunk = chunk_of(count - done);
    if (long r = copy_in(g_io_buffer, buf + done, chunk); r < 0) return partial(done, r);
    long put = write_chunk(fd, chunk, at(offset, done));
    if (put < 0) return partial(done, put);
    done += uint64_t(put);
    if (uint32_t(put) < chunk) break;
  } while (done < count);
  return long(done);
}

// A walk over the program's iovec array (struct iovec: base, length).
struct Iov {
  uint64_t array;
  int count;
  int index = 0;
  uint64_t offset = 0;  // into iovec[index]

  long get(int i, uint64_t& base, uint64_t& len) const {
    uint64_t v[2];
    if (long r = copy_in(v, array + uint64_t(i) * 16, sizeof v); r < 0) return r;
    base = v[0];
    len = v[1];
    return 0;
  }
  // Moves n bytes between buf and the iovecs (to them when `out`); with
  // buf null, only checks that the next n bytes can be written.
  long move(char* buf, uint64_t n, bool out) {
    while (n > 0 && index < count) {
      uint64_t base, len;
      if (long r = get(index, base, len); r < 0) return r;
      if (offset >= len) {
        ++index;
        offset = 0;
        continue;
      }
      uint64_t take = len - offset < n ? len - offset : n;
      long r = !buf  ? check_writable(base + offset, take)
               : out ? copy_out(base + offset, buf, take)
                     : copy_in(buf, base + offset, take);
      if (r < 0) return r;
      offset += take;
      if (buf) buf += take;
      n -= take;
    }
    return 0;
  }
};

// The total length of an iovec array (EINVAL for a bad count or a total
// over SSIZE_MAX).
long iov_total(uint64_t array, int count, uint64_t& total) {
  if (count < 0 || count > kIovMax) return -kEINVAL;
  Iov iov{array, count};
  total = 0;
  for (int i = 0; i < count; ++i) {
    uint64_t base, len;
    if (long r = iov.get(i, base, len); r < 0) return r;
    if (int64_t(len) < 0 || total + len > uint64_t(INT64_MAX)) return -kEINVAL;
    total += len;
  }
  if (total > kMaxRw) total = kMaxRw;
  return 0;
}

long readv_at(int fd, uint64_t array, int count, int64_t offset) {
  uint64_t total;
  if (long r = iov_total(array, count, total); r < 0) return r;
  Iov iov{array, count};
  uint64_t done = 0;
  while (done < total) {
    uint32_t chunk = chunk_of(total - done);
    // Before the RPC, as read_to does: a copy of the walk checks the bytes.
    Iov probe = iov;
    if (long r = probe.move(nullptr, chunk, true); r < 0) return partial(done, r);
    long got = read_chunk(fd, chunk, at(offset, done));
    if (got < 0) return partial(done, got);
    if (long r = iov.move(g_io_buffer, uint64_t(got), true); r < 0) return partial(done, r);
    done += uint64_t(got);
    if (uint32_t(got) < chunk) break;
  }
  return long(done);
}

long writev_at(int fd, uint64_t array, int count, int64_t offset) {
  uint64_t total;
  if (long r = iov_total(array, count, total); r < 0) return r;
  Iov iov{array, count};
  uint64_t done = 0;
  while (done < total) {
    uint32_t chunk = chunk_of(total - done);
    if (long r = iov.move(g_io_buffer, chunk, false); r < 0) return partial(done, r);
    long put = write_chunk(fd, chunk, at(offset, done));
    if (put < 0) return partial(done, put);
    done += uint64_t(put);
    if (uint32_t(put) < chunk) break;
  }
  return long(done);
}

}  // namespace

long sys_read(const emulation_frame& f) { return read_to(iarg(arg0(f)), arg1(f), arg2(f), -1); }
long sys_write(const emulation_frame& f) { return write_from(iarg(arg0(f)), arg1(f), arg2(f), -1); }

long sys_pread64(const emulation_frame& f) {
  if (int64_t(arg3(f)) < 0) return -kEINVAL;
  return read_to(iarg(arg0(f)), arg1(f), arg2(f), int64_t(arg3(f)));
}

long sys_pwrite64(const emulation_frame& f) {
  if (int64_t(arg3(f)) < 0) return -kEINVAL;
  return write_from(iarg(arg0(f)), arg1(f), arg2(f), int64_t(arg3(f)));
}

long sys_readv(const emulation_frame& f) { return readv_at(iarg(arg0(f)), arg1(f), iarg(arg2(f)), -1); }
long sys_writev(const emulation_frame& f) { return writev_at(iarg(arg0(f)), arg1(f), iarg(arg2(f)), -1); }

// preadv/pwritev(fd, iov, count, pos_l, pos_h): on x86-64 pos_l is the
// whole offset.
long sys_preadv(const emulation_frame& f) {
  if (int64_t(arg3(f)) < 0) return -kEINVAL;
  return readv_at(iarg(arg0(f)), arg1(f), iarg(arg2(f)), int64_t(arg3(f)));
}

long sys_pwritev(const emulation_frame& f) {
  if (int64_t(arg3(f)) < 0) return -kEINVAL;
  return writev_at(iarg(arg0(f)), arg1(f), iarg(arg2(f)), int64_t(arg3(f)));
}

// sendfile(out_fd, in_fd, offset*, count): with an offset pointer, reads
// from there (in_fd's position untouched) and stores the advanced offset.
long sys_sendfile(const emulation_frame& f) {
  uint64_t offp = arg2(f);
  int64_t offset = -1;
  if (offp) {
    if (long r = copy_in(&offset, offp, sizeof offset); r < 0) return r;
    if (offset < 0) return -kEINVAL;
    if (long r = check_writable(offp, sizeof offset); r < 0) return r;
  }
  uint64_t count = arg3(f) > kMaxRw ? kMaxRw : arg3(f);
  int64_t sent = 0;
  long r = unix_result(unix_sendfile(unix_port(), iarg(arg0(f)), iarg(arg1(f)), offset, count, &sent), "sendfile");
  if (r < 0) return r;
  if (offp) {
    offset += sent;
    if (long w = copy_out(offp, &offset, sizeof offset); w < 0) return w;
  }
  return long(sent);
}

long sys_lseek(const emulation_frame& f) {
  int64_t position = 0;
  long r = unix_result(unix_lseek(unix_port(), iarg(arg0(f)), int64_t(arg1(f)), iarg(arg2(f)), &position), "lseek");
  return r < 0 ? r : long(position);
}

long sys_close(const emulation_frame& f) { return unix_result(unix_close(unix_port(), iarg(arg0(f))), "close"); }

// fcntl(fd, cmd, arg): descriptor flags and duplicates; the server keeps
// both. dup is F_DUPFD from 0, dup2 is dup3 without its checks.
long sys_fcntl(const emulation_frame& f) {
  int64_t result = 0;
  long r = unix_result(unix_fcntl(unix_port(), iarg(arg0(f)), iarg(arg1(f)), int64_t(arg2(f)), &result), "fcntl");
  return r < 0 ? r : long(result);
}

long sys_dup(const emulation_frame& f) {
  int64_t result = 0;
  long r = unix_result(unix_fcntl(unix_port(), iarg(arg0(f)), 0, 0, &result), "dup");
  return r < 0 ? r : long(result);
}

long sys_dup2(const emulation_frame& f) {
  long r = unix_result(unix_dup3(unix_port(), iarg(arg0(f)), iarg(arg1(f)), -1), "dup2");
  return r < 0 ? r : long(iarg(arg1(f)));
}

long sys_dup3(const emulation_frame& f) {
  int flags = iarg(arg2(f));
  if (flags == -1) return -kEINVAL;  // -1 means dup2 to the server
  long r = unix_result(unix_dup3(unix_port(), iarg(arg0(f)), iarg(arg1(f)), flags), "dup3");
  return r < 0 ? r : long(iarg(arg1(f)));
}

long file_mmap(uint64_t addr, uint64_t len, int prot, int flags, int fd, int64_t offset) {
  uint64_t mapped = 0;
  long r = unix_result(unix_mmap(unix_port(), addr, len, prot, flags, fd, offset, &mapped), "mmap");
  return r < 0 ? r : long(mapped);
}

}  // namespace emul
