#include "libmach/env.h"

namespace libmach {
namespace {
char** g_envp = nullptr;
}

void env_init(char** envp) { g_envp = envp; }

const char* getenv(const char* name) {
  if (!g_envp || !name) return nullptr;
  for (char** e = g_envp; *e; ++e) {
    const char* a = *e;
    const char* b = name;
    while (*b && *a == *b) ++a, ++b;
    if (!*b && *a == '=') return a + 1;
  }
  return nullptr;
}

mach_port_t io_master_port() {
  const char* v = getenv("IO_MASTER_PORT");
  if (!v || !*v) return MACH_PORT_NULL;
  uint64_t n = 0;
  for (; *v; ++v) {
    if (*v < '0' || *v > '9' || n > 0xFFFFFFFFull) return MACH_PORT_NULL;
    n = n * 10 + uint64_t(*v - '0');
  }
  return n > 0xFFFFFFFFull ? MACH_PORT_NULL : mach_port_t(n);
}

}  // namespace libmach
