#include "dev_fs.h"

#include <chardev.h>

#include "libmach/mach_ipc.h"
#include "libmach/print.h"
#include "libmach/string.h"
#include "linux_abi.h"

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

DevFs* g_dev = nullptr;  // for emit: the one console

// chardev.defs' char_read request and reply (request id 5502), built and
// taken apart here because the request does not wait for its answer.
constexpr mach_msg_id_t kCharRead = 5502;
struct CharReadRequest {
  mach_msg_header_t h;
  uint32_t flags;
  uint32_t capacity;
};
constexpr size_t kReplyData = 32;  // header, RetCode, count, then the bytes

}  // namespace

DevFs::DevFs(mach_port_t console) : console_(console), tty_(&DevFs::emit) { g_dev = this; }

void DevFs::reconnect(mach_port_t console) {
  console_ = console;
  if (MACH_PORT_VALID(console_) && MACH_PORT_VALID(input_port_)) request_input();
}

int DevFs::emit(const char* buf, uint32_t count) {
  if (!MACH_PORT_VALID(g_dev->console_)) return kEIO;  // the driver is being started again
  for (uint32_t done = 0; done < count;) {
    uint32_t n = count - done < CHARDEV_INLINE_MAX ? count - done : CHARDEV_INLINE_MAX;
    uint32_t written = 0;
    if (char_write(g_dev->console_, const_cast<char*>(buf + done), n, &written) != KERN_SUCCESS) return kEIO;
    done += n;
  }
  return 0;
}

void DevFs::start_input(mach_port_t input_port) {
  input_port_ = input_port;
  request_input();
}

void DevFs::request_input() {
  CharReadRequest r{};
  r.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
  r.h.msgh_size = sizeof r;
  r.h.msgh_remote_port = console_;
  r.h.msgh_local_port = input_port_;
  r.h.msgh_id = kCharRead;
  r.flags = 0;
  r.capacity = CHARDEV_INLINE_MAX;
  mach_msg_return_t mr = mach_msg(&r.h, MACH_SEND_MSG | MACH_SEND_TIMEOUT, sizeof r, 0, MACH_PORT_NULL, 1000);
  if (mr != MACH_MSG_SUCCESS) printf("unix: console read request failed: %#x; no more input\n", mr);
}

void DevFs::input_reply(const mach_msg_header_t* msg) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(msg);
  int32_t code = 0;
  uint32_t count = 0;
  if (msg->msgh_id != kCharRead + 100 || msg->msgh_size < 28) return;
  memcpy(&code, bytes + 24, 4);
  if (code != KERN_SUCCESS) {
    printf("unix: console read failed: %d; no more input\n", code);
    return;
  }
  if (msg->msgh_size >= kReplyData) memcpy(&count, bytes + 28, 4);
  if (count > msg->msgh_size - kReplyData) count = msg->msgh_size - kReplyData;
  tty_.input(reinterpret_cast<const char*>(bytes + kReplyData), count);
  request_input();
}

int DevFs::stat(const char* path, bool, NodeInfo* out) {
  *out = NodeInfo{};
  if (!*path) {
    out->mode = kS_IFDIR | 0755;
    out->ino = kRootIno;
    out->nlink = 2;
    return 0;
  }
  int dev = device_of(path);
  if (dev < 0) return kENOENT;
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
  return tty_.read(buf, count, got);
}

bool DevFs::readable(const char* path) {
  int dev = device_of(path);
  return !is_terminal(dev) || tty_.readable();
}

int DevFs::write(const char* path, NodeInfo&, uint64_t, const char* buf, uint32_t count, uint32_t* put) {
  int dev = device_of(path);
  *put = 0;
  if (dev == kNull || dev == kZero) {
    *put = count;
    return 0;
  }
  if (!is_terminal(dev)) return kEISDIR;
  int err = tty_.write(buf, count);
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
  return tty_.ioctl(request, in, in_size, out, out_size);
}

}  // namespace ux
