// Messages: header and descriptor dispositions, out-of-line data and port
// arrays, port sets, queue limits, sequence numbers, size limits, waiters.
#include "ipc_test_util.h"

using namespace ipct;

TEST_CASE("ipc msg: header destination dispositions") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  mach_port_name_t r = new_port(a);
  IpcPort* p = port_of(a, r);

  SUBCASE("MAKE_SEND: a send right made and used up by delivery") {
    REQUIRE(send(a, Msg(r, MACH_MSG_TYPE_MAKE_SEND, MACH_PORT_NULL, 0, 7)) == MACH_MSG_SUCCESS);
    CHECK(p->mscount == 1);
    CHECK(p->srights == 1);
    CHECK(type_of(a, r) == MACH_PORT_TYPE_RECEIVE);
    Rcv m = recv(a, r);
    REQUIRE(m.mr == MACH_MSG_SUCCESS);
    CHECK(m.copyout_mr == MACH_MSG_SUCCESS);
    CHECK(m.h().msgh_id == 7);
    CHECK(m.h().msgh_bits == MACH_MSGH_BITS(0, MACH_MSG_TYPE_PORT_SEND));
    CHECK(m.h().msgh_local_port == r);
    CHECK(m.h().msgh_remote_port == MACH_PORT_NULL);
    CHECK(m.h().msgh_size == kHdr);
    CHECK(p->srights == 0);
    CHECK(p->refs == 1);
  }
  SUBCASE("COPY_SEND leaves the sender's urefs") {
    mach_port_name_t sb = give(a, r, MACH_MSG_TYPE_MAKE_SEND, b);
    REQUIRE(send(b, Msg(sb, MACH_MSG_TYPE_COPY_SEND)) == MACH_MSG_SUCCESS);
    CHECK(send_refs(b, sb) == 1);
    CHECK(p->srights == 2);
    Rcv m = recv(a, r);
    CHECK(m.h().msgh_bits == MACH_MSGH_BITS(0, MACH_MSG_TYPE_PORT_SEND));
    CHECK(p->srights == 1);
  }
  SUBCASE("MOVE_SEND takes the sender's uref") {
    mach_port_name_t sb = give(a, r, MACH_MSG_TYPE_MAKE_SEND, b);
    REQUIRE(send(b, Msg(sb, MACH_MSG_TYPE_MOVE_SEND)) == MACH_MSG_SUCCESS);
    CHECK(type_of(b, sb) == 0);
    CHECK(p->srights == 1);
    Rcv m = recv(a, r);
    CHECK(m.h().msgh_bits == MACH_MSGH_BITS(0, MACH_MSG_TYPE_PORT_SEND));
    CHECK(p->srights == 0);
    CHECK(p->refs == 1);
  }
  SUBCASE("MAKE_SEND_ONCE: consumed by delivery, no send-once notification") {
    REQUIRE(send(a, Msg(r, MACH_MSG_TYPE_MAKE_SEND_ONCE)) == MACH_MSG_SUCCESS);
    CHECK(p->sorights == 1);
    Rcv m = recv(a, r);
    CHECK(m.h().msgh_bits == MACH_MSGH_BITS(0, MACH_MSG_TYPE_PORT_SEND_ONCE));
    CHECK(p->sorights == 0);
    CHECK(queued(a, r) == 0);
    CHECK(p->refs == 1);
  }
  SUBCASE("MOVE_SEND_ONCE frees the sender's name") {
    mach_port_name_t so = give(a, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, b);
    REQUIRE(send(b, Msg(so, MACH_MSG_TYPE_MOVE_SEND_ONCE)) == MACH_MSG_SUCCESS);
    CHECK(type_of(b, so) == 0);
    Rcv m = recv(a, r);
    CHECK(m.h().msgh_bits == MACH_MSGH_BITS(0, MACH_MSG_TYPE_PORT_SEND_ONCE));
    CHECK(p->sorights == 0);
    CHECK(queued(a, r) == 0);
  }
}

