// Behaviour of the generated stubs: the roundtrip fixture's user stubs call
// its server stubs over the in-process transport, for every type kind and
// argument kind; malformed requests and replies are refused with MIG's codes.
#include <doctest/doctest.h>

#include <cstring>
#include <string>

#include "rt.h"
#include "rt_state.h"
#include "transport.h"

extern "C" boolean_t rt_server(mach_msg_header_t* InHeadP, mach_msg_header_t* OutHeadP);
extern "C" mig_routine_t rt_server_routine(mach_msg_header_t* InHeadP);

using namespace idltest;

namespace {

constexpr mach_port_t S = kServerPort;

struct Fixture {
  Fixture() {
    reset();
    rt = RtState{};
    serve(S, rt_server);
  }
};

void put32(mach_msg_header_t* h, uint32_t off, uint32_t v) { memcpy(bytes(h) + off, &v, 4); }

// Offsets of the first descriptor's fields.
constexpr uint32_t kDesc0 = 28;
constexpr uint32_t kDescType = 15, kDescDisposition = 14;

}  // namespace

TEST_CASE_FIXTURE(Fixture, "rt: integers round-trip with the header MIG builds") {
  int sum = 0;
  CHECK(add(S, 2, 40, &sum) == KERN_SUCCESS);
  CHECK(sum == 42);
  CHECK(last().id == 4000);
  CHECK(last().remoteDisposition == MACH_MSG_TYPE_COPY_SEND);
  CHECK(last().localDisposition == MACH_MSG_TYPE_MAKE_SEND_ONCE);
  CHECK(last().localPort == kReplyPort);
  CHECK(last().rcvName == kReplyPort);
  CHECK(last().sendSize == 32);  // header + two ints
  CHECK(last().option == (MACH_SEND_MSG | MACH_RCV_MSG));
  CHECK(last().timeout == MACH_MSG_TIMEOUT_NONE);
  CHECK(last().descriptors.empty());
  CHECK(rt.target == S);
}

TEST_CASE_FIXTURE(Fixture, "rt: char, short, int64 and double are naturally aligned") {
  char oc = 0;
  short os = 0;
  int64_t ol = 0;
  double od = 0;
  CHECK(mix(S, 'a', 1234, int64_t(1) << 40, 9.0, &oc, &os, &ol, &od) == KERN_SUCCESS);
  CHECK(oc == 'b');
  CHECK(os == 2468);
  CHECK(ol == (int64_t(3) << 40));
  CHECK(od == 4.5);
  // char at 24, short at 26, int64 at 32, double at 40.
  CHECK(last().sendSize == 48);
}

TEST_CASE_FIXTURE(Fixture, "rt: fixed arrays") {
  int4_t v = {1, 2, 3, 4}, r = {};
  CHECK(reverse4(S, v, r) == KERN_SUCCESS);
  CHECK(r[0] == 4);
  CHECK(r[3] == 1);
}

TEST_CASE_FIXTURE(Fixture, "rt: variable inline arrays in, with the bound enforced before sending") {
  int v[17];
  for (int i = 0; i < 17; ++i) v[i] = i + 1;
  int total = -1;
  CHECK(sum_list(S, v, 0, &total) == KERN_SUCCESS);
  CHECK(total == 0);
  CHECK(last().sendSize == 28);
  CHECK(sum_list(S, v, 5, &total) == KERN_SUCCESS);
  CHECK(total == 15);
  CHECK(rt.count == 5);
  CHECK(last().sendSize == 24 + 4 + 20);
  CHECK(sum_list(S, v, 16, &total) == KERN_SUCCESS);
  CHECK(total == 136);
  int before = sends();
  CHECK(sum_list(S, v, 17, &total) == MIG_ARRAY_TOO_LARGE);
  CHECK(sends() == before);
}

