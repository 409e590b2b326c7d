// Thread: the unit the scheduler runs. Owned by its task (which keeps a list
// of them); the scheduler links it into one run queue or the sleep list at a
// time. Allocated from a zone; freed by the reaper once it is dead and off
// its kernel stack.
#pragma once

#include <machine/thread_state.h>
#include <stdint.h>

#include <boost/intrusive/list.hpp>

#include "ipc/ipc_port.h"

namespace mk {

class Task;

// kSuspended: it could run, but its task is suspended (task_suspend): on no
// queue until task_resume (kern/task_suspend.h).
enum class ThreadState : uint8_t { kEmbryo, kRunnable, kRunning, kBlocked, kSuspended, kDead };
// Why a blocked thread woke up.
enum class WaitResult : uint8_t { kAwakened, kTimedOut };

class Thread {
 public:
  boost::intrusive::list_member_hook<> run_link;   // run queue, sleep list or reap list
  boost::intrusive::list_member_hook<> task_link;  // Task::threads_

  uint64_t id = 0;
  Task* task = nullptr;      // nullptr for kernel threads
  ThreadState state = ThreadState::kEmbryo;
  int priority = 16;
  int quantum = 0;           // ticks left in the time slice
  uint64_t wake_tick = 0;    // when sleeping with a deadline
  bool sleeping = false;     // on the sleep list
  bool terminate_requested = false;
  WaitResult wait_result = WaitResult::kAwakened;
  char name[24] = {};
  arch::ThreadState arch;

  // IPC (guarded by the IPC lock).
  IpcWaiter ipc_wait;                  // while blocked in mach_msg
  uint64_t ipc_rcv_buffer = 0;         // its receive buffer (user address) meanwhile
  bool ipc_fast_delivered = false;     // a sender wrote the message into that buffer
  Task* ipc_terminate = nullptr;       // task_terminate by message: done once the send has dropped the IPC lock
  IpcKmsg* ipc_send_pending = nullptr;  // a send's message (not copied in) while it waits for room in a queue
  IpcPort* ith_self = nullptr;         // the thread's kernel port (receive right in the kernel space)
  IpcPort* ith_exception = nullptr;    // send right, or null: use the task's
  mach_port_name_t ith_exc_reply = MACH_PORT_NULL;  // exception reply port, a name in the kernel space
  // While in exception_raise: the names it made in the kernel space for the
  // request (exception, thread and task port), released by
  // ipc_task_terminate when the thread is ended as it waits for the answer.
  mach_port_name_t ith_exc_names[3] = {};

  // VM (guarded by the VM lock): the page a fault waits for from a pager
  // (vm_pager_wait), with a reference on its object; linked while asleep.
  boost::intrusive::list_member_hook<> vm_wait_link;
  class VmObject* vm_wait_object = nullptr;
  uint64_t vm_wait_offset = 0;
};

}  // namespace mk