TEST_CASE("ipc msg: reply dispositions and an RPC round trip") {
  IpcFixture f;
  IpcSpace* client = f.space();
  IpcSpace* server = f.space();
  mach_port_name_t srv = new_port(server);
  mach_port_name_t reply = new_port(client);
  mach_port_name_t to_srv = give(server, srv, MACH_MSG_TYPE_MAKE_SEND, client);
  IpcPort* rp = port_of(client, reply);

  REQUIRE(send(client, Msg(to_srv, MACH_MSG_TYPE_COPY_SEND, reply, MACH_MSG_TYPE_MAKE_SEND_ONCE, 100)) ==
          MACH_MSG_SUCCESS);
  CHECK(rp->sorights == 1);
  Rcv req = recv(server, srv);
  REQUIRE(req.mr == MACH_MSG_SUCCESS);
  CHECK(req.h().msgh_bits == MACH_MSGH_BITS(MACH_MSG_TYPE_PORT_SEND_ONCE, MACH_MSG_TYPE_PORT_SEND));
  mach_port_name_t so = req.h().msgh_remote_port;
  CHECK(type_of(server, so) == MACH_PORT_TYPE_SEND_ONCE);
  CHECK(req.h().msgh_local_port == srv);

  REQUIRE(send(server, Msg(so, MACH_MSG_TYPE_MOVE_SEND_ONCE, MACH_PORT_NULL, 0, 200)) == MACH_MSG_SUCCESS);
  CHECK(type_of(server, so) == 0);
  Rcv rep = recv(client, reply);
  REQUIRE(rep.mr == MACH_MSG_SUCCESS);
  CHECK(rep.h().msgh_id == 200);
  CHECK(rep.h().msgh_bits == MACH_MSGH_BITS(0, MACH_MSG_TYPE_PORT_SEND_ONCE));
  CHECK(rp->sorights == 0);
  CHECK(queued(client, reply) == 0);  // used, so no send-once notification

  // Reply rights of the other kinds.
  REQUIRE(send(client, Msg(to_srv, MACH_MSG_TYPE_COPY_SEND, reply, MACH_MSG_TYPE_MAKE_SEND)) == MACH_MSG_SUCCESS);
  CHECK(rp->mscount == 1);
  Rcv m = recv(server, srv);
  CHECK(m.h().msgh_bits == MACH_MSGH_BITS(MACH_MSG_TYPE_PORT_SEND, MACH_MSG_TYPE_PORT_SEND));
  mach_port_name_t back = m.h().msgh_remote_port;
  CHECK(type_of(server, back) == MACH_PORT_TYPE_SEND);
  // COPY_SEND of the reply, and the server merges it into the same name.
  give(client, reply, MACH_MSG_TYPE_MAKE_SEND, client);
  REQUIRE(send(client, Msg(to_srv, MACH_MSG_TYPE_COPY_SEND, reply, MACH_MSG_TYPE_COPY_SEND)) == MACH_MSG_SUCCESS);
  CHECK(send_refs(client, reply) == 1);
  m = recv(server, srv);
  CHECK(m.h().msgh_remote_port == back);
  CHECK(send_refs(server, back) == 2);
  // MOVE_SEND of the reply takes the client's send right.
  REQUIRE(send(client, Msg(to_srv, MACH_MSG_TYPE_COPY_SEND, reply, MACH_MSG_TYPE_MOVE_SEND)) == MACH_MSG_SUCCESS);
  CHECK(type_of(client, reply) == MACH_PORT_TYPE_RECEIVE);
  m = recv(server, srv);
  CHECK(send_refs(server, back) == 3);
  // A reply right back to the server's own port merges into the receive name.
  REQUIRE(send(client, Msg(to_srv, MACH_MSG_TYPE_COPY_SEND, to_srv, MACH_MSG_TYPE_COPY_SEND)) == MACH_MSG_SUCCESS);
  m = recv(server, srv);
  CHECK(m.h().msgh_remote_port == srv);
  CHECK(type_of(server, srv) == MACH_PORT_TYPE_SEND_RECEIVE);
  // A dead name as reply travels as MACH_PORT_DEAD.
  mach_port_name_t dn;
  REQUIRE(mach_port_allocate(client, MACH_PORT_RIGHT_DEAD_NAME, &dn) == KERN_SUCCESS);
  REQUIRE(send(client, Msg(to_srv, MACH_MSG_TYPE_COPY_SEND, dn, MACH_MSG_TYPE_MOVE_SEND)) == MACH_MSG_SUCCESS);
  CHECK(type_of(client, dn) == 0);
  m = recv(server, srv);
  CHECK(m.h().msgh_remote_port == MACH_PORT_DEAD);
  CHECK(MACH_MSGH_BITS_REMOTE(m.h().msgh_bits) == MACH_MSG_TYPE_PORT_SEND);
}

TEST_CASE("ipc msg: destination and reply from one name") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  mach_port_name_t r = new_port(a);
  mach_port_name_t sb = give(a, r, MACH_MSG_TYPE_MAKE_SEND, b);
  give(a, r, MACH_MSG_TYPE_MAKE_SEND, b);
  REQUIRE(send(b, Msg(sb, MACH_MSG_TYPE_COPY_SEND, sb, MACH_MSG_TYPE_COPY_SEND)) == MACH_MSG_SUCCESS);
  CHECK(send_refs(b, sb) == 2);
  REQUIRE(send(b, Msg(sb, MACH_MSG_TYPE_MOVE_SEND, sb, MACH_MSG_TYPE_MOVE_SEND)) == MACH_MSG_SUCCESS);
  CHECK(type_of(b, sb) == 0);
  Rcv m1 = recv(a, r);
  CHECK(m1.h().msgh_remote_port == r);
  Rcv m2 = recv(a, r);
  CHECK(m2.h().msgh_remote_port == r);
  CHECK(send_refs(a, r) == 2);
  // The receiver may make both rights from its receive right.
  REQUIRE(send(a, Msg(r, MACH_MSG_TYPE_MAKE_SEND, r, MACH_MSG_TYPE_MAKE_SEND_ONCE)) == MACH_MSG_SUCCESS);
  Rcv m3 = recv(a, r);
  CHECK(MACH_MSGH_BITS_REMOTE(m3.h().msgh_bits) == MACH_MSG_TYPE_PORT_SEND_ONCE);
  CHECK(type_of(a, m3.h().msgh_remote_port) == MACH_PORT_TYPE_SEND_ONCE);
}

