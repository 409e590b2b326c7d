// task_suspend / task_resume (case task-suspend). Children made by
// task_create(inherit) + thread_create_running share a VM_INHERIT_SHARE
// page with the parent:
//   a spinner increments a counter: suspended it stays still across
//   clock_sleep(50), resumed it moves; two suspends need two resumes;
//   task_terminate ends it while suspended;
//   a waiter blocked in mach_msg receive, suspended, gets a message that
//   arrives meanwhile once resumed (not before); then it loops on
//   clock_sleep, which holds still while suspended too.
// Lines with PASS are what the case expects; any failure prints FAILED.
#include <mach_port_rpc.h>

#include "vm_test.h"

const char* g_role = "suspend";

namespace {

struct Shared {
  volatile uint64_t counter;    // the spinner's
  volatile uint32_t phase;      // the waiter's: 1 about to receive, 2 received, 3 sleeping
  volatile uint32_t got_id;     // the message id the waiter received
  volatile uint64_t ticks;      // the waiter's clock_sleep rounds
  volatile mach_port_t name;    // the waiter's receive right (a name in its space)
};

Shared* g_shared;  // set before the fork: the children see it
alignas(16) uint8_t g_child_stack[16 * 1024];

[[noreturn]] void spinner(uint64_t) {
  libmach::reset_after_fork();
  g_role = "suspend-spinner";
  for (;;) g_shared->counter = g_shared->counter + 1;
}

[[noreturn]] void waiter(uint64_t) {
  libmach::reset_after_fork();
  g_role = "suspend-waiter";
  struct {
    SimpleMsg m;
    uint8_t trailer[64];
  } r{};
  g_shared->phase = 1;
  CHECK_KR(mach_msg(&r.m.h, MACH_RCV_MSG, 0, sizeof r, g_shared->name, 0), MACH_MSG_SUCCESS);
  SimpleMsg& m = r.m;
  g_shared->got_id = uint32_t(m.h.msgh_id);
  g_shared->phase = 2;
  for (;;) {
    CHECK_KR(clock_sleep(5), KERN_SUCCESS);
    g_shared->ticks = g_shared->ticks + 1;
    g_shared->phase = 3;
  }
}

uint64_t counter() { return g_shared->counter; }

void spin_test() {
  mach_port_t child = start_child(spinner, 0, g_child_stack, sizeof g_child_stack);
  CHECK_KR(rpc_task_resume(child), KERN_FAILURE);  // not suspended
  for (long i = 0; counter() == 0; ++i) {
    CHECK(i < 1000000);
    thread_switch();
  }
  CHECK_KR(rpc_task_suspend(child), KERN_SUCCESS);
  uint64_t c = counter();
  CHECK_KR(clock_sleep(50), KERN_SUCCESS);
  CHECK(counter() == c);
  printf("suspend: PASS: a suspended spinner's counter stays at %lu across clock_sleep(50)\n", (unsigned long)c);
  CHECK_KR(rpc_task_resume(child), KERN_SUCCESS);
  CHECK_KR(clock_sleep(50), KERN_SUCCESS);
  CHECK(counter() > c);
  printf("suspend: PASS: resumed, the counter moves again\n");
  CHECK_KR(rpc_task_suspend(child), KERN_SUCCESS);
  CHECK_KR(rpc_task_suspend(child), KERN_SUCCESS);
  CHECK_KR(rpc_task_resume(child), KERN_SUCCESS);
  c = counter();
  CHECK_KR(clock_sleep(50), KERN_SUCCESS);
  CHECK(counter() == c);
  printf("suspend: PASS: suspended twice and resumed once, it is still stopped\n");
  CHECK_KR(rpc_task_terminate(child), KERN_SUCCESS);
  CHECK(wait_dead_name(child));
  CHECK_KR(rpc_task_suspend(child), MACH_SEND_INVALID_DEST);
  CHECK_KR(rpc_task_resume(child), MACH_SEND_INVALID_DEST);
  CHECK_KR(mach_port_deallocate(mach_task_self(), child), KERN_SUCCESS);
  printf("suspend: PASS: terminated while suspended, its port is a dead name\n");
}

void wait_test() {
  mach_port_t self = mach_task_self();
  // A child with no threads yet: give it a receive right and keep a send
  // right to it, then start its thread.
  mach_port_t child = MACH_PORT_NULL;
  CHECK_KR(rpc_task_create(self, TRUE, &child), KERN_SUCCESS);
  mach_port_t name = MACH_PORT_NULL;
  CHECK_KR(rpc_mach_port_allocate(child, MACH_PORT_RIGHT_RECEIVE, &name), KERN_SUCCESS);
  mach_port_t send = MACH_PORT_NULL;
  mach_msg_type_name_t type = 0;
  CHECK_KR(rpc_mach_port_extract_right(child, name, MACH_MSG_TYPE_MAKE_SEND, &send, &type), KERN_SUCCESS);
  g_shared->name = name;
  x86_thread_state64_t state{};
  state.rip = reinterpret_cast<uint64_t>(&waiter);
  state.rsp = ((reinterpret_cast<uint64_t>(g_child_stack) + sizeof g_child_stack) & ~uint64_t(15)) - 8;
  mach_port_t thread = MACH_PORT_NULL;
  CHECK_KR(rpc_thread_create_running(child, x86_THREAD_STATE64, reinterpret_cast<thread_state_t>(&state),
                                     x86_THREAD_STATE64_COUNT, &thread),
           KERN_SUCCESS);
  CHECK_KR(mach_port_deallocate(self, thread), KERN_SUCCESS);
  for (long i = 0; g_shared->phase < 1; ++i) {
    CHECK(i < 1000000);
    thread_switch();
  }
  CHECK_KR(clock_sleep(20), KERN_SUCCESS);  // it is blocked in mach_msg by now
  CHECK_KR(rpc_task_suspend(child), KERN_SUCCESS);
  SimpleMsg m{};
  m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
  m.h.msgh_size = sizeof m;
  m.h.msgh_remote_port = send;
  m.h.msgh_id = 4242;
  CHECK_KR(mach_msg(&m.h, MACH_SEND_MSG, sizeof m, 0, MACH_PORT_NULL, 0), MACH_MSG_SUCCESS);
  CHECK_KR(clock_sleep(50), KERN_SUCCESS);
  CHECK(g_shared->phase == 1);
  CHECK_KR(rpc_task_resume(child), KERN_SUCCESS);
  for (long i = 0; g_shared->phase < 2; ++i) {
    CHECK(i < 200);
    CHECK_KR(clock_sleep(1), KERN_SUCCESS);
  }
  CHECK(g_shared->got_id == 4242);
  printf("suspend: PASS: a receiver suspended in mach_msg got the message sent meanwhile once resumed\n");
  for (long i = 0; g_shared->phase < 3; ++i) {
    CHECK(i < 200);
    CHECK_KR(clock_sleep(1), KERN_SUCCESS);
  }
  CHECK_KR(rpc_task_suspend(child), KERN_SUCCESS);
  uint64_t t = g_shared->ticks;
  CHECK_KR(clock_sleep(50), KERN_SUCCESS);
  CHECK(g_shared->ticks == t);
  CHECK_KR(rpc_task_resume(child), KERN_SUCCESS);
  CHECK_KR(clock_sleep(50), KERN_SUCCESS);
  CHECK(g_shared->ticks > t);
  printf("suspend: PASS: a thread suspended in clock_sleep holds still and goes on once resumed\n");
  CHECK_KR(rpc_task_suspend(child), KERN_SUCCESS);
  CHECK_KR(rpc_task_terminate(child), KERN_SUCCESS);
  CHECK(wait_dead_name(child));
  CHECK_KR(mach_port_deallocate(self, child), KERN_SUCCESS);
  CHECK_KR(mach_port_deallocate(self, send), KERN_SUCCESS);
}

}  // namespace

int main(int, char**) {
  mach_port_t self = mach_task_self();
  vm_address_t page = vm_alloc(kPage);
  CHECK_KR(rpc_vm_inherit(self, page, kPage, VM_INHERIT_SHARE), KERN_SUCCESS);
  g_shared = reinterpret_cast<Shared*>(page);
  spin_test();
  wait_test();
  // Our own task: suspend + resume balance, an extra resume fails.
  CHECK_KR(rpc_task_resume(self), KERN_FAILURE);
  printf("suspend: PASS: all checks passed\n");
  return 0;
}
