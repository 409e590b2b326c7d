// Space destruction, deep chains of messages, and running out of memory.
#include <set>

#include "ipc_test_util.h"

using namespace ipct;

TEST_CASE("ipc teardown: destroying a space releases every right it holds") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  mach_port_name_t nb = new_port(b);   // b's notify port
  mach_port_name_t srv = new_port(b);  // a port of b that a holds rights to

  // a: a receive right with queued messages (out-of-line data, rights),
  // a set with a member, send and send-once rights to b, a dead name.
  mach_port_name_t r = new_port(a);
  mach_port_name_t r2 = new_port(a);
  mach_port_name_t ps = new_set(a);
  REQUIRE(mach_port_move_member(a, r2, ps) == KERN_SUCCESS);
  mach_port_name_t to_srv = give(b, srv, MACH_MSG_TYPE_MAKE_SEND, a);
  give(b, srv, MACH_MSG_TYPE_MAKE_SEND_ONCE, a);
  mach_port_name_t dn;
  REQUIRE(mach_port_allocate(a, MACH_PORT_RIGHT_DEAD_NAME, &dn) == KERN_SUCCESS);
  std::vector<uint8_t> data(1000, 1);
  hostipc::allow_user_range(data.data(), data.size());
  REQUIRE(send(a, Msg(r, MACH_MSG_TYPE_MAKE_SEND)
                      .ool(data.data(), 1000)
                      .port(to_srv, MACH_MSG_TYPE_COPY_SEND)
                      .port(to_srv, MACH_MSG_TYPE_COPY_SEND)) == MACH_MSG_SUCCESS);
  REQUIRE(send(a, Msg(r2, MACH_MSG_TYPE_MAKE_SEND)) == MACH_MSG_SUCCESS);
  CHECK(g_ipc_stats.ool_bytes == 1000);

  // b: send rights to a's port with a dead-name request, and a no-senders
  // request on srv.
  mach_port_name_t to_r = give(a, r, MACH_MSG_TYPE_MAKE_SEND, b);
  IpcPort* prev;
  REQUIRE(mach_port_request_notification(b, to_r, MACH_NOTIFY_DEAD_NAME, 0, make_so(b, nb), &prev) == KERN_SUCCESS);
  REQUIRE(mach_port_request_notification(b, srv, MACH_NOTIFY_NO_SENDERS, 0, make_so(b, nb), &prev) == KERN_SUCCESS);
  CHECK(port_of(b, srv)->srights == 3);  // a's name and two in the queued message

  IpcWaiter w;
  w.max_size = 1024;
  REQUIRE(ipc_mqueue_wait(a, ps, &w) == MACH_MSG_SUCCESS);

  f.destroy(a);
  CHECK(g_ipc_stats.spaces == 1);
  CHECK(g_ipc_stats.port_sets == 0);
  CHECK(g_ipc_stats.ool_bytes == 0);
  CHECK(w.done);
  CHECK(w.result == MACH_RCV_PORT_DIED);
  // b's right to r is a dead name (plus the notification's reference).
  CHECK(type_of(b, to_r) == MACH_PORT_TYPE_DEAD_NAME);
  CHECK(dead_refs(b, to_r) == 2);
  // Notifications: dead-name for to_r, no-senders for srv; and srv got a
  // send-once notification for the unused send-once right.
  std::multiset<mach_msg_id_t> ids;
  for (Rcv n = recv(b, nb); n.mr == MACH_MSG_SUCCESS; n = recv(b, nb)) {
    ids.insert(n.h().msgh_id);
    if (n.h().msgh_id == MACH_NOTIFY_DEAD_NAME) CHECK(n.not_word() == to_r);
    if (n.h().msgh_id == MACH_NOTIFY_NO_SENDERS) CHECK(n.not_word() == 1);
  }
  CHECK(ids == std::multiset<mach_msg_id_t>{MACH_NOTIFY_DEAD_NAME, MACH_NOTIFY_NO_SENDERS});
  Rcv so = recv(b, srv);
  REQUIRE(so.mr == MACH_MSG_SUCCESS);
  CHECK(so.h().msgh_id == MACH_NOTIFY_SEND_ONCE);
  CHECK(port_of(b, srv)->srights == 0);
  CHECK(port_of(b, srv)->sorights == 0);
  CHECK(g_ipc_stats.ports == 2);  // b's two ports (r's freed once b's name saw it die)
  CHECK(g_ipc_stats.kmsgs == 0);
}

