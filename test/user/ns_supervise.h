// The supervisor of the test name server (ipc.elf ns N supervise=NAME:INDEX,...;
// docs/drivers.md "Supervisor"): a service registered under a supervised
// NAME is kept (a send right the server holds) instead of handed out once;
// every lookup gets a copy. A dead-name notification on that right (asked
// for on the bootstrap port itself, so it is queued before any request a
// client sends after seeing the dead name) drops the registration and starts
// boot module INDEX again with io_module_start; lookups made meanwhile wait
// for the new instance's registration.
//
// A test server: anyone holding the bootstrap port could forge the
// notification (a real one would ask for it on a port only it can name).
#pragma once

#include <io_rpc.h>

#include "ipc_util.h"

namespace ns {

struct Supervised {
  char name[32];
  uint32_t module;
  mach_port_t port;  // the registered send right; MACH_PORT_NULL: none (yet, or dead)
};

constexpr int kMaxSupervised = 8;

// Parses "supervise=NAME:INDEX[,NAME:INDEX...]" into `out`; returns the count.
inline int parse_supervise(const char* arg, Supervised* out) {
  if (strncmp(arg, "supervise=", 10) != 0) return 0;
  int n = 0;
  for (const char* p = arg + 10; *p && n < kMaxSupervised;) {
    Supervised& s = out[n];
    s = Supervised{};
    size_t len = 0;
    while (*p && *p != ':' && *p != ',') {
      if (len < 31) s.name[len++] = *p;
      ++p;
    }
    if (*p == ':') ++p;
    while (*p >= '0' && *p <= '9') s.module = s.module * 10 + uint32_t(*p++ - '0');
    if (*p == ',') ++p;
    if (len && s.module) ++n;
  }
  return n;
}

inline Supervised* find(Supervised* sup, int count, const char* name) {
  for (int i = 0; i < count; ++i)
    if (!strcmp(sup[i].name, name)) return &sup[i];
  return nullptr;
}

// Answer a lookup (its send-once reply right) with `given` by `disposition`.
inline void answer(mach_port_t reply, mach_port_t given, mach_msg_type_name_t disposition) {
  PortMsg r{};
  r.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0) | MACH_MSGH_BITS_COMPLEX;
  r.h.msgh_remote_port = reply;
  r.h.msgh_id = kNsLookup + 100;
  r.body.msgh_descriptor_count = 1;
  r.port.name = given;
  r.port.disposition = uint8_t(disposition);
  r.port.type = MACH_MSG_PORT_DESCRIPTOR;
  CHECK_KR(mach_msg(&r.h, MACH_SEND_MSG, sizeof r, 0, MACH_PORT_NULL, 0), MACH_MSG_SUCCESS);
}

// A registration of a supervised name: keep the right (a second one of the
// same instance is dropped) and watch it; false when one was kept already.
inline bool registered(Supervised& s, mach_port_t right, mach_port_t bp) {
  if (MACH_PORT_VALID(s.port)) {
    (void)mach_port_deallocate(mach_task_self(), right);
    return false;
  }
  s.port = right;
  mach_port_t previous = MACH_PORT_NULL;
  CHECK_KR(mach_port_request_notification(mach_task_self(), right, MACH_NOTIFY_DEAD_NAME, 0, bp, &previous),
           KERN_SUCCESS);
  printf("ns: \"%s\" registered, supervised (module %u)\n", s.name, s.module);
  return true;
}

// A dead-name notification for `dead`: if it is a supervised service,
// forget it and start its module again.
inline void died(Supervised* sup, int count, mach_port_t dead, mach_port_t io_master) {
  Supervised* s = nullptr;
  for (int i = 0; i < count; ++i)
    if (sup[i].port == dead && MACH_PORT_VALID(dead)) s = &sup[i];
  if (!s) {
    (void)mach_port_deallocate(mach_task_self(), dead);  // the notification's reference
    return;
  }
  CHECK_KR(mach_port_destroy(mach_task_self(), dead), KERN_SUCCESS);  // ours and the notification's
  s->port = MACH_PORT_NULL;
  printf("ns: %s died, restarting module %u\n", s->name, s->module);
  mach_port_t task = MACH_PORT_NULL;
  kern_return_t kr = rpc_io_module_start(io_master, s->module, &task);
  if (kr != KERN_SUCCESS) {
    printf("ns: FAILED to restart module %u: %#x\n", s->module, kr);
    return;
  }
  printf("ns: module %u started again; lookups of \"%s\" wait for its registration\n", s->module, s->name);
  (void)mach_port_deallocate(mach_task_self(), task);
}

}  // namespace ns
