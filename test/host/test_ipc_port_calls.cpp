// mach_port_* calls and their error codes.
#include "ipc_test_util.h"

using namespace ipct;

static constexpr mach_port_name_t kBogus = MACH_PORT_MAKE(0xabcdu, 0x11u);  // never allocated

TEST_CASE("ipc mach_port_allocate: only receive, port set and dead name") {
  IpcFixture f;
  IpcSpace* s = f.space();
  mach_port_name_t n = 0x77;
  CHECK(mach_port_allocate(s, MACH_PORT_RIGHT_SEND, &n) == KERN_INVALID_VALUE);
  CHECK(mach_port_allocate(s, MACH_PORT_RIGHT_SEND_ONCE, &n) == KERN_INVALID_VALUE);
  CHECK(mach_port_allocate(s, MACH_PORT_RIGHT_NUMBER, &n) == KERN_INVALID_VALUE);
  CHECK(mach_port_allocate(s, 1000, &n) == KERN_INVALID_VALUE);
  CHECK(name_count(s) == 0);
  CHECK(g_ipc_stats.ports == 0);
  CHECK(mach_port_allocate(s, MACH_PORT_RIGHT_RECEIVE, &n) == KERN_SUCCESS);
  CHECK(mach_port_allocate(s, MACH_PORT_RIGHT_PORT_SET, &n) == KERN_SUCCESS);
  CHECK(mach_port_allocate(s, MACH_PORT_RIGHT_DEAD_NAME, &n) == KERN_SUCCESS);
  CHECK(name_count(s) == 3);
}

TEST_CASE("ipc mach_port_allocate_name") {
  IpcFixture f;
  IpcSpace* s = f.space();
  const mach_port_name_t want = MACH_PORT_MAKE(7u, 3u);
  REQUIRE(mach_port_allocate_name(s, MACH_PORT_RIGHT_RECEIVE, want) == KERN_SUCCESS);
  CHECK(type_of(s, want) == MACH_PORT_TYPE_RECEIVE);
  CHECK(port_of(s, want)->receiver_name == want);
  CHECK(mach_port_allocate_name(s, MACH_PORT_RIGHT_RECEIVE, want) == KERN_NAME_EXISTS);
  CHECK(mach_port_allocate_name(s, MACH_PORT_RIGHT_DEAD_NAME, want) == KERN_NAME_EXISTS);
  // The same index under another generation is taken too.
  CHECK(mach_port_allocate_name(s, MACH_PORT_RIGHT_RECEIVE, MACH_PORT_MAKE(7u, 4u)) == KERN_NAME_EXISTS);
  CHECK(mach_port_allocate_name(s, MACH_PORT_RIGHT_SEND, MACH_PORT_MAKE(8u, 0u)) == KERN_INVALID_VALUE);
  CHECK(mach_port_allocate_name(s, MACH_PORT_RIGHT_RECEIVE, MACH_PORT_NULL) == KERN_INVALID_VALUE);
  CHECK(mach_port_allocate_name(s, MACH_PORT_RIGHT_RECEIVE, MACH_PORT_DEAD) == KERN_INVALID_VALUE);
  CHECK(mach_port_allocate_name(s, MACH_PORT_RIGHT_RECEIVE, MACH_PORT_MAKE(0u, 9u)) == KERN_INVALID_VALUE);
  // Beyond the table: it grows.
  const mach_port_name_t far = MACH_PORT_MAKE(5000u, 1u);
  REQUIRE(mach_port_allocate_name(s, MACH_PORT_RIGHT_PORT_SET, far) == KERN_SUCCESS);
  CHECK(type_of(s, far) == MACH_PORT_TYPE_PORT_SET);
  CHECK(type_of(s, want) == MACH_PORT_TYPE_RECEIVE);
  // Fresh names never collide with chosen ones.
  for (int i = 0; i < 100; i++) {
    mach_port_name_t n;
    REQUIRE(mach_port_allocate(s, MACH_PORT_RIGHT_DEAD_NAME, &n) == KERN_SUCCESS);
    CHECK(MACH_PORT_INDEX(n) != 7u);
    CHECK(MACH_PORT_INDEX(n) != 5000u);
  }
  CHECK(name_count(s) == 102);
}

TEST_CASE("ipc mach_port_deallocate: errors and each kind of right") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  mach_port_name_t r = new_port(a);
  mach_port_name_t ps = new_set(a);
  CHECK(mach_port_deallocate(a, kBogus) == KERN_INVALID_NAME);
  CHECK(mach_port_deallocate(a, MACH_PORT_NULL) == KERN_INVALID_NAME);
  CHECK(mach_port_deallocate(a, r) == KERN_INVALID_RIGHT);  // receive-only
  CHECK(mach_port_deallocate(a, ps) == KERN_INVALID_RIGHT);
  CHECK(type_of(a, r) == MACH_PORT_TYPE_RECEIVE);
  CHECK(type_of(a, ps) == MACH_PORT_TYPE_PORT_SET);

  // Send+receive: deallocate drops the send right only.
  give(a, r, MACH_MSG_TYPE_MAKE_SEND, a);
  CHECK(mach_port_deallocate(a, r) == KERN_SUCCESS);
  CHECK(type_of(a, r) == MACH_PORT_TYPE_RECEIVE);
  CHECK(port_of(a, r)->srights == 0);
  CHECK(port_of(a, r)->refs == 1);

  // Send rights in another space: one uref at a time.
  mach_port_name_t sb = give(a, r, MACH_MSG_TYPE_MAKE_SEND, b);
  give(a, r, MACH_MSG_TYPE_MAKE_SEND, b);
  CHECK(mach_port_deallocate(b, sb) == KERN_SUCCESS);
  CHECK(send_refs(b, sb) == 1);
  CHECK(mach_port_deallocate(b, sb) == KERN_SUCCESS);
  CHECK(type_of(b, sb) == 0);
  CHECK(port_of(a, r)->refs == 1);
  CHECK(mach_port_deallocate(b, sb) == KERN_INVALID_NAME);
}

