// Right transitions and reference counting in IPC spaces.
#include "ipc_test_util.h"

using namespace ipct;

TEST_CASE("ipc rights: allocate receive, port set, dead name") {
  IpcFixture f;
  IpcSpace* s = f.space();
  mach_port_name_t r = new_port(s);
  CHECK(MACH_PORT_VALID(r));
  CHECK(type_of(s, r) == MACH_PORT_TYPE_RECEIVE);
  CHECK(refs_of(s, r, MACH_PORT_RIGHT_RECEIVE) == 1);
  CHECK(send_refs(s, r) == 0);
  IpcPort* p = port_of(s, r);
  CHECK(p->receiver == s);
  CHECK(p->receiver_name == r);
  CHECK(p->srights == 0);
  CHECK(p->sorights == 0);
  CHECK(p->mscount == 0);
  CHECK(p->refs == 1);
  CHECK(p->qlimit == MACH_PORT_QLIMIT_DEFAULT);
  CHECK(g_ipc_stats.ports == 1);

  mach_port_name_t ps = new_set(s);
  CHECK(type_of(s, ps) == MACH_PORT_TYPE_PORT_SET);
  CHECK(refs_of(s, ps, MACH_PORT_RIGHT_PORT_SET) == 1);
  CHECK(g_ipc_stats.port_sets == 1);

  mach_port_name_t dn;
  REQUIRE(mach_port_allocate(s, MACH_PORT_RIGHT_DEAD_NAME, &dn) == KERN_SUCCESS);
  CHECK(type_of(s, dn) == MACH_PORT_TYPE_DEAD_NAME);
  CHECK(dead_refs(s, dn) == 1);
  CHECK(g_ipc_stats.ports == 1);  // a dead name has no port

  CHECK(r != ps);
  CHECK(ps != dn);
  CHECK(name_count(s) == 3);
}

TEST_CASE("ipc rights: make-send into the receiver's own space merges into the receive name") {
  IpcFixture f;
  IpcSpace* s = f.space();
  mach_port_name_t r = new_port(s);
  IpcPort* p = port_of(s, r);
  CHECK(give(s, r, MACH_MSG_TYPE_MAKE_SEND, s) == r);
  CHECK(type_of(s, r) == MACH_PORT_TYPE_SEND_RECEIVE);
  CHECK(send_refs(s, r) == 1);
  CHECK(p->mscount == 1);
  CHECK(p->srights == 1);
  CHECK(p->refs == 1);  // one entry, one reference
  CHECK(give(s, r, MACH_MSG_TYPE_MAKE_SEND, s) == r);
  CHECK(send_refs(s, r) == 2);
  CHECK(p->mscount == 2);
  CHECK(p->srights == 1);  // a name's merged rights count once
  CHECK(p->refs == 1);
  CHECK(name_count(s) == 1);
}

TEST_CASE("ipc rights: make-send into another space; repeated send rights merge with urefs++") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  mach_port_name_t r = new_port(a);
  IpcPort* p = port_of(a, r);
  mach_port_name_t sb = give(a, r, MACH_MSG_TYPE_MAKE_SEND, b);
  CHECK(MACH_PORT_VALID(sb));
  CHECK(type_of(b, sb) == MACH_PORT_TYPE_SEND);
  CHECK(send_refs(b, sb) == 1);
  CHECK(p->srights == 1);
  CHECK(p->mscount == 1);
  CHECK(p->refs == 2);
  CHECK(type_of(a, r) == MACH_PORT_TYPE_RECEIVE);  // the sender keeps only its receive right

  CHECK(give(a, r, MACH_MSG_TYPE_MAKE_SEND, b) == sb);
  CHECK(send_refs(b, sb) == 2);
  CHECK(p->srights == 1);
  CHECK(p->mscount == 2);
  CHECK(p->refs == 2);
  CHECK(name_count(b) == 1);
}

