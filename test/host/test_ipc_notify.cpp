// Kernel notifications (dead-name, port-deleted, no-senders, send-once) and
// waiters failing when their port goes away.
#include "ipc_test_util.h"

using namespace ipct;

namespace {

// Receive one notification from `port` and check its header.
Rcv expect_notification(IpcSpace* s, mach_port_name_t port, mach_msg_id_t id) {
  Rcv n = recv(s, port);
  REQUIRE(n.mr == MACH_MSG_SUCCESS);
  CHECK(n.h().msgh_id == id);
  CHECK(n.h().msgh_bits == MACH_MSGH_BITS(0, MACH_MSG_TYPE_PORT_SEND_ONCE));
  CHECK(n.h().msgh_remote_port == MACH_PORT_NULL);
  CHECK(n.h().msgh_local_port == port);
  return n;
}

void request_dead_name(IpcSpace* s, mach_port_name_t name, mach_port_name_t notify) {
  IpcPort* prev = kIpcPortDead;
  REQUIRE(mach_port_request_notification(s, name, MACH_NOTIFY_DEAD_NAME, 0, make_so(s, notify), &prev) ==
          KERN_SUCCESS);
  CHECK(prev == nullptr);
}

void request_no_senders(IpcSpace* s, mach_port_name_t name, mach_port_name_t notify, mach_port_mscount_t sync = 0) {
  IpcPort* prev = kIpcPortDead;
  REQUIRE(mach_port_request_notification(s, name, MACH_NOTIFY_NO_SENDERS, sync, make_so(s, notify), &prev) ==
          KERN_SUCCESS);
  CHECK(prev == nullptr);
}

}  // namespace

TEST_CASE("ipc notify: dead-name when the receive right is destroyed") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  mach_port_name_t r = new_port(a);
  mach_port_name_t notify = new_port(b);
  mach_port_name_t sb = give(a, r, MACH_MSG_TYPE_MAKE_SEND, b);
  give(a, r, MACH_MSG_TYPE_MAKE_SEND, b);
  request_dead_name(b, sb, notify);
  CHECK(port_of(b, notify)->sorights == 1);
  CHECK(queued(b, notify) == 0);

  REQUIRE(mach_port_mod_refs(a, r, MACH_PORT_RIGHT_RECEIVE, -1) == KERN_SUCCESS);
  Rcv n = expect_notification(b, notify, MACH_NOTIFY_DEAD_NAME);
  CHECK(n.size == sizeof(mach_dead_name_notification_t));
  CHECK(n.not_word() == sb);
  CHECK(type_of(b, sb) == MACH_PORT_TYPE_DEAD_NAME);
  // The notification carries a user reference for the dead name (GNU Mach,
  // XNU): two from the send rights, one for the notification.
  CHECK(dead_refs(b, sb) == 3);
  CHECK(port_of(b, notify)->sorights == 0);
  CHECK(queued(b, notify) == 0);
}

TEST_CASE("ipc notify: dead-name for a send-once right, and via space destruction") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  mach_port_name_t r = new_port(a);
  mach_port_name_t notify = new_port(b);
  mach_port_name_t so = give(a, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, b);
  request_dead_name(b, so, notify);
  f.destroy(a);
  Rcv n = expect_notification(b, notify, MACH_NOTIFY_DEAD_NAME);
  CHECK(n.not_word() == so);
  CHECK(type_of(b, so) == MACH_PORT_TYPE_DEAD_NAME);
  CHECK(dead_refs(b, so) == 2);
  CHECK(mach_port_deallocate(b, so) == KERN_SUCCESS);
  CHECK(mach_port_deallocate(b, so) == KERN_SUCCESS);
  CHECK(type_of(b, so) == 0);
}

