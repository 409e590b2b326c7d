// Every error of message copyin. After each failure the sender's space is
// as it was (names, types, urefs), no port's counts moved, and no kmsg or
// out-of-line copy is left behind.
#include "ipc_test_util.h"

using namespace ipct;

namespace {

struct PortState {
  uint32_t refs, srights, sorights, mscount, msgcount;
  bool operator==(const PortState& o) const {
    return refs == o.refs && srights == o.srights && sorights == o.sorights && mscount == o.mscount &&
           msgcount == o.msgcount;
  }
};

// Two spaces: a sends to b's port `dest` (a names it `to_b`), and holds an
// assortment of rights to misuse.
struct World {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  mach_port_name_t dest = new_port(b);
  mach_port_name_t to_b = give(b, dest, MACH_MSG_TYPE_MAKE_SEND, a);
  mach_port_name_t rA = new_port(a);  // a receive right in a
  mach_port_name_t sA = give(a, rA, MACH_MSG_TYPE_MAKE_SEND, a);  // == rA: send+receive
  mach_port_name_t rB = new_port(a);  // receive-only
  mach_port_name_t so = give(b, dest, MACH_MSG_TYPE_MAKE_SEND_ONCE, a);
  mach_port_name_t ps = new_set(a);
  mach_port_name_t dn = alloc_dead();
  std::vector<uint8_t> ool_data = std::vector<uint8_t>(256, 0xab);

  World() { hostipc::allow_user_range(ool_data.data(), ool_data.size()); }

  mach_port_name_t alloc_dead() {
    mach_port_name_t n;
    REQUIRE(mach_port_allocate(a, MACH_PORT_RIGHT_DEAD_NAME, &n) == KERN_SUCCESS);
    return n;
  }

  std::map<IpcPort*, PortState> ports() {
    std::map<IpcPort*, PortState> out;
    for (IpcSpace* s : {a, b})
      s->for_each([&](mach_port_name_t, IpcEntry& e) {
        if (e.type & MACH_PORT_TYPE_PORT_RIGHTS) {
          IpcPort* p = e.port();
          out[p] = PortState{p->refs, p->srights, p->sorights, p->mscount, p->msgcount};
        }
      });
    return out;
  }

  // Copy in `bytes` (size `size`, default all) from a; expect `code` and
  // nothing changed.
  void expect(const std::vector<uint8_t>& bytes, mach_msg_return_t code, mach_msg_size_t size = ~0u,
              mach_msg_size_t cap = 0) {
    if (size == ~0u) size = mach_msg_size_t(bytes.size());
    auto sa = snapshot(a);
    auto sb = snapshot(b);
    auto ps_before = ports();
    Counts c = counts();
    size_t regions = hostipc::live_user_regions();
    IpcKmsg* k = nullptr;
    CHECK(copyin_bytes(a, bytes.data(), size, &k, cap) == code);
    if (k) {  // unexpected success: do not leak it
      ipc_kmsg_destroy(k);
      return;
    }
    CHECK(snapshot(a) == sa);
    CHECK(snapshot(b) == sb);
    CHECK(ports() == ps_before);
    CHECK(counts() == c);
    CHECK(hostipc::live_user_regions() == regions);
  }
  void expect(const Msg& m, mach_msg_return_t code) { expect(m.bytes(), code); }
};

}  // namespace

TEST_CASE("ipc copyin: the fixture's messages are valid when not broken") {
  World w;
  REQUIRE(w.sA == w.rA);
  IpcKmsg* k = nullptr;
  REQUIRE(copyin(w.a, Msg(w.to_b, MACH_MSG_TYPE_COPY_SEND).ool(w.ool_data.data(), 256), &k) == MACH_MSG_SUCCESS);
  ipc_kmsg_destroy(k);
}