TEST_CASE("ipc rights: copy-send keeps the source's urefs; needs a send right") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  IpcSpace* c = f.space();
  mach_port_name_t r = new_port(a);
  IpcPort* p = port_of(a, r);
  mach_port_name_t sb = give(a, r, MACH_MSG_TYPE_MAKE_SEND, b);
  mach_port_name_t sc = give(b, sb, MACH_MSG_TYPE_COPY_SEND, c);
  CHECK(send_refs(b, sb) == 1);
  CHECK(type_of(c, sc) == MACH_PORT_TYPE_SEND);
  CHECK(send_refs(c, sc) == 1);
  CHECK(p->srights == 2);
  CHECK(p->mscount == 1);  // copies are not made
  CHECK(p->refs == 3);

  IpcPort* got;
  mach_msg_type_name_t t;
  // A receive-only name has no send right to copy.
  CHECK(ipc_right_copyin(a, r, MACH_MSG_TYPE_COPY_SEND, &got, &t) == KERN_INVALID_RIGHT);
  CHECK(ipc_right_copyin(a, r, MACH_MSG_TYPE_MOVE_SEND, &got, &t) == KERN_INVALID_RIGHT);
  // A send-only name cannot make rights.
  CHECK(ipc_right_copyin(b, sb, MACH_MSG_TYPE_MAKE_SEND, &got, &t) == KERN_INVALID_RIGHT);
  CHECK(ipc_right_copyin(b, sb, MACH_MSG_TYPE_MAKE_SEND_ONCE, &got, &t) == KERN_INVALID_RIGHT);
  CHECK(ipc_right_copyin(b, sb, MACH_MSG_TYPE_MOVE_RECEIVE, &got, &t) == KERN_INVALID_RIGHT);
  CHECK(ipc_right_copyin(b, sb, MACH_MSG_TYPE_MOVE_SEND_ONCE, &got, &t) == KERN_INVALID_RIGHT);
  CHECK(ipc_right_copyin(b, sb, MACH_MSG_TYPE_COPY_RECEIVE, &got, &t) == KERN_INVALID_VALUE);
  CHECK(ipc_right_copyin(b, sb, 3, &got, &t) == KERN_INVALID_VALUE);
  CHECK(ipc_right_copyin(b, 0x12345600u, MACH_MSG_TYPE_COPY_SEND, &got, &t) == KERN_INVALID_NAME);
  CHECK(p->srights == 2);
  CHECK(p->refs == 3);
}

TEST_CASE("ipc rights: move-send takes one uref; the last one frees the name") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  IpcSpace* c = f.space();
  mach_port_name_t r = new_port(a);
  IpcPort* p = port_of(a, r);
  mach_port_name_t sb = give(a, r, MACH_MSG_TYPE_MAKE_SEND, b);
  give(a, r, MACH_MSG_TYPE_MAKE_SEND, b);
  REQUIRE(send_refs(b, sb) == 2);

  mach_port_name_t sc = give(b, sb, MACH_MSG_TYPE_MOVE_SEND, c);
  CHECK(send_refs(b, sb) == 1);
  CHECK(p->srights == 2);
  CHECK(give(b, sb, MACH_MSG_TYPE_MOVE_SEND, c) == sc);
  CHECK(send_refs(c, sc) == 2);
  CHECK(type_of(b, sb) == 0);
  mach_port_type_t t;
  CHECK(mach_port_type(b, sb, &t) == KERN_INVALID_NAME);
  CHECK(name_count(b) == 0);
  CHECK(p->srights == 1);
  CHECK(p->refs == 2);  // a's entry, c's entry
}