TEST_CASE("ipc teardown: a receive right in flight in a message to the dying space's port") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  mach_port_name_t r = new_port(a);
  mach_port_name_t to_r = give(a, r, MACH_MSG_TYPE_MAKE_SEND, b);
  mach_port_name_t pb = new_port(b);
  mach_port_name_t keep = give(b, pb, MACH_MSG_TYPE_MAKE_SEND, b);
  REQUIRE(keep == pb);
  mach_port_name_t watch = give(b, pb, MACH_MSG_TYPE_MAKE_SEND, a);
  // b sends its port's receive right to a's port; a dies before receiving it.
  REQUIRE(send(b, Msg(to_r, MACH_MSG_TYPE_COPY_SEND).port(pb, MACH_MSG_TYPE_MOVE_RECEIVE)) == MACH_MSG_SUCCESS);
  CHECK(type_of(b, pb) == MACH_PORT_TYPE_SEND);
  (void)watch;
  f.destroy(a);
  CHECK(type_of(b, pb) == MACH_PORT_TYPE_DEAD_NAME);
  CHECK(type_of(b, to_r) == MACH_PORT_TYPE_DEAD_NAME);
  CHECK(g_ipc_stats.ports == 0);
}

namespace {

// `depth` ports, each one's receive right queued in a message on the next;
// returns the outermost port's name.
mach_port_name_t build_chain(IpcSpace* s, int depth) {
  mach_port_name_t cur = new_port(s);
  for (int i = 0; i < depth; i++) {
    mach_port_name_t next = new_port(s);
    REQUIRE(send(s, Msg(next, MACH_MSG_TYPE_MAKE_SEND).port(cur, MACH_MSG_TYPE_MOVE_RECEIVE)) == MACH_MSG_SUCCESS);
    cur = next;
  }
  return cur;
}

constexpr int kDepth = 10000;

}  // namespace

TEST_CASE("ipc teardown: a chain of 10,000 nested receive rights dies with its space") {
  IpcFixture f;
  IpcSpace* a = f.space();
  mach_port_name_t outer = build_chain(a, kDepth);
  CHECK(g_ipc_stats.ports == uint64_t(kDepth) + 1);
  CHECK(g_ipc_stats.kmsgs == uint64_t(kDepth));
  CHECK(name_count(a) == 1);
  CHECK(queued(a, outer) == 1);
  f.destroy(a);
  CHECK(g_ipc_stats.ports == 0);
  CHECK(g_ipc_stats.kmsgs == 0);
}

TEST_CASE("ipc teardown: a deep chain dies with mach_port_destroy, and with a message destroyed") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  mach_port_name_t outer = build_chain(a, kDepth);
  mach_port_name_t to_outer = give(a, outer, MACH_MSG_TYPE_MAKE_SEND, b);
  REQUIRE(mach_port_destroy(a, outer) == KERN_SUCCESS);
  CHECK(g_ipc_stats.ports == 1);  // b's dead name still refers to the outermost
  CHECK(g_ipc_stats.kmsgs == 0);
  CHECK(type_of(b, to_outer) == MACH_PORT_TYPE_DEAD_NAME);
  CHECK(g_ipc_stats.ports == 0);

  // The chain inside a message that is received too large and destroyed.
  outer = build_chain(a, kDepth);
  mach_port_name_t sink = new_port(a);
  REQUIRE(send(a, Msg(sink, MACH_MSG_TYPE_MAKE_SEND).port(outer, MACH_MSG_TYPE_MOVE_RECEIVE)) == MACH_MSG_SUCCESS);
  CHECK(recv(a, sink, kHdr, false).mr == MACH_RCV_TOO_LARGE);
  CHECK(g_ipc_stats.ports == 1);
  CHECK(g_ipc_stats.kmsgs == 0);
}

TEST_CASE("ipc teardown: a deep chain through out-of-line port arrays") {
  IpcFixture f;
  IpcSpace* a = f.space();
  mach_port_name_t cur = new_port(a);
  for (int i = 0; i < 2000; i++) {
    mach_port_name_t next = new_port(a);
    mach_port_name_t arr[2] = {cur, MACH_PORT_NULL};
    hostipc::allow_user_range(arr, sizeof arr);
    REQUIRE(send(a, Msg(next, MACH_MSG_TYPE_MAKE_SEND).ool_ports(arr, 2, MACH_MSG_TYPE_MOVE_RECEIVE)) ==
            MACH_MSG_SUCCESS);
    cur = next;
  }
  CHECK(g_ipc_stats.ports == 2001);
  CHECK(g_ipc_stats.ool_bytes == 2000 * 2 * sizeof(void*));
  f.destroy(a);
  CHECK(g_ipc_stats.ports == 0);
  CHECK(g_ipc_stats.ool_bytes == 0);
}

