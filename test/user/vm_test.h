// What the VM test program's sources share (vm.cpp: roles and main;
// vm_calls.cpp: the vm.defs battery; vm_bench.cpp: the out-of-line
// benchmarks): allocation and statistics by message, and starting a child
// made by task_create(inherit) + thread_create_running, fork as Mach does it.
#pragma once

#include <mach/mach_types.h>
#include <mach/thread_status.h>
#include <task_rpc.h>
#include <vm_rpc.h>

#include "ipc_util.h"

constexpr vm_size_t kPage = 4096;

// Zero-filled memory anywhere in this task (vm_allocate by message).
inline vm_address_t vm_alloc(vm_size_t size) {
  vm_address_t addr = 0;
  CHECK_KR(rpc_vm_allocate(mach_task_self(), &addr, size, VM_FLAGS_ANYWHERE), KERN_SUCCESS);
  CHECK(addr != 0 && addr % kPage == 0);
  return addr;
}

inline vm_statistics_data_t vm_stats() {
  vm_statistics_data_t s{};
  CHECK_KR(rpc_vm_statistics(mach_task_self(), &s), KERN_SUCCESS);
  return s;
}

// A child task with this task's memory inherited (task_create with
// inherit_memory), running entry(arg) on the top of `stack` (memory of this
// image: the child has its own copy, or shares it if that region is
// VM_INHERIT_SHARE). entry must never return: it starts with
// libmach::reset_after_fork() and ends with task_terminate_self.
// *thread (if not null) gets a send right to the child's thread port.
inline mach_port_t start_child(void (*entry)(uint64_t), uint64_t arg, void* stack, size_t stack_size,
                               mach_port_t* thread = nullptr) {
  mach_port_t child = MACH_PORT_NULL;
  CHECK_KR(rpc_task_create(mach_task_self(), TRUE, &child), KERN_SUCCESS);
  x86_thread_state64_t state{};
  state.rip = reinterpret_cast<uint64_t>(entry);
  // As after a call: rsp + 8 aligned to 16.
  state.rsp = ((reinterpret_cast<uint64_t>(stack) + stack_size) & ~uint64_t(15)) - 8;
  state.rdi = arg;
  mach_port_t t = MACH_PORT_NULL;
  CHECK_KR(rpc_thread_create_running(child, x86_THREAD_STATE64, reinterpret_cast<thread_state_t>(&state),
                                     x86_THREAD_STATE64_COUNT, &t),
           KERN_SUCCESS);
  if (thread)
    *thread = t;
  else
    CHECK_KR(mach_port_deallocate(mach_task_self(), t), KERN_SUCCESS);
  return child;
}

// Wait (yielding) until `name` is a dead name: the task behind it ended.
// False after `tries` yields.
inline bool wait_dead_name(mach_port_t name, long tries = 1000000) {
  for (long i = 0; i < tries; ++i) {
    mach_port_type_t type = 0;
    CHECK_KR(mach_port_type(mach_task_self(), name, &type), KERN_SUCCESS);
    if (type & MACH_PORT_TYPE_DEAD_NAME) return true;
    thread_switch();
  }
  return false;
}

int role_calls();
int role_bench_ool_sink(long batches);
int role_bench_ool(long iterations, bool sweep);
int role_bench_rpc_threads(long iterations);
