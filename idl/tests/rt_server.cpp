// The server side of the roundtrip fixture: implementations of every routine,
// called by the generated rtServer.cpp.
#include "rt_state.h"

#include <cstring>

#include "rtServer.h"

namespace idltest {
RtState rt;
}
using idltest::rt;

// The objects behind obj_t ports (intran/outtran/destructor).
struct test_object {
  mach_port_t port;
  int refs;
};
static test_object objects[4] = {{0x900, 0}, {0x901, 0}, {0x902, 0}, {0x903, 0}};

extern "C" object_t port_to_object(mach_port_t port) {
  for (auto& o : objects)
    if (o.port == port) {
      ++o.refs;
      return &o;
    }
  return nullptr;
}
extern "C" mach_port_t object_to_port(object_t object) { return object ? object->port : MACH_PORT_NULL; }
extern "C" void object_release(object_t object) {
  if (object) --object->refs;
  ++rt.destroyed;
}

extern "C" {

kern_return_t S_add(mach_port_t server, int a, int b, int* sum) {
  rt.target = server;
  *sum = a + b;
  return KERN_SUCCESS;
}

kern_return_t S_mix(mach_port_t, char c, short s, int64_t l, double d, char* oc, short* os, int64_t* ol, double* od) {
  *oc = static_cast<char>(c + 1);
  *os = static_cast<short>(s * 2);
  *ol = l * 3;
  *od = d / 2;
  return KERN_SUCCESS;
}

kern_return_t S_reverse4(mach_port_t, int4_t v, int4_t r) {
  for (int i = 0; i < 4; ++i) r[i] = v[3 - i];
  return KERN_SUCCESS;
}

kern_return_t S_sum_list(mach_port_t, int_list_t v, mach_msg_type_number_t vCnt, int* total) {
  rt.count = vCnt;
  *total = 0;
  for (mach_msg_type_number_t i = 0; i < vCnt; ++i) *total += v[i];
  return KERN_SUCCESS;
}

kern_return_t S_make_list(mach_port_t, int n, int_list_t v, mach_msg_type_number_t* vCnt, int* after) {
  rt.count = *vCnt;  // the capacity the stub offers
  if (n < 0) n = 0;
  for (int i = 0; i < n; ++i) v[i] = i * i;
  *vCnt = static_cast<mach_msg_type_number_t>(n);
  *after = 0x5eed;
  return KERN_SUCCESS;
}

kern_return_t S_double_list(mach_port_t, int_list_t v, mach_msg_type_number_t* vCnt) {
  mach_msg_type_number_t n = *vCnt;
  for (mach_msg_type_number_t i = 0; i < n; ++i) v[n + i] = v[i] * 2;
  *vCnt = n * 2 > 16 ? 16 : n * 2;
  return KERN_SUCCESS;
}

kern_return_t S_swap_point(mach_port_t, point_t p, point_t* q) {
  q->x = p.y;
  q->y = p.x;
  return KERN_SUCCESS;
}

kern_return_t S_greet(mach_port_t, char* who, char* msg, int* tail) {
  strcpy(msg, "hello, ");
  strncat(msg, who, 63 - strlen(msg));
  *tail = 77;
  return KERN_SUCCESS;
}

kern_return_t S_fixed_name(mach_port_t, name_buf_t n, name_buf_t upper) {
  for (int i = 0; i < 32 && n[i]; ++i) upper[i] = static_cast<char>(n[i] >= 'a' && n[i] <= 'z' ? n[i] - 32 : n[i]);
  return KERN_SUCCESS;
}

kern_return_t S_ports_in(mach_port_t, mach_port_t p, mach_port_t q, mach_port_t r, mach_port_t s, mach_port_t t,
                         mach_port_t u, mach_port_name_t name, int* sum) {
  mach_port_t all[] = {p, q, r, s, t, u, name};
  for (int i = 0; i < 7; ++i) rt.ports[i] = all[i];
  *sum = static_cast<int>(p + q + r + s + t + u + name);
  return KERN_SUCCESS;
}

kern_return_t S_ports_out(mach_port_t, mach_port_t* a, mach_port_t* b, mach_port_t* c, mach_port_t* d) {
  *a = 0x11;
  *b = 0x22;
  *c = 0x33;
  *d = 0x44;
  return KERN_SUCCESS;
}

kern_return_t S_poly(mach_port_t, mach_port_t p, mach_msg_type_name_t pPoly, mach_port_t* q,
                     mach_msg_type_name_t* qPoly) {
  rt.poly = pPoly;
  *q = p + 1;
  *qPoly = MACH_MSG_TYPE_MAKE_SEND_ONCE;
  return KERN_SUCCESS;
}

kern_return_t S_checksum(mach_port_t, data_ptr_t data, mach_msg_type_number_t dataCnt, int* sum) {
  rt.count = dataCnt;
  *sum = 0;
  for (mach_msg_type_number_t i = 0; i < dataCnt; ++i) *sum += static_cast<unsigned char>(data[i]);
  return KERN_SUCCESS;
}

static char fetchBuf[1 << 17];
kern_return_t S_fetch(mach_port_t, int n, data_ptr_t* data, mach_msg_type_number_t* dataCnt) {
  if (n < 0 || n > static_cast<int>(sizeof fetchBuf)) return KERN_INVALID_ARGUMENT;
  for (int i = 0; i < n; ++i) fetchBuf[i] = static_cast<char>('a' + i % 26);
  *data = fetchBuf;
  *dataCnt = static_cast<mach_msg_type_number_t>(n);
  return KERN_SUCCESS;
}

kern_return_t S_ool_flags(mach_port_t, vm_offset_t data, mach_msg_type_number_t dataCnt, data_ptr_t data2,
                          mach_msg_type_number_t data2Cnt, boolean_t data2SCopy, int* len) {
  rt.serverCopy = data2SCopy;
  *len = static_cast<int>(dataCnt + data2Cnt);
  rt.lastValue = reinterpret_cast<const uint8_t*>(data)[0] + data2[0];
  return KERN_SUCCESS;
}

static int backBuf[8];
kern_return_t S_ool_fixed(mach_port_t, byte_ptr_t small, mach_msg_type_number_t smallCnt, int_ptr_t eight,
                          int** back, int* sum) {
  *sum = 0;
  for (mach_msg_type_number_t i = 0; i < smallCnt; ++i) *sum += small[i];
  for (int i = 0; i < 8; ++i) {
    *sum += eight[i];
    backBuf[i] = eight[i] * 10;
  }
  *back = backBuf;
  return KERN_SUCCESS;
}

kern_return_t S_port_array_in(mach_port_t, mach_port_array_t ports, mach_msg_type_number_t portsCnt,
                              mach_port_array_t three, int* n) {
  rt.count = portsCnt;
  for (mach_msg_type_number_t i = 0; i < portsCnt && i < 4; ++i) rt.ports[i] = ports[i];
  for (int i = 0; i < 3; ++i) rt.ports[4 + i] = three[i];
  *n = static_cast<int>(portsCnt) + 3;
  return KERN_SUCCESS;
}

static mach_port_t outPorts[64];
static mach_port_t outPolys[2] = {0x61, 0x62};
kern_return_t S_port_array_out(mach_port_t, int n, mach_port_array_t* ports, mach_msg_type_number_t* portsCnt,
                               mach_port_array_t* polys, mach_msg_type_number_t* polysCnt,
                               mach_msg_type_name_t* polysPoly) {
  for (int i = 0; i < n && i < 64; ++i) outPorts[i] = static_cast<mach_port_t>(0x100 + i);
  *ports = outPorts;
  *portsCnt = static_cast<mach_msg_type_number_t>(n);
  *polys = outPolys;
  *polysCnt = 2;
  *polysPoly = MACH_MSG_TYPE_MOVE_RECEIVE;
  return KERN_SUCCESS;
}

kern_return_t S_incr(mach_port_t, int* v, point_t* p, name_buf_t s) {
  ++*v;
  ++p->x;
  --p->y;
  size_t n = strlen(s);
  if (n < 31) {
    s[n] = '!';
    s[n + 1] = 0;
  }
  return KERN_SUCCESS;
}

kern_return_t S_seq(mach_port_t, natural_t seqno, natural_t* got) {
  rt.seqno = seqno;
  *got = seqno;
  return KERN_SUCCESS;
}

kern_return_t S_req_second(int x, mach_port_t target, int* y) {
  rt.target = target;
  *y = x * 10;
  return KERN_SUCCESS;
}

kern_return_t S_with_reply(mach_port_t, mach_port_t reply, int* v) {
  rt.replyPort = reply;
  *v = 5;
  return KERN_SUCCESS;
}

kern_return_t S_defer(mach_port_t, mach_port_t reply, int v) {
  rt.replyPort = reply;
  rt.lastValue = v;
  return MIG_NO_REPLY;  // answered later, on `reply`
}

kern_return_t S_uping(mach_port_t, int* v) {
  *v = 6;
  return KERN_SUCCESS;
}

kern_return_t S_slow(mach_port_t, int* v) {
  *v = 7;
  return KERN_SUCCESS;
}

kern_return_t S_timed(mach_port_t, int* v) {
  *v = 8;
  return KERN_SUCCESS;
}

kern_return_t S_opt(mach_port_t) {
  ++rt.calls;
  return KERN_SUCCESS;
}

kern_return_t S_optarg(mach_port_t) {
  ++rt.calls;
  return KERN_SUCCESS;
}

kern_return_t S_notify_me(mach_port_t, int v) {
  ++rt.notified;
  rt.lastValue = v;
  return KERN_SUCCESS;
}

kern_return_t S_get_answer(mach_port_t, int* ReturnValue) {
  *ReturnValue = 42;
  return KERN_SUCCESS;
}

kern_return_t S_proc(mach_port_t, int v) {
  rt.lastValue = v;
  return KERN_SUCCESS;
}

kern_return_t S_obj_call(object_t obj, object_t* other, object_t* peer) {
  rt.lastValue = obj ? obj->refs : -1;
  *other = &objects[(obj - objects + 1) % 4];
  *peer = &objects[3];
  return KERN_SUCCESS;
}

kern_return_t S_handle(mach_port_t, server_handle_t h, server_handle_t* h2) {
  *h2 = h ^ 0xff;
  return KERN_SUCCESS;
}

kern_return_t S_fail_with(mach_port_t, int code, int* v, mach_port_t* p) {
  *v = 1;
  *p = 0x55;
  return code;
}

kern_return_t S_make_list_cio(mach_port_t, int n, int_list_t v, mach_msg_type_number_t* vCnt, int* after) {
  rt.count = *vCnt;  // the caller's capacity, at most the bound
  mach_msg_type_number_t k = n < 0 ? 0 : static_cast<mach_msg_type_number_t>(n);
  if (k > *vCnt) k = *vCnt;
  for (mach_msg_type_number_t i = 0; i < k; ++i) v[i] = int(i) + 100;
  *vCnt = k;
  *after = 0xc10;
  return KERN_SUCCESS;
}

kern_return_t S_poly_request(mach_port_t server, mach_msg_type_name_t serverPoly, int v) {
  rt.target = server;
  rt.poly = serverPoly;
  rt.lastValue = v;
  return KERN_SUCCESS;
}

}  // extern "C"