TEST_CASE("ipc mach_port_destroy: every right under the name") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  mach_port_name_t r = new_port(a);
  give(a, r, MACH_MSG_TYPE_MAKE_SEND, a);
  give(a, r, MACH_MSG_TYPE_MAKE_SEND, a);
  mach_port_name_t sb = give(a, r, MACH_MSG_TYPE_MAKE_SEND, b);
  CHECK(send(a, Msg(r, MACH_MSG_TYPE_COPY_SEND)) == MACH_MSG_SUCCESS);
  CHECK(mach_port_destroy(a, r) == KERN_SUCCESS);
  CHECK(type_of(a, r) == 0);
  CHECK(g_ipc_stats.kmsgs == 0);  // the queued message went with the port
  CHECK(type_of(b, sb) == MACH_PORT_TYPE_DEAD_NAME);

  mach_port_name_t dn;
  REQUIRE(mach_port_allocate(a, MACH_PORT_RIGHT_DEAD_NAME, &dn) == KERN_SUCCESS);
  REQUIRE(mach_port_mod_refs(a, dn, MACH_PORT_RIGHT_DEAD_NAME, 4) == KERN_SUCCESS);
  CHECK(mach_port_destroy(a, dn) == KERN_SUCCESS);  // all five urefs
  CHECK(type_of(a, dn) == 0);

  mach_port_name_t ps = new_set(a);
  CHECK(mach_port_destroy(a, ps) == KERN_SUCCESS);
  CHECK(g_ipc_stats.port_sets == 0);
  CHECK(mach_port_destroy(a, ps) == KERN_INVALID_NAME);
  CHECK(name_count(a) == 0);
}

TEST_CASE("ipc mach_port_mod_refs: receive right accepts only 0 and -1") {
  IpcFixture f;
  IpcSpace* s = f.space();
  mach_port_name_t r = new_port(s);
  CHECK(mach_port_mod_refs(s, r, MACH_PORT_RIGHT_RECEIVE, 1) == KERN_INVALID_VALUE);
  CHECK(mach_port_mod_refs(s, r, MACH_PORT_RIGHT_RECEIVE, -2) == KERN_INVALID_VALUE);
  CHECK(mach_port_mod_refs(s, r, MACH_PORT_RIGHT_RECEIVE, 0) == KERN_SUCCESS);
  CHECK(type_of(s, r) == MACH_PORT_TYPE_RECEIVE);
  CHECK(mach_port_mod_refs(s, r, MACH_PORT_RIGHT_SEND, 1) == KERN_INVALID_RIGHT);
  CHECK(mach_port_mod_refs(s, r, MACH_PORT_RIGHT_SEND_ONCE, -1) == KERN_INVALID_RIGHT);
  CHECK(mach_port_mod_refs(s, r, MACH_PORT_RIGHT_DEAD_NAME, 1) == KERN_INVALID_RIGHT);
  CHECK(mach_port_mod_refs(s, r, MACH_PORT_RIGHT_PORT_SET, -1) == KERN_INVALID_RIGHT);
  CHECK(mach_port_mod_refs(s, r, MACH_PORT_RIGHT_NUMBER, 0) == KERN_INVALID_VALUE);
  CHECK(mach_port_mod_refs(s, kBogus, MACH_PORT_RIGHT_RECEIVE, -1) == KERN_INVALID_NAME);
  CHECK(mach_port_mod_refs(s, r, MACH_PORT_RIGHT_RECEIVE, -1) == KERN_SUCCESS);
  CHECK(type_of(s, r) == 0);
  CHECK(g_ipc_stats.ports == 0);
}