TEST_CASE("ipc msg: every disposition in port descriptors") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  mach_port_name_t dest = new_port(b);
  mach_port_name_t to_b = give(b, dest, MACH_MSG_TYPE_MAKE_SEND, a);

  mach_port_name_t recv_r = new_port(a);   // moved
  mach_port_name_t mk = new_port(a);       // make-send / make-send-once source
  mach_port_name_t other = new_port(b);
  mach_port_name_t s = give(b, other, MACH_MSG_TYPE_MAKE_SEND, a);
  give(b, other, MACH_MSG_TYPE_MAKE_SEND, a);
  mach_port_name_t so = give(b, other, MACH_MSG_TYPE_MAKE_SEND_ONCE, a);
  IpcPort* pr = port_of(a, recv_r);
  IpcPort* pmk = port_of(a, mk);
  IpcPort* po = port_of(b, other);

  Msg m(to_b, MACH_MSG_TYPE_COPY_SEND);
  m.port(recv_r, MACH_MSG_TYPE_MOVE_RECEIVE)
      .port(s, MACH_MSG_TYPE_MOVE_SEND)
      .port(so, MACH_MSG_TYPE_MOVE_SEND_ONCE)
      .port(s, MACH_MSG_TYPE_COPY_SEND)
      .port(mk, MACH_MSG_TYPE_MAKE_SEND)
      .port(mk, MACH_MSG_TYPE_MAKE_SEND_ONCE)
      .port(MACH_PORT_NULL, MACH_MSG_TYPE_COPY_SEND)
      .port(MACH_PORT_DEAD, MACH_MSG_TYPE_MOVE_SEND);
  uint32_t tail = 0xfeedf00d;
  m.inline_data(&tail, 4);
  REQUIRE(send(a, m) == MACH_MSG_SUCCESS);
  CHECK(type_of(a, recv_r) == 0);
  CHECK(pr->in_transit());
  CHECK(send_refs(a, s) == 1);  // moved one, copied one (order: move first)
  CHECK(type_of(a, so) == 0);
  CHECK(pmk->mscount == 1);
  CHECK(pmk->sorights == 1);

  Rcv r = recv(b, dest);
  REQUIRE(r.mr == MACH_MSG_SUCCESS);
  REQUIRE(r.copyout_mr == MACH_MSG_SUCCESS);
  CHECK((r.h().msgh_bits & MACH_MSGH_BITS_COMPLEX) != 0);
  REQUIRE(r.ndesc() == 8);
  auto d = [&](int i) { return r.desc(i).port; };
  CHECK(d(0).disposition == MACH_MSG_TYPE_PORT_RECEIVE);
  CHECK(type_of(b, d(0).name) == MACH_PORT_TYPE_RECEIVE);
  CHECK(pr->receiver == b);
  CHECK(d(1).disposition == MACH_MSG_TYPE_PORT_SEND);
  CHECK(d(1).name == other);  // b's own port: merged into its receive name
  CHECK(d(2).disposition == MACH_MSG_TYPE_PORT_SEND_ONCE);
  CHECK(type_of(b, d(2).name) == MACH_PORT_TYPE_SEND_ONCE);
  CHECK(d(3).name == other);
  CHECK(send_refs(b, other) == 2);
  CHECK(po->srights == 2);  // b's name and a's name
  CHECK(d(4).disposition == MACH_MSG_TYPE_PORT_SEND);
  CHECK(type_of(b, d(4).name) == MACH_PORT_TYPE_SEND);
  CHECK(d(5).disposition == MACH_MSG_TYPE_PORT_SEND_ONCE);
  CHECK(type_of(b, d(5).name) == MACH_PORT_TYPE_SEND_ONCE);
  CHECK(d(6).name == MACH_PORT_NULL);
  CHECK(d(7).name == MACH_PORT_DEAD);
  for (int i = 0; i < 8; i++) CHECK(r.desc(i).port.type == MACH_MSG_PORT_DESCRIPTOR);
  CHECK(r.word(kBody + 16 * 8) == 0xfeedf00d);
  CHECK(r.size == kBody + 16 * 8 + 4);
}

TEST_CASE("ipc msg: out-of-line data is copied; deallocate removes the sender's region") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  mach_port_name_t dest = new_port(b);
  mach_port_name_t to_b = give(b, dest, MACH_MSG_TYPE_MAKE_SEND, a);

  std::vector<uint8_t> data(5000);
  for (size_t i = 0; i < data.size(); i++) data[i] = uint8_t(i * 7);
  hostipc::allow_user_range(data.data(), data.size());
  uint64_t region = 0;
  REQUIRE(ipc_user_allocate(nullptr, 300, &region) == KERN_SUCCESS);
  memset(reinterpret_cast<void*>(region), 0x5a, 300);
  REQUIRE(hostipc::live_user_regions() == 1);

  Msg m(to_b, MACH_MSG_TYPE_COPY_SEND);
  m.ool(data.data(), 5000, false, MACH_MSG_PHYSICAL_COPY).ool(reinterpret_cast<void*>(region), 300, true);
  m.ool(nullptr, 0);  // empty region
  REQUIRE(send(a, m) == MACH_MSG_SUCCESS);
  CHECK(g_ipc_stats.ool_bytes == 5300);
  CHECK(hostipc::live_user_regions() == 0);  // the sender's region is gone
  data[0] = 0xff;                             // later writes are not seen

  Rcv r = recv(b, dest);
  REQUIRE(r.mr == MACH_MSG_SUCCESS);
  REQUIRE(r.copyout_mr == MACH_MSG_SUCCESS);
  CHECK(g_ipc_stats.ool_bytes == 0);
  CHECK(hostipc::live_user_regions() == 2);  // the receiver's copies
  auto d0 = r.desc(0).out_of_line;
  auto d1 = r.desc(1).out_of_line;
  auto d2 = r.desc(2).out_of_line;
  CHECK(d0.type == MACH_MSG_OOL_DESCRIPTOR);
  CHECK(d0.size == 5000);
  CHECK(d0.deallocate == 0);
  REQUIRE(d0.address != 0);
  CHECK(d0.address != reinterpret_cast<uint64_t>(data.data()));
  const auto* got = reinterpret_cast<const uint8_t*>(d0.address);
  CHECK(got[0] == 0);
  bool same = true;
  for (size_t i = 1; i < 5000; i++) same &= got[i] == uint8_t(i * 7);
  CHECK(same);
  CHECK(d1.size == 300);
  CHECK(d1.deallocate == 0);
  REQUIRE(d1.address != 0);
  CHECK(reinterpret_cast<const uint8_t*>(d1.address)[299] == 0x5a);
  CHECK(d2.size == 0);
  CHECK(d2.address == 0);
}

