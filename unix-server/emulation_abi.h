// What the Unix server and the emulation library agree on (docs/unix.md):
// where the library lives in every Unix process and the page of facts
// the server writes for it at exec.
#pragma once

#include <stdint.h>

// The library is a static ELF linked at this fixed address
// (emulation-lib/emulation.ld); exec maps it copy-on-write from the boot
// archive's /lib/machina/emulation.elf and starts the first thread at its
// entry, which sets the task's emulation entry and jumps to the program.
#define EMULATION_BASE 0x7fe000000000ull
#define EMULATION_INFO 0x7fdffffff000ull   // one page, just below
#define EMULATION_PATH "/lib/machina/emulation.elf"

// Anonymous mmap looks for room from here up; brk grows from the program's
// end, far below.
#define EMULATION_MMAP_BASE 0x100000000000ull

#define EMULATION_INFO_MAGIC 0x4f464e49554e4958ull  // "XINUINFO"

struct EmulationInfo {
  uint64_t magic;
  uint32_t unix_port;      // name of the send right to the process's port
  int32_t pid;
  uint32_t uid, euid, gid, egid;
  uint64_t entry;          // the program's entry point (load bias added)
  uint64_t stack;          // its initial rsp (argc, argv, envp, auxv)
  uint64_t brk;            // the first byte after its highest segment, page rounded
  uint64_t boot_epoch;     // seconds since 1970 when the clock's ticks were 0
  // Signals waiting for delivery (bit n-1: signal n). The server rewrites
  // this word (vm_write) whenever the set changes; the library reads it on
  // the way out of every system call and tells the server what it took.
  // (Read through a volatile pointer: the server changes it under us.)
  uint64_t pending;
};
#define EMULATION_INFO_PENDING_OFFSET 64
static_assert(__builtin_offsetof(EmulationInfo, pending) == EMULATION_INFO_PENDING_OFFSET, "info page layout");