TEST_CASE_FIXTURE(Fixture, "rt: variable inline arrays out, packed before the next item") {
  int v[16] = {};
  mach_msg_type_number_t n = 16;
  int after = 0;
  CHECK(make_list(S, 5, v, &n, &after) == KERN_SUCCESS);
  CHECK(n == 5);
  CHECK(v[4] == 16);
  CHECK(after == 0x5eed);
  CHECK(rt.count == 16);  // the server is offered the whole bound
  n = 16;
  CHECK(make_list(S, 0, v, &n, &after) == KERN_SUCCESS);
  CHECK(n == 0);
  CHECK(after == 0x5eed);
  // The caller's buffer is smaller than the reply's array.
  n = 3;
  CHECK(make_list(S, 5, v, &n, &after) == MIG_ARRAY_TOO_LARGE);
  CHECK(n == 5);
}

TEST_CASE_FIXTURE(Fixture, "rt: CountInOut sends the caller's capacity, capped by the bound") {
  int v[20] = {};
  int after = 0;
  mach_msg_type_number_t n = 3;
  CHECK(make_list_cio(S, 5, v, &n, &after) == KERN_SUCCESS);
  CHECK(rt.count == 3);  // offered what the caller can take
  CHECK(n == 3);
  CHECK(v[2] == 102);
  CHECK(v[3] == 0);
  CHECK(after == 0xc10);
  // The request holds the header, n and the capacity: 24 + 4 + 4.
  CHECK(last().sendSize == 32);
  n = 20;
  CHECK(make_list_cio(S, 18, v, &n, &after) == KERN_SUCCESS);
  CHECK(rt.count == 16);  // never more than the bound
  CHECK(n == 16);
  CHECK(v[15] == 115);
  n = 0;
  CHECK(make_list_cio(S, 4, v, &n, &after) == KERN_SUCCESS);
  CHECK(rt.count == 0);
  CHECK(n == 0);
  // A request without the capacity is refused.
  tamperRequest([](mach_msg_header_t* h) { h->msgh_size = 28; });
  n = 4;
  CHECK(make_list_cio(S, 4, v, &n, &after) == MIG_BAD_ARGUMENTS);
}

TEST_CASE_FIXTURE(Fixture, "rt: inout variable arrays") {
  int v[16] = {1, 2, 3};
  mach_msg_type_number_t n = 3;
  CHECK(double_list(S, v, &n) == KERN_SUCCESS);
  CHECK(n == 6);
  CHECK(v[0] == 1);
  CHECK(v[5] == 6);
}

TEST_CASE_FIXTURE(Fixture, "rt: structs") {
  point_t p = {3, -4}, q = {};
  CHECK(swap_point(S, p, &q) == KERN_SUCCESS);
  CHECK(q.x == -4);
  CHECK(q.y == 3);
}

TEST_CASE_FIXTURE(Fixture, "rt: variable c_strings") {
  char msg[64] = {};
  int tail = 0;
  CHECK(greet(S, "world", msg, &tail) == KERN_SUCCESS);
  CHECK(std::string(msg) == "hello, world");
  CHECK(tail == 77);
  CHECK(last().sendSize == 24 + 4 + 8);  // count, "world\0", padding
  std::string longest(63, 'x'), tooLong(64, 'x');
  CHECK(greet(S, longest.c_str(), msg, &tail) == KERN_SUCCESS);
  CHECK(std::string(msg).size() == 63);
  CHECK(greet(S, tooLong.c_str(), msg, &tail) == MIG_ARRAY_TOO_LARGE);
}

TEST_CASE_FIXTURE(Fixture, "rt: fixed c_strings") {
  name_buf_t n = "machina", up = {};
  CHECK(fixed_name(S, n, up) == KERN_SUCCESS);
  CHECK(std::string(up) == "MACHINA");
  CHECK(last().sendSize == 24 + 32);
}

