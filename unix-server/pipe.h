// A pipe: a ring of bytes between the open files of its two ends. Reading
// an empty pipe waits while a writer exists (EOF after the last writer
// closes); writing waits for room while a reader exists (EPIPE and SIGPIPE
// after the last reader closes). Writes of at most kAtomic bytes are never
// split, as POSIX's PIPE_BUF asks.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace ux {

class Pipe {
 public:
  static constexpr uint32_t kSize = 65536;   // Linux's default capacity
  static constexpr uint32_t kAtomic = 4096;  // PIPE_BUF

  // A pipe with one reader and one writer; null when memory is out.
  static Pipe* create();

  // Up to count bytes; EAGAIN when empty with writers left, 0 bytes at EOF.
  int read(char* buf, uint32_t count, uint32_t* got);
  // Up to count bytes (all or nothing up to kAtomic); EAGAIN when full,
  // EPIPE when no reader is left.
  int write(const char* buf, uint32_t count, uint32_t* put);

  bool readable() const { return used_ > 0 || writers_ == 0; }
  bool writable() const { return readers_ == 0 || kSize - used_ >= 1; }
  bool hung_up() const { return writers_ == 0; }
  bool broken() const { return readers_ == 0; }
  uint32_t used() const { return used_; }

  void add_end(bool writer) { ++(writer ? writers_ : readers_); }
  // Drops one end; the pipe is freed with its last.
  void drop_end(bool writer);

 private:
  char* ring_ = nullptr;
  uint32_t head_ = 0, used_ = 0;
  uint32_t readers_ = 1, writers_ = 1;
};

}  // namespace ux
