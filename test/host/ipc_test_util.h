// Helpers for the IPC core's host tests: building user-form messages,
// sending them through copyin + queue, receiving and copying them out, and
// looking at a space's names. Every test case ends with an IpcFixture going
// out of scope: it destroys its spaces, resets the host environment and
// checks that no IPC object leaked.
#pragma once

#include <doctest/doctest.h>
#include <mach/notify.h>
#include <stdio.h>
#include <string.h>

#include <algorithm>
#include <map>
#include <utility>
#include <vector>

#include "ipc/ipc_env.h"
#include "ipc/ipc_kmsg.h"
#include "ipc/ipc_mqueue.h"
#include "ipc/ipc_port.h"
#include "ipc/ipc_pset.h"
#include "ipc/ipc_right.h"
#include "ipc/ipc_space.h"
#include "ipc/ipc_stats.h"
#include "ipc/mach_port.h"
#include "ipc_env_host.h"

namespace ipct {

using namespace mk;

// The user calls the core implements in ipc_right.cpp (the trap layer maps
// mach_port_deallocate/destroy/mod_refs onto them).
inline kern_return_t mach_port_deallocate(IpcSpace* s, mach_port_name_t n) { return ipc_right_dealloc(s, n); }
inline kern_return_t mach_port_destroy(IpcSpace* s, mach_port_name_t n) { return ipc_right_destroy(s, n); }
inline kern_return_t mach_port_mod_refs(IpcSpace* s, mach_port_name_t n, mach_port_right_t right,
                                        mach_port_delta_t delta) {
  return ipc_right_delta(s, n, right, delta);
}

constexpr mach_msg_size_t kHdr = sizeof(mach_msg_header_t);
constexpr mach_msg_size_t kBody = kHdr + sizeof(mach_msg_body_t);

// A user-form message under construction.
struct Msg {
  mach_msg_header_t h{};
  std::vector<mach_msg_descriptor_t> descs;
  std::vector<uint8_t> data;
  bool complex = false;

  Msg(mach_port_name_t remote, mach_msg_type_name_t rd, mach_port_name_t local = MACH_PORT_NULL,
      mach_msg_type_name_t ld = 0, mach_msg_id_t id = 0) {
    h.msgh_bits = MACH_MSGH_BITS(rd, ld);
    h.msgh_remote_port = remote;
    h.msgh_local_port = local;
    h.msgh_id = id;
  }
  Msg& port(mach_port_name_t name, mach_msg_type_name_t disp) {
    mach_msg_descriptor_t d{};
    d.port.name = name;
    d.port.disposition = uint8_t(disp);
    d.port.type = MACH_MSG_PORT_DESCRIPTOR;
    descs.push_back(d);
    complex = true;
    return *this;
  }
  Msg& ool(const void* p, mach_msg_size_t size, bool dealloc = false, uint8_t copy = MACH_MSG_VIRTUAL_COPY) {
    mach_msg_descriptor_t d{};
    d.out_of_line.address = reinterpret_cast<uint64_t>(p);
    d.out_of_line.size = size;
    d.out_of_line.deallocate = dealloc;
    d.out_of_line.copy = copy;
    d.out_of_line.type = MACH_MSG_OOL_DESCRIPTOR;
    descs.push_back(d);
    complex = true;
    return *this;
  }
  Msg& ool_ports(const mach_port_name_t* names, mach_msg_size_t count, mach_msg_type_name_t disp,
                 bool dealloc = false) {
    mach_msg_descriptor_t d{};
    d.ool_ports.address = reinterpret_cast<uint64_t>(names);
    d.ool_ports.count = count;
    d.ool_ports.deallocate = dealloc;
    d.ool_ports.disposition = uint8_t(disp);
    d.ool_ports.type = MACH_MSG_OOL_PORTS_DESCRIPTOR;
    descs.push_back(d);
    complex = true;
    return *this;
  }
  Msg& raw_desc(const mach_msg_descriptor_t& d) {
    descs.push_back(d);
    complex = true;
    return *this;
  }
  Msg& inline_data(const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    data.insert(data.end(), b, b + n);
    while (data.size() % 4) data.push_back(0);
    return *this;
  }
  std::vector<uint8_t> bytes() const {
    mach_msg_header_t hh = h;
    if (complex) hh.msgh_bits |= MACH_MSGH_BITS_COMPLEX;
    size_t size = sizeof hh + (complex ? sizeof(mach_msg_body_t) + 16 * descs.size() : 0) + data.size();
    hh.msgh_size = uint32_t(size);
    std::vector<uint8_t> out(size);
    uint8_t* o = out.data();
    memcpy(o, &hh, sizeof hh);
    o += sizeof hh;
    if (complex) {
      mach_msg_body_t body{uint32_t(descs.size())};
      memcpy(o, &body, sizeof body);
      o += sizeof body;
      for (const auto& d : descs) {
        memcpy(o, &d, 16);
        o += 16;
      }
    }
    if (!data.empty()) memcpy(o, data.data(), data.size());
    return out;
  }
};

// Copy a message in (kmsg capacity `cap`, default the size); on success
// *out holds the kmsg, on error it was freed.
inline mach_msg_return_t copyin_bytes(IpcSpace* s, const void* p, mach_msg_size_t size, IpcKmsg** out,
                                      mach_msg_size_t cap = 0) {
  if (!cap) cap = std::max<mach_msg_size_t>(size, kHdr);
  *out = nullptr;
  IpcKmsg* k = ipc_kmsg_alloc(cap);
  if (!k) return MACH_SEND_NO_BUFFER;
  memcpy(k->bytes(), p, std::min(size, cap));
  mach_msg_return_t mr = ipc_kmsg_copyin(s, k, size);
  if (mr != MACH_MSG_SUCCESS) {
    ipc_kmsg_free(k);
    return mr;
  }
  *out = k;
  return mr;
}

inline mach_msg_return_t copyin(IpcSpace* s, const Msg& m, IpcKmsg** out) {
  auto b = m.bytes();
  return copyin_bytes(s, b.data(), mach_msg_size_t(b.size()), out);
}

// Copyin and deliver (no queue-limit check: see ipc_mqueue_full tests).
inline mach_msg_return_t send_bytes(IpcSpace* s, const void* p, mach_msg_size_t size) {
  IpcKmsg* k;
  mach_msg_return_t mr = copyin_bytes(s, p, size, &k);
  if (mr == MACH_MSG_SUCCESS) ipc_mqueue_send(k);
  return mr;
}

inline mach_msg_return_t send(IpcSpace* s, const Msg& m) {
  auto b = m.bytes();
  return send_bytes(s, b.data(), mach_msg_size_t(b.size()));
}

// A received message, copied out into `space` and copied to plain bytes.
struct Rcv {
  mach_msg_return_t mr = MACH_MSG_SUCCESS;  // of ipc_mqueue_receive
  mach_msg_return_t copyout_mr = MACH_MSG_SUCCESS;
  mach_msg_size_t size = 0;
  std::vector<uint8_t> bytes;

