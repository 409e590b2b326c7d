// The program's memory, seen from the library: every access to a pointer
// the program passed goes through the kernel's user_copy trap, so a bad
// pointer gives the program EFAULT instead of killing the process with a
// fault inside the library.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace emul {

// 0, or -EFAULT when a byte of the program's range is not readable
// (copy_in) or writable (copy_out). n == 0 always succeeds.
long copy_in(void* dst, uint64_t user_src, size_t n);
long copy_out(uint64_t user_dst, const void* src, size_t n);

// 0 when [user, user + n) is readable and writable, else -EFAULT: checked
// before an RPC whose result must land there (the range is copied onto
// itself, which also breaks copy-on-write sharing early).
long check_writable(uint64_t user, size_t n);

// Reads a NUL-terminated string of at most size - 1 characters into buf,
// a page at a time (a string that ends just before an unmapped page is
// fine). Its length, -EFAULT, or -ENAMETOOLONG when no NUL is found in
// the first `size` bytes.
long copy_in_string(uint64_t user, char* buf, size_t size);

}  // namespace emul