TEST_CASE("ipc notify: dead-name request on a dead name fires at once (sync != 0)") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  mach_port_name_t r = new_port(a);
  mach_port_name_t notify = new_port(b);
  mach_port_name_t sb = give(a, r, MACH_MSG_TYPE_MAKE_SEND, b);
  REQUIRE(mach_port_destroy(a, r) == KERN_SUCCESS);
  IpcPort* prev = kIpcPortDead;
  IpcPort* so = make_so(b, notify);
  CHECK(mach_port_request_notification(b, sb, MACH_NOTIFY_DEAD_NAME, 0, so, &prev) == KERN_INVALID_ARGUMENT);
  CHECK(queued(b, notify) == 0);
  REQUIRE(mach_port_request_notification(b, sb, MACH_NOTIFY_DEAD_NAME, 1, so, &prev) == KERN_SUCCESS);
  CHECK(prev == nullptr);
  Rcv n = expect_notification(b, notify, MACH_NOTIFY_DEAD_NAME);
  CHECK(n.not_word() == sb);
  CHECK(dead_refs(b, sb) == 2);  // plus the notification's reference
  CHECK((type_of(b, sb) & MACH_PORT_TYPE_DNREQUEST) == 0);
}

TEST_CASE("ipc notify: port-deleted when a watched name loses its right while the port lives") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  IpcSpace* c = f.space();
  mach_port_name_t r = new_port(a);
  mach_port_name_t notify = new_port(b);
  IpcPort* p = port_of(a, r);

  SUBCASE("deallocate the last uref") {
    mach_port_name_t sb = give(a, r, MACH_MSG_TYPE_MAKE_SEND, b);
    give(a, r, MACH_MSG_TYPE_MAKE_SEND, b);
    request_dead_name(b, sb, notify);
    REQUIRE(mach_port_deallocate(b, sb) == KERN_SUCCESS);
    CHECK(queued(b, notify) == 0);  // one uref left: still watched
    REQUIRE(mach_port_deallocate(b, sb) == KERN_SUCCESS);
    Rcv n = expect_notification(b, notify, MACH_NOTIFY_PORT_DELETED);
    CHECK(n.not_word() == sb);
    CHECK(p->dnrequests.empty());
  }
  SUBCASE("mod_refs to zero") {
    mach_port_name_t sb = give(a, r, MACH_MSG_TYPE_MAKE_SEND, b);
    request_dead_name(b, sb, notify);
    REQUIRE(mach_port_mod_refs(b, sb, MACH_PORT_RIGHT_SEND, -1) == KERN_SUCCESS);
    CHECK(expect_notification(b, notify, MACH_NOTIFY_PORT_DELETED).not_word() == sb);
  }
  SUBCASE("move-send of the last uref") {
    mach_port_name_t sb = give(a, r, MACH_MSG_TYPE_MAKE_SEND, b);
    request_dead_name(b, sb, notify);
    give(b, sb, MACH_MSG_TYPE_MOVE_SEND, c);
    CHECK(expect_notification(b, notify, MACH_NOTIFY_PORT_DELETED).not_word() == sb);
  }
  SUBCASE("move-send-once") {
    mach_port_name_t so = give(a, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, b);
    request_dead_name(b, so, notify);
    REQUIRE(send(b, Msg(so, MACH_MSG_TYPE_MOVE_SEND_ONCE)) == MACH_MSG_SUCCESS);
    CHECK(expect_notification(b, notify, MACH_NOTIFY_PORT_DELETED).not_word() == so);
  }
  SUBCASE("deallocating a send-once right: port-deleted to the requester, send-once to the port") {
    mach_port_name_t so = give(a, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, b);
    request_dead_name(b, so, notify);
    REQUIRE(mach_port_deallocate(b, so) == KERN_SUCCESS);
    CHECK(expect_notification(b, notify, MACH_NOTIFY_PORT_DELETED).not_word() == so);
    expect_notification(a, r, MACH_NOTIFY_SEND_ONCE);
  }
  SUBCASE("mach_port_destroy") {
    mach_port_name_t sb = give(a, r, MACH_MSG_TYPE_MAKE_SEND, b);
    request_dead_name(b, sb, notify);
    REQUIRE(mach_port_destroy(b, sb) == KERN_SUCCESS);
    CHECK(expect_notification(b, notify, MACH_NOTIFY_PORT_DELETED).not_word() == sb);
  }
  SUBCASE("the requester's space is destroyed") {
    mach_port_name_t nc = new_port(c);
    mach_port_name_t sb = give(a, r, MACH_MSG_TYPE_MAKE_SEND, b);
    IpcPort* so = make_so(c, nc);
    IpcPort* prev;
    REQUIRE(mach_port_request_notification(b, sb, MACH_NOTIFY_DEAD_NAME, 0, so, &prev) == KERN_SUCCESS);
    f.destroy(b);
    CHECK(expect_notification(c, nc, MACH_NOTIFY_PORT_DELETED).not_word() == sb);
  }
  CHECK(p->dnrequests.empty());
  // The port dying later tells nobody.
  REQUIRE(mach_port_destroy(a, r) == KERN_SUCCESS);
  if (b->active) CHECK(queued(b, notify) == 0);
}