TEST_CASE("ipc rights: move-send of the last uref keeps the name when the receive right remains") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  mach_port_name_t r = new_port(a);
  IpcPort* p = port_of(a, r);
  give(a, r, MACH_MSG_TYPE_MAKE_SEND, a);
  REQUIRE(type_of(a, r) == MACH_PORT_TYPE_SEND_RECEIVE);
  mach_port_name_t sb = give(a, r, MACH_MSG_TYPE_MOVE_SEND, b);
  CHECK(type_of(a, r) == MACH_PORT_TYPE_RECEIVE);
  CHECK(send_refs(a, r) == 0);
  CHECK(type_of(b, sb) == MACH_PORT_TYPE_SEND);
  CHECK(p->srights == 1);
  CHECK(p->refs == 2);
  // The receive name still merges a new send right.
  CHECK(give(a, r, MACH_MSG_TYPE_MAKE_SEND, a) == r);
}

TEST_CASE("ipc rights: make-send-once and move-send-once; send-once rights never merge") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  IpcSpace* c = f.space();
  mach_port_name_t r = new_port(a);
  IpcPort* p = port_of(a, r);
  mach_port_name_t so1 = give(a, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, b);
  mach_port_name_t so2 = give(a, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, b);
  CHECK(so1 != so2);
  CHECK(type_of(b, so1) == MACH_PORT_TYPE_SEND_ONCE);
  CHECK(refs_of(b, so1, MACH_PORT_RIGHT_SEND_ONCE) == 1);
  CHECK(p->sorights == 2);
  CHECK(p->mscount == 0);
  CHECK(p->srights == 0);
  CHECK(p->refs == 3);
  // Into the receiver's own space: its own name, not the receive name.
  mach_port_name_t so3 = give(a, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, a);
  CHECK(so3 != r);
  CHECK(type_of(a, so3) == MACH_PORT_TYPE_SEND_ONCE);
  CHECK(type_of(a, r) == MACH_PORT_TYPE_RECEIVE);

  mach_port_name_t sc = give(b, so1, MACH_MSG_TYPE_MOVE_SEND_ONCE, c);
  CHECK(type_of(b, so1) == 0);
  CHECK(type_of(c, sc) == MACH_PORT_TYPE_SEND_ONCE);
  CHECK(p->sorights == 3);
  IpcPort* got;
  mach_msg_type_name_t t;
  // A send-once right cannot be copied or moved as a send right.
  CHECK(ipc_right_copyin(c, sc, MACH_MSG_TYPE_COPY_SEND, &got, &t) == KERN_INVALID_RIGHT);
  CHECK(ipc_right_copyin(c, sc, MACH_MSG_TYPE_MOVE_SEND, &got, &t) == KERN_INVALID_RIGHT);
}

TEST_CASE("ipc rights: move-receive changes the receiver's space") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  mach_port_name_t r = new_port(a);
  IpcPort* p = port_of(a, r);
  IpcPort* got;
  mach_msg_type_name_t t;
  REQUIRE(ipc_right_copyin(a, r, MACH_MSG_TYPE_MOVE_RECEIVE, &got, &t) == KERN_SUCCESS);
  CHECK(got == p);
  CHECK(t == MACH_MSG_TYPE_PORT_RECEIVE);
  CHECK(type_of(a, r) == 0);
  CHECK(p->in_transit());
  CHECK(p->receiver == nullptr);
  mach_port_name_t rb;
  REQUIRE(ipc_right_copyout(b, got, t, &rb) == KERN_SUCCESS);
  CHECK(type_of(b, rb) == MACH_PORT_TYPE_RECEIVE);
  CHECK(p->receiver == b);
  CHECK(p->receiver_name == rb);
  CHECK(!p->in_transit());
  CHECK(p->refs == 1);
  // The new receiver can make send rights; the old one cannot.
  CHECK(give(b, rb, MACH_MSG_TYPE_MAKE_SEND, a) != MACH_PORT_NULL);
  CHECK(ipc_right_copyin(a, r, MACH_MSG_TYPE_MAKE_SEND, &got, &t) == KERN_INVALID_NAME);
}