TEST_CASE("ipc msg: out-of-line port arrays") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  mach_port_name_t dest = new_port(b);
  mach_port_name_t to_b = give(b, dest, MACH_MSG_TYPE_MAKE_SEND, a);
  mach_port_name_t ports[5];
  for (auto& p : ports) p = new_port(a);
  mach_port_name_t names[5] = {ports[0], ports[1], MACH_PORT_NULL, ports[2], ports[0]};
  hostipc::allow_user_range(names, sizeof names);
  mach_port_name_t moved[2] = {ports[3], ports[4]};
  uint64_t moved_region;
  REQUIRE(ipc_user_allocate(nullptr, sizeof moved, &moved_region) == KERN_SUCCESS);
  memcpy(reinterpret_cast<void*>(moved_region), moved, sizeof moved);

  Msg m(to_b, MACH_MSG_TYPE_COPY_SEND);
  m.ool_ports(names, 5, MACH_MSG_TYPE_MAKE_SEND)
      .ool_ports(reinterpret_cast<const mach_port_name_t*>(moved_region), 2, MACH_MSG_TYPE_MOVE_RECEIVE, true)
      .ool_ports(nullptr, 0, MACH_MSG_TYPE_COPY_SEND);
  REQUIRE(send(a, m) == MACH_MSG_SUCCESS);
  CHECK(g_ipc_stats.ool_bytes == 7 * sizeof(void*));
  CHECK(hostipc::live_user_regions() == 0);
  CHECK(port_of(a, ports[0])->mscount == 2);
  CHECK(port_of(a, ports[1])->mscount == 1);
  CHECK(type_of(a, ports[3]) == 0);
  CHECK(type_of(a, ports[4]) == 0);

  Rcv r = recv(b, dest);
  REQUIRE(r.mr == MACH_MSG_SUCCESS);
  REQUIRE(r.copyout_mr == MACH_MSG_SUCCESS);
  CHECK(g_ipc_stats.ool_bytes == 0);
  auto d0 = r.desc(0).ool_ports;
  CHECK(d0.type == MACH_MSG_OOL_PORTS_DESCRIPTOR);
  CHECK(d0.count == 5);
  CHECK(d0.disposition == MACH_MSG_TYPE_PORT_SEND);
  REQUIRE(d0.address != 0);
  const auto* got = reinterpret_cast<const mach_port_name_t*>(d0.address);
  CHECK(type_of(b, got[0]) == MACH_PORT_TYPE_SEND);
  CHECK(got[4] == got[0]);  // merged
  CHECK(send_refs(b, got[0]) == 2);
  CHECK(type_of(b, got[1]) == MACH_PORT_TYPE_SEND);
  CHECK(got[2] == MACH_PORT_NULL);
  CHECK(type_of(b, got[3]) == MACH_PORT_TYPE_SEND);
  CHECK(got[1] != got[0]);
  CHECK(got[3] != got[1]);
  auto d1 = r.desc(1).ool_ports;
  CHECK(d1.count == 2);
  CHECK(d1.disposition == MACH_MSG_TYPE_PORT_RECEIVE);
  const auto* rr = reinterpret_cast<const mach_port_name_t*>(d1.address);
  CHECK(type_of(b, rr[0]) == MACH_PORT_TYPE_RECEIVE);
  CHECK(type_of(b, rr[1]) == MACH_PORT_TYPE_RECEIVE);
  CHECK(port_of(b, rr[0])->receiver == b);
  auto d2 = r.desc(2).ool_ports;
  CHECK(d2.count == 0);
  CHECK(d2.address == 0);
  CHECK(name_count(b) == 6);  // dest, 3 send names, 2 receive rights
}

