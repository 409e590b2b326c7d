// Return codes of the Unix server's routines (see unix_call.h).
#include "unix_call.h"

namespace emul {

long unix_result(kern_return_t kr, const char* what) {
  if (kr == KERN_SUCCESS) return 0;
  if (kr > 0 && kr < 4096) return -long(kr);
  log("%s: the Unix server failed (0x%x) -> EIO", what, unsigned(kr));
  return -linux_abi::kEIO;
}

}  // namespace emul