TEST_CASE("ipc notify: the right in a dead-name request keeps its port alive until used") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  mach_port_name_t r = new_port(a);
  mach_port_name_t notify = new_port(b);
  mach_port_name_t sb = give(a, r, MACH_MSG_TYPE_MAKE_SEND, b);
  request_dead_name(b, sb, notify);
  // The notify port dies first: the request's send-once right is then dead.
  REQUIRE(mach_port_destroy(b, notify) == KERN_SUCCESS);
  CHECK(g_ipc_stats.ports == 2);
  REQUIRE(mach_port_destroy(a, r) == KERN_SUCCESS);  // notification to a dead port: dropped
  CHECK(type_of(b, sb) == MACH_PORT_TYPE_DEAD_NAME);
  CHECK(g_ipc_stats.kmsgs == 0);
  CHECK(g_ipc_stats.ports == 0);
}

TEST_CASE("ipc notify: no-senders when the last send right goes, with the make-send count") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  IpcSpace* c = f.space();
  mach_port_name_t r = new_port(a);
  mach_port_name_t notify = new_port(a);
  mach_port_name_t sb = give(a, r, MACH_MSG_TYPE_MAKE_SEND, b);
  give(a, r, MACH_MSG_TYPE_MAKE_SEND, b);
  mach_port_name_t sc = give(a, r, MACH_MSG_TYPE_MAKE_SEND, c);
  request_no_senders(a, r, notify);
  CHECK(queued(a, notify) == 0);
  REQUIRE(mach_port_deallocate(b, sb) == KERN_SUCCESS);
  REQUIRE(mach_port_deallocate(b, sb) == KERN_SUCCESS);
  CHECK(queued(a, notify) == 0);  // c still has one
  REQUIRE(mach_port_deallocate(c, sc) == KERN_SUCCESS);
  Rcv n = expect_notification(a, notify, MACH_NOTIFY_NO_SENDERS);
  CHECK(n.size == sizeof(mach_no_senders_notification_t));
  CHECK(n.not_word() == 3);
  CHECK(port_of(a, r)->nsrequest == nullptr);  // one-shot
  // No second notification.
  sb = give(a, r, MACH_MSG_TYPE_MAKE_SEND, b);
  REQUIRE(mach_port_deallocate(b, sb) == KERN_SUCCESS);
  CHECK(queued(a, notify) == 0);
}

TEST_CASE("ipc notify: no-senders when the last send right is used up by a message") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  mach_port_name_t r = new_port(a);
  mach_port_name_t notify = new_port(a);
  mach_port_name_t sb = give(a, r, MACH_MSG_TYPE_MAKE_SEND, b);
  request_no_senders(a, r, notify);
  REQUIRE(send(b, Msg(sb, MACH_MSG_TYPE_MOVE_SEND)) == MACH_MSG_SUCCESS);
  CHECK(queued(a, notify) == 0);  // the message still holds it
  CHECK(recv(a, r).mr == MACH_MSG_SUCCESS);
  CHECK(expect_notification(a, notify, MACH_NOTIFY_NO_SENDERS).not_word() == 1);
}

