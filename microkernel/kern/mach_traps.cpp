#include "kern/mach_traps.h"

#include <mach/kern_return.h>
#include <mach/mach_traps.h>

#include "ipc/mach_msg.h"
#include "kern/arch.h"
#include "kern/clock.h"
#include "kern/console.h"
#include "kern/kalloc.h"
#include "kern/sched.h"
#include "kern/task.h"
#include "lib/format.h"

namespace mk {
namespace {

constexpr size_t kDebugWriteMax = 4096;

kern_return_t trap_debug_write(uint64_t buf, uint64_t len) {
  if (len > kDebugWriteMax) return KERN_INVALID_ARGUMENT;
  if (len == 0) return KERN_SUCCESS;
  char* copy = static_cast<char*>(kalloc(len));
  if (!copy) return KERN_RESOURCE_SHORTAGE;
  kern_return_t kr = arch::copyin(copy, buf, len);
  // One kprintf per call: a task's line is never split by another's.
  if (kr == KERN_SUCCESS) kprintf("%.*s", int(len), copy);
  kfree(copy);
  return kr;
}

kern_return_t trap_task_set_emulation(uint64_t entry) {
  if (entry >= arch::user_address_top()) return KERN_INVALID_ADDRESS;
  current_task()->emulation_entry = entry;
  return KERN_SUCCESS;
}

kern_return_t trap_task_info_self(uint64_t out) {
  Task* task = current_task();
  mach_task_basic info{};
  info.task_id = task->id;
  info.thread_count = task->live_threads;
  info.ticks = clock_ticks();
  info.ticks_per_second = arch::timer_hz();
  return arch::copyout(out, &info, sizeof info);
}

kern_return_t trap_clock_sleep(uint64_t ms) {
  uint32_t hz = arch::timer_hz();
  uint64_t ticks = hz ? (ms * hz + 999) / 1000 : 1;
  thread_sleep_ticks(ticks);
  return KERN_SUCCESS;
}

// Through a small bounce buffer: both ranges are the caller's, and copyin
// and copyout check every byte (faulting pages in as needed).
kern_return_t trap_user_copy(uint64_t dst, uint64_t src, uint64_t size) {
  uint8_t bounce[256];
  while (size) {
    size_t n = size < sizeof bounce ? size_t(size) : sizeof bounce;
    kern_return_t kr = arch::copyin(bounce, src, n);
    if (kr == KERN_SUCCESS) kr = arch::copyout(dst, bounce, n);
    if (kr != KERN_SUCCESS) return kr;
    src += n;
    dst += n;
    size -= n;
  }
  return KERN_SUCCESS;
}

}  // namespace

uint64_t mach_trap(uint32_t number, const uint64_t args[6]) {
  switch (number) {
    case MACH_TRAP_debug_write:
      return uint64_t(trap_debug_write(args[0], args[1]));
    case MACH_TRAP_thread_switch:
      thread_yield();
      return KERN_SUCCESS;
    case MACH_TRAP_task_terminate_self: {
      char why[48];
      snformat(why, sizeof why, "exited with status %d", int(args[0]));
      task_terminate(current_task(), int(args[0]), why);
      return KERN_FAILURE;  // not reached
    }
    case MACH_TRAP_task_set_emulation:
      return uint64_t(trap_task_set_emulation(args[0]));
    case MACH_TRAP_clock_sleep:
      return uint64_t(trap_clock_sleep(args[0]));
    case MACH_TRAP_task_info_self:
      return uint64_t(trap_task_info_self(args[0]));
    case MACH_TRAP_user_copy:
      return uint64_t(trap_user_copy(args[0], args[1], args[2]));
    case MACH_TRAP_thread_set_fs_base:
      return uint64_t(arch::thread_set_fs_base(args[0]));
    default: {
      bool handled;
      uint64_t result = ipc_trap(number, args, &handled);
      return handled ? result : uint64_t(KERN_INVALID_ARGUMENT);
    }
  }
}

}  // namespace mk
