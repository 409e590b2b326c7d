// Helpers the IPC test programs share: message shapes, checks, and a client
// of the test name server (ipc.elf ns) that runs as module 0 and holds the
// bootstrap port's receive right.
#pragma once

#include <mach/exception.h>
#include <mach/mach_traps.h>
#include <mach/mig_errors.h>
#include <mach/message.h>
#include <mach/notify.h>

#include "libmach/mach_ipc.h"
#include "libmach/print.h"
#include "libmach/string.h"

#define CHECK(cond)                                                      \
  do {                                                                   \
    if (!(cond)) {                                                       \
      printf("%s: FAILED at line %d: %s\n", g_role, __LINE__, #cond);    \
      task_terminate_self(1);                                            \
    }                                                                    \
  } while (0)

#define CHECK_KR(expr, want)                                                                          \
  do {                                                                                                \
    long got_ = long(expr);                                                                           \
    if (got_ != long(want)) {                                                                         \
      printf("%s: FAILED at line %d: %s = %#lx, want %#lx\n", g_role, __LINE__, #expr, got_, long(want)); \
      task_terminate_self(1);                                                                         \
    }                                                                                                 \
  } while (0)

extern const char* g_role;

constexpr mach_msg_id_t kNsRegister = 1000;
constexpr mach_msg_id_t kNsLookup = 1001;

struct SimpleMsg {
  mach_msg_header_t h;
  uint32_t data[8];
};

struct PortMsg {
  mach_msg_header_t h;
  mach_msg_body_t body;
  mach_msg_port_descriptor_t port;
  char name[32];
};

inline mach_port_t bootstrap_port() {
  mach_port_t bp = MACH_PORT_NULL;
  CHECK_KR(task_get_bootstrap_port(mach_task_self(), &bp), KERN_SUCCESS);
  return bp;
}

// Hand `port` (by `disposition`) to the name server under `name`.
inline void ns_register(const char* name, mach_port_t port, mach_msg_type_name_t disposition) {
  PortMsg m{};
  m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
  m.h.msgh_remote_port = bootstrap_port();
  m.h.msgh_id = kNsRegister;
  m.body.msgh_descriptor_count = 1;
  m.port.name = port;
  m.port.disposition = uint8_t(disposition);
  m.port.type = MACH_MSG_PORT_DESCRIPTOR;
  memcpy(m.name, name, strlen(name) < 31 ? strlen(name) : 31);
  CHECK_KR(mach_msg(&m.h, MACH_SEND_MSG, sizeof m, 0, MACH_PORT_NULL, 0), MACH_MSG_SUCCESS);
}

// The right registered under `name` (waits until someone registers it).
// Each registration is handed out once.
inline mach_port_t ns_lookup(const char* name) {
  PortMsg m{};
  m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
  m.h.msgh_remote_port = bootstrap_port();
  m.h.msgh_local_port = mig_get_reply_port();
  m.h.msgh_id = kNsLookup;
  memcpy(reinterpret_cast<char*>(&m.body), name, strlen(name) < 31 ? strlen(name) : 31);  // inline, no body
  CHECK_KR(mach_msg(&m.h, MACH_SEND_MSG | MACH_RCV_MSG, sizeof(mach_msg_header_t) + 32, sizeof m,
                    m.h.msgh_local_port, 0),
           MACH_MSG_SUCCESS);
  CHECK(m.h.msgh_id == kNsLookup + 100);
  CHECK(m.h.msgh_bits & MACH_MSGH_BITS_COMPLEX);
  return m.port.name;
}

inline uint64_t rdtsc() {
  uint32_t lo, hi;
  asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return (uint64_t(hi) << 32) | lo;
}

// exception_raise (exc.defs) as it must arrive: written out so the tests
// check the kernel's generated (KernelUser) request against the wire
// format independently of mig.
struct exception_raise_request_t {
  mach_msg_header_t Head;
  mach_msg_body_t msgh_body;
  mach_msg_port_descriptor_t thread;
  mach_msg_port_descriptor_t task;
  exception_type_t exception;
  mach_msg_type_number_t codeCnt;
  int64_t code[2];
};
static_assert(sizeof(exception_raise_request_t) == 88, "exception_raise layout");