TEST_CASE("ipc mach_port_mod_refs: send and dead-name urefs") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  mach_port_name_t r = new_port(a);
  IpcPort* p = port_of(a, r);
  mach_port_name_t sb = give(a, r, MACH_MSG_TYPE_MAKE_SEND, b);
  CHECK(mach_port_mod_refs(b, sb, MACH_PORT_RIGHT_SEND, 4) == KERN_SUCCESS);
  CHECK(send_refs(b, sb) == 5);
  CHECK(p->srights == 1);
  CHECK(mach_port_mod_refs(b, sb, MACH_PORT_RIGHT_SEND, -6) == KERN_INVALID_VALUE);
  CHECK(send_refs(b, sb) == 5);
  CHECK(mach_port_mod_refs(b, sb, MACH_PORT_RIGHT_SEND, 0) == KERN_SUCCESS);
  CHECK(mach_port_mod_refs(b, sb, MACH_PORT_RIGHT_RECEIVE, -1) == KERN_INVALID_RIGHT);
  CHECK(mach_port_mod_refs(b, sb, MACH_PORT_RIGHT_DEAD_NAME, 1) == KERN_INVALID_RIGHT);
  CHECK(mach_port_mod_refs(b, sb, MACH_PORT_RIGHT_SEND, -5) == KERN_SUCCESS);
  CHECK(type_of(b, sb) == 0);
  CHECK(p->srights == 0);
  CHECK(p->refs == 1);

  // Send right of a port that died: the name is a dead name now (GNU Mach:
  // mod_refs on MACH_PORT_RIGHT_SEND then fails with KERN_INVALID_RIGHT).
  sb = give(a, r, MACH_MSG_TYPE_MAKE_SEND, b);
  REQUIRE(mach_port_destroy(a, r) == KERN_SUCCESS);
  CHECK(mach_port_mod_refs(b, sb, MACH_PORT_RIGHT_SEND, -1) == KERN_INVALID_RIGHT);
  CHECK(mach_port_mod_refs(b, sb, MACH_PORT_RIGHT_DEAD_NAME, 2) == KERN_SUCCESS);
  CHECK(dead_refs(b, sb) == 3);
  CHECK(mach_port_mod_refs(b, sb, MACH_PORT_RIGHT_DEAD_NAME, -4) == KERN_INVALID_VALUE);
  CHECK(mach_port_mod_refs(b, sb, MACH_PORT_RIGHT_DEAD_NAME, -3) == KERN_SUCCESS);
  CHECK(name_count(b) == 0);
}

TEST_CASE("ipc mach_port_mod_refs: send-once and port set") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  mach_port_name_t r = new_port(a);
  mach_port_name_t so = give(a, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, b);
  CHECK(mach_port_mod_refs(b, so, MACH_PORT_RIGHT_SEND_ONCE, 1) == KERN_INVALID_VALUE);
  CHECK(mach_port_mod_refs(b, so, MACH_PORT_RIGHT_SEND_ONCE, 0) == KERN_SUCCESS);
  CHECK(mach_port_mod_refs(b, so, MACH_PORT_RIGHT_SEND, -1) == KERN_INVALID_RIGHT);
  CHECK(mach_port_mod_refs(b, so, MACH_PORT_RIGHT_SEND_ONCE, -1) == KERN_SUCCESS);
  CHECK(type_of(b, so) == 0);
  // An unused send-once right going away tells its port.
  Rcv n = recv(a, r);
  REQUIRE(n.mr == MACH_MSG_SUCCESS);
  CHECK(n.h().msgh_id == MACH_NOTIFY_SEND_ONCE);

  mach_port_name_t ps = new_set(a);
  CHECK(mach_port_mod_refs(a, ps, MACH_PORT_RIGHT_PORT_SET, 1) == KERN_INVALID_VALUE);
  CHECK(mach_port_mod_refs(a, ps, MACH_PORT_RIGHT_PORT_SET, 0) == KERN_SUCCESS);
  CHECK(mach_port_mod_refs(a, ps, MACH_PORT_RIGHT_PORT_SET, -1) == KERN_SUCCESS);
  CHECK(type_of(a, ps) == 0);
  CHECK(g_ipc_stats.port_sets == 0);
}

TEST_CASE("ipc mach_port_get_refs") {
  IpcFixture f;
  IpcSpace* a = f.space();
  mach_port_name_t r = new_port(a);
  mach_port_urefs_t n = 99;
  CHECK(mach_port_get_refs(a, r, MACH_PORT_RIGHT_NUMBER, &n) == KERN_INVALID_VALUE);
  CHECK(mach_port_get_refs(a, kBogus, MACH_PORT_RIGHT_SEND, &n) == KERN_INVALID_NAME);
  CHECK(refs_of(a, r, MACH_PORT_RIGHT_RECEIVE) == 1);
  CHECK(refs_of(a, r, MACH_PORT_RIGHT_SEND) == 0);
  CHECK(refs_of(a, r, MACH_PORT_RIGHT_SEND_ONCE) == 0);
  CHECK(refs_of(a, r, MACH_PORT_RIGHT_PORT_SET) == 0);
  CHECK(refs_of(a, r, MACH_PORT_RIGHT_DEAD_NAME) == 0);
  give(a, r, MACH_MSG_TYPE_MAKE_SEND, a);
  give(a, r, MACH_MSG_TYPE_MAKE_SEND, a);
  CHECK(refs_of(a, r, MACH_PORT_RIGHT_SEND) == 2);
  CHECK(refs_of(a, r, MACH_PORT_RIGHT_RECEIVE) == 1);
  mach_port_name_t so = give(a, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, a);
  CHECK(refs_of(a, so, MACH_PORT_RIGHT_SEND_ONCE) == 1);
  CHECK(refs_of(a, so, MACH_PORT_RIGHT_SEND) == 0);
  mach_port_name_t ps = new_set(a);
  CHECK(refs_of(a, ps, MACH_PORT_RIGHT_PORT_SET) == 1);
}