TEST_CASE("ipc rights: a received receive right shares the name of an existing send right") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  mach_port_name_t r = new_port(a);
  IpcPort* p = port_of(a, r);
  mach_port_name_t sb = give(a, r, MACH_MSG_TYPE_MAKE_SEND, b);
  give(a, r, MACH_MSG_TYPE_MAKE_SEND, b);
  mach_port_name_t rb = give(a, r, MACH_MSG_TYPE_MOVE_RECEIVE, b);
  CHECK(rb == sb);
  CHECK(type_of(b, sb) == MACH_PORT_TYPE_SEND_RECEIVE);
  CHECK(send_refs(b, sb) == 2);
  CHECK(p->receiver_name == sb);
  CHECK(p->refs == 1);
  CHECK(name_count(b) == 1);
}

TEST_CASE("ipc rights: moving a receive right out of a send+receive name leaves the send right") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  mach_port_name_t r = new_port(a);
  IpcPort* p = port_of(a, r);
  give(a, r, MACH_MSG_TYPE_MAKE_SEND, a);
  mach_port_name_t rb = give(a, r, MACH_MSG_TYPE_MOVE_RECEIVE, b);
  CHECK(type_of(a, r) == MACH_PORT_TYPE_SEND);
  CHECK(send_refs(a, r) == 1);
  CHECK(type_of(b, rb) == MACH_PORT_TYPE_RECEIVE);
  CHECK(p->refs == 2);
  // Moving it back merges with the send name again.
  CHECK(give(b, rb, MACH_MSG_TYPE_MOVE_RECEIVE, a) == r);
  CHECK(type_of(a, r) == MACH_PORT_TYPE_SEND_RECEIVE);
  CHECK(name_count(b) == 0);
}

TEST_CASE("ipc rights: user-reference overflow") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  mach_port_name_t r = new_port(a);
  IpcPort* p = port_of(a, r);
  mach_port_name_t sb = give(a, r, MACH_MSG_TYPE_MAKE_SEND, b);
  CHECK(mach_port_mod_refs(b, sb, MACH_PORT_RIGHT_SEND, MACH_PORT_UREFS_MAX - 1) == KERN_SUCCESS);
  CHECK(send_refs(b, sb) == MACH_PORT_UREFS_MAX);
  CHECK(mach_port_mod_refs(b, sb, MACH_PORT_RIGHT_SEND, 1) == KERN_UREFS_OVERFLOW);
  CHECK(send_refs(b, sb) == MACH_PORT_UREFS_MAX);

  // One more send right arriving: this core refuses it (the right is
  // destroyed and the receiver sees MACH_PORT_DEAD). GNU Mach instead pegs
  // urefs at the maximum and reports success for rights received in a
  // message; mach_port_insert_right fails in both.
  IpcPort* got;
  mach_msg_type_name_t t;
  REQUIRE(ipc_right_copyin(a, r, MACH_MSG_TYPE_MAKE_SEND, &got, &t) == KERN_SUCCESS);
  CHECK(p->srights == 2);
  mach_port_name_t n;
  CHECK(ipc_right_copyout(b, got, t, &n) == KERN_UREFS_OVERFLOW);
  CHECK(n == MACH_PORT_DEAD);
  CHECK(p->srights == 1);
  CHECK(p->refs == 2);
  CHECK(send_refs(b, sb) == MACH_PORT_UREFS_MAX);

  // Dead names overflow the same way.
  mach_port_name_t dn;
  REQUIRE(mach_port_allocate(b, MACH_PORT_RIGHT_DEAD_NAME, &dn) == KERN_SUCCESS);
  CHECK(mach_port_mod_refs(b, dn, MACH_PORT_RIGHT_DEAD_NAME, MACH_PORT_UREFS_MAX - 1) == KERN_SUCCESS);
  CHECK(mach_port_mod_refs(b, dn, MACH_PORT_RIGHT_DEAD_NAME, 1) == KERN_UREFS_OVERFLOW);
  CHECK(dead_refs(b, dn) == MACH_PORT_UREFS_MAX);
}