TEST_CASE_FIXTURE(Fixture, "rt: port rights with each disposition") {
  int sum = 0;
  CHECK(ports_in(S, 1, 2, 3, 4, 5, 6, 7, &sum) == KERN_SUCCESS);
  CHECK(sum == 28);
  for (int i = 0; i < 7; ++i) CHECK(rt.ports[i] == mach_port_t(i + 1));
  const auto& d = last().descriptors;
  REQUIRE(d.size() == 6);  // the port name travels inline
  uint8_t want[] = {MACH_MSG_TYPE_COPY_SEND,      MACH_MSG_TYPE_MAKE_SEND,      MACH_MSG_TYPE_MOVE_SEND,
                    MACH_MSG_TYPE_MAKE_SEND_ONCE, MACH_MSG_TYPE_MOVE_SEND_ONCE, MACH_MSG_TYPE_MOVE_RECEIVE};
  for (int i = 0; i < 6; ++i) {
    CHECK(d[i].type == MACH_MSG_PORT_DESCRIPTOR);
    CHECK(d[i].disposition == want[i]);
  }
  CHECK(last().sendSize == 24 + 4 + 6 * 16 + 4);
}

TEST_CASE_FIXTURE(Fixture, "rt: port rights out, and (a|b) types use b in the reply") {
  mach_port_t a = 0, b = 0, c = 0, d = 0;
  CHECK(ports_out(S, &a, &b, &c, &d) == KERN_SUCCESS);
  CHECK(a == 0x11);
  CHECK(b == 0x22);
  CHECK(c == 0x33);
  CHECK(d == 0x44);
  const auto& r = last().replyDescriptors;
  REQUIRE(r.size() == 4);
  CHECK(r[0].disposition == MACH_MSG_TYPE_MAKE_SEND);
  CHECK(r[1].disposition == MACH_MSG_TYPE_MOVE_RECEIVE);
  CHECK(r[2].disposition == MACH_MSG_TYPE_MAKE_SEND_ONCE);
  CHECK(r[3].disposition == MACH_MSG_TYPE_MOVE_SEND);
}

TEST_CASE_FIXTURE(Fixture, "rt: polymorphic rights carry their disposition") {
  mach_port_t q = 0;
  mach_msg_type_name_t qPoly = 0;
  CHECK(poly(S, 0x40, MACH_MSG_TYPE_MOVE_SEND, &q, &qPoly) == KERN_SUCCESS);
  CHECK(last().descriptors.at(0).disposition == MACH_MSG_TYPE_MOVE_SEND);
  CHECK(rt.poly == MACH_MSG_TYPE_PORT_SEND);
  CHECK(q == 0x41);
  CHECK(last().replyDescriptors.at(0).disposition == MACH_MSG_TYPE_MAKE_SEND_ONCE);
  CHECK(qPoly == MACH_MSG_TYPE_PORT_SEND_ONCE);
  CHECK(poly(S, 0x40, MACH_MSG_TYPE_MAKE_SEND_ONCE, &q, &qPoly) == KERN_SUCCESS);
  CHECK(rt.poly == MACH_MSG_TYPE_PORT_SEND_ONCE);
}

TEST_CASE_FIXTURE(Fixture, "rt: out-of-line data in, and skip consumes an id") {
  char data[300];
  for (int i = 0; i < 300; ++i) data[i] = 1;
  int sum = 0;
  CHECK(checksum(S, data, 300, &sum) == KERN_SUCCESS);
  CHECK(sum == 300);
  CHECK(last().id == 4013);
  const auto& d = last().descriptors;
  REQUIRE(d.size() == 1);
  CHECK(d[0].type == MACH_MSG_OOL_DESCRIPTOR);
  CHECK(d[0].sizeOrCount == 300);
  CHECK(d[0].deallocate == 0);
  CHECK(d[0].copy == MACH_MSG_VIRTUAL_COPY);
  CHECK(last().sendSize == 24 + 4 + 16);  // nothing inline
  mach_msg_header_t h{};
  h.msgh_id = 4012;
  CHECK(!rt_server_routine(&h));
  h.msgh_id = 4013;
  CHECK(static_cast<bool>(rt_server_routine(&h)));
}