TEST_CASE("ipc mach_port_names and mach_port_type") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  mach_port_name_t r = new_port(a);
  mach_port_name_t ps = new_set(a);
  mach_port_name_t dn;
  REQUIRE(mach_port_allocate(a, MACH_PORT_RIGHT_DEAD_NAME, &dn) == KERN_SUCCESS);
  mach_port_name_t rb = new_port(b);
  mach_port_name_t s = give(b, rb, MACH_MSG_TYPE_MAKE_SEND, a);
  mach_port_name_t so = give(b, rb, MACH_MSG_TYPE_MAKE_SEND_ONCE, a);
  IpcPort* prev;
  REQUIRE(mach_port_request_notification(a, s, MACH_NOTIFY_DEAD_NAME, 0, make_so(a, r), &prev) == KERN_SUCCESS);

  size_t count = 0;
  mach_port_name_t names[8];
  mach_port_type_t types[8];
  CHECK(mach_port_names(a, names, types, 2, &count) == KERN_SUCCESS);
  CHECK(count == 5);  // the total, beyond the room given
  REQUIRE(mach_port_names(a, names, types, 8, &count) == KERN_SUCCESS);
  REQUIRE(count == 5);
  std::map<mach_port_name_t, mach_port_type_t> m;
  for (size_t i = 0; i < count; i++) m[names[i]] = types[i];
  CHECK(m[r] == MACH_PORT_TYPE_RECEIVE);
  CHECK(m[ps] == MACH_PORT_TYPE_PORT_SET);
  CHECK(m[dn] == MACH_PORT_TYPE_DEAD_NAME);
  CHECK(m[s] == (MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_DNREQUEST));
  CHECK(m[so] == MACH_PORT_TYPE_SEND_ONCE);
  CHECK(type_of(a, s) == (MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_DNREQUEST));
  mach_port_type_t t;
  CHECK(mach_port_type(a, 0x4242u << 8, &t) == KERN_INVALID_NAME);
}

TEST_CASE("ipc mach_port_rename") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  mach_port_name_t r = new_port(a);
  mach_port_name_t other = new_port(a);
  CHECK(send(a, Msg(r, MACH_MSG_TYPE_MAKE_SEND, MACH_PORT_NULL, 0, 1)) == MACH_MSG_SUCCESS);
  mach_port_name_t sb = give(a, r, MACH_MSG_TYPE_MAKE_SEND, b);

  CHECK(mach_port_rename(a, r, other) == KERN_NAME_EXISTS);
  CHECK(mach_port_rename(a, kBogus, MACH_PORT_MAKE(40u, 0u)) == KERN_INVALID_NAME);
  CHECK(mach_port_rename(a, r, MACH_PORT_NULL) == KERN_INVALID_VALUE);
  CHECK(mach_port_rename(a, r, MACH_PORT_DEAD) == KERN_INVALID_VALUE);
  CHECK(type_of(a, r) == MACH_PORT_TYPE_RECEIVE);

  const mach_port_name_t nn = MACH_PORT_MAKE(40u, 7u);
  REQUIRE(mach_port_rename(a, r, nn) == KERN_SUCCESS);
  CHECK(type_of(a, r) == 0);
  CHECK(type_of(a, nn) == MACH_PORT_TYPE_RECEIVE);
  CHECK(port_of(a, nn)->receiver_name == nn);
  // Queued messages and new send rights follow the new name.
  Rcv m = recv(a, nn);
  REQUIRE(m.mr == MACH_MSG_SUCCESS);
  CHECK(m.h().msgh_id == 1);
  CHECK(m.h().msgh_local_port == nn);
  CHECK(give(a, nn, MACH_MSG_TYPE_MAKE_SEND, a) == nn);
  CHECK(type_of(a, nn) == MACH_PORT_TYPE_SEND_RECEIVE);
  CHECK(send(b, Msg(sb, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, 2)) == MACH_MSG_SUCCESS);
  m = recv(a, nn);
  CHECK(m.h().msgh_local_port == nn);

  // A set: its status names it by the new name.
  mach_port_name_t ps = new_set(a);
  REQUIRE(mach_port_move_member(a, other, ps) == KERN_SUCCESS);
  const mach_port_name_t ps2 = MACH_PORT_MAKE(41u, 0u);
  REQUIRE(mach_port_rename(a, ps, ps2) == KERN_SUCCESS);
  mach_port_status_t st;
  uint32_t count = sizeof st / 4;
  REQUIRE(mach_port_get_attributes(a, other, MACH_PORT_RECEIVE_STATUS, reinterpret_cast<uint32_t*>(&st), &count) ==
          KERN_SUCCESS);
  CHECK(st.mps_pset == ps2);

  // Renaming a send name keeps the merge working in b.
  const mach_port_name_t sb2 = MACH_PORT_MAKE(3000u, 0u);  // also grows the table
  REQUIRE(mach_port_rename(b, sb, sb2) == KERN_SUCCESS);
  CHECK(give(a, nn, MACH_MSG_TYPE_MAKE_SEND, b) == sb2);
  CHECK(send_refs(b, sb2) == 2);
}

TEST_CASE("ipc mach_port_rename carries a dead-name request to the new name") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  mach_port_name_t r = new_port(a);
  mach_port_name_t notify = new_port(b);
  mach_port_name_t sb = give(a, r, MACH_MSG_TYPE_MAKE_SEND, b);
  IpcPort* prev;
  REQUIRE(mach_port_request_notification(b, sb, MACH_NOTIFY_DEAD_NAME, 0, make_so(b, notify), &prev) ==
          KERN_SUCCESS);
  const mach_port_name_t nn = MACH_PORT_MAKE(9u, 9u);
  REQUIRE(mach_port_rename(b, sb, nn) == KERN_SUCCESS);
  CHECK(type_of(b, nn) == (MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_DNREQUEST));
  REQUIRE(mach_port_destroy(a, r) == KERN_SUCCESS);
  Rcv n = recv(b, notify);
  REQUIRE(n.mr == MACH_MSG_SUCCESS);
  CHECK(n.h().msgh_id == MACH_NOTIFY_DEAD_NAME);
  CHECK(n.not_word() == nn);
  CHECK(type_of(b, nn) == MACH_PORT_TYPE_DEAD_NAME);
}