TEST_CASE("ipc rights: send and send-once names become dead names when the port dies; urefs kept") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  mach_port_name_t r = new_port(a);
  mach_port_name_t sb = give(a, r, MACH_MSG_TYPE_MAKE_SEND, b);
  give(a, r, MACH_MSG_TYPE_MAKE_SEND, b);
  give(a, r, MACH_MSG_TYPE_MAKE_SEND, b);
  mach_port_name_t so = give(a, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, b);
  REQUIRE(send_refs(b, sb) == 3);

  CHECK(mach_port_mod_refs(a, r, MACH_PORT_RIGHT_RECEIVE, -1) == KERN_SUCCESS);
  CHECK(type_of(a, r) == 0);
  CHECK(g_ipc_stats.ports == 1);  // dead, but b's names still refer to it

  CHECK(type_of(b, sb) == MACH_PORT_TYPE_DEAD_NAME);
  CHECK(dead_refs(b, sb) == 3);
  CHECK(send_refs(b, sb) == 0);
  CHECK(type_of(b, so) == MACH_PORT_TYPE_DEAD_NAME);
  CHECK(dead_refs(b, so) == 1);
  CHECK(g_ipc_stats.ports == 0);  // both names let go of it

  // Dead names are deallocated one uref at a time.
  CHECK(mach_port_deallocate(b, sb) == KERN_SUCCESS);
  CHECK(dead_refs(b, sb) == 2);
  CHECK(mach_port_mod_refs(b, sb, MACH_PORT_RIGHT_DEAD_NAME, -2) == KERN_SUCCESS);
  CHECK(type_of(b, sb) == 0);
  CHECK(mach_port_deallocate(b, so) == KERN_SUCCESS);
  CHECK(name_count(b) == 0);
}

TEST_CASE("ipc rights: mach_port_names reports dead names for dead ports") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  mach_port_name_t r = new_port(a);
  mach_port_name_t sb = give(a, r, MACH_MSG_TYPE_MAKE_SEND, b);
  mach_port_name_t rb = new_port(b);
  REQUIRE(mach_port_destroy(a, r) == KERN_SUCCESS);
  mach_port_name_t names[4];
  mach_port_type_t types[4];
  size_t count = 0;
  REQUIRE(mach_port_names(b, names, types, 4, &count) == KERN_SUCCESS);
  REQUIRE(count == 2);
  std::map<mach_port_name_t, mach_port_type_t> m{{names[0], types[0]}, {names[1], types[1]}};
  CHECK(m[sb] == MACH_PORT_TYPE_DEAD_NAME);
  CHECK(m[rb] == MACH_PORT_TYPE_RECEIVE);
}

TEST_CASE("ipc rights: copying in a dead name gives MACH_PORT_DEAD; moves take a uref") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  mach_port_name_t dn;
  REQUIRE(mach_port_allocate(a, MACH_PORT_RIGHT_DEAD_NAME, &dn) == KERN_SUCCESS);
  REQUIRE(mach_port_mod_refs(a, dn, MACH_PORT_RIGHT_DEAD_NAME, 1) == KERN_SUCCESS);
  IpcPort* got;
  mach_msg_type_name_t t;
  REQUIRE(ipc_right_copyin(a, dn, MACH_MSG_TYPE_COPY_SEND, &got, &t) == KERN_SUCCESS);
  CHECK(got == kIpcPortDead);
  CHECK(dead_refs(a, dn) == 2);
  REQUIRE(ipc_right_copyin(a, dn, MACH_MSG_TYPE_MOVE_SEND, &got, &t) == KERN_SUCCESS);
  CHECK(got == kIpcPortDead);
  CHECK(dead_refs(a, dn) == 1);
  REQUIRE(ipc_right_copyin(a, dn, MACH_MSG_TYPE_MOVE_SEND_ONCE, &got, &t) == KERN_SUCCESS);
  CHECK(got == kIpcPortDead);
  CHECK(t == MACH_MSG_TYPE_PORT_SEND_ONCE);
  CHECK(type_of(a, dn) == 0);
  mach_port_name_t n = 1;
  CHECK(ipc_right_copyout(b, kIpcPortDead, MACH_MSG_TYPE_PORT_SEND, &n) == KERN_SUCCESS);
  CHECK(n == MACH_PORT_DEAD);
  CHECK(ipc_right_copyout(b, nullptr, MACH_MSG_TYPE_PORT_SEND, &n) == KERN_SUCCESS);
  CHECK(n == MACH_PORT_NULL);
  // The reserved names copy in as themselves.
  REQUIRE(ipc_right_copyin(a, MACH_PORT_NULL, MACH_MSG_TYPE_MOVE_SEND, &got, &t) == KERN_SUCCESS);
  CHECK(got == nullptr);
  REQUIRE(ipc_right_copyin(a, MACH_PORT_DEAD, MACH_MSG_TYPE_MOVE_SEND, &got, &t) == KERN_SUCCESS);
  CHECK(got == kIpcPortDead);
  CHECK(name_count(b) == 0);
}

