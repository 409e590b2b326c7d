// The C++ runtime pieces GCC expects: pure-virtual trap, operator new and
// delete over malloc (new never throws: on exhaustion it prints and ends the
// task), and atexit (called for static objects' destructors under
// -fno-use-cxa-atexit; nothing runs them: a task ends without destructors).
#include <stddef.h>

#include "libmach/malloc.h"
#include "libmach/print.h"
#include "libmach/traps.h"

namespace {

[[noreturn]] void out_of_memory(size_t n) {
  printf("libmach: operator new(%zu): out of memory\n", n);
  task_terminate_self(134);
}

void* checked_new(size_t n) {
  void* p = malloc(n);
  if (p == nullptr) out_of_memory(n);
  return p;
}

}  // namespace

extern "C" void __cxa_pure_virtual() {
  printf("libmach: pure virtual function called\n");
  task_terminate_self(134);
}

extern "C" int atexit(void (*)()) { return 0; }

void* operator new(size_t n) { return checked_new(n); }
void* operator new[](size_t n) { return checked_new(n); }
void operator delete(void* p) noexcept { free(p); }
void operator delete[](void* p) noexcept { free(p); }
void operator delete(void* p, size_t) noexcept { free(p); }
void operator delete[](void* p, size_t) noexcept { free(p); }