TEST_CASE("ipc mach_port_move_member") {
  IpcFixture f;
  IpcSpace* a = f.space();
  mach_port_name_t r = new_port(a);
  mach_port_name_t ps1 = new_set(a);
  mach_port_name_t ps2 = new_set(a);
  mach_port_name_t s = give(a, new_port(a), MACH_MSG_TYPE_MAKE_SEND_ONCE, a);
  CHECK(mach_port_move_member(a, r, MACH_PORT_NULL) == KERN_NOT_IN_SET);
  CHECK(mach_port_move_member(a, kBogus, ps1) == KERN_INVALID_NAME);
  CHECK(mach_port_move_member(a, r, kBogus) == KERN_INVALID_NAME);
  CHECK(mach_port_move_member(a, ps1, ps2) == KERN_INVALID_RIGHT);  // a set is no member
  CHECK(mach_port_move_member(a, s, ps1) == KERN_INVALID_RIGHT);    // a send-once right neither
  CHECK(mach_port_move_member(a, r, r) == KERN_INVALID_RIGHT);      // a port is no set
  IpcPort* p = port_of(a, r);
  CHECK(p->pset == nullptr);

  REQUIRE(mach_port_move_member(a, r, ps1) == KERN_SUCCESS);
  CHECK(p->pset == a->lookup(ps1)->pset());
  REQUIRE(mach_port_move_member(a, r, ps2) == KERN_SUCCESS);  // moves, not adds
  CHECK(p->pset == a->lookup(ps2)->pset());
  CHECK(a->lookup(ps1)->pset()->members.empty());
  CHECK(a->lookup(ps2)->pset()->members.size() == 1);
  REQUIRE(mach_port_move_member(a, r, MACH_PORT_NULL) == KERN_SUCCESS);
  CHECK(p->pset == nullptr);
  CHECK(a->lookup(ps2)->pset()->members.empty());
  CHECK(mach_port_move_member(a, r, MACH_PORT_NULL) == KERN_NOT_IN_SET);

  // Destroying the set releases its members (they stay receive rights).
  REQUIRE(mach_port_move_member(a, r, ps1) == KERN_SUCCESS);
  REQUIRE(mach_port_destroy(a, ps1) == KERN_SUCCESS);
  CHECK(p->pset == nullptr);
  CHECK(type_of(a, r) == MACH_PORT_TYPE_RECEIVE);
  // Destroying a member removes it from its set.
  REQUIRE(mach_port_move_member(a, r, ps2) == KERN_SUCCESS);
  REQUIRE(mach_port_destroy(a, r) == KERN_SUCCESS);
  CHECK(a->lookup(ps2)->pset()->members.empty());
}

TEST_CASE("ipc mach_port_request_notification: error codes") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  mach_port_name_t r = new_port(a);
  mach_port_name_t notify = new_port(a);
  mach_port_name_t ps = new_set(a);
  mach_port_name_t sb = give(a, r, MACH_MSG_TYPE_MAKE_SEND, b);
  IpcPort* prev = kIpcPortDead;
  IpcPort* so = make_so(a, notify);
  CHECK(mach_port_request_notification(a, r, 999, 0, so, &prev) == KERN_INVALID_VALUE);
  CHECK(prev == nullptr);
  CHECK(mach_port_request_notification(a, r, MACH_NOTIFY_PORT_DESTROYED, 0, so, &prev) == KERN_INVALID_VALUE);
  CHECK(mach_port_request_notification(a, r, MACH_NOTIFY_SEND_ONCE, 0, so, &prev) == KERN_INVALID_VALUE);
  CHECK(mach_port_request_notification(a, kBogus, MACH_NOTIFY_NO_SENDERS, 0, so, &prev) == KERN_INVALID_NAME);
  CHECK(mach_port_request_notification(b, sb, MACH_NOTIFY_NO_SENDERS, 0, so, &prev) == KERN_INVALID_RIGHT);
  CHECK(mach_port_request_notification(a, ps, MACH_NOTIFY_NO_SENDERS, 0, so, &prev) == KERN_INVALID_RIGHT);
  CHECK(mach_port_request_notification(a, r, MACH_NOTIFY_DEAD_NAME, 0, so, &prev) == KERN_INVALID_RIGHT);
  CHECK(mach_port_request_notification(a, ps, MACH_NOTIFY_DEAD_NAME, 0, so, &prev) == KERN_INVALID_RIGHT);
  mach_port_name_t dn;
  REQUIRE(mach_port_allocate(b, MACH_PORT_RIGHT_DEAD_NAME, &dn) == KERN_SUCCESS);
  CHECK(mach_port_request_notification(b, dn, MACH_NOTIFY_DEAD_NAME, 0, so, &prev) == KERN_INVALID_ARGUMENT);
  CHECK(type_of(a, r) == MACH_PORT_TYPE_RECEIVE);
  CHECK(type_of(b, sb) == MACH_PORT_TYPE_SEND);
  CHECK(port_of(a, r)->nsrequest == nullptr);
  // The refused right is still ours: releasing it unused sends a send-once
  // notification to `notify`.
  CHECK(queued(a, notify) == 0);
  ipc_right_release(so, MACH_MSG_TYPE_PORT_SEND_ONCE);
  Rcv n = recv(a, notify);
  REQUIRE(n.mr == MACH_MSG_SUCCESS);
  CHECK(n.h().msgh_id == MACH_NOTIFY_SEND_ONCE);
}