TEST_CASE("ipc rights: a right to a port that died in flight copies out as MACH_PORT_DEAD") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  mach_port_name_t r = new_port(a);
  IpcPort* got;
  mach_msg_type_name_t t;
  REQUIRE(ipc_right_copyin(a, r, MACH_MSG_TYPE_MAKE_SEND, &got, &t) == KERN_SUCCESS);
  REQUIRE(mach_port_destroy(a, r) == KERN_SUCCESS);
  CHECK(g_ipc_stats.ports == 1);  // the right in flight holds it
  mach_port_name_t n;
  CHECK(ipc_right_copyout(b, got, t, &n) == KERN_SUCCESS);
  CHECK(n == MACH_PORT_DEAD);
  CHECK(name_count(b) == 0);
  CHECK(g_ipc_stats.ports == 0);
}

TEST_CASE("ipc rights: stale names are refused after the entry is reused (generation)") {
  IpcFixture f;
  IpcSpace* s = f.space();
  mach_port_name_t r1 = new_port(s);
  REQUIRE(mach_port_destroy(s, r1) == KERN_SUCCESS);
  mach_port_name_t r2 = new_port(s);
  CHECK(MACH_PORT_INDEX(r2) == MACH_PORT_INDEX(r1));  // the entry is reused...
  CHECK(r2 != r1);                                    // ...under a new generation
  mach_port_type_t t;
  CHECK(mach_port_type(s, r1, &t) == KERN_INVALID_NAME);
  CHECK(mach_port_deallocate(s, r1) == KERN_INVALID_NAME);
  CHECK(mach_port_destroy(s, r1) == KERN_INVALID_NAME);
  IpcPort* got;
  mach_msg_type_name_t tt;
  CHECK(ipc_right_copyin(s, r1, MACH_MSG_TYPE_MAKE_SEND, &got, &tt) == KERN_INVALID_NAME);
  CHECK(type_of(s, r2) == MACH_PORT_TYPE_RECEIVE);
  // Out of range and reserved names.
  CHECK(mach_port_type(s, MACH_PORT_NULL, &t) == KERN_INVALID_NAME);
  CHECK(mach_port_type(s, MACH_PORT_DEAD, &t) == KERN_INVALID_NAME);
  CHECK(mach_port_type(s, MACH_PORT_MAKE(100000u, 0), &t) == KERN_INVALID_NAME);
  CHECK(mach_port_type(s, MACH_PORT_MAKE(0u, 5), &t) == KERN_INVALID_NAME);
}