TEST_CASE("ipc teardown: destroying one space of many leaves the others intact") {
  IpcFixture f;
  std::vector<IpcSpace*> s;
  std::vector<mach_port_name_t> ports;
  for (int i = 0; i < 5; i++) {
    s.push_back(f.space());
    ports.push_back(new_port(s.back()));
  }
  // Everyone holds a send right to everyone.
  std::vector<std::vector<mach_port_name_t>> to(5, std::vector<mach_port_name_t>(5));
  for (int i = 0; i < 5; i++)
    for (int j = 0; j < 5; j++) to[i][j] = give(s[j], ports[j], MACH_MSG_TYPE_MAKE_SEND, s[i]);
  f.destroy(s[2]);
  for (int i = 0; i < 5; i++) {
    if (i == 2) continue;
    for (int j = 0; j < 5; j++) {
      if (j == 2)
        CHECK(type_of(s[i], to[i][j]) == MACH_PORT_TYPE_DEAD_NAME);
      else
        CHECK((type_of(s[i], to[i][j]) & MACH_PORT_TYPE_SEND) != 0);
    }
  }
  for (int j = 0; j < 5; j++)
    if (j != 2) CHECK(port_of(s[j], ports[j])->srights == 4);  // 2's right went
}

TEST_CASE("ipc out of memory: port and set allocation, space creation") {
  IpcFixture f;
  IpcSpace* a = f.space();
  hostipc::fail_allocs_after(0);
  mach_port_name_t n = 0;
  CHECK(mach_port_allocate(a, MACH_PORT_RIGHT_RECEIVE, &n) == KERN_RESOURCE_SHORTAGE);
  CHECK(mach_port_allocate(a, MACH_PORT_RIGHT_PORT_SET, &n) == KERN_RESOURCE_SHORTAGE);
  CHECK(mach_port_allocate_name(a, MACH_PORT_RIGHT_RECEIVE, MACH_PORT_MAKE(5u, 0u)) == KERN_RESOURCE_SHORTAGE);
  // Growing the table needs memory too.
  CHECK(mach_port_allocate_name(a, MACH_PORT_RIGHT_DEAD_NAME, MACH_PORT_MAKE(500u, 0u)) == KERN_RESOURCE_SHORTAGE);
  CHECK(ipc_space_create(nullptr) == nullptr);
  CHECK(ipc_kmsg_alloc(64) == nullptr);
  CHECK(name_count(a) == 0);
  CHECK(counts() == Counts{0, 0, 0, 0, 1});
  hostipc::fail_allocs_after(1);  // the space, not its table
  CHECK(ipc_space_create(nullptr) == nullptr);
  CHECK(g_ipc_stats.spaces == 1);
  hostipc::fail_allocs_after(-1);
  CHECK(mach_port_allocate(a, MACH_PORT_RIGHT_RECEIVE, &n) == KERN_SUCCESS);
  // The table is full at its initial size: the next name needs growth.
  for (uint32_t i = 1; i < IpcSpace::kInitialSize - 1; i++)
    REQUIRE(mach_port_allocate(a, MACH_PORT_RIGHT_DEAD_NAME, &n) == KERN_SUCCESS);
  hostipc::fail_allocs_after(0);
  CHECK(mach_port_allocate(a, MACH_PORT_RIGHT_DEAD_NAME, &n) == KERN_RESOURCE_SHORTAGE);
  hostipc::fail_allocs_after(1);  // the new table but not the reverse map
  CHECK(mach_port_allocate(a, MACH_PORT_RIGHT_DEAD_NAME, &n) == KERN_RESOURCE_SHORTAGE);
  CHECK(name_count(a) == IpcSpace::kInitialSize - 1);
}