TEST_CASE_FIXTURE(Fixture, "rt: out-of-line data out, larger than any inline message, with dealloc") {
  data_ptr_t data = nullptr;
  mach_msg_type_number_t n = 0;
  CHECK(fetch(S, 100000, &data, &n) == KERN_SUCCESS);
  REQUIRE(data != nullptr);
  CHECK(n == 100000);
  CHECK(data[0] == 'a');
  CHECK(data[99999] == 'a' + 99999 % 26);
  CHECK(last().replyDescriptors.at(0).deallocate == 1);
  CHECK(fetch(S, -1, &data, &n) == KERN_INVALID_ARGUMENT);
}

TEST_CASE_FIXTURE(Fixture, "rt: dealloc[] chosen by the caller, servercopy told to the server") {
  uint8_t a[10] = {5};
  char b[20] = {7};
  int len = 0;
  CHECK(ool_flags(S, reinterpret_cast<vm_offset_t>(a), 10, TRUE, b, 20, &len) == KERN_SUCCESS);
  CHECK(len == 30);
  CHECK(rt.lastValue == 12);
  CHECK(last().descriptors.at(0).deallocate == 1);
  CHECK(last().descriptors.at(1).deallocate == 0);
  CHECK(rt.serverCopy == FALSE);
  CHECK(ool_flags(S, reinterpret_cast<vm_offset_t>(a), 10, FALSE, b, 20, &len) == KERN_SUCCESS);
  CHECK(last().descriptors.at(0).deallocate == 0);
  tamperRequest([](mach_msg_header_t* h) { bytes(h)[kDesc0 + 16 + 13] = MACH_MSG_PHYSICAL_COPY; });
  CHECK(ool_flags(S, reinterpret_cast<vm_offset_t>(a), 10, FALSE, b, 20, &len) == KERN_SUCCESS);
  CHECK(rt.serverCopy == TRUE);
}

TEST_CASE_FIXTURE(Fixture, "rt: bounded and fixed out-of-line arrays") {
  uint8_t small[65] = {};
  for (int i = 0; i < 65; ++i) small[i] = 1;
  int eight[8] = {1, 1, 1, 1, 1, 1, 1, 1};
  int* back = nullptr;
  int sum = 0;
  CHECK(ool_fixed(S, small, 64, eight, &back, &sum) == KERN_SUCCESS);
  CHECK(sum == 72);
  REQUIRE(back != nullptr);
  CHECK(back[7] == 10);
  CHECK(last().descriptors.at(1).sizeOrCount == 32);
  CHECK(ool_fixed(S, small, 65, eight, &back, &sum) == MIG_ARRAY_TOO_LARGE);
}

TEST_CASE_FIXTURE(Fixture, "rt: arrays of port rights in") {
  mach_port_t ports[4] = {0x10, 0x20, 0x30, 0x40};
  mach_port_t three[3] = {0x1, 0x2, 0x3};
  int n = 0;
  CHECK(port_array_in(S, ports, 4, three, &n) == KERN_SUCCESS);
  CHECK(n == 7);
  CHECK(rt.count == 4);
  CHECK(rt.ports[3] == 0x40);
  CHECK(rt.ports[6] == 0x3);
  const auto& d = last().descriptors;
  REQUIRE(d.size() == 2);
  CHECK(d[0].type == MACH_MSG_OOL_PORTS_DESCRIPTOR);
  CHECK(d[0].disposition == MACH_MSG_TYPE_COPY_SEND);
  CHECK(d[0].sizeOrCount == 4);
  CHECK(d[1].disposition == MACH_MSG_TYPE_MAKE_SEND);
  CHECK(d[1].sizeOrCount == 3);
}

