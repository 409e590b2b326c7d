// The fuzzer's generators (names, dispositions, values, addresses, message
// ids) and its bookkeeping (the name pool, regions, the protection rules,
// taking in received messages).
#include "fuzz.h"

namespace fz {

namespace {

constexpr uint64_t kUserTop = 1ull << 47;

uint64_t page_trunc(uint64_t a) { return a & ~(kPage - 1); }

// A readable string in .rodata.
const char kRodata[] = "fuzz: read-only data the kernel may read";

const Region* tracked(Rng& r) { return g.regions_n ? &g.regions[r.below(g.regions_n)] : nullptr; }

}  // namespace

// ------------------------------------------------------------ protection

bool is_victim(mach_port_name_t name) {
  for (unsigned i = 0; i < g.victims_n; ++i)
    if (g.victims[i] == name) return true;
  return false;
}

bool is_protected(mach_port_name_t name) {
  if (!MACH_PORT_VALID(name)) return false;
  return name == g.task || name == g.thread || name == g.host || name == g.reply || name == g.mig || is_victim(name);
}

// The receive rights the fuzzer lives on: never in a message, a port call
// or a set.
bool is_reply_port(mach_port_name_t name) { return MACH_PORT_VALID(name) && (name == g.reply || name == g.mig); }

bool guard_right(mach_port_name_t* name, mach_msg_type_name_t* disp) {
  if (is_reply_port(*name)) {
    *name = MACH_PORT_NULL;
    ++g.skipped;
    return false;
  }
  if (is_protected(*name) && *disp == MACH_MSG_TYPE_MOVE_SEND) *disp = MACH_MSG_TYPE_COPY_SEND;
  return true;
}

bool touches_base(uint64_t addr, uint64_t size) {
  if (size == 0) return false;
  uint64_t end;
  if (__builtin_add_overflow(addr, size, &end) || end > ~(kPage - 1)) return false;  // wraps: refused by the kernel
  uint64_t s = page_trunc(addr), e = page_trunc(end + kPage - 1);
  for (unsigned i = 0; i < g.base_n; ++i)
    if (s < g.base[i].end && e > g.base[i].start) return true;
  return false;
}

bool shares_writable_base(uint64_t addr, uint64_t size) {
  if (size < kVirtualCopyMin) return false;
  uint64_t end;
  if (__builtin_add_overflow(addr, size, &end)) end = ~0ull;
  for (unsigned i = 0; i < g.base_n; ++i)
    if ((g.base[i].prot & VM_PROT_WRITE) && addr < g.base[i].end && end > g.base[i].start) return true;
  return false;
}

bool clamp_to_free(uint64_t* addr, uint64_t* size) {
  if (!touches_base(*addr, *size)) return *size != 0;
  uint64_t s = page_trunc(*addr);
  uint64_t stop = ~0ull;
  for (unsigned i = 0; i < g.base_n; ++i) {
    if (s >= g.base[i].start && s < g.base[i].end) return false;
    if (g.base[i].start > s && g.base[i].start < stop) stop = g.base[i].start;
  }
  if (stop <= *addr) return false;
  *size = stop - *addr;
  return true;
}

// ------------------------------------------------------------ bookkeeping

void pool_add(mach_port_name_t name) {
  if (!MACH_PORT_VALID(name) || is_protected(name)) return;
  for (unsigned i = 0; i < g.pool_n; ++i)
    if (g.pool[i] == name) return;
  if (g.pool_n < kPoolMax) g.pool[g.pool_n++] = name;
  else g.pool[name % kPoolMax] = name;
}

void region_add(uint64_t addr, uint64_t size) {
  if (!addr || !size || touches_base(addr, size)) return;
  Region reg{page_trunc(addr), page_trunc(addr + size + kPage - 1), 0, 0, 0, 0};
  if (g.regions_n < kRegionsMax) g.regions[g.regions_n++] = reg;
  else g.regions[addr / kPage % kRegionsMax] = reg;
}

void absorb(const uint8_t* buf, size_t len) {
  if (len < sizeof(mach_msg_header_t)) return;
  mach_msg_header_t h;
  memcpy(&h, buf, sizeof h);
  pool_add(h.msgh_remote_port);
  pool_add(h.msgh_local_port);
  if (!(h.msgh_bits & MACH_MSGH_BITS_COMPLEX)) return;
  size_t size = h.msgh_size < len ? h.msgh_size : len;
  if (size < sizeof h + 4) return;
  uint32_t count;
  memcpy(&count, buf + sizeof h, 4);
  for (uint32_t i = 0; i < count && i < MACH_MSG_DESCRIPTORS_MAX; ++i) {
    size_t off = sizeof h + 4 + i * 16;
    if (off + 16 > size) break;
    mach_msg_descriptor_t d;
    memcpy(&d, buf + off, sizeof d);
    switch (d.type.type) {
      case MACH_MSG_PORT_DESCRIPTOR:
        pool_add(d.port.name);
        break;
      case MACH_MSG_OOL_DESCRIPTOR:
      case MACH_MSG_OOL_VOLATILE_DESCRIPTOR:
        region_add(d.out_of_line.address, d.out_of_line.size);
        break;
      case MACH_MSG_OOL_PORTS_DESCRIPTOR:
        // The names are not read: touching fresh memory can fail when the
        // fuzzer has used up the machine's memory, and would end it. The
        // reset's sweep finds them.
        region_add(d.ool_ports.address, d.ool_ports.count * 4ull);
        break;
    }
  }
}

// ------------------------------------------------------------ generators

mach_port_name_t garbage_name(Rng& r) {
  mach_port_name_t n;
  switch (r.below(7)) {
    case 0: n = MACH_PORT_NULL; break;
    case 1: n = MACH_PORT_DEAD; break;
    case 2: n = MACH_PORT_MAKE(uint32_t(r.below(16)), uint32_t(r.below(256))); break;
    case 3: n = MACH_PORT_MAKE(uint32_t(r.below(0x400)), 0u); break;
    case 4: n = uint32_t(r.next()); break;
    case 5:  // a stale name: one generation on
      n = g.pool_n ? g.pool[r.below(g.pool_n)] + 1 : MACH_PORT_MAKE(0x100u, 1u);
      break;
    default: n = MACH_PORT_MAKE(uint32_t(r.range(0x100, 0x10f)), uint32_t(r.below(3))); break;
  }
  return is_protected(n) ? MACH_PORT_NULL : n;
}

mach_port_name_t pool_name(Rng& r) {
  unsigned p = unsigned(r.below(100));
  if (p < 55 && g.pool_n) return g.pool[r.below(g.pool_n)];
  if (p < 85 && g.fixture_n) return g.fixture[r.below(g.fixture_n)];
  return garbage_name(r);
}

mach_port_name_t any_name(Rng& r) {
  if (!r.pct(15)) return pool_name(r);
  switch (r.below(4)) {
    case 0: return g.task;
    case 1: return g.thread;
    case 2: return g.host;
    default: return g.victims_n ? g.victims[r.below(g.victims_n)] : g.task;
  }
}

mach_msg_type_name_t any_disposition(Rng& r) {
  unsigned p = unsigned(r.below(100));
  if (p < 85) return mach_msg_type_name_t(r.range(MACH_MSG_TYPE_MOVE_RECEIVE, MACH_MSG_TYPE_MAKE_SEND_ONCE));
  if (p < 92) return r.pct(50) ? MACH_MSG_TYPE_COPY_RECEIVE : MACH_MSG_TYPE_PORT_NAME;
  return mach_msg_type_name_t(r.below(256));
}

uint64_t any_size(Rng& r) {
  switch (r.below(16)) {
    case 0: return 0;
    case 1: return 1 + r.below(8);
    case 2: return r.below(256);
    case 3: return r.below(4096);
    case 4: return kPage * r.range(1, 4);
    case 5: return kPage * r.range(1, 4) + r.range(1, 7) - 4;  // around a page multiple
    case 6: return 16 * 1024 + r.below(3) - 1;                 // around the virtual-copy threshold
    case 7: return 64 * 1024 + r.below(3) - 1;
    case 8: return kPage * r.range(16, 512);
    case 9: return 64ull << 20;  // the out-of-line limit
    case 10: return (64ull << 20) + 1;
    case 11: return 0xffffffffull;
    case 12: return 1ull << 32;
    case 13: return 1ull << r.range(33, 63);
    case 14: return ~0ull - r.below(kPage);
    default: return r.next();
  }
}

uint64_t in_ptr(Rng& r, uint64_t len) {
  switch (r.below(15)) {
    case 0: return 0;
    case 1:
    case 2: return reinterpret_cast<uint64_t>(g_scratch) + r.below(kScratch);
    case 3: return reinterpret_cast<uint64_t>(&op_msg) + r.below(256);  // text
    case 4: return reinterpret_cast<uint64_t>(kRodata);
    case 5: return reinterpret_cast<uint64_t>(__builtin_frame_address(0)) - r.below(1024);  // mid-stack
    case 6: return reinterpret_cast<uint64_t>(&g) + r.below(sizeof g);                  // our state
    case 7:
    case 8:
      if (const Region* t = tracked(r)) return t->start + r.below(t->end - t->start + 1);
      return reinterpret_cast<uint64_t>(g_scratch);
    case 9: return 0x7e0000000000ull + kPage * r.below(1 << 20) + r.below(16);  // unmapped
    case 10: return 0xffff800000000000ull + kPage * r.below(1 << 20) + r.below(kPage);  // kernel direct map
    case 11: return 0xffffffff80000000ull + r.below(1 << 24);                            // kernel image
    case 12: return r.pct(50) ? kUserTop + r.below(kPage) : 0x8000000000000000ull;       // non-canonical
    case 13: return kUserTop - kPage - (len ? len / 2 : 8);  // straddling the top guard page
    default: return r.next();
  }
}

uint64_t out_ptr(Rng& r, uint64_t len) {
  switch (r.below(13)) {
    case 0: return 0;
    case 1:
    case 2:
    case 3:
      if (len <= kOutArea) return reinterpret_cast<uint64_t>(out_area()) + r.below(kOutArea - len + 1);
      return 0;
    case 4: return reinterpret_cast<uint64_t>(&op_msg);  // text: not writable
    case 5: return reinterpret_cast<uint64_t>(kRodata);
    case 6:
    case 7:
      if (const Region* t = tracked(r)) {
        uint64_t p = t->start + r.below(t->end - t->start + 1);
        if (!touches_base(p, len ? len : 1)) return p;
      }
      return 0;
    case 8: return 0x7e0000000000ull + kPage * r.below(1 << 20);
    case 9: return 0xffff800000000000ull + kPage * r.below(1 << 20);
    case 10: return r.pct(50) ? kUserTop + r.below(kPage) : 0x8000000000000000ull;
    case 11: return ~0ull - r.below(64);
    default:
      if (const Region* t = tracked(r)) {  // straddling a region's end
        uint64_t p = t->end - (len ? (len + 1) / 2 : 4);
        if (p >= t->start && !touches_base(p, len ? len : 1)) return p;
      }
      return 0x7e0000000000ull;
  }
}

uint64_t any_addr(Rng& r) {
  switch (r.below(8)) {
    case 0: return reinterpret_cast<uint64_t>(&op_msg);                     // text
    case 1: return reinterpret_cast<uint64_t>(__builtin_frame_address(0));  // stack
    case 2: return reinterpret_cast<uint64_t>(&g);                          // data
    case 3:
    case 4:
      if (const Region* t = tracked(r)) return r.pct(70) ? t->start : t->start + r.below(t->end - t->start + 1);
      return 0x100000000ull + kPage * r.below(1 << 16);
    case 5: return kPage * r.below(1ull << 35);  // anywhere in user space, page aligned
    default: return in_ptr(r, 0);
  }
}

uint64_t any_value(Rng& r) {
  switch (r.below(10)) {
    case 0: return r.below(8);
    case 1: return ~0ull;
    case 2: return uint32_t(r.next());
    case 3: return r.next();
    case 4:
    case 5: return pool_name(r);
    case 6: return out_ptr(r, kPage);
    case 7: return any_size(r);
    case 8: return 1ull << r.below(64);
    default: return uint64_t(-int64_t(r.below(8)));
  }
}

mach_msg_id_t any_msg_id(Rng& r) {
  static const int32_t kBases[] = {3200, 3400, 3600, 200, 4800, 2400, 64, 0};
  int32_t base = kBases[r.below(sizeof kBases / sizeof kBases[0])];
  unsigned p = unsigned(r.below(100));
  if (p < 70) return base + int32_t(r.below(24)) - 3;
  if (p < 85) return base + 100 + int32_t(r.below(24)) - 3;  // where replies are numbered
  return mach_msg_id_t(r.next());
}

}  // namespace fz
