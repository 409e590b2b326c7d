#include "libmach/mach_ipc.h"

namespace {
// One thread per task today; per-thread storage comes with user threads.
mach_port_t g_task_self = MACH_PORT_NULL;
mach_port_t g_reply_port = MACH_PORT_NULL;
}  // namespace

extern "C" mach_msg_return_t mach_msg(mach_msg_header_t* msg, mach_msg_option_t option, mach_msg_size_t send_size,
                                      mach_msg_size_t rcv_size, mach_port_name_t rcv_name,
                                      mach_msg_timeout_t timeout) {
  return mach_msg_return_t(
      libmach::trap6(MACH_TRAP_mach_msg, libmach::ptr(msg), option, send_size, rcv_size, rcv_name, timeout));
}

extern "C" mach_port_t mach_task_self(void) {
  if (g_task_self == MACH_PORT_NULL) g_task_self = mach_port_t(libmach::trap6(MACH_TRAP_task_self));
  return g_task_self;
}

extern "C" mach_port_t mig_get_reply_port(void) {
  if (g_reply_port == MACH_PORT_NULL) g_reply_port = mach_reply_port();
  return g_reply_port;
}

void libmach::reset_after_fork() {
  g_task_self = MACH_PORT_NULL;
  g_reply_port = MACH_PORT_NULL;
}

extern "C" void mig_dealloc_reply_port(mach_port_t reply_port) {
  if (reply_port != g_reply_port) return;
  g_reply_port = MACH_PORT_NULL;
  (void)mach_port_mod_refs(mach_task_self(), reply_port, MACH_PORT_RIGHT_RECEIVE, -1);
}