  const mach_msg_header_t& h() const { return *reinterpret_cast<const mach_msg_header_t*>(bytes.data()); }
  uint32_t word(size_t offset) const {
    uint32_t v;
    memcpy(&v, bytes.data() + offset, 4);
    return v;
  }
  uint32_t ndesc() const { return word(kHdr); }
  mach_msg_descriptor_t desc(size_t i) const {
    mach_msg_descriptor_t d;
    memcpy(&d, bytes.data() + kBody + 16 * i, 16);
    return d;
  }
  // After a notification: the name or count word following the header.
  uint32_t not_word() const { return word(kHdr); }
};

// Turn a kmsg taken off a queue into user bytes in `s`.
inline Rcv finish(IpcSpace* s, IpcKmsg* k) {
  Rcv r;
  r.size = k->size();
  r.copyout_mr = ipc_kmsg_copyout(s, k);
  r.bytes.assign(k->bytes(), k->bytes() + k->size());
  ipc_kmsg_free(k);
  return r;
}

inline Rcv recv(IpcSpace* s, mach_port_name_t name, mach_msg_size_t max = 4096, bool large = false) {
  IpcReceive ir;
  mach_msg_return_t mr = ipc_mqueue_receive(s, name, max, large, &ir);
  Rcv r;
  if (mr == MACH_MSG_SUCCESS) {
    r = finish(s, ir.kmsg);
  } else if (ir.kmsg) {  // too large without RCV_LARGE: dequeued, destroyed
    ipc_kmsg_destroy(ir.kmsg);
  }
  r.mr = mr;
  if (mr == MACH_RCV_TOO_LARGE) r.size = ir.size;
  return r;
}

// The space's view of one name.
inline mach_port_type_t type_of(IpcSpace* s, mach_port_name_t n) {
  mach_port_type_t t = 0;
  if (mach_port_type(s, n, &t) != KERN_SUCCESS) return 0;
  return t;
}
inline mach_port_urefs_t refs_of(IpcSpace* s, mach_port_name_t n, mach_port_right_t right) {
  mach_port_urefs_t r = 0;
  if (mach_port_get_refs(s, n, right, &r) != KERN_SUCCESS) return ~0u;
  return r;
}
inline mach_port_urefs_t send_refs(IpcSpace* s, mach_port_name_t n) { return refs_of(s, n, MACH_PORT_RIGHT_SEND); }
inline mach_port_urefs_t dead_refs(IpcSpace* s, mach_port_name_t n) {
  return refs_of(s, n, MACH_PORT_RIGHT_DEAD_NAME);
}
inline IpcPort* port_of(IpcSpace* s, mach_port_name_t n) {
  IpcEntry* e = s->lookup(n);
  return e ? e->port() : nullptr;
}

// name -> (type, urefs) for every name: compares a space before and after.
struct NameState {
  mach_port_type_t type;
  uint32_t urefs;
  bool operator==(const NameState& o) const { return type == o.type && urefs == o.urefs; }
};
using SpaceSnapshot = std::map<mach_port_name_t, NameState>;
inline SpaceSnapshot snapshot(IpcSpace* s) {
  SpaceSnapshot out;
  s->for_each([&](mach_port_name_t n, IpcEntry& e) { out[n] = NameState{e.type, e.urefs}; });
  return out;
}
inline size_t name_count(IpcSpace* s) {
  size_t n = 0;
  s->for_each([&](mach_port_name_t, IpcEntry&) { n++; });
  return n;
}

struct Counts {
  uint64_t ports, port_sets, kmsgs, ool_bytes, spaces;
  bool operator==(const Counts& o) const {
    return ports == o.ports && port_sets == o.port_sets && kmsgs == o.kmsgs && ool_bytes == o.ool_bytes &&
           spaces == o.spaces;
  }
};
inline Counts counts() {
  return {g_ipc_stats.ports, g_ipc_stats.port_sets, g_ipc_stats.kmsgs, g_ipc_stats.ool_bytes, g_ipc_stats.spaces};
}
inline doctest::String toString(const Counts& c) {
  char buf[160];
  snprintf(buf, sizeof buf, "{ports %llu, sets %llu, kmsgs %llu, ool %llu, spaces %llu}", (unsigned long long)c.ports,
           (unsigned long long)c.port_sets, (unsigned long long)c.kmsgs, (unsigned long long)c.ool_bytes,
           (unsigned long long)c.spaces);
  return buf;
}

// Allocate a receive right; a fresh name.
inline mach_port_name_t new_port(IpcSpace* s) {
  mach_port_name_t n = MACH_PORT_NULL;
  REQUIRE(mach_port_allocate(s, MACH_PORT_RIGHT_RECEIVE, &n) == KERN_SUCCESS);
  return n;
}
inline mach_port_name_t new_set(IpcSpace* s) {
  mach_port_name_t n = MACH_PORT_NULL;
  REQUIRE(mach_port_allocate(s, MACH_PORT_RIGHT_PORT_SET, &n) == KERN_SUCCESS);
  return n;
}

// Take a right out of `from` and give it to `to` (what a message does, or
// mach_port_insert_right/extract_right across tasks); returns the new name.
inline mach_port_name_t give(IpcSpace* from, mach_port_name_t name, mach_msg_type_name_t disp, IpcSpace* to) {
  IpcPort* p = nullptr;
  mach_msg_type_name_t t = 0;
  REQUIRE(ipc_right_copyin(from, name, disp, &p, &t) == KERN_SUCCESS);
  mach_port_name_t out = MACH_PORT_NULL;
  REQUIRE(ipc_right_copyout(to, p, t, &out) == KERN_SUCCESS);
  return out;
}

// A send-once right (kernel-held) to the port `name` names, for requests.
inline IpcPort* make_so(IpcSpace* s, mach_port_name_t name) {
  IpcPort* p = nullptr;
  mach_msg_type_name_t t = 0;
  REQUIRE(ipc_right_copyin(s, name, MACH_MSG_TYPE_MAKE_SEND_ONCE, &p, &t) == KERN_SUCCESS);
  return p;
}

inline size_t queued(IpcSpace* s, mach_port_name_t name) {
  IpcPort* p = port_of(s, name);
  return p ? p->msgcount : 0;
}

// Spaces for one test; destroyed, environment reset and leaks checked at the
// end of the test case.
struct IpcFixture {
  std::vector<IpcSpace*> spaces;
  IpcFixture() {
    hostipc::reset();
    CHECK(counts() == Counts{0, 0, 0, 0, 0});
  }
  IpcSpace* space() {
    IpcSpace* s = ipc_space_create(nullptr);
    REQUIRE(s);
    spaces.push_back(s);
    return s;
  }
  // Destroy one now (it is skipped at the end).
  void destroy(IpcSpace* s) {
    ipc_space_destroy(s);
    spaces.erase(std::find(spaces.begin(), spaces.end(), s));
  }
  ~IpcFixture() {
    hostipc::fail_allocs_after(-1);
    for (IpcSpace* s : spaces) ipc_space_destroy(s);
    hostipc::reset();
    CHECK(g_ipc_stats.ports == 0);
    CHECK(g_ipc_stats.port_sets == 0);
    CHECK(g_ipc_stats.kmsgs == 0);
    CHECK(g_ipc_stats.ool_bytes == 0);
    CHECK(g_ipc_stats.spaces == 0);
  }
};

}  // namespace ipct
