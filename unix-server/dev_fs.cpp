#include "dev_fs.h"

#include <chardev.h>

#include "libmach/string.h"

namespace ux {

using namespace linux_abi;

namespace {

enum Device : int { kConsole, kTty, kNull, kZero, kDeviceCount };
struct DeviceEntry {
  const char* name;
  uint32_t major, minor;
};
constexpr DeviceEntry kDevices[kDeviceCount] = {{"console", 5, 1}, {"tty", 5, 0}, {"null", 1, 3}, {"zero", 1, 5}};
constexpr uint64_t kRootIno = 0x10000;  // apart from the boot archive's numbers

int device_of(const char* path) {
  for (int i = 0; i < kDeviceCount; ++i)
    if (strcmp(path, kDevices[i].name) == 0) return i;
  return -1;
}

bool is_terminal(int dev) { return dev == kConsole || dev == kTty; }

// Linux's default console settings (ICRNL IXON, OPOST ONLCR, B38400 CS8
// CREAD HUPCL, ISIG ICANON ECHO ECHOE ECHOK ECHOCTL ECHOKE IEXTEN).
Termios default_termios() {
  Termios t{};
  t.c_iflag = 0x500;
  t.c_oflag = 0x5;
  t.c_cflag = 0xbf;
  t.c_lflag = 0x8a3b;
  const uint8_t cc[] = {3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22, 0};
  memcpy(t.c_cc, cc, sizeof cc);
  return t;
}

constexpr uint32_t kOPOST = 1, kONLCR = 4;

}  // namespace

DevFs::DevFs(mach_port_t console) : console_(console), termios_(default_termios()) {}

int DevFs::stat(const char* path, bool, NodeInfo* out) {
  if (!*path) {
    *out = NodeInfo{};
    out->mode = kS_IFDIR | 0755;
    out->ino = kRootIno;
    out->nlink = 2;
    return 0;
  }
  int dev = device_of(path);
  if (dev < 0) return kENOENT;
  *out = NodeInfo{};
  out->mode = kS_IFCHR | 0666;
  out->ino = kRootIno + 1 + uint64_t(dev);
  out->rdev = (kDevices[dev].major << 8) | kDevices[dev].minor;
  return 0;
}

int DevFs::readlink(const char* path, char*, size_t, size_t*) {
  NodeInfo n;
  int err = stat(path, false, &n);
  return err ? err : kEINVAL;
}

int DevFs::read(const char* path, const NodeInfo&, uint64_t, char* buf, uint32_t count, uint32_t* got) {
  *got = 0;
  int dev = device_of(path);
  if (dev == kNull || count == 0) return 0;
  if (dev == kZero) {
    memset(buf, 0, count);
    *got = count;
    return 0;
  }
  if (!is_terminal(dev)) return kEISDIR;
  // Blocks the server until a byte arrives: one process at a time reads the
  // console in part 1 (the tty of part 2 answers reads asynchronously).
  char data[CHARDEV_INLINE_MAX];
  mach_msg_type_number_t n = count < sizeof data ? count : uint32_t(sizeof data);
  kern_return_t kr = char_read(console_, 0, data, &n);
  if (kr != KERN_SUCCESS) return kEIO;
  if (termios_.c_iflag & 0x100)  // ICRNL: the Enter key's \r reads as \n
    for (uint32_t i = 0; i < n; ++i)
      if (data[i] == '\r') data[i] = '\n';
  memcpy(buf, data, n);
  *got = n;
  return 0;
}

int DevFs::console_write(const char* buf, uint32_t count) {
  // ONLCR: "\n" goes out as "\r\n"; chunks of what one char_write takes.
  bool onlcr = (termios_.c_oflag & (kOPOST | kONLCR)) == (kOPOST | kONLCR);
  char out[CHARDEV_INLINE_MAX];
  uint32_t used = 0;
  for (uint32_t i = 0; i <= count; ++i) {
    bool last = i == count;
    if (!last && (used + 2 > sizeof out)) last = true, --i;
    if (last) {
      uint32_t written = 0;
      if (used && char_write(console_, out, used, &written) != KERN_SUCCESS) return kEIO;
      used = 0;
      if (i == count) break;
      continue;
    }
    if (onlcr && buf[i] == '\n') out[used++] = '\r';
    out[used++] = buf[i];
  }
  return 0;
}

int DevFs::write(const char* path, NodeInfo&, uint64_t, const char* buf, uint32_t count, uint32_t* put) {
  int dev = device_of(path);
  *put = 0;
  if (dev == kNull || dev == kZero) {
    *put = count;
    return 0;
  }
  if (!is_terminal(dev)) return kEISDIR;
  int err = console_write(buf, count);
  if (!err) *put = count;
  return err;
}

int DevFs::readdir(const char* path, uint64_t index, DirSink& sink, uint64_t* next) {
  if (*path) return device_of(path) >= 0 ? kENOTDIR : kENOENT;
  uint64_t i = index;
  for (; i < kDeviceCount; ++i)
    if (!sink.add(kDevices[i].name, kDT_CHR, kRootIno + 1 + i)) break;
  *next = i;
  return 0;
}

bool DevFs::is_tty(const char* path) { return is_terminal(device_of(path)); }

int DevFs::ioctl(const char* path, uint64_t request, const char* in, size_t in_size, char* out, size_t* out_size,
                 int64_t* result) {
  *out_size = 0;
  *result = 0;
  if (!is_terminal(device_of(path))) return kENOTTY;
  // What a setting request must bring (the library sends these sizes).
  size_t need = request == kTCSETS || request == kTCSETSW || request == kTCSETSF ? sizeof termios_
                : request == kTIOCSWINSZ                                          ? sizeof winsize_
                : request == kTIOCSPGRP                                           ? sizeof pgrp_
                                                                                  : 0;
  if (in_size < need) return kEINVAL;
  switch (request) {
    case kTCGETS:
      memcpy(out, &termios_, sizeof termios_);
      *out_size = sizeof termios_;
      return 0;
    case kTCSETS:
    case kTCSETSW:
    case kTCSETSF:
      memcpy(&termios_, in, sizeof termios_);
      return 0;
    case kTIOCGWINSZ:
      memcpy(out, &winsize_, sizeof winsize_);
      *out_size = sizeof winsize_;
      return 0;
    case kTIOCSWINSZ:
      memcpy(&winsize_, in, sizeof winsize_);
      return 0;
    case kTIOCGPGRP:
      memcpy(out, &pgrp_, sizeof pgrp_);
      *out_size = sizeof pgrp_;
      return 0;
    case kTIOCSPGRP:
      memcpy(&pgrp_, in, sizeof pgrp_);
      return 0;
    case 0x541b: {  // FIONREAD: what a read would return at once
      int32_t zero = 0;
      memcpy(out, &zero, sizeof zero);
      *out_size = sizeof zero;
      return 0;
    }
    default: return kENOTTY;  // not a request this terminal knows, as Linux answers
  }
}

}  // namespace ux