TEST_CASE_FIXTURE(Fixture, "rt: arrays of port rights out, polymorphic ones too") {
  mach_port_array_t ports = nullptr, polys = nullptr;
  mach_msg_type_number_t n = 0, pn = 0;
  mach_msg_type_name_t pp = 0;
  CHECK(port_array_out(S, 10, &ports, &n, &polys, &pn, &pp) == KERN_SUCCESS);
  REQUIRE(ports != nullptr);
  CHECK(n == 10);
  CHECK(ports[9] == 0x109);
  CHECK(pn == 2);
  CHECK(polys[1] == 0x62);
  CHECK(pp == MACH_MSG_TYPE_PORT_RECEIVE);
  CHECK(last().replyDescriptors.at(1).disposition == MACH_MSG_TYPE_MOVE_RECEIVE);
}

TEST_CASE_FIXTURE(Fixture, "rt: inout scalars, structs and c_strings") {
  int v = 41;
  point_t p = {1, 1};
  name_buf_t s = "hey";
  CHECK(incr(S, &v, &p, s) == KERN_SUCCESS);
  CHECK(v == 42);
  CHECK(p.x == 2);
  CHECK(p.y == 0);
  CHECK(std::string(s) == "hey!");
}

TEST_CASE_FIXTURE(Fixture, "rt: msgseqno gives the server the sequence number") {
  natural_t a = 0, b = 0;
  CHECK(seq(S, &a) == KERN_SUCCESS);
  CHECK(seq(S, &b) == KERN_SUCCESS);
  CHECK(b == a + 1);
  CHECK(rt.seqno == b);
}

TEST_CASE_FIXTURE(Fixture, "rt: requestport need not be first") {
  int y = 0;
  CHECK(req_second(3, S, &y) == KERN_SUCCESS);
  CHECK(y == 30);
  CHECK(last().remotePort == S);
}

TEST_CASE_FIXTURE(Fixture, "rt: replyport: the caller's port is used both ways") {
  int v = 0;
  CHECK(with_reply(S, 0x777, &v) == KERN_SUCCESS);
  CHECK(v == 5);
  CHECK(last().localPort == 0x777);
  CHECK(last().rcvName == 0x777);
  CHECK(last().localDisposition == MACH_MSG_TYPE_MAKE_SEND_ONCE);
  CHECK(rt.replyPort == 0x777);
}

TEST_CASE_FIXTURE(Fixture, "rt: sreplyport lets the server keep the reply (MIG_NO_REPLY)") {
  CHECK(defer(S, 9) == MACH_RCV_TIMED_OUT);
  CHECK(rt.replyPort == kReplyPort);
  CHECK(rt.lastValue == 9);
  CHECK(!last().replied);
  CHECK(replyPortDeallocs() == 1);  // a late reply must not be taken for another's
}

TEST_CASE_FIXTURE(Fixture, "rt: ureplyport is the user's alone") {
  int v = 0;
  CHECK(uping(S, 0x778, &v) == KERN_SUCCESS);
  CHECK(v == 6);
  CHECK(last().localPort == 0x778);
}

TEST_CASE_FIXTURE(Fixture, "rt: waittime statement and argument") {
  int v = 0;
  CHECK(slow(S, &v) == KERN_SUCCESS);
  CHECK(v == 7);
  CHECK((last().option & MACH_RCV_TIMEOUT) != 0);
  CHECK(last().timeout == 500);
  CHECK(timed(S, 1234, &v) == KERN_SUCCESS);
  CHECK(v == 8);
  CHECK((last().option & MACH_RCV_TIMEOUT) != 0);
  CHECK(last().timeout == 1234);
  CHECK(add(S, 1, 1, &v) == KERN_SUCCESS);  // nowaittime
  CHECK((last().option & MACH_RCV_TIMEOUT) == 0);
}

TEST_CASE_FIXTURE(Fixture, "rt: msgoption statement and argument") {
  CHECK(opt(S) == KERN_SUCCESS);
  CHECK(last().option == (MACH_SEND_MSG | MACH_RCV_MSG | MACH_SEND_INTERRUPT));
  CHECK(optarg(S, MACH_RCV_INTERRUPT) == KERN_SUCCESS);
  CHECK(last().option == (MACH_SEND_MSG | MACH_RCV_MSG | MACH_RCV_INTERRUPT));
  CHECK(rt.calls == 2);
}

