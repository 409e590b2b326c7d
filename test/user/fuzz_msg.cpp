// The fuzzer's message operations: random messages (headers, descriptors of
// every type, sizes, options), receives, and requests to kernel ports in
// MIG's layout with mutations.
#include "fuzz.h"

namespace fz {

namespace {

constexpr uint32_t kHeader = sizeof(mach_msg_header_t);

uint32_t rd32(const uint8_t* p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}
void wr32(uint8_t* p, uint32_t v) { memcpy(p, &v, 4); }
uint64_t rd64(const uint8_t* p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

// Apply the protection rules to a message about to be sent from `buf`
// (send_size bytes): header rights, and every descriptor the kernel will
// read, including bytes left over from earlier messages. Arrays of names
// the fuzzer did not write itself are sent as COPY_SEND, which can harm no
// protected name.
void sanitize(uint8_t* buf, uint32_t send_size, bool header = true) {
  auto* h = reinterpret_cast<mach_msg_header_t*>(buf);
  if (header) {
    mach_msg_type_name_t rd = MACH_MSGH_BITS_REMOTE(h->msgh_bits), ld = MACH_MSGH_BITS_LOCAL(h->msgh_bits);
    (void)guard_right(&h->msgh_remote_port, &rd);
    (void)guard_right(&h->msgh_local_port, &ld);
    h->msgh_bits = (h->msgh_bits & ~0xffffu) | MACH_MSGH_BITS(rd & 0xff, ld & 0xff);
  }
  if (!(h->msgh_bits & MACH_MSGH_BITS_COMPLEX) || send_size < kHeader + 4) return;
  uint32_t count = rd32(buf + kHeader);
  for (uint32_t i = 0; i < count && i < MACH_MSG_DESCRIPTORS_MAX; ++i) {
    uint32_t off = kHeader + 4 + i * 16;
    if (off + 16 > send_size) break;
    auto* d = reinterpret_cast<mach_msg_descriptor_t*>(buf + off);
    switch (d->type.type) {
      case MACH_MSG_PORT_DESCRIPTOR: {
        mach_msg_type_name_t disp = d->port.disposition;
        (void)guard_right(&d->port.name, &disp);
        d->port.disposition = uint8_t(disp);
        break;
      }
      case MACH_MSG_OOL_DESCRIPTOR:
      case MACH_MSG_OOL_VOLATILE_DESCRIPTOR:
        if (d->out_of_line.deallocate && touches_base(d->out_of_line.address, d->out_of_line.size))
          d->out_of_line.deallocate = 0;
        if (shares_writable_base(d->out_of_line.address, d->out_of_line.size))
          d->out_of_line.copy = MACH_MSG_PHYSICAL_COPY;
        break;
      case MACH_MSG_OOL_PORTS_DESCRIPTOR: {
        uint64_t a = d->ool_ports.address, bytes = uint64_t(d->ool_ports.count) * 4;
        uint64_t area = reinterpret_cast<uint64_t>(names_area());
        if (d->ool_ports.deallocate && touches_base(a, bytes)) d->ool_ports.deallocate = 0;
        if (a >= area && a + bytes <= area + kNamesArea && a % 4 == 0) {
          auto* names = reinterpret_cast<mach_port_name_t*>(a);
          for (uint32_t k = 0; k < d->ool_ports.count; ++k) {
            mach_msg_type_name_t disp = d->ool_ports.disposition;
            if (!guard_right(&names[k], &disp) || disp != d->ool_ports.disposition)
              d->ool_ports.disposition = MACH_MSG_TYPE_COPY_SEND;
          }
        } else {
          d->ool_ports.disposition = MACH_MSG_TYPE_COPY_SEND;
        }
        break;
      }
    }
  }
}

// One random descriptor at `d`.
void make_descriptor(Rng& r, mach_msg_descriptor_t* d, uint32_t* names_used) {
  memset(d, 0, sizeof *d);
  uint8_t type = r.pct(96) ? uint8_t(r.below(4)) : uint8_t(r.below(256));
  d->type.type = type;
  switch (type) {
    case MACH_MSG_PORT_DESCRIPTOR: {
      d->port.name = any_name(r);
      d->port.disposition = uint8_t(any_disposition(r));
      if (r.one_in(20)) d->port.pad1 = uint32_t(r.next());
      d->port.type = type;
      break;
    }
    case MACH_MSG_OOL_DESCRIPTOR:
    case MACH_MSG_OOL_VOLATILE_DESCRIPTOR: {
      uint64_t size = r.pct(80) ? r.below(r.pct(50) ? 256 : 80 * 1024) : any_size(r);
      d->out_of_line.address = in_ptr(r, size);
      d->out_of_line.size = uint32_t(size);
      d->out_of_line.deallocate = r.one_in(5);
      d->out_of_line.copy = uint8_t(r.pct(95) ? r.below(3) : r.below(256));
      d->out_of_line.type = type;
      break;
    }
    case MACH_MSG_OOL_PORTS_DESCRIPTOR: {
      uint32_t count = r.pct(85) ? uint32_t(r.below(9)) : r.pct(50) ? uint32_t(r.range(1023, 1025)) : uint32_t(r.next());
      uint32_t room = uint32_t(kNamesArea / 4) - *names_used;
      if (r.pct(85) && count <= room) {
        auto* names = reinterpret_cast<mach_port_name_t*>(names_area()) + *names_used;
        for (uint32_t k = 0; k < count; ++k) names[k] = k && r.pct(60) ? names[k - 1] : any_name(r);
        d->ool_ports.address = reinterpret_cast<uint64_t>(names);
        *names_used += count;
      } else {
        d->ool_ports.address = in_ptr(r, uint64_t(count) * 4);
      }
      d->ool_ports.count = count;
      d->ool_ports.disposition = uint8_t(any_disposition(r));
      d->ool_ports.deallocate = r.one_in(5);
      d->ool_ports.copy = uint8_t(r.below(3));
      d->ool_ports.type = type;
      break;
    }
    default:
      for (unsigned i = 0; i < 15; ++i) reinterpret_cast<uint8_t*>(d)[i] = uint8_t(r.next());
      break;
  }
}

mach_msg_option_t any_option(Rng& r, bool* receives) {
  mach_msg_option_t o = MACH_SEND_MSG | MACH_SEND_TIMEOUT;
  if (r.pct(10)) o &= ~MACH_SEND_MSG;
  *receives = r.pct(40);
  if (*receives) o |= MACH_RCV_MSG | MACH_RCV_TIMEOUT;
  if (r.pct(10)) o |= MACH_RCV_LARGE;
  if (r.pct(3)) o |= MACH_SEND_INTERRUPT | MACH_RCV_INTERRUPT;
  if (r.pct(3)) o |= 1u << r.range(12, 31);  // unknown bits: refused
  return o;
}

// Replies and other arrivals on `port` that nobody reads: taken in.
void absorb_scratch(kern_return_t mr) {
  if (mr == MACH_MSG_SUCCESS || mr == MACH_RCV_BODY_ERROR || mr == MACH_RCV_HEADER_ERROR) absorb(g_scratch, kMsgMax);
}

}  // namespace

void drain(mach_port_name_t port, unsigned max) {
  for (unsigned i = 0; i < max; ++i) {
    kern_return_t mr = mach_msg(reinterpret_cast<mach_msg_header_t*>(g_scratch), MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0,
                                kMsgMax, port, 0);
    if (mr == MACH_RCV_TIMED_OUT || mr == MACH_RCV_INVALID_NAME || mr == MACH_RCV_IN_SET) return;
    absorb_scratch(mr);
  }
}

// ------------------------------------------------------------ random messages

namespace {

// A right this task holds and a disposition that suits it (for a send when
// `header`: no MOVE_RECEIVE). Names come from the fixture and the pool,
// sometimes the protected send rights.
void valid_right(Rng& r, bool header, mach_port_name_t* name, mach_msg_type_name_t* disp) {
  mach_port_name_t n;
  if (r.pct(88)) n = g.pool_n && r.pct(55) ? g.pool[r.below(g.pool_n)] : g.fixture[r.below(g.fixture_n)];
  else n = r.pct(70) ? any_name(r) : garbage_name(r);
  mach_port_type_t type = 0;
  (void)mach_port_type(g.task, n, &type);
  mach_msg_type_name_t d;
  if (type & MACH_PORT_TYPE_RECEIVE) {
    unsigned k = unsigned(r.below(header ? 2 : 3));
    d = k == 0 ? MACH_MSG_TYPE_MAKE_SEND : k == 1 ? MACH_MSG_TYPE_MAKE_SEND_ONCE : MACH_MSG_TYPE_MOVE_RECEIVE;
    if ((type & MACH_PORT_TYPE_SEND) && r.pct(30)) d = r.pct(50) ? MACH_MSG_TYPE_COPY_SEND : MACH_MSG_TYPE_MOVE_SEND;
  } else if (type & MACH_PORT_TYPE_SEND) {
    d = r.pct(60) ? MACH_MSG_TYPE_COPY_SEND : MACH_MSG_TYPE_MOVE_SEND;
  } else if (type & MACH_PORT_TYPE_SEND_ONCE) {
    d = MACH_MSG_TYPE_MOVE_SEND_ONCE;
  } else {
    d = mach_msg_type_name_t(r.range(MACH_MSG_TYPE_MOVE_SEND, MACH_MSG_TYPE_COPY_SEND));  // dead names, sets
  }
  *name = n;
  *disp = d;
}

// A readable region for out-of-line data: ours to read, or the epoch's.
void valid_ool(Rng& r, uint64_t* addr, uint32_t* size) {
  if (g.regions_n && r.pct(40)) {
    const Region& t = g.regions[r.below(g.regions_n)];
    *addr = t.start + (r.pct(70) ? 0 : r.below(t.end - t.start));
    uint64_t room = t.end - *addr;
    *size = uint32_t(r.pct(50) ? room : r.below(room + 1));
    return;
  }
  switch (r.below(4)) {
    case 0: *addr = reinterpret_cast<uint64_t>(&op_msg); break;
    case 1: *addr = reinterpret_cast<uint64_t>(__builtin_frame_address(0)) - r.below(2048); break;
    default: *addr = reinterpret_cast<uint64_t>(g_scratch) + r.below(kMsgMax / 2); break;
  }
  *size = uint32_t(r.pct(70) ? r.below(512) : r.below(kMsgMax / 2));
}

// One well-formed descriptor at `d`.
void valid_descriptor(Rng& r, mach_msg_descriptor_t* d, uint32_t* names_used) {
  memset(d, 0, sizeof *d);
  unsigned k = unsigned(r.below(10));
  if (k < 5) {
    mach_msg_type_name_t disp;
    valid_right(r, false, &d->port.name, &disp);
    d->port.disposition = uint8_t(disp);
    d->port.type = MACH_MSG_PORT_DESCRIPTOR;
  } else if (k < 8) {
    valid_ool(r, &d->out_of_line.address, &d->out_of_line.size);
    d->out_of_line.copy = uint8_t(r.below(2));
    d->out_of_line.deallocate = r.one_in(4);
    d->out_of_line.type = r.pct(90) ? MACH_MSG_OOL_DESCRIPTOR : MACH_MSG_OOL_VOLATILE_DESCRIPTOR;
  } else {
    uint32_t count = uint32_t(r.pct(80) ? r.range(1, 6) : r.below(64));
    if (count > kNamesArea / 4 - *names_used) count = 0;
    auto* names = reinterpret_cast<mach_port_name_t*>(names_area()) + *names_used;
    mach_msg_type_name_t disp = MACH_MSG_TYPE_COPY_SEND;
    for (uint32_t i = 0; i < count; ++i) {
      if (i == 0 || r.pct(30)) valid_right(r, false, &names[i], &disp);
      else names[i] = names[i - 1];
    }
    if (r.pct(10)) names[r.below(count ? count : 1)] = r.pct(50) ? MACH_PORT_NULL : MACH_PORT_DEAD;
    *names_used += count;
    d->ool_ports.address = reinterpret_cast<uint64_t>(names);
    d->ool_ports.count = count;
    d->ool_ports.disposition = uint8_t(disp);
    d->ool_ports.deallocate = 0;
    d->ool_ports.copy = uint8_t(r.below(2));
    d->ool_ports.type = MACH_MSG_OOL_PORTS_DESCRIPTOR;
  }
}

// One change to a well-formed message.
void mutate_message(Rng& r, uint8_t* buf, uint32_t n, uint32_t* size) {
  auto* h = reinterpret_cast<mach_msg_header_t*>(buf);
  auto* d = n ? reinterpret_cast<mach_msg_descriptor_t*>(buf + kHeader + 4 + 16 * r.below(n)) : nullptr;
  switch (r.below(10)) {
    case 0: h->msgh_bits = (h->msgh_bits & ~0xffu) | any_disposition(r); break;
    case 1: h->msgh_bits = (h->msgh_bits & ~0xff00u) | (any_disposition(r) << 8); break;
    case 2: h->msgh_remote_port = garbage_name(r); break;
    case 3: *size = r.pct(50) ? *size - 4 * uint32_t(r.range(1, 4)) : *size + uint32_t(r.range(1, 3)); break;
    case 4: wr32(buf + kHeader, n + uint32_t(r.range(1, 3))); break;
    case 5: if (d) d->type.type = uint8_t(r.below(5)); break;
    case 6: if (d) reinterpret_cast<uint8_t*>(d)[14] = uint8_t(any_disposition(r)); break;  // port disposition
    case 7: if (d) d->out_of_line.address = in_ptr(r, d->out_of_line.size); break;
    case 8: if (d) d->out_of_line.size = uint32_t(any_size(r)); break;
    default: if (d) d->port.name = garbage_name(r); break;
  }
}

}  // namespace

void op_msg(Rng& r) {
  uint8_t* buf = g_scratch;
  auto* h = reinterpret_cast<mach_msg_header_t*>(buf);
  bool valid = r.pct(65);
  unsigned p = unsigned(r.below(100));
  uint32_t n;
  if (valid) n = p < 30 ? 0 : p < 85 ? uint32_t(r.range(1, 4)) : uint32_t(r.range(5, 16));
  else n = p < 35 ? 0 : p < 80 ? uint32_t(r.range(1, 4)) : p < 95 ? uint32_t(r.range(5, 64)) : uint32_t(r.range(65, 70));
  bool complex = n ? !(!valid && r.one_in(20)) : !valid && r.one_in(20);
  mach_msg_type_name_t rd, ld = 0;
  mach_port_name_t remote, local = MACH_PORT_NULL;
  bool to_partner = valid && g.partner_port && r.pct(40);
  // A flood: echoes with a send right to f3 (queue limit 1) that nobody
  // reads, and ids that make the partner wait for room: the partner blocks
  // in its send, and the reset ends it there.
  bool flood = to_partner && g.fixture_n > 3 && r.pct(10);
  if (to_partner) {
    remote = g.partner_port;
    rd = MACH_MSG_TYPE_COPY_SEND;
    local = g.fixture[r.pct(80) ? r.below(2) : r.below(4)];  // receive rights (f2 is in a set)
    ld = r.pct(85) ? MACH_MSG_TYPE_MAKE_SEND_ONCE : MACH_MSG_TYPE_MAKE_SEND;
    if (flood) {
      local = g.fixture[3];
      ld = MACH_MSG_TYPE_MAKE_SEND;
    }
  } else if (valid) {
    valid_right(r, true, &remote, &rd);
    if (r.pct(50)) valid_right(r, true, &local, &ld);
  } else {
    rd = any_disposition(r);
    ld = r.pct(50) ? 0 : any_disposition(r);
    remote = r.pct(60) && g.fixture_n ? g.fixture[r.below(g.fixture_n)] : any_name(r);
    local = ld || r.one_in(10) ? any_name(r) : MACH_PORT_NULL;
  }
  if (ld && !to_partner && r.pct(15)) {  // a kernel port as the reply port
    local = r.pct(50) || !g.victims_n ? g.task : g.victims[r.below(g.victims_n)];
    ld = r.pct(70) ? MACH_MSG_TYPE_COPY_SEND : MACH_MSG_TYPE_MAKE_SEND_ONCE;
  }
  if (!to_partner && r.pct(15)) {  // a kernel port as the destination
    unsigned k = unsigned(r.below(4));
    remote = k == 0 ? g.task : k == 1 ? g.thread : k == 2 ? g.host : g.victims_n ? g.victims[0] : g.task;
    rd = r.pct(80) ? MACH_MSG_TYPE_COPY_SEND : rd;
  }
  h->msgh_bits = MACH_MSGH_BITS(rd, ld) | (complex ? MACH_MSGH_BITS_COMPLEX : 0);
  if (!valid && r.one_in(30)) h->msgh_bits |= 1u << r.range(16, 30);
  h->msgh_size = uint32_t(r.next());  // the kernel takes send_size
  h->msgh_remote_port = remote;
  h->msgh_local_port = local;
  h->msgh_seqno = uint32_t(r.next());
  h->msgh_id = any_msg_id(r);
  if (flood) h->msgh_id &= ~7;
  uint32_t off = kHeader;
  if (complex || n) {
    uint32_t claimed = valid || r.pct(95) ? n : uint32_t(r.pct(50) ? r.below(80) : r.next());
    wr32(buf + off, claimed);
    off += 4;
    uint32_t names_used = 0;
    for (uint32_t i = 0; i < n; ++i, off += 16) {
      auto* d = reinterpret_cast<mach_msg_descriptor_t*>(buf + off);
      if (valid) valid_descriptor(r, d, &names_used);
      else make_descriptor(r, d, &names_used);
    }
  }
  uint32_t tail = uint32_t(r.below(r.pct(90) ? 64 : 4096)) & ~3u;
  for (uint32_t i = 0; i < tail; i += 4) wr32(buf + off + i, uint32_t(r.next()));
  uint32_t exact = off + tail, send_size = exact;
  if (valid) {
    if (r.pct(30)) mutate_message(r, buf, n, &send_size);
  } else {
    switch (r.below(10)) {
      case 0: send_size = uint32_t(r.below(exact + 8)); break;
      case 1: send_size = exact + uint32_t(r.range(1, 3)); break;
      case 2: send_size = uint32_t(r.below(kMsgMax)); break;
      case 3: send_size = MACH_MSG_SIZE_MAX + uint32_t(r.below(2)) * 4; break;
      default: break;
    }
  }
  sanitize(buf, send_size);
  if (is_task_port(h->msgh_remote_port) && !task_request_ok(h->msgh_remote_port, buf, send_size)) {
    ++g.skipped;
    note("msg id %d to a task port: refused (would harm the fuzzer or lose a task)", h->msgh_id);
    return;
  }
  if (to_partner) {
    note("msg to the partner %#x: reply %#x/%u bits %#x id %d desc %u size %u/%u", remote, local, ld, h->msgh_bits,
         h->msgh_id, n, send_size, exact);
    kern_return_t mr = partner_call(send_size, flood ? MACH_PORT_NULL : local);
    record(mr);
    absorb_scratch(mr);
    return;
  }
  bool receives;
  mach_msg_option_t option = any_option(r, &receives);
  if (valid && r.pct(60)) {
    option = MACH_SEND_MSG | MACH_SEND_TIMEOUT | MACH_RCV_MSG | MACH_RCV_TIMEOUT;
    receives = true;
  }
  mach_msg_timeout_t timeout = r.pct(99) ? 0 : uint32_t(r.range(1, 3));
  mach_port_name_t rcv_name = r.pct(60) ? h->msgh_remote_port : pool_name(r);
  if (valid && g.fixture_n && r.pct(70)) {  // where the message went, if it is ours
    mach_port_type_t type = 0;
    (void)mach_port_type(g.task, h->msgh_remote_port, &type);
    rcv_name = type & MACH_PORT_TYPE_RECEIVE ? h->msgh_remote_port : g.fixture[r.below(4 < g.fixture_n ? 4 : g.fixture_n)];
  }
  mach_msg_size_t rcv_size = r.pct(80) ? kMsgMax : uint32_t(r.below(64));
  uint64_t at = reinterpret_cast<uint64_t>(buf);
  if (!valid && r.pct(3)) at = r.pct(50) ? 0xffff800000001000ull : 0x7e0000000000ull;  // unreadable: refused
  note("msg%s remote %#x/%u local %#x/%u bits %#x id %d desc %u size %u/%u option %#x rcv %#x/%u",
       valid ? "" : " (wild)", h->msgh_remote_port, MACH_MSGH_BITS_REMOTE(h->msgh_bits), h->msgh_local_port,
       MACH_MSGH_BITS_LOCAL(h->msgh_bits), h->msgh_bits, h->msgh_id, n, send_size, exact, option, rcv_name, rcv_size);
  kern_return_t mr = mach_msg(reinterpret_cast<mach_msg_header_t*>(at), option, send_size, rcv_size, rcv_name, timeout);
  record(mr);
  if (receives && at == reinterpret_cast<uint64_t>(buf)) absorb_scratch(mr);
}

void op_receive(Rng& r) {
  mach_port_name_t name = pool_name(r);
  mach_msg_option_t option = MACH_RCV_MSG | MACH_RCV_TIMEOUT;
  if (r.pct(25)) option |= MACH_RCV_LARGE;
  mach_msg_size_t size;
  switch (r.below(6)) {
    case 0: size = 0; break;
    case 1: size = uint32_t(r.below(64)); break;
    case 2: size = uint32_t(r.below(kMsgMax)); break;
    default: size = kMsgMax; break;
  }
  uint64_t buf = reinterpret_cast<uint64_t>(g_scratch);
  if (r.pct(20)) buf = out_ptr(r, size);
  mach_msg_timeout_t timeout = r.one_in(200) ? 1 : 0;
  note("receive name %#x size %u buf %#lx option %#x", name, size, (unsigned long)buf, option);
  kern_return_t mr = mach_msg(reinterpret_cast<mach_msg_header_t*>(buf), option, 0, size, name, timeout);
  record(mr);
  if (buf == reinterpret_cast<uint64_t>(g_scratch)) absorb_scratch(mr);
}

// ------------------------------------------------------------ kernel requests

void Request::begin(mach_msg_id_t id, unsigned descriptors) {
  memset(b, 0, sizeof b);
  ndesc = descriptors;
  h()->msgh_id = id;
  off = descriptors ? kHeader + 4 + 16 * descriptors : kHeader;
}

void Request::u32(uint32_t v) {
  off = (off + 3) & ~3u;
  if (off + 4 <= sizeof b) wr32(b + off, v);
  off += 4;
}

void Request::u64(uint64_t v) {
  off = (off + 7) & ~7u;
  if (off + 8 <= sizeof b) memcpy(b + off, &v, 8);
  off += 8;
}

void Request::port(mach_port_name_t name, mach_msg_type_name_t disp) {
  // Descriptors fill their slots in order.
  for (unsigned i = 0; i < ndesc; ++i) {
    auto* d = reinterpret_cast<mach_msg_descriptor_t*>(b + kHeader + 4 + 16 * i);
    if (d->type.type || d->port.name || d->port.disposition) continue;
    d->port.name = name;
    d->port.disposition = uint8_t(disp);
    d->port.type = MACH_MSG_PORT_DESCRIPTOR;
    return;
  }
}

void Request::ool(uint64_t addr, uint32_t size, bool dealloc, uint8_t copy) {
  for (unsigned i = 0; i < ndesc; ++i) {
    auto* d = reinterpret_cast<mach_msg_descriptor_t*>(b + kHeader + 4 + 16 * i);
    if (d->type.type || d->port.name || d->port.disposition) continue;
    d->out_of_line.address = addr;
    d->out_of_line.size = size;
    d->out_of_line.deallocate = dealloc;
    d->out_of_line.copy = copy;
    d->out_of_line.type = MACH_MSG_OOL_DESCRIPTOR;
    return;
  }
}

namespace {

void mutate(Rng& r, Request& q, uint32_t* size) {
  unsigned n = unsigned(r.range(1, 3));
  for (unsigned i = 0; i < n; ++i) {
    switch (r.below(8)) {
      case 0: {  // one bit anywhere
        uint32_t at = uint32_t(r.below(*size ? *size : 1));
        if (at < sizeof q.b) q.b[at] ^= uint8_t(1u << r.below(8));
        break;
      }
      case 1: {  // one word of the body
        uint32_t at = (kHeader + uint32_t(r.below(*size > kHeader ? *size - kHeader : 4))) & ~3u;
        if (at + 4 <= sizeof q.b) wr32(q.b + at, uint32_t(any_value(r)));
        break;
      }
      case 2: *size = uint32_t(int32_t(*size) + (int32_t(r.below(9)) - 4) * 4); break;
      case 3: *size = r.pct(50) ? uint32_t(r.below(sizeof q.b + 1)) : *size + uint32_t(r.range(1, 3)); break;
      case 4: q.h()->msgh_id = r.pct(50) ? q.h()->msgh_id + int32_t(r.below(5)) - 2 : any_msg_id(r); break;
      case 5: q.h()->msgh_bits ^= MACH_MSGH_BITS_COMPLEX; break;
      case 6: wr32(q.b + kHeader, uint32_t(r.pct(70) ? r.below(4) : r.next())); break;
      default: {  // a descriptor's type or disposition byte
        uint32_t at = kHeader + 4 + 16 * uint32_t(r.below(4)) + 14 + uint32_t(r.below(2));
        q.b[at] = uint8_t(r.pct(50) ? r.below(4) : r.next());
        break;
      }
    }
  }
  if (*size > sizeof q.b) *size = sizeof q.b;
}

}  // namespace

bool task_request_ok(mach_port_name_t dest, const uint8_t* b, uint32_t size) {
  mach_msg_id_t id = reinterpret_cast<const mach_msg_header_t*>(b)->msgh_id;
  if (id == 3400) return false;  // task_create: the child must reach us (krpc sees to that)
  if (dest != g.task) return true;
  auto at64 = [&](uint32_t off) { return off + 8 <= size ? rd64(b + off) : 0; };
  switch (id) {
    case 3401:  // task_terminate
    case 3407:  // task_suspend (nobody would resume us)
    case 3412:  // thread_create_running
      return false;
    case 4802:  // vm_deallocate, vm_protect, vm_inherit, vm_wire: (address, size) first
    case 4803:
    case 4804:
    case 4840:
      return !touches_base(at64(24), at64(32));
    case 4807: {  // vm_write: the data's descriptor, then the address
      uint32_t n = rd32(b + 28 + 8);
      return !touches_base(at64(48), n) && !touches_base(at64(24), n ? n : 1);
    }
    case 4805:  // vm_read: a virtual copy of our own memory
      return !shares_writable_base(at64(24), at64(32));
    case 4808:  // vm_copy (source, size, destination)
      return !touches_base(at64(40), at64(32)) && !shares_writable_base(at64(24), at64(32));
    default:
      return true;
  }
}

kern_return_t krpc(Request& q, mach_port_name_t dest, Rng* rm) {
  mach_msg_header_t* h = q.h();
  h->msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE) |
                 (q.ndesc ? MACH_MSGH_BITS_COMPLEX : 0);
  h->msgh_remote_port = dest;
  h->msgh_local_port = g.reply;
  if (q.ndesc) wr32(q.b + kHeader, q.ndesc);
  uint32_t size = (q.off + 3) & ~3u;
  if (size > sizeof q.b) size = sizeof q.b;
  if (rm && rm->pct(50)) mutate(*rm, q, &size);
  // The reply always comes back to g.reply (a task_create's child would
  // otherwise be lost), and the protected names stay ours.
  h->msgh_remote_port = dest;
  h->msgh_local_port = g.reply;
  h->msgh_bits = (h->msgh_bits & ~0xffffu) | MACH_MSGH_BITS(MACH_MSGH_BITS_REMOTE(h->msgh_bits),
                                                             MACH_MSG_TYPE_MAKE_SEND_ONCE);
  if (dest == g.task) {
    // Port calls on our own space must not name what keeps us running.
    for (uint32_t off = kHeader; off + 4 <= sizeof q.b; off += 4)
      if (is_protected(rd32(q.b + off))) wr32(q.b + off, MACH_PORT_MAKE(0x100u, 0u));
    mach_msg_id_t id = h->msgh_id;
    if (id != 3400 && !task_request_ok(dest, q.b, sizeof q.b)) {
      ++g.skipped;
      note("krpc id %d to the task port: refused (would harm the fuzzer)", h->msgh_id);
      return KERN_SUCCESS;
    }
  }
  mach_msg_id_t id = h->msgh_id;
  note("krpc id %d to %#x, size %u, bits %#x: %#lx %#lx %#lx", id, dest, size, h->msgh_bits,
       (unsigned long)rd64(q.b + 24), (unsigned long)rd64(q.b + 32), (unsigned long)rd64(q.b + 40));
  memcpy(g_scratch, q.b, sizeof q.b);
  memset(g_scratch + sizeof q.b, 0, 16 * 70);  // no stale descriptors past the request
  if (is_protected(dest) && MACH_MSGH_BITS_REMOTE(h->msgh_bits) == MACH_MSG_TYPE_MOVE_SEND)
    reinterpret_cast<mach_msg_header_t*>(g_scratch)->msgh_bits ^= MACH_MSG_TYPE_MOVE_SEND ^ MACH_MSG_TYPE_COPY_SEND;
  sanitize(g_scratch, size, /*header=*/false);
  drain(g.reply, 64);
  kern_return_t mr = mach_msg(reinterpret_cast<mach_msg_header_t*>(g_scratch),
                              MACH_SEND_MSG | MACH_RCV_MSG | MACH_SEND_TIMEOUT | MACH_RCV_TIMEOUT, size, kMsgMax,
                              g.reply, 0);
  if (mr != MACH_MSG_SUCCESS) {
    absorb_scratch(mr);
    return mr;
  }
  auto* rh = reinterpret_cast<mach_msg_header_t*>(g_scratch);
  kern_return_t rc = KERN_SUCCESS;
  if (rh->msgh_bits & MACH_MSGH_BITS_COMPLEX) {
    uint32_t n = rd32(g_scratch + kHeader);
    if (n <= 4) rc = kern_return_t(rd32(g_scratch + kHeader + 4 + 16 * n));
    // A task_create's child: a victim (or ended at once when there are enough).
    if (id == 3400 && rh->msgh_id == 3500 && n == 1) {
      mach_port_name_t child = reinterpret_cast<mach_msg_descriptor_t*>(g_scratch + kHeader + 4)->port.name;
      if (MACH_PORT_VALID(child) && !is_protected(child)) {
        if (g.victims_n < kVictimsMax) {
          g.victims[g.victims_n++] = child;
        } else {
          (void)task_terminate(child);
          (void)mach_port_deallocate(g.task, child);
        }
      }
    }
  } else if (rh->msgh_size >= kHeader + 4) {
    rc = kern_return_t(rd32(g_scratch + kHeader));
  }
  absorb_scratch(mr);
  return rc;
}

}  // namespace fz