TEST_CASE("ipc mach_port_request_notification returns the previous request's right") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  mach_port_name_t r = new_port(a);
  mach_port_name_t n1 = new_port(a);
  mach_port_name_t n2 = new_port(a);
  mach_port_name_t sb = give(a, r, MACH_MSG_TYPE_MAKE_SEND, b);
  IpcPort* so1 = make_so(a, n1);
  IpcPort* so2 = make_so(a, n2);
  IpcPort* prev = kIpcPortDead;

  // No-senders (srights 1: not fired at once).
  REQUIRE(mach_port_request_notification(a, r, MACH_NOTIFY_NO_SENDERS, 0, so1, &prev) == KERN_SUCCESS);
  CHECK(prev == nullptr);
  REQUIRE(mach_port_request_notification(a, r, MACH_NOTIFY_NO_SENDERS, 0, so2, &prev) == KERN_SUCCESS);
  CHECK(prev == so1);
  REQUIRE(mach_port_request_notification(a, r, MACH_NOTIFY_NO_SENDERS, 0, nullptr, &prev) == KERN_SUCCESS);
  CHECK(prev == so2);  // cancelled
  CHECK(port_of(a, r)->nsrequest == nullptr);
  // Returned rights belong to the caller (here: given to a as names).
  mach_port_name_t x;
  REQUIRE(ipc_right_copyout(a, so1, MACH_MSG_TYPE_PORT_SEND_ONCE, &x) == KERN_SUCCESS);
  CHECK(type_of(a, x) == MACH_PORT_TYPE_SEND_ONCE);
  REQUIRE(ipc_right_copyout(a, so2, MACH_MSG_TYPE_PORT_SEND_ONCE, &x) == KERN_SUCCESS);

  // Dead-name.
  mach_port_name_t n1b = give(a, n1, MACH_MSG_TYPE_MOVE_RECEIVE, b);
  so1 = make_so(b, n1b);
  so2 = make_so(a, n2);
  REQUIRE(mach_port_request_notification(b, sb, MACH_NOTIFY_DEAD_NAME, 0, so1, &prev) == KERN_SUCCESS);
  CHECK(prev == nullptr);
  CHECK((type_of(b, sb) & MACH_PORT_TYPE_DNREQUEST) != 0);
  REQUIRE(mach_port_request_notification(b, sb, MACH_NOTIFY_DEAD_NAME, 0, so2, &prev) == KERN_SUCCESS);
  CHECK(prev == so1);
  ipc_right_release(prev, MACH_MSG_TYPE_PORT_SEND_ONCE);  // send-once notification to n1
  Rcv so_note = recv(b, n1b);
  REQUIRE(so_note.mr == MACH_MSG_SUCCESS);
  CHECK(so_note.h().msgh_id == MACH_NOTIFY_SEND_ONCE);
  REQUIRE(mach_port_request_notification(b, sb, MACH_NOTIFY_DEAD_NAME, 0, nullptr, &prev) == KERN_SUCCESS);
  CHECK(prev == so2);
  CHECK((type_of(b, sb) & MACH_PORT_TYPE_DNREQUEST) == 0);
  CHECK(port_of(a, r)->dnrequests.empty());
  ipc_right_release(prev, MACH_MSG_TYPE_PORT_SEND_ONCE);
  CHECK(recv(a, n2).h().msgh_id == MACH_NOTIFY_SEND_ONCE);
  // Nothing fires later.
  REQUIRE(mach_port_destroy(a, r) == KERN_SUCCESS);
  CHECK(queued(a, n2) == 0);
  CHECK(queued(b, n1b) == 0);
}

TEST_CASE("ipc mach_port_set_qlimit") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  mach_port_name_t r = new_port(a);
  mach_port_name_t sb = give(a, r, MACH_MSG_TYPE_MAKE_SEND, b);
  CHECK(mach_port_set_qlimit(a, r, MACH_PORT_QLIMIT_MAX + 1) == KERN_INVALID_VALUE);
  CHECK(port_of(a, r)->qlimit == MACH_PORT_QLIMIT_DEFAULT);
  CHECK(mach_port_set_qlimit(b, sb, 1) == KERN_INVALID_RIGHT);
  CHECK(mach_port_set_qlimit(a, kBogus, 1) == KERN_INVALID_NAME);
  CHECK(mach_port_set_qlimit(a, r, MACH_PORT_QLIMIT_MAX) == KERN_SUCCESS);
  uint32_t info[1] = {0};
  uint32_t count = 1;
  REQUIRE(mach_port_get_attributes(a, r, MACH_PORT_LIMITS_INFO, info, &count) == KERN_SUCCESS);
  CHECK(count == 1);
  CHECK(info[0] == MACH_PORT_QLIMIT_MAX);
  CHECK(mach_port_set_qlimit(a, r, MACH_PORT_QLIMIT_ZERO) == KERN_SUCCESS);
  CHECK(ipc_mqueue_full(port_of(a, r), MACH_MSG_TYPE_PORT_SEND));
  CHECK(!ipc_mqueue_full(port_of(a, r), MACH_MSG_TYPE_PORT_SEND_ONCE));
}

