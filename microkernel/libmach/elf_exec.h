// Starting a program from a file's memory object (issue 9; docs/pagers.md,
// "Demand-paged programs"): the user-level exec of a static ELF64
// executable whose file a pager serves (the file pager's fs_lookup). The
// program's pages are mapped, not copied: each PT_LOAD's file pages are a
// private copy-on-write mapping of the object, so a page is asked of the
// pager only when the new task first touches it, and its writes never
// reach the file.
#pragma once

#include <stdint.h>

#include <mach/kern_return.h>
#include <mach/port.h>

#include "lib/elf_image.h"

namespace libmach {

// One PT_LOAD of a program into `task` at seg.vaddr + bias: its file pages
// a private copy-on-write mapping of file_object, the rest of the last file
// page zeroed, whole pages past the file part zero-fill memory, then the
// segment's protection. Errors: what vm_map, vm_allocate, vm_write and
// vm_protect answer.
kern_return_t elf_map_segment(mach_port_t task, mach_port_t file_object, const mk::ElfSegment& seg, uint64_t bias);

// Makes a new task with an empty address space (task_create without
// inherited memory) running the executable in file_object (file_size
// bytes): its PT_LOAD segments mapped from the object (bss zeroed), a
// 64 KiB stack below the top of user space with the System V initial
// stack (argc, argv, NULL, envp, NULL, strings) and one thread at the
// entry point. argv and envp end with a null pointer (envp may be null).
// On success *task_out holds a send right to the task's port (a dead name
// once it ends). Errors (nothing is left behind: a half-made task is
// terminated):
//   KERN_INVALID_ARGUMENT  not a static x86-64 ELF64 executable this
//                          kernel can load (ET_EXEC, PT_LOADs page-congruent,
//                          inside user space), or the arguments do not fit
//                          the stack's top page
//   KERN_NOT_SUPPORTED     valid but unsupported ELF (ET_DYN, PT_INTERP, ...)
//   anything vm_map, vm_allocate, vm_write, vm_protect, task_create or
//   thread_create_running answer.
kern_return_t elf_exec(mach_port_t file_object, uint64_t file_size, const char* const* argv,
                       const char* const* envp, mach_port_t* task_out);

}  // namespace libmach