TEST_CASE_FIXTURE(Fixture, "rt: simpleroutines only send") {
  CHECK(notify_me(S, 11) == KERN_SUCCESS);
  CHECK(rt.notified == 1);
  CHECK(rt.lastValue == 11);
  CHECK(last().option == MACH_SEND_MSG);
  CHECK(last().rcvSize == 0);
  CHECK(last().localPort == MACH_PORT_NULL);
  CHECK(last().localDisposition == 0);
  CHECK(!last().replied);
  CHECK(poly_request(S, MACH_MSG_TYPE_MAKE_SEND_ONCE, 3) == KERN_SUCCESS);
  CHECK(last().remoteDisposition == MACH_MSG_TYPE_MAKE_SEND_ONCE);
  CHECK(rt.poly == MACH_MSG_TYPE_PORT_SEND_ONCE);
}

TEST_CASE_FIXTURE(Fixture, "rt: legacy function and procedure") {
  int answer = 0;
  CHECK(get_answer(S, &answer) == KERN_SUCCESS);
  CHECK(answer == 42);
  CHECK(proc(S, -5) == KERN_SUCCESS);
  CHECK(rt.lastValue == -5);
}

TEST_CASE_FIXTURE(Fixture, "rt: intran, outtran and destructor") {
  mach_port_t other = 0, peer = 0;
  serve(0x900, rt_server);
  CHECK(obj_call(0x900, &other, &peer) == KERN_SUCCESS);
  CHECK(rt.lastValue == 1);  // the translated object, referenced once
  CHECK(rt.destroyed == 1);
  CHECK(other == 0x901);
  CHECK(peer == 0x903);
}

TEST_CASE_FIXTURE(Fixture, "rt: cusertype and cservertype") {
  user_handle_t h2 = 0;
  CHECK(handle(S, 0x0f, &h2) == KERN_SUCCESS);
  CHECK(h2 == 0xf0);
}

TEST_CASE_FIXTURE(Fixture, "rt: a server error comes back as a short reply, outs untouched") {
  int v = -1;
  mach_port_t p = 0;
  CHECK(fail_with(S, KERN_NO_SPACE, &v, &p) == KERN_NO_SPACE);
  CHECK(v == -1);
  CHECK(p == 0);
  CHECK(last().replyDescriptors.empty());
  CHECK(fail_with(S, KERN_SUCCESS, &v, &p) == KERN_SUCCESS);
  CHECK(v == 1);
  CHECK(p == 0x55);
}

// ---------------------------------------------------------------- malformed requests

TEST_CASE_FIXTURE(Fixture, "rt server: a request longer than its contents is refused") {
  int sum = 0;
  tamperRequest([](mach_msg_header_t* h) { h->msgh_size += 4; });
  CHECK(add(S, 1, 2, &sum) == MIG_BAD_ARGUMENTS);
  tamperRequest([](mach_msg_header_t* h) { h->msgh_size -= 4; });
  CHECK(add(S, 1, 2, &sum) == MIG_BAD_ARGUMENTS);
  tamperRequest([](mach_msg_header_t* h) { h->msgh_size = 24; });
  CHECK(add(S, 1, 2, &sum) == MIG_BAD_ARGUMENTS);
  CHECK(sum == 0);
}