TEST_CASE("ipc msg: a receive right travels with its queue; its messages follow") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  mach_port_name_t dest = new_port(b);
  mach_port_name_t to_b = give(b, dest, MACH_MSG_TYPE_MAKE_SEND, a);
  mach_port_name_t inner = new_port(a);
  REQUIRE(send(a, Msg(inner, MACH_MSG_TYPE_MAKE_SEND, MACH_PORT_NULL, 0, 1)) == MACH_MSG_SUCCESS);
  REQUIRE(send(a, Msg(to_b, MACH_MSG_TYPE_COPY_SEND).port(inner, MACH_MSG_TYPE_MOVE_RECEIVE)) == MACH_MSG_SUCCESS);
  IpcPort* ip = nullptr;
  {
    IpcPort* dp = port_of(b, dest);
    IpcKmsg& k = dp->messages.front();
    ip = ipc_desc_port(k.descriptors()[0].port);
  }
  CHECK(ip->transit_dest == port_of(b, dest));  // for the circularity check
  Rcv r = recv(b, dest);
  mach_port_name_t in_b = r.desc(0).port.name;
  CHECK(ip->transit_dest == nullptr);
  CHECK(ip->receiver == b);
  Rcv m = recv(b, in_b);
  REQUIRE(m.mr == MACH_MSG_SUCCESS);
  CHECK(m.h().msgh_id == 1);
  CHECK(m.h().msgh_local_port == in_b);
}

TEST_CASE("ipc msg: sequence numbers") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  mach_port_name_t r = new_port(a);
  for (int i = 0; i < 3; i++) REQUIRE(send(a, Msg(r, MACH_MSG_TYPE_MAKE_SEND, 0, 0, i)) == MACH_MSG_SUCCESS);
  for (uint32_t i = 0; i < 3; i++) {
    Rcv m = recv(a, r);
    CHECK(m.h().msgh_seqno == i);
    CHECK(m.h().msgh_id == int32_t(i));
  }
  // Handed straight to a waiter: numbered too.
  IpcWaiter w;
  w.max_size = 256;
  REQUIRE(ipc_mqueue_wait(a, r, &w) == MACH_MSG_SUCCESS);
  REQUIRE(send(a, Msg(r, MACH_MSG_TYPE_MAKE_SEND)) == MACH_MSG_SUCCESS);
  REQUIRE(w.kmsg);
  Rcv m = finish(a, w.kmsg);
  CHECK(m.h().msgh_seqno == 3);
  CHECK(port_of(a, r)->seqno == 4);
  // A receive right that moves starts again at 0.
  REQUIRE(send(a, Msg(r, MACH_MSG_TYPE_MAKE_SEND)) == MACH_MSG_SUCCESS);
  mach_port_name_t rb = give(a, r, MACH_MSG_TYPE_MOVE_RECEIVE, b);
  CHECK(recv(b, rb).h().msgh_seqno == 0);
}

TEST_CASE("ipc msg: too large with and without MACH_RCV_LARGE") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  mach_port_name_t r = new_port(a);
  mach_port_name_t carried = new_port(b);
  IpcPort* pc = port_of(b, carried);
  uint8_t payload[100] = {};
  REQUIRE(send(a, Msg(r, MACH_MSG_TYPE_MAKE_SEND).inline_data(payload, sizeof payload)) == MACH_MSG_SUCCESS);
  const mach_msg_size_t size = kHdr + 100;

  Rcv t = recv(a, r, 64, true);
  CHECK(t.mr == MACH_RCV_TOO_LARGE);
  CHECK(t.size == size);
  CHECK(queued(a, r) == 1);  // left queued
  CHECK(port_of(a, r)->seqno == 0);
  Rcv ok = recv(a, r, size, true);
  CHECK(ok.mr == MACH_MSG_SUCCESS);
  CHECK(ok.size == size);
  CHECK(ok.h().msgh_seqno == 0);

  // Without RCV_LARGE: dequeued and destroyed, rights and all.
  mach_port_name_t sc = give(b, carried, MACH_MSG_TYPE_MAKE_SEND, a);
  REQUIRE(send(a, Msg(r, MACH_MSG_TYPE_MAKE_SEND).port(sc, MACH_MSG_TYPE_MOVE_SEND).inline_data(payload, 100)) ==
          MACH_MSG_SUCCESS);
  CHECK(pc->srights == 1);
  t = recv(a, r, 64, false);
  CHECK(t.mr == MACH_RCV_TOO_LARGE);
  CHECK(t.size == kBody + 16 + 100);
  CHECK(queued(a, r) == 0);
  CHECK(pc->srights == 0);
  CHECK(port_of(a, r)->seqno == 2);  // it was taken, so it used its number
  CHECK(g_ipc_stats.kmsgs == 0);
}

TEST_CASE("ipc msg: receive errors") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  mach_port_name_t r = new_port(a);
  mach_port_name_t sb = give(a, r, MACH_MSG_TYPE_MAKE_SEND, b);
  mach_port_name_t so = give(a, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, b);
  CHECK(recv(a, r).mr == MACH_RCV_TIMED_OUT);
  CHECK(recv(a, MACH_PORT_NULL).mr == MACH_RCV_INVALID_NAME);
  CHECK(recv(a, MACH_PORT_DEAD).mr == MACH_RCV_INVALID_NAME);
  CHECK(recv(a, MACH_PORT_MAKE(1234u, 0u)).mr == MACH_RCV_INVALID_NAME);
  CHECK(recv(b, sb).mr == MACH_RCV_INVALID_NAME);  // send right only
  CHECK(recv(b, so).mr == MACH_RCV_INVALID_NAME);
  CHECK(recv(b, r).mr == MACH_RCV_INVALID_NAME);  // another space's name
  mach_port_name_t dn;
  REQUIRE(mach_port_allocate(b, MACH_PORT_RIGHT_DEAD_NAME, &dn) == KERN_SUCCESS);
  CHECK(recv(b, dn).mr == MACH_RCV_INVALID_NAME);
  IpcWaiter w;
  CHECK(ipc_mqueue_wait(b, sb, &w) == MACH_RCV_INVALID_NAME);
  CHECK(w.on_queue == nullptr);
  // Empty set.
  mach_port_name_t ps = new_set(a);
  CHECK(recv(a, ps).mr == MACH_RCV_TIMED_OUT);
  REQUIRE(mach_port_move_member(a, r, ps) == KERN_SUCCESS);
  CHECK(recv(a, r).mr == MACH_RCV_IN_SET);
  CHECK(ipc_mqueue_wait(a, r, &w) == MACH_RCV_IN_SET);
  CHECK(recv(a, ps).mr == MACH_RCV_TIMED_OUT);
}

