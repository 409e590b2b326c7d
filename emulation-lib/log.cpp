// Console lines of the library (debug_write: no heap, no printf, no FS).
#include <stdarg.h>

#include <lib/format.h>
#include <libmach/traps.h>

#include "emulation.h"

namespace emul {

void log(const char* fmt, ...) {
  char line[256];
  size_t n = mk::snformat(line, sizeof line, "emulation: pid %d: ", g_info.pid);
  va_list ap;
  va_start(ap, fmt);
  n += mk::format(line + n, sizeof line - n, fmt, ap);
  va_end(ap);
  if (n > sizeof line - 2) n = sizeof line - 2;
  line[n++] = '\n';
  (void)debug_write(line, n);
}

}  // namespace emul
