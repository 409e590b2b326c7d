// What runs between _start (crt0.S) and main: heap, global constructors,
// main, then the task ends with main's status.
#include "libmach/env.h"
#include "libmach/malloc.h"
#include "libmach/traps.h"

extern "C" int main(int argc, char** argv, char** envp);

using InitFn = void (*)();
extern "C" InitFn __preinit_array_start[], __preinit_array_end[];  // from user.ld
extern "C" InitFn __init_array_start[], __init_array_end[];

extern "C" [[noreturn]] void libmach_start(int argc, char** argv, char** envp) {
  libmach::malloc_init();
  libmach::env_init(envp);
  for (InitFn* f = __preinit_array_start; f != __preinit_array_end; ++f) (*f)();
  for (InitFn* f = __init_array_start; f != __init_array_end; ++f) (*f)();
  // No static destructors: the task's end releases everything (atexit, in
  // cxx.cpp, drops them).
  task_terminate_self(main(argc, argv, envp));
}
