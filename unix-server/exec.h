// exec: a process's program started from a file (docs/unix.md, "exec").
// The program's PT_LOADs (ET_EXEC, or static-PIE at a load bias) and the
// emulation library are mapped copy-on-write from their files' memory
// objects (demand paged by the file pager), an 8 MiB stack gets the System
// V start block (argc, argv, envp, auxv), the EmulationInfo page tells the
// library what it needs, and one thread starts in the library, which turns
// on redirection and jumps to the program.
#pragma once

#include "process.h"
#include "vfs.h"

namespace ux {

// Finds the emulation library in fs (at start, and again when a restarted
// file pager serves it): 0 or an errno.
int exec_init(FileSystem* root);
// Its pager died: the library's object and the server's view of it are let
// go (touching the view now would fault the server itself); exec answers
// EIO until exec_init finds it again.
void exec_library_lost();

// Starts path in a new task for p: 0 or ENOENT, EACCES (not a regular
// file), ENOEXEC (not a static x86-64 ELF program this system runs), E2BIG
// (arguments beyond the start block's room), ENOMEM; nothing is left
// behind on failure. The new task (a send right) goes to *task_out; the
// caller makes it p's (and ends the old one, for execve). p's port is made
// if p has none, else the new task gets a right to the same one, under the
// same name. p->exe becomes the program's absolute path.
int exec_program(Process* p, const Vfs& vfs, const char* path, const char* const* argv, const char* const* envp,
                 uint64_t boot_epoch, mach_port_t* task_out);

// The info page of a task p runs in (fork's child: the copy it inherited
// names the parent).
int write_info_page(Process* p, mach_port_t task, uint64_t entry, uint64_t stack, uint64_t brk, uint64_t boot_epoch);

}  // namespace ux