TEST_CASE("ipc msg: receiving from a port set rotates among members") {
  IpcFixture f;
  IpcSpace* a = f.space();
  mach_port_name_t ps = new_set(a);
  mach_port_name_t p1 = new_port(a);
  mach_port_name_t p2 = new_port(a);
  mach_port_name_t p3 = new_port(a);
  for (auto p : {p1, p2, p3}) REQUIRE(mach_port_move_member(a, p, ps) == KERN_SUCCESS);
  for (int i = 0; i < 3; i++) {
    REQUIRE(send(a, Msg(p1, MACH_MSG_TYPE_MAKE_SEND, 0, 0, 10 + i)) == MACH_MSG_SUCCESS);
    REQUIRE(send(a, Msg(p2, MACH_MSG_TYPE_MAKE_SEND, 0, 0, 20 + i)) == MACH_MSG_SUCCESS);
  }
  REQUIRE(send(a, Msg(p3, MACH_MSG_TYPE_MAKE_SEND, 0, 0, 30)) == MACH_MSG_SUCCESS);
  std::vector<std::pair<mach_port_name_t, int>> got;
  for (int i = 0; i < 7; i++) {
    Rcv m = recv(a, ps);
    REQUIRE(m.mr == MACH_MSG_SUCCESS);
    got.push_back({m.h().msgh_local_port, m.h().msgh_id});
  }
  std::vector<std::pair<mach_port_name_t, int>> want = {{p1, 10}, {p2, 20}, {p3, 30}, {p1, 11},
                                                        {p2, 21}, {p1, 12}, {p2, 22}};
  CHECK(got == want);
  CHECK(recv(a, ps).mr == MACH_RCV_TIMED_OUT);
  // Per-port sequence numbers still count per port.
  REQUIRE(send(a, Msg(p1, MACH_MSG_TYPE_MAKE_SEND)) == MACH_MSG_SUCCESS);
  CHECK(recv(a, ps).h().msgh_seqno == 3);
}

TEST_CASE("ipc msg: waiters on a set and on a port") {
  IpcFixture f;
  IpcSpace* a = f.space();
  mach_port_name_t ps = new_set(a);
  mach_port_name_t p1 = new_port(a);
  mach_port_name_t p2 = new_port(a);
  REQUIRE(mach_port_move_member(a, p1, ps) == KERN_SUCCESS);

  IpcWaiter ws, wp;
  ws.max_size = wp.max_size = 1024;
  REQUIRE(ipc_mqueue_wait(a, ps, &ws) == MACH_MSG_SUCCESS);
  REQUIRE(ipc_mqueue_wait(a, p2, &wp) == MACH_MSG_SUCCESS);
  CHECK(ws.on_queue != nullptr);
  REQUIRE(send(a, Msg(p1, MACH_MSG_TYPE_MAKE_SEND, 0, 0, 1)) == MACH_MSG_SUCCESS);
  CHECK(ws.done);
  CHECK(ws.result == MACH_MSG_SUCCESS);
  CHECK(ws.on_queue == nullptr);
  REQUIRE(ws.kmsg);
  REQUIRE(hostipc::woken.size() == 1);
  CHECK(hostipc::woken[0] == &ws);
  CHECK(finish(a, ws.kmsg).h().msgh_local_port == p1);
  CHECK(!wp.done);
  IpcWaiter* got = nullptr;
  {
    IpcKmsg* k = nullptr;
    REQUIRE(copyin(a, Msg(p2, MACH_MSG_TYPE_MAKE_SEND, 0, 0, 2), &k) == MACH_MSG_SUCCESS);
    got = ipc_mqueue_send(k);
  }
  CHECK(got == &wp);
  CHECK(hostipc::woken.back() == &wp);
  CHECK(finish(a, wp.kmsg).h().msgh_id == 2);

  // Waiters are served in arrival order; a cancelled one is skipped.
  IpcWaiter w1, w2, w3;
  w1.max_size = w2.max_size = w3.max_size = 1024;
  REQUIRE(ipc_mqueue_wait(a, p2, &w1) == MACH_MSG_SUCCESS);
  REQUIRE(ipc_mqueue_wait(a, p2, &w2) == MACH_MSG_SUCCESS);
  REQUIRE(ipc_mqueue_wait(a, p2, &w3) == MACH_MSG_SUCCESS);
  ipc_waiter_cancel(&w1);
  CHECK(w1.on_queue == nullptr);
  REQUIRE(send(a, Msg(p2, MACH_MSG_TYPE_MAKE_SEND)) == MACH_MSG_SUCCESS);
  CHECK(!w1.done);
  CHECK(w2.done);
  CHECK(!w3.done);
  ipc_kmsg_destroy(w2.kmsg);
  ipc_waiter_cancel(&w3);

  // A port with queued messages joins a set with a waiter: handed over.
  REQUIRE(send(a, Msg(p2, MACH_MSG_TYPE_MAKE_SEND, 0, 0, 9)) == MACH_MSG_SUCCESS);
  IpcWaiter w4;
  w4.max_size = 1024;
  REQUIRE(ipc_mqueue_wait(a, ps, &w4) == MACH_MSG_SUCCESS);
  REQUIRE(mach_port_move_member(a, p2, ps) == KERN_SUCCESS);
  CHECK(w4.done);
  REQUIRE(w4.kmsg);
  CHECK(finish(a, w4.kmsg).h().msgh_id == 9);
  CHECK(queued(a, p2) == 0);
}

