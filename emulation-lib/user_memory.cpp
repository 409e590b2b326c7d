// Program memory through the user_copy trap (see user_memory.h).
#include "user_memory.h"

#include <libmach/traps.h>

#include "emulation.h"

namespace emul {

using namespace linux_abi;

long copy_in(void* dst, uint64_t user_src, size_t n) {
  if (n == 0) return 0;
  if (user_src + n < user_src) return -kEFAULT;
  return user_copy(dst, reinterpret_cast<const void*>(user_src), n) == KERN_SUCCESS ? 0 : -kEFAULT;
}

long copy_out(uint64_t user_dst, const void* src, size_t n) {
  if (n == 0) return 0;
  if (user_dst + n < user_dst) return -kEFAULT;
  return user_copy(reinterpret_cast<void*>(user_dst), src, n) == KERN_SUCCESS ? 0 : -kEFAULT;
}

long check_writable(uint64_t user, size_t n) {
  if (n == 0) return 0;
  if (user + n < user) return -kEFAULT;
  auto* p = reinterpret_cast<void*>(user);
  return user_copy(p, p, n) == KERN_SUCCESS ? 0 : -kEFAULT;
}

long copy_in_string(uint64_t user, char* buf, size_t size) {
  size_t done = 0;
  while (done < size) {
    // Never ask for bytes past the current page: the next may be unmapped
    // even though the string ends before it.
    uint64_t at = user + done;
    size_t chunk = kPageSize - (at & (kPageSize - 1));
    if (chunk > size - done) chunk = size - done;
    if (long r = copy_in(buf + done, at, chunk); r < 0) return r;
    for (size_t i = 0; i < chunk; ++i)
      if (buf[done + i] == '\0') return long(done + i);
    done += chunk;
  }
  if (size > 0) buf[size - 1] = '\0';
  return -kENAMETOOLONG;
}

}  // namespace emul
