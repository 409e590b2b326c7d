// Regression checks for the kernel bugs the fuzzer (fuzz.cpp) found, one
// function each, named after the bug; each prints a PASS line (case
// fuzz-regress in test/qemu/cases.py) or FAILED and ends the task.
//   fuzz_regress.elf [NAME...]   (default: all)
#include <mach/mig_errors.h>
#include <mach/thread_status.h>
#include <task_rpc.h>
#include <vm_rpc.h>

#include "ipc_util.h"

const char* g_role = "fuzz-regress";

namespace {

mach_ipc_statistics ipc_stats() {
  mach_ipc_statistics st{};
  CHECK_KR(mach_ipc_stats(&st), KERN_SUCCESS);
  return st;
}

void settle() {
  (void)clock_sleep(20);
  for (int i = 0; i < 10; ++i) thread_switch();
}

// Bug 1: the kernel answered requests on its own ports to the reply port
// given, even when that was a kernel port; the answer was then served as a
// request. A mig_reply_error_t answering id 3300 (MIG_BAD_ID: no such
// routine) is a 28-byte message of id 3400: task_create(inherit = the
// error code), whose child (a copy of the sender) nobody held and which
// never ended. Found by fuzz.elf --seed 3 --only 17005.
void reply_to_kernel_port() {
  mach_port_t task = mach_task_self();
  mach_port_t thread = mach_thread_self();
  mach_ipc_statistics before = ipc_stats();
  // A request no routine serves, answered with MIG_BAD_ID...
  SimpleMsg m{};
  m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_COPY_SEND);
  m.h.msgh_remote_port = thread;
  m.h.msgh_local_port = task;
  m.h.msgh_id = 3300;
  CHECK_KR(mach_msg(&m.h, MACH_SEND_MSG, sizeof(mach_msg_header_t), 0, MACH_PORT_NULL, 0), MACH_MSG_SUCCESS);
  // ...and one refused before the routines (a port array: MIG_BAD_ARGUMENTS).
  struct {
    mach_msg_header_t h;
    mach_msg_body_t body;
    mach_msg_ool_ports_descriptor_t ports;
  } c{};
  c.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_COPY_SEND) | MACH_MSGH_BITS_COMPLEX;
  c.h.msgh_remote_port = thread;
  c.h.msgh_local_port = task;
  c.h.msgh_id = 3300;
  c.body.msgh_descriptor_count = 1;
  c.ports.type = MACH_MSG_OOL_PORTS_DESCRIPTOR;
  c.ports.disposition = MACH_MSG_TYPE_COPY_SEND;
  CHECK_KR(mach_msg(&c.h, MACH_SEND_MSG, sizeof c, 0, MACH_PORT_NULL, 0), MACH_MSG_SUCCESS);
  settle();
  mach_ipc_statistics after = ipc_stats();
  CHECK_KR(after.spaces, before.spaces);  // no task was made
  CHECK_KR(after.ports, before.ports);
  CHECK_KR(after.kmsgs, before.kmsgs);
  // The task port still serves requests that have a reply port.
  task_basic_info_data_t info{};
  mach_msg_type_number_t count = TASK_BASIC_INFO_COUNT;
  CHECK_KR(rpc_task_info(task, TASK_BASIC_INFO, reinterpret_cast<task_info_t>(&info), &count), KERN_SUCCESS);
  CHECK_KR(mach_port_deallocate(task, thread), KERN_SUCCESS);
  printf("fuzz-regress: PASS: reply-to-kernel-port: no answer goes to a kernel port (no task_create from a "
         "forged reply)\n");
}

