// The devices, mounted at /dev: the console (also /dev/tty), null and
// zero. The console is the serial console driver's chardev.defs port with
// a terminal's settings on top (termios kept here; output post-processing
// ONLCR so "\n" reaches the serial line as "\r\n"). The canonical-mode line
// discipline, echo and signal characters come with the tty of part 2.
#pragma once

#include "file_system.h"
#include "linux_abi.h"

namespace ux {

class DevFs final : public FileSystem {
 public:
  explicit DevFs(mach_port_t console);
  int stat(const char* path, bool follow, NodeInfo* out) override;
  int readlink(const char* path, char* buf, size_t cap, size_t* len) override;
  int read(const char* path, const NodeInfo& node, uint64_t offset, char* buf, uint32_t count,
           uint32_t* got) override;
  int write(const char* path, NodeInfo& node, uint64_t offset, const char* buf, uint32_t count,
            uint32_t* put) override;
  int readdir(const char* path, uint64_t index, DirSink& sink, uint64_t* next) override;
  int ioctl(const char* path, uint64_t request, const char* in, size_t in_size, char* out, size_t* out_size,
            int64_t* result) override;
  bool is_tty(const char* path) override;
  bool writable() const override { return true; }

  // Output straight to the console (the server's own messages).
  int console_write(const char* buf, uint32_t count);
  void set_foreground(int32_t pgrp) { pgrp_ = pgrp; }

 private:
  mach_port_t console_;
  linux_abi::Termios termios_;
  linux_abi::Winsize winsize_{24, 80, 0, 0};
  int32_t pgrp_ = 0;
};

}  // namespace ux