TEST_CASE("ipc rights: names are meaningless in another space") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  mach_port_name_t r = new_port(a);
  mach_port_type_t t;
  CHECK(mach_port_type(b, r, &t) == KERN_INVALID_NAME);
  IpcPort* got;
  mach_msg_type_name_t tt;
  CHECK(ipc_right_copyin(b, r, MACH_MSG_TYPE_MAKE_SEND, &got, &tt) == KERN_INVALID_NAME);
  // The same number in b names b's own port.
  mach_port_name_t rb = new_port(b);
  CHECK(rb == r);
  CHECK(port_of(a, r) != port_of(b, rb));
  CHECK(send(b, Msg(rb, MACH_MSG_TYPE_MAKE_SEND)) == MACH_MSG_SUCCESS);
  CHECK(queued(b, rb) == 1);
  CHECK(queued(a, r) == 0);
}

TEST_CASE("ipc rights: the name table grows and keeps names and merges") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  std::vector<mach_port_name_t> rs, ss;
  for (int i = 0; i < 300; i++) {
    rs.push_back(new_port(a));
    ss.push_back(give(a, rs.back(), MACH_MSG_TYPE_MAKE_SEND, b));
  }
  CHECK(a->size() >= 300);
  std::vector<mach_port_name_t> sorted = ss;
  std::sort(sorted.begin(), sorted.end());
  CHECK(std::unique(sorted.begin(), sorted.end()) == sorted.end());
  for (int i = 0; i < 300; i++) {
    CHECK(type_of(a, rs[i]) == MACH_PORT_TYPE_RECEIVE);
    // After growth, a second send right still finds the existing name.
    CHECK(give(a, rs[i], MACH_MSG_TYPE_MAKE_SEND, b) == ss[i]);
    CHECK(send_refs(b, ss[i]) == 2);
  }
  // Removing half of them and merging into the rest still works (reverse
  // map deletion keeps probe chains intact).
  for (int i = 0; i < 300; i += 2) REQUIRE(mach_port_destroy(b, ss[i]) == KERN_SUCCESS);
  for (int i = 1; i < 300; i += 2) CHECK(give(a, rs[i], MACH_MSG_TYPE_MAKE_SEND, b) == ss[i]);
  for (int i = 0; i < 300; i += 2) {
    mach_port_name_t n = give(a, rs[i], MACH_MSG_TYPE_MAKE_SEND, b);
    CHECK(n != ss[i]);
    CHECK(type_of(b, n) == MACH_PORT_TYPE_SEND);
  }
  CHECK(name_count(b) == 300);
}

TEST_CASE("ipc rights: copyin_check changes nothing") {
  IpcFixture f;
  IpcSpace* a = f.space();
  mach_port_name_t r = new_port(a);
  give(a, r, MACH_MSG_TYPE_MAKE_SEND, a);
  auto before = snapshot(a);
  IpcPort* p = port_of(a, r);
  CHECK(ipc_right_copyin_check(a, r, MACH_MSG_TYPE_MOVE_SEND) == KERN_SUCCESS);
  CHECK(ipc_right_copyin_check(a, r, MACH_MSG_TYPE_MOVE_RECEIVE) == KERN_SUCCESS);
  CHECK(ipc_right_copyin_check(a, r, MACH_MSG_TYPE_MAKE_SEND) == KERN_SUCCESS);
  CHECK(ipc_right_copyin_check(a, r, MACH_MSG_TYPE_MOVE_SEND_ONCE) == KERN_INVALID_RIGHT);
  CHECK(ipc_right_copyin_check(a, r, MACH_MSG_TYPE_PORT_NAME) == KERN_INVALID_VALUE);
  CHECK(ipc_right_copyin_check(a, r + 1, MACH_MSG_TYPE_MOVE_SEND) == KERN_INVALID_NAME);
  CHECK(ipc_right_copyin_check(a, MACH_PORT_NULL, MACH_MSG_TYPE_MOVE_SEND) == KERN_SUCCESS);
  CHECK(snapshot(a) == before);
  CHECK(p->mscount == 1);
  CHECK(p->srights == 1);
}