// A child with `exc` as exception port and one thread that faults at once;
// its task port in *child.
void faulting_child(mach_port_t exc, mach_port_t* child, mach_port_t* thread) {
  mach_port_t task = mach_task_self();
  CHECK_KR(rpc_task_create(task, FALSE, child), KERN_SUCCESS);
  CHECK_KR(task_set_special_port(*child, TASK_EXCEPTION_PORT, exc), KERN_SUCCESS);
  x86_thread_state64_t st{};
  st.rip = 0x1000;  // nothing mapped there: EXC_BAD_ACCESS at once
  st.rsp = 0x2000;
  CHECK_KR(rpc_thread_create_running(*child, x86_THREAD_STATE64, reinterpret_cast<thread_state_t>(&st),
                                     x86_THREAD_STATE64_COUNT, thread),
           KERN_SUCCESS);
}

// Ending a task whose thread waits in exception_raise for the handler's
// answer: nothing of the exception may stay behind (the kernel's names for
// the exception, thread and task ports), whether the request was received
// or still queued.
void terminate_in_exception() {
  mach_port_t task = mach_task_self();
  for (int received = 0; received < 2; ++received) {
    mach_ipc_statistics before = ipc_stats();
    mach_port_t exc = MACH_PORT_NULL;
    CHECK_KR(mach_port_allocate(task, MACH_PORT_RIGHT_RECEIVE, &exc), KERN_SUCCESS);
    CHECK_KR(mach_port_insert_right(task, exc, exc, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
    mach_port_t child = MACH_PORT_NULL, thread = MACH_PORT_NULL;
    faulting_child(exc, &child, &thread);
    union {
      mach_msg_header_t h;
      uint8_t raw[512];
    } m{};
    // The request arrives (the child's thread now waits for the answer).
    CHECK_KR(mach_msg(&m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT | (received ? 0 : MACH_RCV_LARGE), 0,
                      received ? sizeof m : 0, exc, 2000),
             received ? MACH_MSG_SUCCESS : MACH_RCV_TOO_LARGE);
    CHECK_KR(task_terminate(child), KERN_SUCCESS);
    // Everything we hold goes: the request's rights (received) or the
    // request itself (queued, destroyed with the port).
    mach_port_t names[64];
    mach_port_type_t types[64];
    unsigned n = 0;
    CHECK_KR(mach_port_names(task, names, types, 64, &n), KERN_SUCCESS);
    CHECK_KR(mach_port_destroy(task, exc), KERN_SUCCESS);
    CHECK_KR(mach_port_destroy(task, child), KERN_SUCCESS);
    CHECK_KR(mach_port_destroy(task, thread), KERN_SUCCESS);
    if (received) {
      auto* req = reinterpret_cast<uint8_t*>(&m);
      mach_msg_port_descriptor_t d[2];
      memcpy(d, req + sizeof(mach_msg_header_t) + 4, sizeof d);
      (void)mach_port_destroy(task, m.h.msgh_remote_port);  // the reply right
      (void)mach_port_destroy(task, d[0].name);
      (void)mach_port_destroy(task, d[1].name);
    }
    settle();
    mach_ipc_statistics after = ipc_stats();
    CHECK_KR(after.ports, before.ports);
    CHECK_KR(after.kmsgs, before.kmsgs);
    CHECK_KR(after.spaces, before.spaces);
    CHECK_KR(after.kalloc_bytes, before.kalloc_bytes);
  }
  printf("fuzz-regress: PASS: terminate-in-exception: a task ended while its thread waits for an exception "
         "answer leaves nothing behind\n");
}

alignas(16) uint8_t g_child_stack[16 * 1024];  // a fork's (its own copy)

[[noreturn]] void blocked_sender(uint64_t name) {
  SimpleMsg m{};
  m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
  m.h.msgh_remote_port = mach_port_name_t(name);
  m.h.msgh_id = 2;
  (void)mach_msg(&m.h, MACH_SEND_MSG, sizeof m, 0, MACH_PORT_NULL, 0);  // the queue is full: waits
  task_terminate_self(0);
}

// Ending a task whose thread waits for room in a full queue: the message it
// was sending must not stay behind.
void terminate_blocked_sender() {
  mach_port_t task = mach_task_self();
  // The child runs on a stack in .bss; ours is not inherited, so our writes
  // to it while the child lives copy nothing (the kalloc check stays exact).
  int here = 0;
  vm_address_t stack = reinterpret_cast<vm_address_t>(&here);
  vm_size_t stack_size = 0;
  vm_region_basic_info_data_64_t info{};
  mach_msg_type_number_t info_count = VM_REGION_BASIC_INFO_COUNT_64;
  mach_port_t object = MACH_PORT_NULL;
  CHECK_KR(rpc_vm_region(task, &stack, &stack_size, VM_REGION_BASIC_INFO_64, reinterpret_cast<int*>(&info),
                         &info_count, &object),
           KERN_SUCCESS);
  CHECK_KR(rpc_vm_inherit(task, stack, stack_size, VM_INHERIT_NONE), KERN_SUCCESS);
  mach_ipc_statistics before = ipc_stats();
  mach_port_t port = MACH_PORT_NULL;
  CHECK_KR(mach_port_allocate(task, MACH_PORT_RIGHT_RECEIVE, &port), KERN_SUCCESS);
  CHECK_KR(mach_port_insert_right(task, port, port, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
  CHECK_KR(mach_port_set_qlimit(task, port, 1), KERN_SUCCESS);
  SimpleMsg m{};
  m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
  m.h.msgh_remote_port = port;
  m.h.msgh_id = 1;
  CHECK_KR(mach_msg(&m.h, MACH_SEND_MSG, sizeof m, 0, MACH_PORT_NULL, 0), MACH_MSG_SUCCESS);  // now full
  mach_port_t child = MACH_PORT_NULL, thread = MACH_PORT_NULL;
  CHECK_KR(rpc_task_create(task, TRUE, &child), KERN_SUCCESS);
  constexpr mach_port_name_t kName = MACH_PORT_MAKE(1u, 0u);
  CHECK_KR(mach_port_insert_right(child, kName, port, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
  x86_thread_state64_t st{};
  st.rip = reinterpret_cast<uint64_t>(&blocked_sender);
  st.rsp = ((reinterpret_cast<uint64_t>(g_child_stack) + sizeof g_child_stack) & ~uint64_t(15)) - 8;
  st.rdi = kName;
  CHECK_KR(rpc_thread_create_running(child, x86_THREAD_STATE64, reinterpret_cast<thread_state_t>(&st),
                                     x86_THREAD_STATE64_COUNT, &thread),
           KERN_SUCCESS);
  settle();  // the child runs and waits in its send
  mach_ipc_statistics waiting = ipc_stats();
  CHECK_KR(waiting.kmsgs, before.kmsgs + 2);  // ours, queued; the child's, waiting
  CHECK_KR(task_terminate(child), KERN_SUCCESS);
  CHECK_KR(mach_port_destroy(task, child), KERN_SUCCESS);
  CHECK_KR(mach_port_destroy(task, thread), KERN_SUCCESS);
  CHECK_KR(mach_port_destroy(task, port), KERN_SUCCESS);
  settle();
  mach_ipc_statistics after = ipc_stats();
  CHECK_KR(after.kmsgs, before.kmsgs);
  CHECK_KR(after.ports, before.ports);
  CHECK_KR(after.kalloc_bytes, before.kalloc_bytes);
  printf("fuzz-regress: PASS: terminate-blocked-sender: a task ended while its thread waits for room in a full "
         "queue leaves no message behind\n");
}

struct Check {
  const char* name;
  void (*fn)();
};
const Check kChecks[] = {
    {"reply-to-kernel-port", reply_to_kernel_port},
    {"terminate-in-exception", terminate_in_exception},
    {"terminate-blocked-sender", terminate_blocked_sender},
};

}  // namespace

int main(int argc, char** argv) {
  int run = 0;
  for (const Check& c : kChecks) {
    bool selected = argc < 2;
    for (int i = 1; i < argc; ++i)
      if (!strcmp(argv[i], c.name) || !strcmp(argv[i], "all")) selected = true;
    if (!selected) continue;
    g_role = c.name;
    c.fn();
    ++run;
  }
  printf("fuzz-regress: %d checks passed\n", run);
  return 0;
}
