// The devices, mounted at /dev: the console (also /dev/tty), null and
// zero. The console is the serial console driver's chardev.defs port under
// the terminal's line discipline (tty.h). Its input is read
// asynchronously: one char_read is always outstanding, answered to the
// server's console-input port (main.cpp hands the answers to input_reply).
#pragma once

#include <mach/message.h>

#include "file_system.h"
#include "tty.h"

namespace ux {

class DevFs final : public FileSystem {
 public:
  explicit DevFs(mach_port_t console);
  int stat(const char* path, bool follow, NodeInfo* out) override;
  int readlink(const char* path, char* buf, size_t cap, size_t* len) override;
  // The terminal: EAGAIN when no input is ready (the caller waits).
  int read(const char* path, const NodeInfo& node, uint64_t offset, char* buf, uint32_t count,
           uint32_t* got) override;
  int write(const char* path, NodeInfo& node, uint64_t offset, const char* buf, uint32_t count,
            uint32_t* put) override;
  int readdir(const char* path, uint64_t index, DirSink& sink, uint64_t* next) override;
  int ioctl(const char* path, uint64_t request, const char* in, size_t in_size, char* out, size_t* out_size,
            int64_t* result) override;
  bool is_tty(const char* path) override;
  bool writable() const override { return true; }

  // poll: whether a read of path would not wait.
  bool readable(const char* path);
  // Starts reading the console; its answers come to input_port.
  void start_input(mach_port_t input_port);
  // The console driver died (port null) or its new instance registered
  // (supervision, name_service.h): writes meanwhile fail with EIO.
  void reconnect(mach_port_t console);
  // An answer to the outstanding char_read: the bytes go to the terminal,
  // and the next read is asked for.
  void input_reply(const mach_msg_header_t* msg);

  Tty& tty() { return tty_; }
  void set_foreground(int32_t pgrp) { tty_.set_foreground(pgrp); }

 private:
  void request_input();
  static int emit(const char* buf, uint32_t count);

  mach_port_t console_;
  mach_port_t input_port_ = MACH_PORT_NULL;
  Tty tty_;
};

}  // namespace ux
