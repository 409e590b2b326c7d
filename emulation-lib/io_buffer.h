// The library's buffers for data on its way between the program and the
// Unix server: one of each, static (no heap, and a 16 KiB array on the
// library's 64 KiB stack next to a MIG message of the same size would be
// too much). One thread per process for now, so no locking; threads will
// need them per thread.
#pragma once

#include "unix_types.h"

namespace emul {

extern char g_io_buffer[UNIX_DATA_MAX];   // read/write/getdents data
extern char g_path_buffer[UNIX_PATH_MAX];  // a path from the program
extern char g_path_result[UNIX_PATH_MAX];  // a path from the server (readlink, getcwd)

// strnlen (the library links no libc).
inline unsigned long bounded_length(const char* s, unsigned long max) {
  unsigned long n = 0;
  while (n < max && s[n] != '\0') ++n;
  return n;
}

}  // namespace emul