TEST_CASE("ipc copyin: MACH_SEND_MSG_TOO_SMALL") {
  World w;
  auto m = Msg(w.to_b, MACH_MSG_TYPE_COPY_SEND).bytes();
  w.expect(m, MACH_SEND_MSG_TOO_SMALL, kHdr - 4, kHdr);  // shorter than a header
  w.expect(m, MACH_SEND_MSG_TOO_SMALL, 0, kHdr);
  std::vector<uint8_t> odd = Msg(w.to_b, MACH_MSG_TYPE_COPY_SEND).inline_data("abcdefgh", 8).bytes();
  w.expect(odd, MACH_SEND_MSG_TOO_SMALL, kHdr + 2, kHdr + 8);  // not a multiple of 4
  w.expect(odd, MACH_SEND_MSG_TOO_SMALL, kHdr + 7, kHdr + 8);
  // Complex, but no room for the body.
  auto c = Msg(w.to_b, MACH_MSG_TYPE_COPY_SEND).port(w.rA, MACH_MSG_TYPE_MAKE_SEND).bytes();
  w.expect(c, MACH_SEND_MSG_TOO_SMALL, kHdr);
  // Descriptors beyond the size.
  w.expect(c, MACH_SEND_MSG_TOO_SMALL, kBody + 12);
  auto c2 = Msg(w.to_b, MACH_MSG_TYPE_COPY_SEND)
                .port(w.rA, MACH_MSG_TYPE_MAKE_SEND)
                .ool(w.ool_data.data(), 16)
                .bytes();
  w.expect(c2, MACH_SEND_MSG_TOO_SMALL, kBody + 16);
  // A descriptor count far beyond the message.
  auto c3 = c;
  uint32_t many = 40;
  memcpy(c3.data() + kHdr, &many, 4);
  w.expect(c3, MACH_SEND_MSG_TOO_SMALL);
}

TEST_CASE("ipc copyin: MACH_SEND_TOO_LARGE") {
  World w;
  std::vector<uint8_t> big(MACH_MSG_SIZE_MAX + 4, 0);
  auto h = Msg(w.to_b, MACH_MSG_TYPE_COPY_SEND).bytes();
  memcpy(big.data(), h.data(), kHdr);
  w.expect(big, MACH_SEND_TOO_LARGE);
  // At the limit it is fine.
  IpcKmsg* k = nullptr;
  REQUIRE(copyin_bytes(w.a, big.data(), MACH_MSG_SIZE_MAX, &k) == MACH_MSG_SUCCESS);
  ipc_kmsg_destroy(k);
  // Larger than the kmsg the caller allocated.
  auto m = Msg(w.to_b, MACH_MSG_TYPE_COPY_SEND).inline_data("12345678", 8).bytes();
  w.expect(m, MACH_SEND_TOO_LARGE, kHdr + 8, kHdr + 4);
  // Too many descriptors.
  Msg many(w.to_b, MACH_MSG_TYPE_COPY_SEND);
  for (uint32_t i = 0; i <= MACH_MSG_DESCRIPTORS_MAX; i++) many.port(MACH_PORT_NULL, MACH_MSG_TYPE_COPY_SEND);
  w.expect(many, MACH_SEND_TOO_LARGE);
  // An out-of-line region or port array beyond its limit.
  w.expect(Msg(w.to_b, MACH_MSG_TYPE_COPY_SEND)
               .ool(w.ool_data.data(), 64)
               .ool(w.ool_data.data(), MACH_MSG_OOL_SIZE_MAX + 1),
           MACH_SEND_TOO_LARGE);
  w.expect(Msg(w.to_b, MACH_MSG_TYPE_COPY_SEND)
               .ool_ports(reinterpret_cast<const mach_port_name_t*>(w.ool_data.data()), MACH_MSG_OOL_PORTS_MAX + 1,
                          MACH_MSG_TYPE_COPY_SEND),
           MACH_SEND_TOO_LARGE);
}

TEST_CASE("ipc copyin: MACH_SEND_INVALID_HEADER") {
  World w;
  Msg m(w.to_b, MACH_MSG_TYPE_COPY_SEND);
  m.h.msgh_bits |= 0x00010000u;  // not a user bit
  w.expect(m, MACH_SEND_INVALID_HEADER);
  for (uint32_t rd : {0u, MACH_MSG_TYPE_PORT_NAME, MACH_MSG_TYPE_MOVE_RECEIVE, MACH_MSG_TYPE_COPY_RECEIVE, 99u})
    w.expect(Msg(w.to_b, rd), MACH_SEND_INVALID_HEADER);
  w.expect(Msg(w.rA, MACH_MSG_TYPE_MOVE_RECEIVE), MACH_SEND_INVALID_HEADER);
  // A receive right as reply.
  w.expect(Msg(w.to_b, MACH_MSG_TYPE_COPY_SEND, w.rB, MACH_MSG_TYPE_MOVE_RECEIVE), MACH_SEND_INVALID_HEADER);
  w.expect(Msg(w.to_b, MACH_MSG_TYPE_COPY_SEND, w.rB, 1), MACH_SEND_INVALID_HEADER);
  // Local disposition 0 with a local port.
  w.expect(Msg(w.to_b, MACH_MSG_TYPE_COPY_SEND, w.rB, 0), MACH_SEND_INVALID_HEADER);
}