TEST_CASE("ipc msg: a waiter whose buffer is too small") {
  IpcFixture f;
  IpcSpace* a = f.space();
  mach_port_name_t r = new_port(a);
  uint8_t payload[64] = {};
  IpcWaiter w;
  w.max_size = kHdr;
  w.rcv_large = true;
  REQUIRE(ipc_mqueue_wait(a, r, &w) == MACH_MSG_SUCCESS);
  REQUIRE(send(a, Msg(r, MACH_MSG_TYPE_MAKE_SEND).inline_data(payload, 64)) == MACH_MSG_SUCCESS);
  CHECK(w.done);
  CHECK(w.result == MACH_RCV_TOO_LARGE);
  CHECK(w.large_size == kHdr + 64);
  CHECK(w.kmsg == nullptr);
  CHECK(queued(a, r) == 1);  // kept for the retry
  CHECK(recv(a, r, kHdr + 64).mr == MACH_MSG_SUCCESS);

  IpcWaiter w2;
  w2.max_size = kHdr;
  w2.rcv_large = false;
  REQUIRE(ipc_mqueue_wait(a, r, &w2) == MACH_MSG_SUCCESS);
  REQUIRE(send(a, Msg(r, MACH_MSG_TYPE_MAKE_SEND).inline_data(payload, 64)) == MACH_MSG_SUCCESS);
  CHECK(w2.result == MACH_RCV_TOO_LARGE);
  REQUIRE(w2.kmsg != nullptr);  // handed over; the receiver destroys it
  CHECK(queued(a, r) == 0);
  ipc_kmsg_destroy(w2.kmsg);
}

TEST_CASE("ipc msg: queue limit and blocked senders") {
  IpcFixture f;
  IpcSpace* a = f.space();
  IpcSpace* b = f.space();
  mach_port_name_t r = new_port(a);
  mach_port_name_t sb = give(a, r, MACH_MSG_TYPE_MAKE_SEND, b);
  IpcPort* p = port_of(a, r);
  REQUIRE(mach_port_set_qlimit(a, r, 2) == KERN_SUCCESS);
  CHECK(!ipc_mqueue_full(p, MACH_MSG_TYPE_PORT_SEND));
  REQUIRE(send(b, Msg(sb, MACH_MSG_TYPE_COPY_SEND)) == MACH_MSG_SUCCESS);
  REQUIRE(send(b, Msg(sb, MACH_MSG_TYPE_COPY_SEND)) == MACH_MSG_SUCCESS);
  CHECK(ipc_mqueue_full(p, MACH_MSG_TYPE_PORT_SEND));
  CHECK(!ipc_mqueue_full(p, MACH_MSG_TYPE_PORT_SEND_ONCE));  // send-once is never held back

  IpcWaiter w1, w2;
  ipc_mqueue_wait_send(p, &w1);
  ipc_mqueue_wait_send(p, &w2);
  CHECK(recv(a, r).mr == MACH_MSG_SUCCESS);
  CHECK(w1.done);
  CHECK(w1.result == MACH_MSG_SUCCESS);
  CHECK(!w2.done);  // one slot, one sender
  CHECK(!ipc_mqueue_full(p, MACH_MSG_TYPE_PORT_SEND));
  REQUIRE(send(b, Msg(sb, MACH_MSG_TYPE_COPY_SEND)) == MACH_MSG_SUCCESS);
  CHECK(ipc_mqueue_full(p, MACH_MSG_TYPE_PORT_SEND));
  // Raising the limit lets the rest go.
  REQUIRE(mach_port_set_qlimit(a, r, 10) == KERN_SUCCESS);
  CHECK(w2.done);
  CHECK(w2.result == MACH_MSG_SUCCESS);
  // Kernel notifications ignore the limit.
  CHECK(recv(a, r).mr == MACH_MSG_SUCCESS);
  CHECK(recv(a, r).mr == MACH_MSG_SUCCESS);
  REQUIRE(mach_port_set_qlimit(a, r, MACH_PORT_QLIMIT_ZERO) == KERN_SUCCESS);
  CHECK(ipc_mqueue_full(p, MACH_MSG_TYPE_PORT_SEND));
  IpcPort* prev;
  REQUIRE(mach_port_request_notification(a, r, MACH_NOTIFY_NO_SENDERS, 0, make_so(a, r), &prev) == KERN_SUCCESS);
  REQUIRE(mach_port_deallocate(b, sb) == KERN_SUCCESS);
  CHECK(queued(a, r) == 1);
  CHECK(recv(a, r).h().msgh_id == MACH_NOTIFY_NO_SENDERS);
}