TEST_CASE("ipc notify: no-senders fires at once when there are none and mscount >= sync") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  mach_port_name_t r = new_port(a);
  mach_port_name_t notify = new_port(a);
  request_no_senders(a, r, notify, 0);
  CHECK(expect_notification(a, notify, MACH_NOTIFY_NO_SENDERS).not_word() == 0);
  CHECK(port_of(a, r)->nsrequest == nullptr);

  // sync above mscount: armed, not fired.
  mach_port_name_t sb = give(a, r, MACH_MSG_TYPE_MAKE_SEND, b);
  REQUIRE(mach_port_deallocate(b, sb) == KERN_SUCCESS);  // mscount 1
  request_no_senders(a, r, notify, 2);
  CHECK(queued(a, notify) == 0);
  CHECK(port_of(a, r)->nsrequest != nullptr);
  sb = give(a, r, MACH_MSG_TYPE_MAKE_SEND, b);  // mscount 2
  REQUIRE(mach_port_deallocate(b, sb) == KERN_SUCCESS);
  CHECK(expect_notification(a, notify, MACH_NOTIFY_NO_SENDERS).not_word() == 2);
}

TEST_CASE("ipc notify: a pending no-senders request becomes a send-once notification when the port dies") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  mach_port_name_t r = new_port(a);
  mach_port_name_t notify = new_port(b);
  give(a, r, MACH_MSG_TYPE_MAKE_SEND, b);
  IpcPort* prev;
  REQUIRE(mach_port_request_notification(a, r, MACH_NOTIFY_NO_SENDERS, 0, make_so(b, notify), &prev) ==
          KERN_SUCCESS);
  REQUIRE(mach_port_destroy(a, r) == KERN_SUCCESS);
  expect_notification(b, notify, MACH_NOTIFY_SEND_ONCE);
  CHECK(queued(b, notify) == 0);
}

TEST_CASE("ipc notify: send-once rights destroyed unused tell their port") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  mach_port_name_t r = new_port(a);
  IpcPort* p = port_of(a, r);

  SUBCASE("deallocated") {
    mach_port_name_t so = give(a, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, b);
    REQUIRE(mach_port_deallocate(b, so) == KERN_SUCCESS);
    Rcv n = expect_notification(a, r, MACH_NOTIFY_SEND_ONCE);
    CHECK(n.size == sizeof(mach_send_once_notification_t));
  }
  SUBCASE("destroyed with the holder's space") {
    give(a, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, b);
    give(a, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, b);
    f.destroy(b);
    expect_notification(a, r, MACH_NOTIFY_SEND_ONCE);
    expect_notification(a, r, MACH_NOTIFY_SEND_ONCE);
  }
  SUBCASE("carried by a message that is destroyed") {
    mach_port_name_t other = new_port(b);
    mach_port_name_t to_other = give(b, other, MACH_MSG_TYPE_MAKE_SEND, a);
    REQUIRE(send(a, Msg(to_other, MACH_MSG_TYPE_COPY_SEND).port(r, MACH_MSG_TYPE_MAKE_SEND_ONCE)) ==
            MACH_MSG_SUCCESS);
    REQUIRE(send(a, Msg(to_other, MACH_MSG_TYPE_COPY_SEND, r, MACH_MSG_TYPE_MAKE_SEND_ONCE)) == MACH_MSG_SUCCESS);
    CHECK(p->sorights == 2);
    REQUIRE(mach_port_destroy(b, other) == KERN_SUCCESS);
    expect_notification(a, r, MACH_NOTIFY_SEND_ONCE);
    expect_notification(a, r, MACH_NOTIFY_SEND_ONCE);
  }
  CHECK(queued(a, r) == 0);
  CHECK(p->sorights == 0);
  CHECK(p->refs == 1);
}

TEST_CASE("ipc notify: a send-once right to a dead port goes quietly") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  mach_port_name_t r = new_port(a);
  mach_port_name_t so = give(a, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, b);
  REQUIRE(mach_port_destroy(a, r) == KERN_SUCCESS);
  CHECK(type_of(b, so) == MACH_PORT_TYPE_DEAD_NAME);
  REQUIRE(mach_port_deallocate(b, so) == KERN_SUCCESS);
  CHECK(g_ipc_stats.kmsgs == 0);
  CHECK(g_ipc_stats.ports == 0);
}

