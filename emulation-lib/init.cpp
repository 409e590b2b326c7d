// The start of every Unix process (entry.S's emulation_start calls
// emulation_init on the library's stack): take the facts the Unix server
// left in the info page, send the program's system calls here, and tell
// entry.S where the program starts.
#include <libmach/traps.h>

#include "emulation.h"
#include "process_state.h"
#include "user_memory.h"

// Hidden: a function address taken in position-independent code is
// otherwise loaded from the GOT, which a static link this high cannot
// turn into an immediate.
extern "C" __attribute__((visibility("hidden"))) void emulation_entry();

// Read by entry.S after emulation_init returns.
extern "C" {
constinit uint64_t emulation_program_entry = 0;
constinit uint64_t emulation_program_stack = 0;
void emulation_init();
}

namespace emul {

constinit EmulationInfo g_info{};

namespace {

[[noreturn]] void fail(const char* why) {
  log("%s", why);
  task_terminate_self(127);
}

// The process's name (prctl PR_GET_NAME) starts as Linux's: the last
// component of argv[0], 15 characters at most.
void name_from_argv0(uint64_t stack) {
  uint64_t argc = 0, argv0 = 0;
  if (copy_in(&argc, stack, 8) < 0 || argc == 0 || copy_in(&argv0, stack + 8, 8) < 0) return;
  char path[256];
  if (copy_in_string(argv0, path, sizeof path) == -linux_abi::kEFAULT) return;
  const char* base = path;
  for (const char* p = path; *p; ++p)
    if (*p == '/' && p[1] != '\0') base = p + 1;
  set_process_name(base);
}

}  // namespace
}  // namespace emul

extern "C" void emulation_init() {
  using namespace emul;
  // The page is the server's, mapped before the thread started: reading it
  // directly is safe (unlike the program's pointers).
  const auto* page = reinterpret_cast<const EmulationInfo*>(EMULATION_INFO);
  if (page->magic != EMULATION_INFO_MAGIC) {
    static const char msg[] = "emulation: no info page at EMULATION_INFO; giving up\n";
    (void)debug_write(msg, sizeof msg - 1);
    task_terminate_self(127);
  }
  g_info = *page;
  if (task_set_emulation(reinterpret_cast<void*>(&emulation_entry)) != KERN_SUCCESS)
    fail("task_set_emulation failed; giving up");
  init_memory_state();
  name_from_argv0(g_info.stack);
  emulation_program_entry = g_info.entry;
  emulation_program_stack = g_info.stack;
}