TEST_CASE("ipc mach_port_get_attributes: both flavors and their errors") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  mach_port_name_t r = new_port(a);
  mach_port_name_t notify = new_port(a);
  mach_port_name_t ps = new_set(a);
  mach_port_name_t sb = give(a, r, MACH_MSG_TYPE_MAKE_SEND, b);
  give(a, r, MACH_MSG_TYPE_MAKE_SEND, b);
  give(a, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, b);
  CHECK(send(b, Msg(sb, MACH_MSG_TYPE_COPY_SEND)) == MACH_MSG_SUCCESS);
  CHECK(send(b, Msg(sb, MACH_MSG_TYPE_COPY_SEND)) == MACH_MSG_SUCCESS);
  CHECK(recv(a, r).mr == MACH_MSG_SUCCESS);
  REQUIRE(mach_port_set_qlimit(a, r, 9) == KERN_SUCCESS);
  REQUIRE(mach_port_move_member(a, r, ps) == KERN_SUCCESS);
  IpcPort* prev;
  REQUIRE(mach_port_request_notification(a, r, MACH_NOTIFY_NO_SENDERS, 0, make_so(a, notify), &prev) ==
          KERN_SUCCESS);

  mach_port_status_t st{};
  uint32_t count = sizeof st / 4;
  REQUIRE(mach_port_get_attributes(a, r, MACH_PORT_RECEIVE_STATUS, reinterpret_cast<uint32_t*>(&st), &count) ==
          KERN_SUCCESS);
  CHECK(count == sizeof st / 4);
  CHECK(st.mps_pset == ps);
  CHECK(st.mps_seqno == 1);
  CHECK(st.mps_mscount == 2);
  CHECK(st.mps_qlimit == 9);
  CHECK(st.mps_msgcount == 1);
  CHECK(st.mps_sorights == 1);
  CHECK(st.mps_srights != 0);
  CHECK(st.mps_nsrequest != 0);
  CHECK(st.mps_pdrequest == 0);

  count = sizeof st / 4 - 1;
  CHECK(mach_port_get_attributes(a, r, MACH_PORT_RECEIVE_STATUS, reinterpret_cast<uint32_t*>(&st), &count) ==
        KERN_FAILURE);
  uint32_t lim = 0;
  count = 0;
  CHECK(mach_port_get_attributes(a, r, MACH_PORT_LIMITS_INFO, &lim, &count) == KERN_FAILURE);
  count = 1;
  CHECK(mach_port_get_attributes(a, r, 77, &lim, &count) == KERN_INVALID_VALUE);
  CHECK(mach_port_get_attributes(b, sb, MACH_PORT_LIMITS_INFO, &lim, &count) == KERN_INVALID_RIGHT);
  CHECK(mach_port_get_attributes(a, ps, MACH_PORT_LIMITS_INFO, &lim, &count) == KERN_INVALID_RIGHT);
  CHECK(mach_port_get_attributes(a, kBogus, MACH_PORT_LIMITS_INFO, &lim, &count) == KERN_INVALID_NAME);
  REQUIRE(mach_port_get_attributes(a, r, MACH_PORT_LIMITS_INFO, &lim, &count) == KERN_SUCCESS);
  CHECK(lim == 9);
}

