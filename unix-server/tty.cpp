#include "tty.h"

#include "libmach/string.h"
#include "signals.h"
#include "waiters.h"

namespace ux {

using namespace linux_abi;

namespace {

// c_cc indexes and flag bits (asm-generic/termbits.h).
enum : int { VINTR = 0, VQUIT = 1, VERASE = 2, VKILL = 3, VEOF = 4, VMIN = 6, VSUSP = 10, VWERASE = 14 };
constexpr uint32_t ISIG = 01, ICANON = 02, ECHO = 010, ECHOE = 020, ECHOK = 040, ECHONL = 0100, NOFLSH = 0200,
                   ECHOCTL = 01000;
constexpr uint32_t INLCR = 0100, IGNCR = 0200, ICRNL = 0400;
constexpr uint32_t OPOST = 01, ONLCR = 04;

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

}  // namespace

Tty::Tty(Emit emit) : emit_(emit), termios_(default_termios()) {}

int Tty::write(const char* buf, uint32_t count) {
  bool onlcr = (termios_.c_oflag & (OPOST | ONLCR)) == (OPOST | ONLCR);
  if (!onlcr) return emit_(buf, count);
  char out[1024];
  uint32_t used = 0;
  for (uint32_t i = 0; i < count; ++i) {
    if (used + 2 > sizeof out) {
      if (int err = emit_(out, used)) return err;
      used = 0;
    }
    if (buf[i] == '\n') out[used++] = '\r';
    out[used++] = buf[i];
  }
  return used ? emit_(out, used) : 0;
}

void Tty::echo(char c) {
  if (!lflag(ECHO) && !(c == '\n' && lflag(ECHONL) && lflag(ICANON))) return;
  uint8_t u = uint8_t(c);
  if (lflag(ECHOCTL) && (u < 32 || u == 127) && c != '\n' && c != '\t') {
    char caret[2] = {'^', char(u == 127 ? '?' : u + 64)};
    (void)write(caret, 2);
    return;
  }
  (void)write(&c, 1);
}

void Tty::push_ready(const char* data, uint32_t count) {
  uint32_t room = sizeof ready_ - ready_len_;
  if (count > room) count = room;  // beyond the buffer, typed bytes are lost, as on Linux
  memcpy(ready_ + ready_len_, data, count);
  ready_len_ += count;
}

void Tty::commit_line(bool with_newline, char last) {
  if (with_newline) line_[line_len_++] = last;
  push_ready(line_, line_len_);
  line_len_ = 0;
  ++lines_;
}

void Tty::input(const char* data, uint32_t count) {
  const uint8_t* cc = termios_.c_cc;
  for (uint32_t i = 0; i < count; ++i) {
    char c = data[i];
    if (c == '\r' && (termios_.c_iflag & IGNCR)) continue;
    if (c == '\r' && (termios_.c_iflag & ICRNL)) c = '\n';
    else if (c == '\n' && (termios_.c_iflag & INLCR)) c = '\r';
    uint8_t u = uint8_t(c);
    if (lflag(ISIG) && u && (u == cc[VINTR] || u == cc[VQUIT] || u == cc[VSUSP])) {
      int sig = u == cc[VINTR] ? kSIGINT : u == cc[VQUIT] ? kSIGQUIT : kSIGTSTP;
      if (!lflag(NOFLSH)) line_len_ = ready_len_ = lines_ = eofs_ = 0;
      echo(c);
      if (lflag(ECHO)) (void)write("\n", 1);
      if (pgrp_) (void)signal_group(pgrp_, sig);
      continue;
    }
    if (!lflag(ICANON)) {
      push_ready(&c, 1);
      echo(c);
      continue;
    }
    if (u && (u == cc[VERASE] || u == 8)) {  // DEL or ^H, whichever the terminal sends
      if (line_len_) {
        --line_len_;
        if (lflag(ECHO) && lflag(ECHOE)) (void)write("\b \b", 3);
      }
      continue;
    }
    if (u && u == cc[VWERASE]) {
      bool word = false;
      while (line_len_ && (line_[line_len_ - 1] != ' ' || !word)) {
        word = word || line_[line_len_ - 1] != ' ';
        --line_len_;
        if (lflag(ECHO) && lflag(ECHOE)) (void)write("\b \b", 3);
      }
      continue;
    }
    if (u && u == cc[VKILL]) {
      while (line_len_) {
        --line_len_;
        if (lflag(ECHO) && lflag(ECHOK)) (void)write("\b \b", 3);
      }
      continue;
    }
    if (u && u == cc[VEOF]) {
      if (line_len_ == 0) ++eofs_;
      else commit_line(false, 0);
      continue;
    }
    echo(c);
    if (c == '\n') {
      commit_line(true, c);
      continue;
    }
    if (line_len_ < sizeof line_ - 1) line_[line_len_++] = c;
  }
  if (readable()) waiters_run_later();
}

bool Tty::readable() const {
  if (!lflag(ICANON)) return ready_len_ > 0 || termios_.c_cc[VMIN] == 0;
  return lines_ > 0 || eofs_ > 0;
}

int Tty::read(char* buf, uint32_t count, uint32_t* got) {
  *got = 0;
  if (count == 0) return 0;
  if (!lflag(ICANON)) {
    if (ready_len_ == 0) return termios_.c_cc[VMIN] == 0 ? 0 : kEAGAIN;
  } else if (lines_ == 0) {
    if (eofs_ == 0) return kEAGAIN;
    --eofs_;
    return 0;  // ^D on an empty line: end of file
  }
  uint32_t n = 0;
  // Canonical mode: at most one line.
  while (n < count && n < ready_len_) {
    char c = ready_[n++];
    if (lflag(ICANON) && c == '\n') break;
  }
  if (lflag(ICANON) && (n == ready_len_ || ready_[n - 1] == '\n') && lines_) --lines_;
  memcpy(buf, ready_, n);
  memmove(ready_, ready_ + n, ready_len_ - n);
  ready_len_ -= n;
  *got = n;
  return 0;
}

int Tty::ioctl(uint64_t request, const char* in, size_t in_size, char* out, size_t* out_size) {
  *out_size = 0;
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
    case kTCSETSF:
      line_len_ = ready_len_ = lines_ = eofs_ = 0;  // flush input, then set
      [[fallthrough]];
    case kTCSETS:
    case kTCSETSW: {
      bool was_canonical = lflag(ICANON);
      memcpy(&termios_, in, sizeof termios_);
      // Leaving canonical mode makes the half-typed line readable.
      if (was_canonical && !lflag(ICANON) && line_len_) commit_line(false, 0);
      if (!was_canonical && lflag(ICANON)) lines_ = ready_len_ ? 1 : 0;
      waiters_run_later();
      return 0;
    }
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
    case 0x541b: {  // FIONREAD
      int32_t n = int32_t(ready_len_);
      memcpy(out, &n, sizeof n);
      *out_size = sizeof n;
      return 0;
    }
    default: return kENOTTY;
  }
}

}  // namespace ux