TEST_CASE("ipc msg: inline data survives; size and id reach the receiver") {
  IpcFixture f;
  IpcSpace* a = f.space();
  mach_port_name_t r = new_port(a);
  std::vector<uint32_t> words(1000);
  for (size_t i = 0; i < words.size(); i++) words[i] = uint32_t(i * 2654435761u);
  REQUIRE(send(a, Msg(r, MACH_MSG_TYPE_MAKE_SEND, 0, 0, -5).inline_data(words.data(), 4000)) == MACH_MSG_SUCCESS);
  Rcv m = recv(a, r, 8192);
  REQUIRE(m.mr == MACH_MSG_SUCCESS);
  CHECK(m.h().msgh_size == kHdr + 4000);
  CHECK(m.h().msgh_id == -5);
  CHECK(memcmp(m.bytes.data() + kHdr, words.data(), 4000) == 0);
}

TEST_CASE("ipc msg: MACH_RCV_LARGE on a set: the retry gets the message that was too large") {
  IpcFixture f;
  IpcSpace* a = f.space();
  mach_port_name_t ps = new_set(a);
  mach_port_name_t p1 = new_port(a);
  mach_port_name_t p2 = new_port(a);
  REQUIRE(mach_port_move_member(a, p1, ps) == KERN_SUCCESS);
  REQUIRE(mach_port_move_member(a, p2, ps) == KERN_SUCCESS);
  uint8_t big[200] = {};
  REQUIRE(send(a, Msg(p1, MACH_MSG_TYPE_MAKE_SEND, 0, 0, 1).inline_data(big, 200)) == MACH_MSG_SUCCESS);
  REQUIRE(send(a, Msg(p2, MACH_MSG_TYPE_MAKE_SEND, 0, 0, 2).inline_data(big, 100)) == MACH_MSG_SUCCESS);
  Rcv t = recv(a, ps, 64, true);
  REQUIRE(t.mr == MACH_RCV_TOO_LARGE);
  CHECK(t.size == kHdr + 200);
  // Retrying with the size it asked for gets that message, not another.
  Rcv m = recv(a, ps, t.size, true);
  REQUIRE(m.mr == MACH_MSG_SUCCESS);
  CHECK(m.h().msgh_id == 1);
  CHECK(recv(a, ps, 4096).h().msgh_id == 2);
}

TEST_CASE("ipc msg: a port joining a set keeps its queue in order when a set waiter's buffer is too small") {
  IpcFixture f;
  IpcSpace* a = f.space();
  mach_port_name_t ps = new_set(a);
  mach_port_name_t p = new_port(a);
  uint8_t big[200] = {};
  REQUIRE(send(a, Msg(p, MACH_MSG_TYPE_MAKE_SEND, 0, 0, 1).inline_data(big, 200)) == MACH_MSG_SUCCESS);
  REQUIRE(send(a, Msg(p, MACH_MSG_TYPE_MAKE_SEND, 0, 0, 2)) == MACH_MSG_SUCCESS);
  IpcWaiter w;
  w.max_size = 64;
  w.rcv_large = true;
  REQUIRE(ipc_mqueue_wait(a, ps, &w) == MACH_MSG_SUCCESS);
  REQUIRE(mach_port_move_member(a, p, ps) == KERN_SUCCESS);
  CHECK(w.done);
  CHECK(w.result == MACH_RCV_TOO_LARGE);
  CHECK(w.large_size == kHdr + 200);
  CHECK(queued(a, p) == 2);
  Rcv m1 = recv(a, ps, 4096);
  CHECK(m1.h().msgh_id == 1);
  CHECK(m1.h().msgh_seqno == 0);
  Rcv m2 = recv(a, ps, 4096);
  CHECK(m2.h().msgh_id == 2);
  CHECK(m2.h().msgh_seqno == 1);
}

TEST_CASE("ipc msg: a too-large message received without MACH_RCV_LARGE, sent on a send-once right") {
  IpcFixture f;
  IpcSpace* a = f.space();
  mach_port_name_t r = new_port(a);
  uint8_t big[200] = {};
  REQUIRE(send(a, Msg(r, MACH_MSG_TYPE_MAKE_SEND_ONCE).inline_data(big, 200)) == MACH_MSG_SUCCESS);
  CHECK(recv(a, r, 64, false).mr == MACH_RCV_TOO_LARGE);
  CHECK(port_of(a, r)->sorights == 0);
  // GNU Mach consumes the destination right quietly (ipc_kmsg_copyout_dest):
  // the message was delivered, so its port gets no send-once notification.
  CHECK(queued(a, r) == 0);
  // The same when it is handed straight to a waiter.
  IpcWaiter w;
  w.max_size = 64;
  REQUIRE(ipc_mqueue_wait(a, r, &w) == MACH_MSG_SUCCESS);
  REQUIRE(send(a, Msg(r, MACH_MSG_TYPE_MAKE_SEND_ONCE).inline_data(big, 200)) == MACH_MSG_SUCCESS);
  CHECK(w.result == MACH_RCV_TOO_LARGE);
  REQUIRE(w.kmsg);
  ipc_kmsg_destroy(w.kmsg);
  CHECK(port_of(a, r)->sorights == 0);
  CHECK(queued(a, r) == 0);
  CHECK(port_of(a, r)->refs == 1);
}