TEST_CASE("ipc copyin: MACH_SEND_INVALID_DEST") {
  World w;
  w.expect(Msg(MACH_PORT_NULL, MACH_MSG_TYPE_COPY_SEND), MACH_SEND_INVALID_DEST);
  w.expect(Msg(MACH_PORT_DEAD, MACH_MSG_TYPE_COPY_SEND), MACH_SEND_INVALID_DEST);
  w.expect(Msg(MACH_PORT_MAKE(999u, 1u), MACH_MSG_TYPE_COPY_SEND), MACH_SEND_INVALID_DEST);  // forged
  w.expect(Msg(w.to_b + 1, MACH_MSG_TYPE_COPY_SEND), MACH_SEND_INVALID_DEST);              // wrong generation
  // b's name, meaningless in a (a fresh port makes the name exist in b only).
  mach_port_name_t only_b = new_port(w.b);
  while (type_of(w.a, only_b) != 0) only_b = new_port(w.b);
  w.expect(Msg(only_b, MACH_MSG_TYPE_COPY_SEND), MACH_SEND_INVALID_DEST);
  w.expect(Msg(w.dn, MACH_MSG_TYPE_COPY_SEND), MACH_SEND_INVALID_DEST);
  w.expect(Msg(w.dn, MACH_MSG_TYPE_MOVE_SEND), MACH_SEND_INVALID_DEST);
  w.expect(Msg(w.rB, MACH_MSG_TYPE_COPY_SEND), MACH_SEND_INVALID_DEST);  // receive-only
  w.expect(Msg(w.rB, MACH_MSG_TYPE_MOVE_SEND), MACH_SEND_INVALID_DEST);
  w.expect(Msg(w.rB, MACH_MSG_TYPE_MOVE_SEND_ONCE), MACH_SEND_INVALID_DEST);
  w.expect(Msg(w.to_b, MACH_MSG_TYPE_MAKE_SEND), MACH_SEND_INVALID_DEST);  // send right only
  w.expect(Msg(w.to_b, MACH_MSG_TYPE_MOVE_SEND_ONCE), MACH_SEND_INVALID_DEST);
  w.expect(Msg(w.so, MACH_MSG_TYPE_COPY_SEND), MACH_SEND_INVALID_DEST);
  w.expect(Msg(w.ps, MACH_MSG_TYPE_COPY_SEND), MACH_SEND_INVALID_DEST);
  w.expect(Msg(w.ps, MACH_MSG_TYPE_MAKE_SEND), MACH_SEND_INVALID_DEST);
  // A stale name after the entry is reused.
  mach_port_name_t tmp = new_port(w.a);
  REQUIRE(mach_port_destroy(w.a, tmp) == KERN_SUCCESS);
  mach_port_name_t reuse = new_port(w.a);
  REQUIRE(MACH_PORT_INDEX(reuse) == MACH_PORT_INDEX(tmp));
  w.expect(Msg(tmp, MACH_MSG_TYPE_MAKE_SEND), MACH_SEND_INVALID_DEST);
  // A send right whose port died is a dead name now.
  mach_port_name_t gone = new_port(w.b);
  mach_port_name_t to_gone = give(w.b, gone, MACH_MSG_TYPE_MAKE_SEND, w.a);
  REQUIRE(mach_port_destroy(w.b, gone) == KERN_SUCCESS);
  REQUIRE(type_of(w.a, to_gone) == MACH_PORT_TYPE_DEAD_NAME);
  w.expect(Msg(to_gone, MACH_MSG_TYPE_COPY_SEND), MACH_SEND_INVALID_DEST);
}