TEST_CASE("ipc insert_right (copyin + copyout_named)") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  mach_port_name_t r = new_port(a);
  IpcPort* p = port_of(a, r);
  mach_port_name_t busy = new_port(b);
  IpcPort* got;
  mach_msg_type_name_t t;
  const mach_port_name_t want = MACH_PORT_MAKE(20u, 5u);

  REQUIRE(ipc_right_copyin(a, r, MACH_MSG_TYPE_MAKE_SEND, &got, &t) == KERN_SUCCESS);
  REQUIRE(ipc_right_copyout_named(b, got, t, want) == KERN_SUCCESS);
  CHECK(type_of(b, want) == MACH_PORT_TYPE_SEND);
  CHECK(send_refs(b, want) == 1);
  // Again under the same name: merged.
  REQUIRE(ipc_right_copyin(a, r, MACH_MSG_TYPE_MAKE_SEND, &got, &t) == KERN_SUCCESS);
  REQUIRE(ipc_right_copyout_named(b, got, t, want) == KERN_SUCCESS);
  CHECK(send_refs(b, want) == 2);
  CHECK(p->srights == 1);
  // Under another name while b already names the port: KERN_RIGHT_EXISTS.
  REQUIRE(ipc_right_copyin(a, r, MACH_MSG_TYPE_MAKE_SEND, &got, &t) == KERN_SUCCESS);
  CHECK(ipc_right_copyout_named(b, got, t, MACH_PORT_MAKE(21u, 0u)) == KERN_RIGHT_EXISTS);
  // Refused rights are still the caller's.
  CHECK(p->srights == 2);
  ipc_right_release(got, t);
  CHECK(p->srights == 1);
  CHECK(type_of(b, MACH_PORT_MAKE(21u, 0u)) == 0);

  // A port b has no name for, under a name in use: KERN_NAME_EXISTS (GNU
  // Mach checks for an existing name of the port first, as here).
  mach_port_name_t r2 = new_port(a);
  REQUIRE(ipc_right_copyin(a, r2, MACH_MSG_TYPE_MAKE_SEND, &got, &t) == KERN_SUCCESS);
  CHECK(ipc_right_copyout_named(b, got, t, busy) == KERN_NAME_EXISTS);
  CHECK(ipc_right_copyout_named(b, got, t, want) == KERN_NAME_EXISTS);
  // Under a stale name of an entry in use: KERN_NAME_EXISTS too.
  CHECK(ipc_right_copyout_named(b, got, t, MACH_PORT_MAKE(MACH_PORT_INDEX(busy), MACH_PORT_GEN(busy) + 1)) ==
        KERN_NAME_EXISTS);
  CHECK(ipc_right_copyout_named(b, got, t, MACH_PORT_NULL) == KERN_INVALID_VALUE);
  CHECK(ipc_right_copyout_named(b, got, t, MACH_PORT_DEAD) == KERN_INVALID_VALUE);
  CHECK(port_of(a, r2)->srights == 1);
  ipc_right_release(got, t);
  CHECK(port_of(a, r2)->srights == 0);
  CHECK(port_of(a, r2)->refs == 1);

  // Send-once rights never share a name.
  REQUIRE(ipc_right_copyin(a, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, &got, &t) == KERN_SUCCESS);
  CHECK(ipc_right_copyout_named(b, got, t, want) == KERN_NAME_EXISTS);
  REQUIRE(ipc_right_copyout_named(b, got, t, MACH_PORT_MAKE(22u, 0u)) == KERN_SUCCESS);
  CHECK(type_of(b, MACH_PORT_MAKE(22u, 0u)) == MACH_PORT_TYPE_SEND_ONCE);

  // The receive right under the send right's name.
  REQUIRE(ipc_right_copyin(a, r, MACH_MSG_TYPE_MOVE_RECEIVE, &got, &t) == KERN_SUCCESS);
  CHECK(ipc_right_copyout_named(b, got, t, MACH_PORT_MAKE(23u, 0u)) == KERN_RIGHT_EXISTS);
  REQUIRE(ipc_right_copyout_named(b, got, t, want) == KERN_SUCCESS);
  CHECK(type_of(b, want) == MACH_PORT_TYPE_SEND_RECEIVE);
  CHECK(p->receiver == b);
  CHECK(p->receiver_name == want);
  CHECK(type_of(a, r) == 0);

  // Overflow.
  REQUIRE(mach_port_mod_refs(b, want, MACH_PORT_RIGHT_SEND, MACH_PORT_UREFS_MAX - 2) == KERN_SUCCESS);
  REQUIRE(ipc_right_copyin(b, want, MACH_MSG_TYPE_MAKE_SEND, &got, &t) == KERN_SUCCESS);
  CHECK(ipc_right_copyout_named(b, got, t, want) == KERN_UREFS_OVERFLOW);
  ipc_right_release(got, t);
  CHECK(p->srights == 1);

  // A dead port or a reserved value cannot be inserted.
  CHECK(ipc_right_copyout_named(b, kIpcPortDead, MACH_MSG_TYPE_PORT_SEND, MACH_PORT_MAKE(30u, 0u)) ==
        KERN_INVALID_CAPABILITY);
  CHECK(ipc_right_copyout_named(b, nullptr, MACH_MSG_TYPE_PORT_SEND, MACH_PORT_MAKE(30u, 0u)) ==
        KERN_INVALID_CAPABILITY);
  REQUIRE(ipc_right_copyin(b, want, MACH_MSG_TYPE_MAKE_SEND, &got, &t) == KERN_SUCCESS);
  REQUIRE(mach_port_destroy(b, want) == KERN_SUCCESS);
  CHECK(ipc_right_copyout_named(a, got, t, MACH_PORT_MAKE(30u, 0u)) == KERN_INVALID_CAPABILITY);
  ipc_right_release(got, t);
}

TEST_CASE("ipc extract_right (copyin from one space, copyout to another)") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  mach_port_name_t r = new_port(a);
  CHECK(send(a, Msg(r, MACH_MSG_TYPE_MAKE_SEND, MACH_PORT_NULL, 0, 5)) == MACH_MSG_SUCCESS);
  IpcPort* got;
  mach_msg_type_name_t t;
  REQUIRE(ipc_right_copyin(a, r, MACH_MSG_TYPE_MOVE_RECEIVE, &got, &t) == KERN_SUCCESS);
  CHECK(t == MACH_MSG_TYPE_PORT_RECEIVE);
  CHECK(got->msgcount == 1);  // the queue travels with the right
  mach_port_name_t rb;
  REQUIRE(ipc_right_copyout(b, got, t, &rb) == KERN_SUCCESS);
  Rcv m = recv(b, rb);
  REQUIRE(m.mr == MACH_MSG_SUCCESS);
  CHECK(m.h().msgh_id == 5);
  CHECK(m.h().msgh_local_port == rb);
  CHECK(recv(a, r).mr == MACH_RCV_INVALID_NAME);
}