TEST_CASE("ipc out of memory: copyin gives MACH_SEND_NO_BUFFER and changes nothing") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  mach_port_name_t dest = new_port(b);
  mach_port_name_t to_b = give(b, dest, MACH_MSG_TYPE_MAKE_SEND, a);
  mach_port_name_t r = new_port(a);
  std::vector<uint8_t> data(512, 3);
  hostipc::allow_user_range(data.data(), data.size());
  mach_port_name_t arr[2] = {r, r};
  hostipc::allow_user_range(arr, sizeof arr);
  Msg m(to_b, MACH_MSG_TYPE_COPY_SEND);
  m.port(r, MACH_MSG_TYPE_MAKE_SEND).ool(data.data(), 512).ool_ports(arr, 2, MACH_MSG_TYPE_MAKE_SEND);
  m.ool(data.data(), 100);
  auto before = snapshot(a);
  IpcPort* pr = port_of(a, r);
  // The kmsg, then each kernel copy in turn.
  for (long n = 0; n < 4; n++) {
    CAPTURE(n);
    hostipc::fail_allocs_after(n);
    CHECK(send(a, m) == MACH_SEND_NO_BUFFER);
    hostipc::fail_allocs_after(-1);
    CHECK(snapshot(a) == before);
    CHECK(pr->mscount == 0);
    CHECK(counts() == Counts{2, 0, 0, 0, 2});
  }
  hostipc::fail_allocs_after(4);
  CHECK(send(a, m) == MACH_MSG_SUCCESS);
  hostipc::fail_allocs_after(-1);
  CHECK(pr->mscount == 3);
}

TEST_CASE("ipc out of memory: copyout without room for names") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  mach_port_name_t dest = new_port(b);
  mach_port_name_t to_b = give(b, dest, MACH_MSG_TYPE_MAKE_SEND, a);
  mach_port_name_t r = new_port(a);
  mach_port_name_t reply = new_port(a);
  mach_port_name_t mv = new_port(a);
  // Fill b's table so that any new name needs growth.
  mach_port_name_t n;
  while (b->used() < b->size() - 1) REQUIRE(mach_port_allocate(b, MACH_PORT_RIGHT_DEAD_NAME, &n) == KERN_SUCCESS);
  REQUIRE(send(a, Msg(to_b, MACH_MSG_TYPE_COPY_SEND, reply, MACH_MSG_TYPE_MAKE_SEND_ONCE)
                      .port(r, MACH_MSG_TYPE_MAKE_SEND)
                      .port(mv, MACH_MSG_TYPE_MOVE_RECEIVE)) == MACH_MSG_SUCCESS);
  IpcReceive ir;
  REQUIRE(ipc_mqueue_receive(b, dest, 4096, false, &ir) == MACH_MSG_SUCCESS);
  hostipc::fail_allocs_after(0);
  Rcv m = finish(b, ir.kmsg);
  hostipc::fail_allocs_after(-1);
  // The header's reply right failed first; the body's too.
  CHECK(m.copyout_mr != MACH_MSG_SUCCESS);
  CHECK((m.copyout_mr == MACH_RCV_HEADER_ERROR || m.copyout_mr == MACH_RCV_BODY_ERROR));
  CHECK(m.h().msgh_remote_port == MACH_PORT_DEAD);
  CHECK(m.desc(0).port.name == MACH_PORT_DEAD);
  CHECK(m.desc(1).port.name == MACH_PORT_DEAD);
  // The rights were destroyed: the send-once right's notification could
  // not be allocated either (lost, right used up); the receive right's
  // port died.
  CHECK(queued(a, reply) == 0);
  CHECK(port_of(a, reply)->sorights == 0);
  CHECK(port_of(a, r)->srights == 0);
  CHECK(g_ipc_stats.ports == 3);  // dest, r, reply: mv is gone
}

TEST_CASE("ipc out of memory: requests and notifications") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  mach_port_name_t r = new_port(a);
  mach_port_name_t notify = new_port(b);
  mach_port_name_t sb = give(a, r, MACH_MSG_TYPE_MAKE_SEND, b);
  IpcPort* so = make_so(b, notify);
  IpcPort* prev;
  hostipc::fail_allocs_after(0);
  CHECK(mach_port_request_notification(b, sb, MACH_NOTIFY_DEAD_NAME, 0, so, &prev) == KERN_RESOURCE_SHORTAGE);
  CHECK(type_of(b, sb) == MACH_PORT_TYPE_SEND);
  hostipc::fail_allocs_after(-1);
  REQUIRE(mach_port_request_notification(b, sb, MACH_NOTIFY_DEAD_NAME, 0, so, &prev) == KERN_SUCCESS);
  // The notification cannot be allocated: lost, but its right is used up.
  hostipc::fail_allocs_after(0);
  REQUIRE(mach_port_destroy(a, r) == KERN_SUCCESS);
  hostipc::fail_allocs_after(-1);
  CHECK(queued(b, notify) == 0);
  CHECK(port_of(b, notify)->sorights == 0);
  CHECK(port_of(b, notify)->refs == 1);
  CHECK(type_of(b, sb) == MACH_PORT_TYPE_DEAD_NAME);
}

