// Per-process state of the library that more than one file needs. All of
// it is plain static data: fork copies it with the process, exec starts a
// fresh copy of the library.
#pragma once

#include <stdint.h>

namespace emul {

void init_memory_state();               // the break, from the info page (sys_memory.cpp)
void set_process_name(const char* name);  // prctl's name, truncated to 15 (sys_process.cpp)
uint32_t current_umask();               // applied to creation modes (sys_process.cpp)

}  // namespace emul