TEST_CASE("ipc copyin: MACH_SEND_INVALID_REPLY") {
  World w;
  w.expect(Msg(w.to_b, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_MAKE(999u, 0u), MACH_MSG_TYPE_MAKE_SEND_ONCE),
           MACH_SEND_INVALID_REPLY);
  w.expect(Msg(w.to_b, MACH_MSG_TYPE_COPY_SEND, w.rB, MACH_MSG_TYPE_COPY_SEND), MACH_SEND_INVALID_REPLY);
  w.expect(Msg(w.to_b, MACH_MSG_TYPE_COPY_SEND, w.to_b, MACH_MSG_TYPE_MAKE_SEND_ONCE), MACH_SEND_INVALID_REPLY);
  w.expect(Msg(w.to_b, MACH_MSG_TYPE_COPY_SEND, w.ps, MACH_MSG_TYPE_MAKE_SEND), MACH_SEND_INVALID_REPLY);
  w.expect(Msg(w.to_b, MACH_MSG_TYPE_COPY_SEND, w.so, MACH_MSG_TYPE_COPY_SEND), MACH_SEND_INVALID_REPLY);
  // Destination and reply from one name that has too little for both.
  w.expect(Msg(w.to_b, MACH_MSG_TYPE_MOVE_SEND, w.to_b, MACH_MSG_TYPE_MOVE_SEND), MACH_SEND_INVALID_REPLY);
  w.expect(Msg(w.to_b, MACH_MSG_TYPE_MOVE_SEND, w.to_b, MACH_MSG_TYPE_COPY_SEND), MACH_SEND_INVALID_REPLY);
  w.expect(Msg(w.so, MACH_MSG_TYPE_MOVE_SEND_ONCE, w.so, MACH_MSG_TYPE_MOVE_SEND_ONCE), MACH_SEND_INVALID_REPLY);
}

TEST_CASE("ipc copyin: MACH_SEND_INVALID_TYPE") {
  World w;
  mach_msg_descriptor_t bad{};
  bad.type.type = 7;
  w.expect(Msg(w.to_b, MACH_MSG_TYPE_COPY_SEND).raw_desc(bad), MACH_SEND_INVALID_TYPE);
  // After a good out-of-line descriptor: its kernel copy is freed too.
  w.expect(Msg(w.to_b, MACH_MSG_TYPE_COPY_SEND).ool(w.ool_data.data(), 256).raw_desc(bad), MACH_SEND_INVALID_TYPE);
  for (uint32_t d : {0u, MACH_MSG_TYPE_PORT_NAME, MACH_MSG_TYPE_COPY_RECEIVE, 99u}) {
    w.expect(Msg(w.to_b, MACH_MSG_TYPE_COPY_SEND).port(w.rA, d), MACH_SEND_INVALID_TYPE);
    w.expect(Msg(w.to_b, MACH_MSG_TYPE_COPY_SEND)
                 .ool(w.ool_data.data(), 8)
                 .ool_ports(reinterpret_cast<const mach_port_name_t*>(&w.rA), 1, d),
             MACH_SEND_INVALID_TYPE);
  }
  w.expect(Msg(w.to_b, MACH_MSG_TYPE_COPY_SEND).ool(w.ool_data.data(), 8, false, 3), MACH_SEND_INVALID_TYPE);
}

TEST_CASE("ipc copyin: MACH_SEND_INVALID_RIGHT") {
  World w;
  hostipc::allow_user_range(&w.rA, sizeof w.rA);
  w.expect(Msg(w.to_b, MACH_MSG_TYPE_COPY_SEND).port(MACH_PORT_MAKE(999u, 0u), MACH_MSG_TYPE_COPY_SEND),
           MACH_SEND_INVALID_RIGHT);
  w.expect(Msg(w.to_b, MACH_MSG_TYPE_COPY_SEND).port(w.rB, MACH_MSG_TYPE_MOVE_SEND), MACH_SEND_INVALID_RIGHT);
  w.expect(Msg(w.to_b, MACH_MSG_TYPE_COPY_SEND).port(w.to_b, MACH_MSG_TYPE_MOVE_RECEIVE), MACH_SEND_INVALID_RIGHT);
  w.expect(Msg(w.to_b, MACH_MSG_TYPE_COPY_SEND).port(w.to_b, MACH_MSG_TYPE_MAKE_SEND), MACH_SEND_INVALID_RIGHT);
  w.expect(Msg(w.to_b, MACH_MSG_TYPE_COPY_SEND).port(w.ps, MACH_MSG_TYPE_MOVE_RECEIVE), MACH_SEND_INVALID_RIGHT);
  w.expect(Msg(w.to_b, MACH_MSG_TYPE_COPY_SEND).port(w.so, MACH_MSG_TYPE_COPY_SEND), MACH_SEND_INVALID_RIGHT);
  // The bad right after an out-of-line region and a good port: all undone.
  w.expect(Msg(w.to_b, MACH_MSG_TYPE_COPY_SEND)
               .ool(w.ool_data.data(), 100)
               .port(w.rA, MACH_MSG_TYPE_MAKE_SEND)
               .port(w.rB, MACH_MSG_TYPE_MAKE_SEND)
               .port(w.dn + 0x100, MACH_MSG_TYPE_COPY_SEND),
           MACH_SEND_INVALID_RIGHT);
  // A bad name inside an out-of-line port array.
  mach_port_name_t arr[3] = {w.rA, MACH_PORT_MAKE(999u, 0u), w.rB};
  hostipc::allow_user_range(arr, sizeof arr);
  w.expect(Msg(w.to_b, MACH_MSG_TYPE_COPY_SEND).ool_ports(arr, 3, MACH_MSG_TYPE_MAKE_SEND), MACH_SEND_INVALID_RIGHT);
}