TEST_CASE("ipc notify: receivers fail with MACH_RCV_PORT_DIED when the port dies") {
  IpcFixture f;
  IpcSpace* a = f.space();
  mach_port_name_t r = new_port(a);
  mach_port_name_t ps = new_set(a);
  IpcWaiter w1, w2, ws;
  w1.max_size = w2.max_size = ws.max_size = 1024;
  REQUIRE(ipc_mqueue_wait(a, r, &w1) == MACH_MSG_SUCCESS);
  REQUIRE(ipc_mqueue_wait(a, r, &w2) == MACH_MSG_SUCCESS);
  REQUIRE(ipc_mqueue_wait(a, ps, &ws) == MACH_MSG_SUCCESS);
  REQUIRE(mach_port_destroy(a, r) == KERN_SUCCESS);
  CHECK(w1.done);
  CHECK(w1.result == MACH_RCV_PORT_DIED);
  CHECK(w1.kmsg == nullptr);
  CHECK(w2.result == MACH_RCV_PORT_DIED);
  CHECK(w1.on_queue == nullptr);
  CHECK(!ws.done);
  REQUIRE(hostipc::woken.size() == 2);
  CHECK(hostipc::woken[0] == &w1);
  CHECK(hostipc::woken[1] == &w2);
  // A set going away fails its waiters the same way (GNU Mach's code).
  REQUIRE(mach_port_destroy(a, ps) == KERN_SUCCESS);
  CHECK(ws.done);
  CHECK(ws.result == MACH_RCV_PORT_DIED);
}

TEST_CASE("ipc notify: receivers fail with MACH_RCV_PORT_CHANGED when the port moves") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  mach_port_name_t r = new_port(a);
  mach_port_name_t ps = new_set(a);
  IpcWaiter w;
  w.max_size = 1024;
  REQUIRE(ipc_mqueue_wait(a, r, &w) == MACH_MSG_SUCCESS);
  REQUIRE(mach_port_move_member(a, r, ps) == KERN_SUCCESS);
  CHECK(w.done);
  CHECK(w.result == MACH_RCV_PORT_CHANGED);
  REQUIRE(mach_port_move_member(a, r, MACH_PORT_NULL) == KERN_SUCCESS);
  IpcWaiter w2;
  w2.max_size = 1024;
  REQUIRE(ipc_mqueue_wait(a, r, &w2) == MACH_MSG_SUCCESS);
  give(a, r, MACH_MSG_TYPE_MOVE_RECEIVE, b);
  CHECK(w2.done);
  CHECK(w2.result == MACH_RCV_PORT_CHANGED);
}

TEST_CASE("ipc notify: senders blocked on a full queue fail with MACH_SEND_INVALID_DEST when the port dies") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  mach_port_name_t r = new_port(a);
  mach_port_name_t sb = give(a, r, MACH_MSG_TYPE_MAKE_SEND, b);
  REQUIRE(mach_port_set_qlimit(a, r, 1) == KERN_SUCCESS);
  REQUIRE(send(b, Msg(sb, MACH_MSG_TYPE_COPY_SEND)) == MACH_MSG_SUCCESS);
  IpcPort* p = port_of(a, r);
  REQUIRE(ipc_mqueue_full(p, MACH_MSG_TYPE_PORT_SEND));
  // The blocked sender holds its copied-in message meanwhile.
  IpcKmsg* pending = nullptr;
  REQUIRE(copyin(b, Msg(sb, MACH_MSG_TYPE_COPY_SEND), &pending) == MACH_MSG_SUCCESS);
  IpcWaiter w1, w2;
  ipc_mqueue_wait_send(p, &w1);
  ipc_mqueue_wait_send(p, &w2);
  REQUIRE(mach_port_destroy(a, r) == KERN_SUCCESS);
  CHECK(w1.done);
  CHECK(w1.result == MACH_SEND_INVALID_DEST);
  CHECK(w2.result == MACH_SEND_INVALID_DEST);
  CHECK(hostipc::woken.size() == 2);
  // Delivering to the dead port now destroys the message (still a success
  // for a sender that got there: Mach's rule).
  CHECK(ipc_mqueue_send(pending) == nullptr);
  CHECK(g_ipc_stats.kmsgs == 0);
  CHECK(type_of(b, sb) == MACH_PORT_TYPE_DEAD_NAME);
}
