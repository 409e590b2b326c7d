// Task: an address space plus the threads that run in it (and, with IPC, a
// port name space). Reference counted: each thread holds one reference, so
// the task and its address space go away with its last thread.
#pragma once

#include <machine/thread_state.h>
#include <mach/kern_return.h>
#include <stddef.h>
#include <stdint.h>

#include <boost/intrusive/list.hpp>

#include "kern/thread.h"
#include "ipc/ipc_space.h"

namespace mk {
class VmMap;
}

namespace mk {

class Task {
 public:
  // The default pager runs on the reserve below page-out's low-water mark
  // (vm_pageout_daemon.cpp): it must keep working to make memory free.
  bool vm_privileged = false;
  using ThreadList = boost::intrusive::list<
      Thread, boost::intrusive::member_hook<Thread, boost::intrusive::list_member_hook<>, &Thread::task_link>>;

  boost::intrusive::list_member_hook<> all_link;  // the kernel's task list

  uint64_t id = 0;
  char name[32] = {};
  uint32_t refs = 1;              // guarded by the scheduler lock
  ThreadList threads;
  size_t live_threads = 0;
  uint64_t emulation_entry = 0;   // 0: foreign system calls are fatal
  bool terminated = false;
  uint32_t suspend_count = 0;     // task_suspend minus task_resume; guarded by the scheduler lock
  int exit_status = 0;
  VmMap* map = nullptr;           // the address space (vm/vm_map.h)
  // I/O ports granted (io_port_grant): arch::kIoBitmapBytes, a set bit
  // refuses the port; null: none (the common, cheap case). Written under
  // the scheduler lock, freed with the task.
  uint8_t* io_bitmap = nullptr;

  // IPC (guarded by the IPC lock).
  IpcSpace* itk_space = nullptr;      // the task's port names
  IpcPort* itk_self = nullptr;        // the task's kernel port (receive right in the kernel space)
  IpcPort* itk_bootstrap = nullptr;   // send right, or null
  IpcPort* itk_exception = nullptr;   // send right, or null
};

// The task and thread zones and the task list; once, at start-up.
void task_init();

// Task and thread creation make kernel ports, so the caller holds the IPC
// lock (kernel-served task.defs routines run under it already).
//
// Create an empty task with its own address space (kernel half shared).
// KERN_RESOURCE_SHORTAGE when memory runs out.
kern_return_t task_create(const char* name, Task** out);
// A child of `parent` (task_create): with inherit_memory its address space
// is inherited region by region (vm_map_fork: share, copy-on-write copy or
// nothing), else empty; it gets the parent's bootstrap and exception ports.
kern_return_t task_create_child(Task* parent, bool inherit_memory, Task** out);
// Create a thread in `task` that enters user mode at `entry` with stack
// pointer `user_sp` and `arg` in rdi; it is runnable at once.
kern_return_t thread_create_user(Task* task, uint64_t entry, uint64_t user_sp, Thread** out, uint64_t arg = 0);
// Create a kernel thread running fn(arg); it is runnable at once.
kern_return_t thread_create_kernel(const char* name, void (*fn)(void*), void* arg, int priority, Thread** out);

// End a task: every thread stops; the address space is freed with the last
// one. `why` is logged ("exited with status 0", "terminated: #PF ..."). Safe
// to call from the task's own thread, which then never returns.
void task_terminate(Task* task, int status, const char* why);

Task* current_task();

// Keep a task (its memory, not its threads) alive across a window where no
// lock is held; task_deallocate drops the reference (the last frees it).
void task_reference(Task* task);
void task_deallocate(Task* task);

size_t live_user_tasks();

}  // namespace mk