TEST_CASE("ipc copyin: a receive right may not be sent to its own port") {
  World w;
  w.expect(Msg(w.rB, MACH_MSG_TYPE_MAKE_SEND).port(w.rB, MACH_MSG_TYPE_MOVE_RECEIVE), MACH_SEND_INVALID_RIGHT);
  w.expect(Msg(w.sA, MACH_MSG_TYPE_COPY_SEND).port(w.rA, MACH_MSG_TYPE_MOVE_RECEIVE), MACH_SEND_INVALID_RIGHT);
  mach_port_name_t arr[1] = {w.rB};
  hostipc::allow_user_range(arr, sizeof arr);
  w.expect(Msg(w.rB, MACH_MSG_TYPE_MAKE_SEND_ONCE).ool_ports(arr, 1, MACH_MSG_TYPE_MOVE_RECEIVE),
           MACH_SEND_INVALID_RIGHT);
}

TEST_CASE("ipc copyin: circularity through queued receive rights") {
  World w;
  IpcSpace* a = w.a;
  mach_port_name_t pa = new_port(a);
  mach_port_name_t pb = new_port(a);
  mach_port_name_t pc = new_port(a);
  // A's receive right waits in a message on B; B's in a message on C.
  REQUIRE(send(a, Msg(pb, MACH_MSG_TYPE_MAKE_SEND).port(pa, MACH_MSG_TYPE_MOVE_RECEIVE)) == MACH_MSG_SUCCESS);
  REQUIRE(send(a, Msg(pc, MACH_MSG_TYPE_MAKE_SEND).port(pb, MACH_MSG_TYPE_MOVE_RECEIVE)) == MACH_MSG_SUCCESS);
  // a still holds a send right to A (made before it left).
  IpcPort* A = nullptr;
  {
    IpcPort* B = ipc_desc_port(port_of(a, pc)->messages.front().descriptors()[0].port);
    A = ipc_desc_port(B->messages.front().descriptors()[0].port);
  }
  REQUIRE(A->in_transit());
  mach_port_name_t to_a;
  IpcPort* ra = A;
  ipc_port_make_send(ra);  // what a kernel holder of the port could hand out
  REQUIRE(ipc_right_copyout(a, ra, MACH_MSG_TYPE_PORT_SEND, &to_a) == KERN_SUCCESS);
  // C's receive right sent to A would close the loop A -> B -> C -> A.
  w.expect(Msg(to_a, MACH_MSG_TYPE_COPY_SEND).port(pc, MACH_MSG_TYPE_MOVE_RECEIVE), MACH_SEND_INVALID_RIGHT);
  mach_port_name_t arr[1] = {pc};
  hostipc::allow_user_range(arr, sizeof arr);
  w.expect(Msg(to_a, MACH_MSG_TYPE_COPY_SEND).ool_ports(arr, 1, MACH_MSG_TYPE_MOVE_RECEIVE), MACH_SEND_INVALID_RIGHT);
  // Another port's receive right to A is fine.
  mach_port_name_t pd = new_port(a);
  REQUIRE(send(a, Msg(to_a, MACH_MSG_TYPE_COPY_SEND).port(pd, MACH_MSG_TYPE_MOVE_RECEIVE)) == MACH_MSG_SUCCESS);
  // Once C's queue is drained (B's right received), the chain is broken.
  Rcv m = recv(a, pc);
  REQUIRE(m.mr == MACH_MSG_SUCCESS);
  REQUIRE(send(a, Msg(to_a, MACH_MSG_TYPE_COPY_SEND).port(pc, MACH_MSG_TYPE_MOVE_RECEIVE)) == MACH_MSG_SUCCESS);
  // Everything is reclaimed with the spaces, loops or not.
}