TEST_CASE_FIXTURE(Fixture, "rt server: descriptors of the wrong kind, count or disposition are refused") {
  int sum = 0;
  tamperRequest([](mach_msg_header_t* h) { bytes(h)[kDesc0 + kDescType] = MACH_MSG_OOL_DESCRIPTOR; });
  CHECK(ports_in(S, 1, 2, 3, 4, 5, 6, 7, &sum) == MIG_BAD_ARGUMENTS);
  tamperRequest([](mach_msg_header_t* h) { bytes(h)[kDesc0 + kDescDisposition] = MACH_MSG_TYPE_PORT_RECEIVE; });
  CHECK(ports_in(S, 1, 2, 3, 4, 5, 6, 7, &sum) == MIG_BAD_ARGUMENTS);
  tamperRequest([](mach_msg_header_t* h) { put32(h, 24, 5); });
  CHECK(ports_in(S, 1, 2, 3, 4, 5, 6, 7, &sum) == MIG_BAD_ARGUMENTS);
  tamperRequest([](mach_msg_header_t* h) { h->msgh_bits &= ~MACH_MSGH_BITS_COMPLEX; });
  CHECK(ports_in(S, 1, 2, 3, 4, 5, 6, 7, &sum) == MIG_BAD_ARGUMENTS);
  tamperRequest([](mach_msg_header_t* h) { h->msgh_bits |= MACH_MSGH_BITS_COMPLEX; });
  CHECK(add(S, 1, 2, &sum) == MIG_BAD_ARGUMENTS);
  CHECK(sum == 0);
}

TEST_CASE_FIXTURE(Fixture, "rt server: array counts over the bound are refused") {
  int v[16] = {};
  int total = 0;
  tamperRequest([](mach_msg_header_t* h) { put32(h, 24, 17); });
  CHECK(sum_list(S, v, 16, &total) == MIG_BAD_ARGUMENTS);
  tamperRequest([](mach_msg_header_t* h) { put32(h, 24, 0xffffffffu); });
  CHECK(sum_list(S, v, 16, &total) == MIG_BAD_ARGUMENTS);
  tamperRequest([](mach_msg_header_t* h) { put32(h, 24, 6); });  // more than the message holds
  CHECK(sum_list(S, v, 5, &total) == MIG_BAD_ARGUMENTS);
}

TEST_CASE_FIXTURE(Fixture, "rt server: out-of-line sizes and port-array counts are checked") {
  uint8_t small[64] = {};
  int eight[8] = {};
  int* back = nullptr;
  int sum = 0;
  tamperRequest([](mach_msg_header_t* h) { put32(h, kDesc0 + 16 + 8, 28); });
  CHECK(ool_fixed(S, small, 8, eight, &back, &sum) == MIG_BAD_ARGUMENTS);
  tamperRequest([](mach_msg_header_t* h) { put32(h, kDesc0 + 8, 65); });
  CHECK(ool_fixed(S, small, 8, eight, &back, &sum) == MIG_BAD_ARGUMENTS);
  mach_port_t ports[2] = {1, 2}, three[3] = {1, 2, 3};
  int n = 0;
  tamperRequest([](mach_msg_header_t* h) { put32(h, kDesc0 + 16 + 8, 2); });
  CHECK(port_array_in(S, ports, 2, three, &n) == MIG_BAD_ARGUMENTS);
  char data[8] = {};
  tamperRequest([](mach_msg_header_t* h) { bytes(h)[kDesc0 + kDescType] = MACH_MSG_PORT_DESCRIPTOR; });
  CHECK(checksum(S, data, 8, &sum) == MIG_BAD_ARGUMENTS);
}

TEST_CASE_FIXTURE(Fixture, "rt server: c_strings must be terminated") {
  char msg[64];
  int tail = 0;
  tamperRequest([](mach_msg_header_t* h) { bytes(h)[28 + 5] = 'x'; });
  CHECK(greet(S, "world", msg, &tail) == MIG_BAD_ARGUMENTS);
  tamperRequest([](mach_msg_header_t* h) { put32(h, 24, 0); });
  CHECK(greet(S, "world", msg, &tail) == MIG_BAD_ARGUMENTS);
  name_buf_t n = "abc", up = {};
  tamperRequest([](mach_msg_header_t* h) { memset(bytes(h) + 24, 'z', 32); });
  CHECK(fixed_name(S, n, up) == MIG_BAD_ARGUMENTS);
}