TEST_CASE("ipc out of memory: a workload under every failure point leaks nothing") {
  // Run the same workload with the n-th allocation failing, for every n
  // until it completes; each run must end with nothing left.
  std::vector<uint8_t> data(300, 9);
  bool completed = false;
  for (long n = 0; n < 200 && !completed; n++) {
    CAPTURE(n);
    hostipc::reset();
    hostipc::allow_user_range(data.data(), data.size());
    hostipc::fail_allocs_after(n);
    bool ok = true;
    IpcSpace* a = ipc_space_create(nullptr);
    IpcSpace* b = ipc_space_create(nullptr);
    if (a && b) {
      mach_port_name_t ra = 0, rb = 0, nb = 0, ps = 0;
      ok &= mach_port_allocate(a, MACH_PORT_RIGHT_RECEIVE, &ra) == KERN_SUCCESS;
      ok &= mach_port_allocate(b, MACH_PORT_RIGHT_RECEIVE, &rb) == KERN_SUCCESS;
      ok &= mach_port_allocate(b, MACH_PORT_RIGHT_RECEIVE, &nb) == KERN_SUCCESS;
      ok &= mach_port_allocate(b, MACH_PORT_RIGHT_PORT_SET, &ps) == KERN_SUCCESS;
      if (ok) {
        ok &= mach_port_move_member(b, rb, ps) == KERN_SUCCESS;
        IpcPort* p;
        mach_msg_type_name_t t;
        mach_port_name_t to_b = MACH_PORT_NULL;
        REQUIRE(ipc_right_copyin(b, rb, MACH_MSG_TYPE_MAKE_SEND, &p, &t) == KERN_SUCCESS);
        ok &= ipc_right_copyout(a, p, t, &to_b) == KERN_SUCCESS;
        mach_port_name_t to_a = MACH_PORT_NULL;
        REQUIRE(ipc_right_copyin(a, ra, MACH_MSG_TYPE_MAKE_SEND, &p, &t) == KERN_SUCCESS);
        ok &= ipc_right_copyout(b, p, t, &to_a) == KERN_SUCCESS;
        if (ok) {
          IpcPort* prev;
          IpcPort* so = make_so(b, nb);
          if (mach_port_request_notification(b, to_a, MACH_NOTIFY_DEAD_NAME, 0, so, &prev) != KERN_SUCCESS) {
            ipc_right_release(so, MACH_MSG_TYPE_PORT_SEND_ONCE);
            ok = false;
          }
          REQUIRE(mach_port_request_notification(b, rb, MACH_NOTIFY_NO_SENDERS, 0, make_so(b, nb), &prev) ==
                  KERN_SUCCESS);
          mach_port_name_t extra = 0;
          ok &= mach_port_allocate(a, MACH_PORT_RIGHT_RECEIVE, &extra) == KERN_SUCCESS;
          for (int i = 0; i < 3 && ok; i++) {
            Msg m(to_b, MACH_MSG_TYPE_COPY_SEND, ra, MACH_MSG_TYPE_MAKE_SEND_ONCE, i);
            m.ool(data.data(), 300).port(ra, MACH_MSG_TYPE_MAKE_SEND);
            if (i == 2) m.port(extra, MACH_MSG_TYPE_MOVE_RECEIVE);
            ok &= send(a, m) == MACH_MSG_SUCCESS;
          }
          Rcv r = recv(b, ps);
          ok &= r.mr == MACH_MSG_SUCCESS && r.copyout_mr == MACH_MSG_SUCCESS;
          ok &= mach_port_deallocate(a, to_b) == KERN_SUCCESS;
        }
      }
    } else {
      ok = false;
    }
    if (a) ipc_space_destroy(a);
    if (b) ipc_space_destroy(b);
    hostipc::fail_allocs_after(-1);
    completed = ok;
    CHECK(counts() == Counts{0, 0, 0, 0, 0});
  }
  CHECK(completed);
  hostipc::reset();
}
