// The console terminal's line discipline (docs/unix.md, "The terminal"):
// termios settings, the window size, the foreground process group, and
// input processing as Linux's n_tty does the common part of it: canonical
// mode (a line at a time, with erase, kill, end-of-file), echo, ISIG's
// ^C/^\/^Z as signals to the foreground group, CR to NL. Output goes
// through post-processing (ONLCR). Bytes come from the console driver
// asynchronously; readers wait (waiters.h) until input is ready.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "linux_abi.h"

namespace ux {

class Tty {
 public:
  // Output of raw bytes to the line (the console driver).
  using Emit = int (*)(const char* buf, uint32_t count);
  explicit Tty(Emit emit);

  // Bytes typed (what the driver read).
  void input(const char* data, uint32_t count);
  // A read: EAGAIN when nothing is ready yet; 0 bytes at end of file (^D).
  int read(char* buf, uint32_t count, uint32_t* got);
  bool readable() const;
  // A write, post-processed.
  int write(const char* buf, uint32_t count);
  // TCGETS, TCSETS*, TIOCGWINSZ, TIOCSWINSZ, TIOCGPGRP, TIOCSPGRP, FIONREAD;
  // ENOTTY for anything else.
  int ioctl(uint64_t request, const char* in, size_t in_size, char* out, size_t* out_size);

  int32_t foreground() const { return pgrp_; }
  void set_foreground(int32_t pgrp) { pgrp_ = pgrp; }

 private:
  bool lflag(uint32_t bit) const { return (termios_.c_lflag & bit) != 0; }
  void echo(char c);
  void push_ready(const char* data, uint32_t count);
  void commit_line(bool with_newline, char last);

  Emit emit_;
  linux_abi::Termios termios_;
  linux_abi::Winsize winsize_{24, 80, 0, 0};
  int32_t pgrp_ = 0;
  // The line being edited (canonical mode), then input ready for readers.
  char line_[4096];
  uint32_t line_len_ = 0;
  char ready_[8192];
  uint32_t ready_len_ = 0;
  uint32_t lines_ = 0;     // complete lines (or ^D-ended pieces) in ready_
  uint32_t eofs_ = 0;      // ^D on an empty line: that many reads return 0
};

}  // namespace ux