TEST_CASE_FIXTURE(Fixture, "rt server: unknown ids get MIG_BAD_ID") {
  int sum = 0;
  tamperRequest([](mach_msg_header_t* h) { h->msgh_id = 4012; });  // the skipped slot
  // The reply's id follows the (changed) request id: a mismatch for the caller.
  CHECK(add(S, 1, 2, &sum) == MIG_REPLY_MISMATCH);
  CHECK(last().replied);
  // Put the id back so that the caller sees the server's code.
  tamperReply([](mach_msg_header_t* h) { h->msgh_id = 4100; });
  CHECK(add(S, 1, 2, &sum) == MIG_BAD_ID);
  tamperRequest([](mach_msg_header_t* h) { h->msgh_id = 3999; });
  CHECK(add(S, 1, 2, &sum) == MIG_BAD_ID);
  tamperRequest([](mach_msg_header_t* h) { h->msgh_id = 5000; });
  CHECK(add(S, 1, 2, &sum) == MIG_BAD_ID);
}

TEST_CASE("rt server: the demux function answers an unknown id with a mig_reply_error_t") {
  alignas(8) uint8_t in[64] = {}, out[64];
  auto* h = reinterpret_cast<mach_msg_header_t*>(in);
  h->msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_PORT_SEND_ONCE, MACH_MSG_TYPE_PORT_SEND);
  h->msgh_size = 24;
  h->msgh_remote_port = 0x31;
  h->msgh_local_port = kServerPort;
  h->msgh_id = 77;
  auto* o = reinterpret_cast<mach_msg_header_t*>(out);
  CHECK(rt_server(h, o) == FALSE);
  CHECK(o->msgh_id == 177);
  CHECK(o->msgh_size == sizeof(mig_reply_error_t));
  CHECK(o->msgh_remote_port == 0x31);
  CHECK(MACH_MSGH_BITS_REMOTE(o->msgh_bits) == MACH_MSG_TYPE_PORT_SEND_ONCE);
  CHECK(mig_reply_code(o) == MIG_BAD_ID);
  h->msgh_id = 4000;  // known, but without its two ints
  CHECK(rt_server(h, o) == TRUE);
  CHECK(mig_reply_code(o) == MIG_BAD_ARGUMENTS);
}

// ---------------------------------------------------------------- malformed replies

TEST_CASE_FIXTURE(Fixture, "rt user: replies are checked before anything is copied out") {
  int sum = -1;
  tamperReply([](mach_msg_header_t* h) { h->msgh_id = 4101; });
  CHECK(add(S, 1, 2, &sum) == MIG_REPLY_MISMATCH);
  tamperReply([](mach_msg_header_t* h) { h->msgh_size += 4; });
  CHECK(add(S, 1, 2, &sum) == MIG_TYPE_ERROR);
  tamperReply([](mach_msg_header_t* h) { h->msgh_bits |= MACH_MSGH_BITS_COMPLEX; });
  CHECK(add(S, 1, 2, &sum) == MIG_TYPE_ERROR);
  CHECK(sum == -1);
  mach_port_t a, b, c, d;
  tamperReply([](mach_msg_header_t* h) { bytes(h)[kDesc0 + 16 + kDescType] = MACH_MSG_OOL_DESCRIPTOR; });
  CHECK(ports_out(S, &a, &b, &c, &d) == MIG_TYPE_ERROR);
  tamperReply([](mach_msg_header_t* h) { bytes(h)[kDesc0 + kDescDisposition] = MACH_MSG_TYPE_PORT_RECEIVE; });
  CHECK(ports_out(S, &a, &b, &c, &d) == MIG_TYPE_ERROR);
  int v[16];
  mach_msg_type_number_t n = 16;
  int after = 0;
  tamperReply([](mach_msg_header_t* h) { put32(h, 28, 17); });
  CHECK(make_list(S, 2, v, &n, &after) == MIG_TYPE_ERROR);
  tamperReply([](mach_msg_header_t* h) { put32(h, 24, KERN_FAILURE); });
  CHECK(add(S, 1, 2, &sum) == KERN_FAILURE);
}