TEST_CASE("ipc copyin: the simple two-port circularity") {
  World w;
  IpcSpace* a = w.a;
  mach_port_name_t pa = new_port(a);
  mach_port_name_t pb = new_port(a);
  mach_port_name_t to_a = give(a, pa, MACH_MSG_TYPE_MAKE_SEND, a);
  REQUIRE(to_a == pa);
  // A's receive right goes into a message on B...
  REQUIRE(send(a, Msg(pb, MACH_MSG_TYPE_MAKE_SEND).port(pa, MACH_MSG_TYPE_MOVE_RECEIVE)) == MACH_MSG_SUCCESS);
  REQUIRE(type_of(a, pa) == MACH_PORT_TYPE_SEND);
  // ...then B's receive right sent to A is refused.
  w.expect(Msg(to_a, MACH_MSG_TYPE_COPY_SEND).port(pb, MACH_MSG_TYPE_MOVE_RECEIVE), MACH_SEND_INVALID_RIGHT);
  w.expect(Msg(to_a, MACH_MSG_TYPE_COPY_SEND, pb, MACH_MSG_TYPE_MAKE_SEND).port(pb, MACH_MSG_TYPE_MOVE_RECEIVE),
           MACH_SEND_INVALID_RIGHT);
}

TEST_CASE("ipc copyin: MACH_SEND_INVALID_MEMORY") {
  World w;
  static uint8_t outside[64];
  w.expect(Msg(w.to_b, MACH_MSG_TYPE_COPY_SEND).ool(outside, 64), MACH_SEND_INVALID_MEMORY);
  w.expect(Msg(w.to_b, MACH_MSG_TYPE_COPY_SEND).ool(reinterpret_cast<void*>(8), 4), MACH_SEND_INVALID_MEMORY);
  // Running past the end of an allowed range.
  w.expect(Msg(w.to_b, MACH_MSG_TYPE_COPY_SEND).ool(w.ool_data.data() + 200, 57), MACH_SEND_INVALID_MEMORY);
  w.expect(Msg(w.to_b, MACH_MSG_TYPE_COPY_SEND).ool(w.ool_data.data(), 16).ool(outside, 64),
           MACH_SEND_INVALID_MEMORY);
  w.expect(Msg(w.to_b, MACH_MSG_TYPE_COPY_SEND).ool_ports(reinterpret_cast<const mach_port_name_t*>(outside), 2,
                                                         MACH_MSG_TYPE_COPY_SEND),
           MACH_SEND_INVALID_MEMORY);
  // Zero-size regions are not read at all.
  IpcKmsg* k = nullptr;
  REQUIRE(copyin(w.a, Msg(w.to_b, MACH_MSG_TYPE_COPY_SEND).ool(outside, 0), &k) == MACH_MSG_SUCCESS);
  ipc_kmsg_destroy(k);
}

TEST_CASE("ipc copyin: a body failing late (one name drawn on twice) destroys what was taken") {
  World w;
  IpcSpace* a = w.a;
  mach_port_name_t r = new_port(w.b);
  mach_port_name_t s = give(w.b, r, MACH_MSG_TYPE_MAKE_SEND, a);
  IpcPort* p = port_of(w.b, r);
  Counts c = counts();
  IpcKmsg* k = nullptr;
  // Each descriptor alone is fine; together they need two urefs.
  CHECK(copyin(a,
               Msg(w.to_b, MACH_MSG_TYPE_COPY_SEND)
                   .ool(w.ool_data.data(), 32)
                   .port(s, MACH_MSG_TYPE_MOVE_SEND)
                   .port(s, MACH_MSG_TYPE_MOVE_SEND)
                   .ool(w.ool_data.data(), 32),
               &k) == MACH_SEND_INVALID_RIGHT);
  CHECK(k == nullptr);
  CHECK(counts() == c);
  // Mach's rule for a late failure: the rights taken so far are destroyed
  // with the message.
  CHECK(type_of(a, s) == 0);
  CHECK(p->srights == 0);
  CHECK(type_of(a, w.to_b) == MACH_PORT_TYPE_SEND);
}
