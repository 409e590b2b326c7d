#include <doctest/doctest.h>

#include "ipc/ipc_mqueue.h"
#include "ipc/ipc_right.h"
#include "ipc/ipc_stats.h"
#include "ipc/mach_port.h"
#include "ipc_env_host.h"

using namespace mk;

TEST_CASE("ipc smoke: allocate a port, send to it, receive") {
  IpcSpace* s = ipc_space_create(nullptr);
  REQUIRE(s);
  mach_port_name_t rcv;
  REQUIRE(mach_port_allocate(s, MACH_PORT_RIGHT_RECEIVE, &rcv) == KERN_SUCCESS);
  IpcKmsg* k = ipc_kmsg_alloc(32);
  mach_msg_header_t* h = k->header();
  h->msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0);
  h->msgh_remote_port = rcv;
  h->msgh_local_port = MACH_PORT_NULL;
  h->msgh_id = 42;
  REQUIRE(ipc_kmsg_copyin(s, k, 32) == MACH_MSG_SUCCESS);
  CHECK(ipc_mqueue_send(k) == nullptr);
  IpcReceive r;
  REQUIRE(ipc_mqueue_receive(s, rcv, 64, false, &r) == MACH_MSG_SUCCESS);
  REQUIRE(ipc_kmsg_copyout(s, r.kmsg) == MACH_MSG_SUCCESS);
  CHECK(r.kmsg->header()->msgh_id == 42);
  CHECK(r.kmsg->header()->msgh_local_port == rcv);
  ipc_kmsg_free(r.kmsg);
  ipc_space_destroy(s);
  CHECK(g_ipc_stats.ports == 0);
  CHECK(g_ipc_stats.kmsgs == 0);
  hostipc::reset();
}
