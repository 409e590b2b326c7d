// The fuzzer's other operations: requests to kernel ports (every routine of
// mach_port.defs, task.defs, thread.defs, host.defs and vm.defs, built
// valid and then mutated), the port traps, the vm.defs calls on this task,
// raw traps, and victim tasks.
#include <mach/notify.h>
#include <task_rpc.h>

#include "fuzz.h"

namespace fz {

namespace {

uint32_t any_right(Rng& r) { return r.pct(90) ? uint32_t(r.below(MACH_PORT_RIGHT_NUMBER + 1)) : uint32_t(r.next()); }

int32_t any_delta(Rng& r) {
  switch (r.below(5)) {
    case 0: return -1;
    case 1: return 1;
    case 2: return int32_t(r.below(5)) - 2;
    case 3: return r.pct(50) ? 0x7fffffff : int32_t(0x80000000u);
    default: return int32_t(r.below(0x20000)) - 0x10000;
  }
}

uint32_t any_variant(Rng& r) {
  return r.pct(85) ? uint32_t(MACH_NOTIFY_FIRST + r.below(14)) : uint32_t(r.next());
}

vm_prot_t any_prot(Rng& r) { return r.pct(90) ? vm_prot_t(r.below(8)) : vm_prot_t(r.next()); }

// A name for allocate_name: mostly small indices, rarely one that grows the
// table a lot (up to 2^17 entries).
mach_port_name_t new_name(Rng& r) {
  if (r.one_in(300)) return MACH_PORT_MAKE(uint32_t(r.range(0x400, 0x1ffff)), uint32_t(r.below(256)));
  if (r.pct(70)) return MACH_PORT_MAKE(uint32_t(r.range(1, 0x200)), uint32_t(r.below(256)));
  return pool_name(r);
}

// An x86_THREAD_STATE64 for a thread in a victim: mostly addresses where
// nothing runs.
void any_state(Rng& r, uint32_t* words, uint32_t count) {
  for (uint32_t i = 0; i < count; ++i) words[i] = uint32_t(r.next());
  x86_thread_state64_t s;
  memcpy(&s, words, sizeof s < count * 4 ? sizeof s : count * 4);
  s.rip = r.pct(90) ? in_ptr(r, 16) : reinterpret_cast<uint64_t>(&op_msg);
  s.rsp = r.pct(80) ? out_ptr(r, 64) : r.next();
  s.rdi = any_value(r);
  memcpy(words, &s, sizeof s < count * 4 ? sizeof s : count * 4);
}

// A length for vm calls: mostly small.
uint64_t vm_size(Rng& r) { return r.pct(75) ? kPage * r.range(0, 16) + (r.pct(20) ? r.below(kPage) : 0) : any_size(r); }

// A request of routine `id` with plausible arguments.
void build(Rng& r, Request& q, mach_msg_id_t id) {
  switch (id) {
    case 3200: q.begin(id, 0); break;                                                             // names
    case 3201: case 3205: case 3206: q.begin(id, 0); q.u32(pool_name(r)); break;                  // type, destroy, deallocate
    case 3202: q.begin(id, 0); q.u32(pool_name(r)); q.u32(new_name(r)); break;                    // rename
    case 3203: q.begin(id, 0); q.u32(any_right(r)); q.u32(new_name(r)); break;                    // allocate_name
    case 3204: q.begin(id, 0); q.u32(any_right(r)); break;                                        // allocate
    case 3207: q.begin(id, 0); q.u32(pool_name(r)); q.u32(any_right(r)); break;                   // get_refs
    case 3208: q.begin(id, 0); q.u32(pool_name(r)); q.u32(any_right(r)); q.u32(uint32_t(any_delta(r))); break;
    case 3212: q.begin(id, 0); q.u32(pool_name(r)); q.u32(pool_name(r)); break;                   // move_member
    case 3213:                                                                                    // request_notification
      q.begin(id, 1);
      q.port(pool_name(r), r.pct(50) ? MACH_MSG_TYPE_MAKE_SEND_ONCE : any_disposition(r));
      q.u32(pool_name(r));
      q.u32(any_variant(r));
      q.u32(uint32_t(r.below(4)));
      break;
    case 3214:  // insert_right
      q.begin(id, 1);
      q.port(any_name(r), any_disposition(r));
      q.u32(new_name(r));
      break;
    case 3215: q.begin(id, 0); q.u32(pool_name(r)); q.u32(any_disposition(r)); break;  // extract_right
    case 3217: q.begin(id, 0); q.u32(pool_name(r)); q.u32(uint32_t(r.below(4))); q.u32(uint32_t(r.below(20))); break;
    case 3218: {  // set_attributes
      q.begin(id, 0);
      q.u32(pool_name(r));
      q.u32(uint32_t(r.pct(80) ? MACH_PORT_LIMITS_INFO : r.below(4)));
      uint32_t n = uint32_t(r.below(20));
      q.u32(n);
      for (uint32_t i = 0; i < n; ++i) q.u32(uint32_t(r.pct(60) ? r.below(1100) : r.next()));
      break;
    }
    case 3400: q.begin(id, 0); q.u32(uint32_t(r.pct(70) ? 0 : r.pct(80) ? 1 : r.next())); break;  // task_create
    case 3401: case 3600: case 201: case 4841: q.begin(id, 0); break;
    case 3405: case 200: q.begin(id, 0); q.u32(uint32_t(r.pct(70) ? (id == 200 ? 1 : 5) : r.below(8))); q.u32(uint32_t(r.below(40))); break;
    case 3409: case 3610: q.begin(id, 0); q.u32(uint32_t(r.below(6))); break;  // get_special_port
    case 3410: case 3611:                                                    // set_special_port
      q.begin(id, 1);
      q.port(any_name(r), r.pct(70) ? MACH_MSG_TYPE_COPY_SEND : any_disposition(r));
      q.u32(uint32_t(r.below(6)));
      break;
    case 3412: {  // thread_create_running
      q.begin(id, 0);
      q.u32(uint32_t(r.pct(85) ? x86_THREAD_STATE64 : r.below(8)));
      uint32_t n = r.pct(85) ? x86_THREAD_STATE64_COUNT : uint32_t(r.below(64));
      q.u32(n);
      uint32_t words[64];
      any_state(r, words, n < 64 ? n : 64);
      for (uint32_t i = 0; i < n && i < 64; ++i) q.u32(words[i]);
      break;
    }
    case 4800: q.begin(id, 0); q.u64(any_addr(r)); q.u32(uint32_t(r.pct(80) ? VM_REGION_BASIC_INFO_64 : r.below(12))); q.u32(uint32_t(r.below(20))); break;
    case 4801: q.begin(id, 0); q.u64(r.pct(50) ? 0 : any_addr(r)); q.u64(vm_size(r)); q.u32(uint32_t(r.pct(90) ? r.below(2) : r.next())); break;
    case 4802: case 4805: q.begin(id, 0); q.u64(any_addr(r)); q.u64(vm_size(r)); break;
    case 4803: q.begin(id, 0); q.u64(any_addr(r)); q.u64(vm_size(r)); q.u32(uint32_t(r.below(3))); q.u32(uint32_t(any_prot(r))); break;
    case 4804: q.begin(id, 0); q.u64(any_addr(r)); q.u64(vm_size(r)); q.u32(uint32_t(r.pct(90) ? r.below(4) : r.next())); break;
    case 4807: {  // vm_write
      q.begin(id, 1);
      uint64_t n = r.pct(80) ? r.below(3 * kPage) : any_size(r);
      q.ool(in_ptr(r, n), uint32_t(n), false, uint8_t(r.below(3)));
      q.u64(any_addr(r));
      break;
    }
    case 4808: q.begin(id, 0); q.u64(any_addr(r)); q.u64(vm_size(r)); q.u64(any_addr(r)); break;
    case 4840: q.begin(id, 0); q.u64(any_addr(r)); q.u64(vm_size(r)); q.u32(uint32_t(any_prot(r))); break;
    default: {  // an id no routine has, with a random body
      q.begin(id, 0);
      unsigned n = unsigned(r.below(16));
      for (unsigned i = 0; i < n; ++i) q.u32(uint32_t(any_value(r)));
      break;
    }
  }
}

const mach_msg_id_t kRoutines[] = {
    3200, 3201, 3202, 3203, 3204, 3205, 3206, 3207, 3208, 3212, 3213, 3214, 3215, 3217, 3218,  // mach_port
    3400, 3401, 3405, 3409, 3410, 3412,                                                        // task
    3610, 3611,                                                                                 // thread
    200, 201,                                                                                   // host
    4800, 4801, 4802, 4803, 4804, 4805, 4807, 4808, 4840, 4841,                                // vm
};
constexpr unsigned kRoutineCount = sizeof kRoutines / sizeof kRoutines[0];

mach_port_name_t kernel_dest(Rng& r) {
  switch (r.below(10)) {
    case 0: case 1: case 2: case 3: return g.task;
    case 4: return g.thread;
    case 5: return g.host;
    case 6: case 7: return g.victims_n ? g.victims[r.below(g.victims_n)] : g.task;
    default: return pool_name(r);
  }
}

// A range for a vm call on this task: a region the epoch made (whole or a
// part), or anything; then kept off the baseline regions.
bool own_range(Rng& r, uint64_t* addr, uint64_t* size) {
  if (g.regions_n && r.pct(70)) {
    const Region& t = g.regions[r.below(g.regions_n)];
    uint64_t len = t.end - t.start;
    if (r.pct(50)) {
      *addr = t.start;
      *size = len;
    } else {
      *addr = t.start + kPage * r.below(len / kPage + 1);
      *size = kPage * r.range(0, len / kPage + 1) + (r.pct(10) ? r.below(kPage) : 0);
    }
  } else {
    *addr = any_addr(r);
    *size = vm_size(r);
  }
  return clamp_to_free(addr, size);
}

// A part of a baseline region (for calls that are undone at once).
const Region* base_range(Rng& r, uint64_t* addr, uint64_t* size) {
  if (!g.base_n) return nullptr;
  const Region& b = g.base[r.below(g.base_n)];
  uint64_t pages = (b.end - b.start) / kPage;
  uint64_t first = r.below(pages);
  *addr = b.start + first * kPage;
  *size = kPage * r.range(1, pages - first);
  return &b;
}

// The mach_port_* traps (14..28) and vm_deallocate (30): semi-valid
// arguments, or (raw) any values; the protection rules either way.
void port_trap(Rng& r, uint32_t number, bool raw) {
  uint64_t a[6];
  for (auto& v : a) v = any_value(r);
  unsigned pt = unsigned(r.below(100));
  a[0] = pt < 60 ? g.task : pt < 85 && g.victims_n ? g.victims[r.below(g.victims_n)] : any_name(r);
  bool own = a[0] == g.task;
  auto* out = reinterpret_cast<uint32_t*>(out_area());
  if (!raw) {
    a[1] = pool_name(r);
    switch (number) {
      case MACH_TRAP_mach_port_allocate: a[1] = any_right(r); a[2] = r.pct(80) ? uint64_t(out) : out_ptr(r, 4); break;
      case MACH_TRAP_mach_port_allocate_name: a[1] = any_right(r); a[2] = new_name(r); break;
      case MACH_TRAP_mach_port_mod_refs: a[2] = any_right(r); a[3] = uint64_t(int64_t(any_delta(r))); break;
      case MACH_TRAP_mach_port_get_refs: a[2] = any_right(r); a[3] = out_ptr(r, 4); break;
      case MACH_TRAP_mach_port_insert_right: a[1] = new_name(r); a[2] = any_name(r); a[3] = any_disposition(r); break;
      case MACH_TRAP_mach_port_extract_right:
        a[2] = any_disposition(r);
        a[3] = r.pct(80) ? uint64_t(out) : out_ptr(r, 4);
        a[4] = r.pct(80) ? uint64_t(out + 1) : out_ptr(r, 4);
        break;
      case MACH_TRAP_mach_port_names: {
        uint64_t cap = r.pct(80) ? r.below(64) : any_value(r);
        a[1] = out_ptr(r, cap * 4);
        a[2] = out_ptr(r, cap * 4);
        a[3] = cap;
        a[4] = out_ptr(r, 4);
        break;
      }
      case MACH_TRAP_mach_port_type: a[2] = out_ptr(r, 4); break;
      case MACH_TRAP_mach_port_rename: a[2] = new_name(r); break;
      case MACH_TRAP_mach_port_move_member: a[2] = r.pct(70) ? pool_name(r) : MACH_PORT_NULL; break;
      case MACH_TRAP_mach_port_request_notification:
        a[2] = any_variant(r);
        a[3] = r.below(4);
        a[4] = r.pct(80) ? pool_name(r) : MACH_PORT_NULL;
        a[5] = r.pct(80) ? uint64_t(out + 2) : out_ptr(r, 4);
        break;
      case MACH_TRAP_mach_port_set_qlimit: a[2] = r.pct(80) ? r.below(1030) : any_value(r); break;
      case MACH_TRAP_mach_port_get_attributes:
        a[2] = r.below(4);
        a[3] = out_ptr(r, 17 * 4);
        a[4] = r.pct(80) ? uint64_t(out + 3) : out_ptr(r, 4);
        if (a[4] == uint64_t(out + 3)) out[3] = uint32_t(r.below(20));
        break;
      case MACH_TRAP_vm_deallocate: a[1] = any_addr(r); a[2] = vm_size(r); break;
      default: break;
    }
  } else {
    // Out pointers only where the kernel may write.
    for (int i = 1; i < 6; ++i)
      if (a[i] > 0xffffffffull && a[i] < (1ull << 47) && !touches_base(a[i], 1)) continue;
      else if (a[i] > 0xffffffffull && a[i] < (1ull << 47)) a[i] = out_ptr(r, 64);
  }
  // The protection rules, for our own space.
  auto name32 = [&](int i) { return mach_port_name_t(a[i]); };
  bool refuse = false;
  switch (number) {
    case MACH_TRAP_mach_port_deallocate:
    case MACH_TRAP_mach_port_destroy:
    case MACH_TRAP_mach_port_mod_refs:
    case MACH_TRAP_mach_port_rename:
    case MACH_TRAP_mach_port_move_member:
    case MACH_TRAP_mach_port_set_qlimit:
    case MACH_TRAP_mach_port_request_notification:
      refuse = own && is_protected(name32(1));
      if (number == MACH_TRAP_mach_port_request_notification && is_protected(name32(4)) &&
          (name32(4) == g.reply || name32(4) == g.mig))
        refuse = true;
      break;
    case MACH_TRAP_mach_port_extract_right: {
      auto d = mach_msg_type_name_t(a[2]);
      bool moves = d == MACH_MSG_TYPE_MOVE_RECEIVE || d == MACH_MSG_TYPE_MOVE_SEND || d == MACH_MSG_TYPE_MOVE_SEND_ONCE;
      refuse = own && is_protected(name32(1)) && (moves || name32(1) == g.reply || name32(1) == g.mig);
      break;
    }
    case MACH_TRAP_mach_port_insert_right: {
      mach_port_name_t poly = name32(2);
      mach_msg_type_name_t disp = mach_msg_type_name_t(a[3]);
      refuse = !guard_right(&poly, &disp);
      a[2] = poly;
      a[3] = disp;
      break;
    }
    case MACH_TRAP_vm_deallocate:
      if (own) refuse = !clamp_to_free(&a[1], &a[2]);
      break;
    default: break;
  }
  note("trap %u%s (%#lx, %#lx, %#lx, %#lx, %#lx, %#lx)%s", number, raw ? " raw" : "", (unsigned long)a[0],
       (unsigned long)a[1], (unsigned long)a[2], (unsigned long)a[3], (unsigned long)a[4], (unsigned long)a[5],
       refuse ? ": refused" : "");
  if (refuse) {
    ++g.skipped;
    return;
  }
  memset(out, 0, 16);
  kern_return_t kr = kern_return_t(libmach::trap6(number, a[0], a[1], a[2], a[3], a[4], a[5]));
  record(kr);
  if (kr == KERN_SUCCESS && own)
    for (int i = 0; i < 3; ++i) pool_add(out[i]);
  if (kr == KERN_SUCCESS && own && number == MACH_TRAP_mach_port_allocate_name) pool_add(name32(2));
  if (kr == KERN_SUCCESS && own && number == MACH_TRAP_mach_port_rename) pool_add(name32(2));
}

}  // namespace

void op_msg_kernel(Rng& r) {
  mach_port_name_t dest = kernel_dest(r);
  mach_msg_id_t id = r.pct(90) ? kRoutines[r.below(kRoutineCount)] : any_msg_id(r);
  Request q;
  build(r, q, id);
  kern_return_t kr = krpc(q, dest, &r);
  record(kr);
}

void op_port(Rng& r) {
  uint32_t number = uint32_t(r.range(MACH_TRAP_mach_port_allocate, MACH_TRAP_mach_port_get_attributes));
  if (r.one_in(15)) number = MACH_TRAP_vm_deallocate;
  port_trap(r, number, false);
}

void op_vm(Rng& r) {
  if (g.victims_n && r.pct(20)) {  // a victim's map: anything goes
    mach_port_name_t v = g.victims[r.below(g.victims_n)];
    static const mach_msg_id_t kVm[] = {4800, 4801, 4801, 4802, 4803, 4804, 4805, 4807, 4808, 4840};
    Request q;
    build(r, q, kVm[r.below(sizeof kVm / sizeof kVm[0])]);
    note("vm on victim %#x: id %d", v, q.h()->msgh_id);
    record(krpc(q, v, &r));
    return;
  }
  mach_port_t t = g.task;
  uint64_t addr = 0, size = 0;
  kern_return_t kr = KERN_SUCCESS;
  if (r.one_in(150)) {
    // Memory pressure: wire nearly all free memory for the rest of the
    // epoch, so what follows meets the kernel's out-of-memory paths.
    vm_statistics_data_t st{};
    (void)rpc_vm_statistics(t, &st);
    uint64_t margin = r.pct(50) ? r.below(64) : r.below(1024);
    uint64_t pages = st.free_count > margin ? st.free_count - margin : 0;
    vm_address_t a = 0;
    note("pressure: wire %lu pages, %lu left free", (unsigned long)pages, (unsigned long)margin);
    kr = rpc_vm_allocate(t, &a, pages * kPage + kPage, VM_FLAGS_ANYWHERE);
    if (kr == KERN_SUCCESS) {
      region_add(a, pages * kPage + kPage);
      kr = rpc_vm_wire(t, a, pages * kPage, VM_PROT_READ | VM_PROT_WRITE);
    }
    record(kr);
    return;
  }
  switch (r.below(10)) {
    case 0: {
      vm_address_t a = any_addr(r);
      vm_size_t s = 0;
      int info[32];
      mach_msg_type_number_t cnt = r.pct(85) ? VM_REGION_BASIC_INFO_COUNT_64 : uint32_t(r.below(17));
      mach_port_t obj = MACH_PORT_NULL;
      vm_region_flavor_t flavor = r.pct(90) ? VM_REGION_BASIC_INFO_64 : vm_region_flavor_t(r.below(12));
      note("vm_region %#lx flavor %d count %u", (unsigned long)a, flavor, cnt);
      kr = rpc_vm_region(t, &a, &s, flavor, info, &cnt, &obj);
      break;
    }
    case 1: {
      vm_address_t a = r.pct(40) ? 0 : any_addr(r);
      vm_size_t s = r.pct(90) ? vm_size(r) : any_size(r);
      int flags = r.pct(60) ? VM_FLAGS_ANYWHERE : r.pct(80) ? VM_FLAGS_FIXED : int(r.next());
      note("vm_allocate %#lx size %#lx flags %#x", (unsigned long)a, (unsigned long)s, flags);
      kr = rpc_vm_allocate(t, &a, s, flags);
      if (kr == KERN_SUCCESS) region_add(a, s);
      break;
    }
    case 2:
      if (!own_range(r, &addr, &size)) break;
      note("vm_deallocate %#lx size %#lx", (unsigned long)addr, (unsigned long)size);
      kr = rpc_vm_deallocate(t, addr, size);
      break;
    case 3: {
      vm_prot_t prot = any_prot(r);
      if (r.pct(80)) {
        if (!own_range(r, &addr, &size)) break;
        boolean_t max = r.pct(20);
        note("vm_protect %#lx size %#lx max %d prot %#x", (unsigned long)addr, (unsigned long)size, max, prot);
        kr = rpc_vm_protect(t, addr, size, max, prot);
      } else if (const Region* b = base_range(r, &addr, &size)) {  // more access, then back
        note("vm_protect (baseline, undone) %#lx size %#lx prot %#x", (unsigned long)addr, (unsigned long)size,
             prot | b->prot);
        kr = rpc_vm_protect(t, addr, size, FALSE, (prot | b->prot) & VM_PROT_ALL);
        (void)rpc_vm_protect(t, addr, size, FALSE, b->prot);
      }
      break;
    }
    case 4: {
      vm_inherit_t inh = r.pct(90) ? vm_inherit_t(r.below(4)) : vm_inherit_t(r.next());
      if (r.pct(70)) {
        if (!own_range(r, &addr, &size)) break;
        note("vm_inherit %#lx size %#lx %u", (unsigned long)addr, (unsigned long)size, inh);
        kr = rpc_vm_inherit(t, addr, size, inh);
      } else if (const Region* b = base_range(r, &addr, &size)) {
        note("vm_inherit (baseline, undone) %#lx size %#lx %u", (unsigned long)addr, (unsigned long)size, inh);
        kr = rpc_vm_inherit(t, addr, size, inh);
        (void)rpc_vm_inherit(t, addr, size, b->inherit);
      }
      break;
    }
    case 5: {
      vm_address_t a = r.pct(50) ? in_ptr(r, 0) : any_addr(r);
      vm_size_t s = r.pct(85) ? r.below(64 * 1024) : any_size(r);
      vm_offset_t data = 0;
      mach_msg_type_number_t cnt = 0;
      if (shares_writable_base(a, s)) s = kVirtualCopyMin - 1 - r.below(64);
      note("vm_read %#lx size %#lx", (unsigned long)a, (unsigned long)s);
      kr = rpc_vm_read(t, a, s, &data, &cnt);
      if (kr == KERN_SUCCESS && data) {
        if (r.pct(50)) (void)rpc_vm_deallocate(t, data, cnt);
        else region_add(data, cnt);
      }
      break;
    }
    case 6: {
      if (!own_range(r, &addr, &size)) break;
      uint64_t n = r.pct(90) ? (size < 64 * 1024 ? size : 64 * 1024) : any_size(r);
      uint64_t src = in_ptr(r, n);
      if (shares_writable_base(src, n)) n = kVirtualCopyMin - 1 - r.below(64);  // mig's copy is virtual
      note("vm_write %#lx from %#lx count %#lx", (unsigned long)addr, (unsigned long)src, (unsigned long)n);
      if (touches_base(addr, n)) {
        ++g.skipped;
        break;
      }
      kr = rpc_vm_write(t, addr, src, mach_msg_type_number_t(n));
      break;
    }
    case 7: {
      if (!own_range(r, &addr, &size)) break;
      uint64_t src = r.pct(50) ? in_ptr(r, size) : any_addr(r);
      if (shares_writable_base(src, size)) {  // a buffered snapshot (and the destination checked again)
        size = kVirtualCopyMin - 1 - r.below(64);
        if (!clamp_to_free(&addr, &size)) break;
      }
      note("vm_copy %#lx size %#lx to %#lx", (unsigned long)src, (unsigned long)size, (unsigned long)addr);
      kr = rpc_vm_copy(t, src, size, addr);
      break;
    }
    case 8: {
      vm_prot_t access = any_prot(r);
      if (r.pct(75)) {
        if (!own_range(r, &addr, &size)) break;
        note("vm_wire %#lx size %#lx access %#x", (unsigned long)addr, (unsigned long)size, access);
        kr = rpc_vm_wire(t, addr, size, access);
      } else if (base_range(r, &addr, &size)) {  // wired, then unwired
        note("vm_wire (baseline, undone) %#lx size %#lx access %#x", (unsigned long)addr, (unsigned long)size,
             access);
        kr = rpc_vm_wire(t, addr, size, access);
        if (kr == KERN_SUCCESS && (access & VM_PROT_ALL)) (void)rpc_vm_wire(t, addr, size, VM_PROT_NONE);
      }
      break;
    }
    default: {
      vm_statistics_data_t s;
      note("vm_statistics");
      kr = rpc_vm_statistics(t, &s);
      break;
    }
  }
  record(kr);
}

void op_trap(Rng& r) {
  uint32_t number = r.pct(92) ? uint32_t(r.below(MACH_TRAP_COUNT + 4)) : uint32_t(r.next());
  if (number >= MACH_TRAP_mach_port_allocate && number <= MACH_TRAP_mach_port_get_attributes) {
    port_trap(r, number, r.pct(50));
    return;
  }
  if (number == MACH_TRAP_vm_deallocate) {
    port_trap(r, number, r.pct(30));
    return;
  }
  uint64_t a[6];
  for (auto& v : a) v = any_value(r);
  for (auto& v : a)  // no pointers into our own memory but the scratch area
    if (v > 0xffffffffull && v < (1ull << 47) && touches_base(v, 1)) v = out_ptr(r, 64);
  bool refuse = false;
  switch (number) {
    case MACH_TRAP_debug_write:  // only calls that print nothing
      if (r.pct(50)) a[1] = 4097 + r.below(1 << 20);
      else a[0] = r.pct(50) ? 0xffff800000000000ull + r.below(1 << 20) : r.pct(50) ? 0 : 0x7e0000000000ull;
      break;
    case MACH_TRAP_task_terminate_self: refuse = true; break;
    case MACH_TRAP_clock_sleep: a[0] = r.below(2); break;
    case MACH_TRAP_task_info_self: a[0] = out_ptr(r, sizeof(mach_task_basic)); break;
    case MACH_TRAP_mach_msg: {
      // From the scratch buffer (checked like any message) or an unreadable
      // address; always with timeouts.
      a[0] = r.pct(80) ? reinterpret_cast<uint64_t>(g_scratch) : 0xffff800000000000ull;
      a[1] |= MACH_SEND_TIMEOUT | MACH_RCV_TIMEOUT;
      a[2] = r.pct(50) ? r.below(512) : uint32_t(a[2]);
      a[3] = r.below(kMsgMax + 1);
      a[4] = any_name(r);
      a[5] = 0;
      if (is_protected(mach_port_name_t(a[4])) && (a[4] == g.reply || a[4] == g.mig)) a[4] = 0;
      auto* h = reinterpret_cast<mach_msg_header_t*>(g_scratch);
      mach_msg_type_name_t rd = MACH_MSGH_BITS_REMOTE(h->msgh_bits), ld = MACH_MSGH_BITS_LOCAL(h->msgh_bits);
      (void)guard_right(&h->msgh_remote_port, &rd);
      (void)guard_right(&h->msgh_local_port, &ld);
      h->msgh_bits = (h->msgh_bits & ~0xffffu) | MACH_MSGH_BITS(rd & 0xff, ld & 0xff);
      // Descriptors: never complex from stale bytes.
      h->msgh_bits &= ~MACH_MSGH_BITS_COMPLEX;
      if (is_task_port(h->msgh_remote_port) && !task_request_ok(h->msgh_remote_port, g_scratch, kMsgMax))
        refuse = true;
      break;
    }
    case MACH_TRAP_task_get_special_port:
    case MACH_TRAP_thread_get_special_port:
      a[0] = any_name(r);
      a[1] = r.below(6);
      a[2] = out_ptr(r, 4);
      break;
    case MACH_TRAP_task_set_special_port:
    case MACH_TRAP_thread_set_special_port: {
      a[0] = any_name(r);
      a[1] = r.below(6);
      a[2] = any_name(r);
      mach_msg_type_name_t d = MACH_MSG_TYPE_COPY_SEND;
      mach_port_name_t n = mach_port_name_t(a[2]);
      refuse = !guard_right(&n, &d);
      break;
    }
    case MACH_TRAP_mach_ipc_stats: a[0] = out_ptr(r, sizeof(mach_ipc_statistics)); break;
    case MACH_TRAP_user_copy:  // writes only into the scratch area or where nothing is
      a[2] = r.pct(80) ? r.below(512) : r.below(1 << 20);
      a[0] = r.pct(70) ? out_ptr(r, a[2] < 512 ? a[2] : 512) : r.pct(50) ? 0 : 0xffff800000000000ull;
      if (a[2] > 512 && touches_base(a[0], a[2])) a[0] = 0;
      break;
    case MACH_TRAP_task_terminate:
      a[0] = r.pct(70) && g.victims_n ? g.victims[r.below(g.victims_n)] : pool_name(r);
      if (a[0] == g.partner_task && r.pct(90)) a[0] = pool_name(r);  // the partner lives longer
      refuse = a[0] == g.task;
      break;
    default: break;
  }
  note("trap %u (%#lx, %#lx, %#lx, %#lx, %#lx, %#lx)%s", number, (unsigned long)a[0], (unsigned long)a[1],
       (unsigned long)a[2], (unsigned long)a[3], (unsigned long)a[4], (unsigned long)a[5], refuse ? ": refused" : "");
  if (refuse) {
    ++g.skipped;
    return;
  }
  kern_return_t kr = kern_return_t(libmach::trap6(number, a[0], a[1], a[2], a[3], a[4], a[5]));
  if (number == MACH_TRAP_task_set_emulation) (void)task_set_emulation(nullptr);
  if (number == MACH_TRAP_thread_set_fs_base) (void)thread_set_fs_base(0);
  bool returns_name = number == MACH_TRAP_mach_reply_port || number == MACH_TRAP_task_self ||
                      number == MACH_TRAP_thread_self || number == MACH_TRAP_host_self;
  if (returns_name) pool_add(mach_port_name_t(kr));
  else record(kr);
}

// ------------------------------------------------------------ the partner

namespace {

constexpr mach_port_name_t kPartnerName = MACH_PORT_MAKE(1u, 0u);  // its port, in its space
constexpr uint64_t kPartnerStack = 16 * 1024;  // then its message buffer, in a region made for it
constexpr uint64_t kPartnerRegion = kPartnerStack + ((kMsgMax + kPage - 1) & ~(kPage - 1));
bool g_partner_answers;  // the last call got its echo: the partner waits in its receive

// The partner's thread (in a fork of this task, which inherits none of our
// writable memory but the region made for it, at arg's page address):
// receive, send everything back to the reply right (out-of-line regions
// deallocated on the way), receive again, in one call when it can (the
// fast path's shape). Its port's name is arg's low bits.
[[noreturn]] void partner_main(uint64_t arg) {
  mach_port_name_t name = mach_port_name_t(arg & (kPage - 1));
  uint8_t* g_partner_buf = reinterpret_cast<uint8_t*>((arg & ~(kPage - 1)) + kPartnerStack);
  auto* h = reinterpret_cast<mach_msg_header_t*>(g_partner_buf);
  unsigned errors = 0;
  kern_return_t mr = mach_msg(h, MACH_RCV_MSG, 0, kMsgMax, mach_port_name_t(name), 0);
  for (;;) {
    if (mr == MACH_RCV_INVALID_NAME || errors > 100) task_terminate_self(0);
    if (mr != MACH_MSG_SUCCESS || !MACH_PORT_VALID(h->msgh_remote_port)) {
      if (mr != MACH_MSG_SUCCESS) {
        ++errors;
        thread_switch();
      }
      mr = mach_msg(h, MACH_RCV_MSG, 0, kMsgMax, mach_port_name_t(name), 0);
      continue;
    }
    errors = 0;
    mach_msg_type_name_t reply = MACH_MSGH_BITS_REMOTE(h->msgh_bits);
    h->msgh_bits = (h->msgh_bits & MACH_MSGH_BITS_COMPLEX) | MACH_MSGH_BITS(reply, 0);
    h->msgh_local_port = MACH_PORT_NULL;
    if (h->msgh_bits & MACH_MSGH_BITS_COMPLEX) {
      uint32_t n;
      memcpy(&n, g_partner_buf + sizeof *h, 4);
      for (uint32_t i = 0; i < n && i < MACH_MSG_DESCRIPTORS_MAX; ++i) {
        auto* d = reinterpret_cast<mach_msg_descriptor_t*>(g_partner_buf + sizeof *h + 4 + 16 * i);
        if (d->type.type == MACH_MSG_OOL_DESCRIPTOR || d->type.type == MACH_MSG_OOL_PORTS_DESCRIPTOR)
          d->out_of_line.deallocate = 1;
      }
    }
    // A send right as reply port may meet a full queue: don't wait on it,
    // except when the message's id is a multiple of 8 (the partner then
    // blocks until the reset ends it: a sender ended while it waits).
    mach_msg_option_t send =
        reply == MACH_MSG_TYPE_MOVE_SEND_ONCE || h->msgh_id % 8 == 0 ? 0 : MACH_SEND_TIMEOUT;
    mr = mach_msg(h, MACH_SEND_MSG | MACH_RCV_MSG | send, h->msgh_size, kMsgMax, mach_port_name_t(name), 0);
  }
}

}  // namespace

bool partner_start(Rng& r) {
  if (g.partner_task || g.victims_n >= kVictimsMax) return false;
  vm_address_t region = 0;
  if (rpc_vm_allocate(g.task, &region, kPartnerRegion, VM_FLAGS_ANYWHERE) != KERN_SUCCESS) return false;
  Request q;
  q.begin(3400, 0);
  q.u32(1);  // a fork: the partner runs our code, on its copy of the region
  unsigned before = g.victims_n;
  kern_return_t kr = krpc(q, g.task, nullptr);
  (void)rpc_vm_deallocate(g.task, region, kPartnerRegion);
  if (kr != KERN_SUCCESS || g.victims_n != before + 1) return false;
  mach_port_name_t v = g.victims[before];
  mach_port_t port = MACH_PORT_NULL;
  if (mach_port_allocate(g.task, MACH_PORT_RIGHT_RECEIVE, &port) != KERN_SUCCESS) return false;
  (void)mach_port_insert_right(g.task, port, port, MACH_MSG_TYPE_MAKE_SEND);
  if (r.pct(30)) (void)mach_port_set_qlimit(g.task, port, uint32_t(r.range(1, 8)));
  if (mach_port_insert_right(v, kPartnerName, port, MACH_MSG_TYPE_MOVE_RECEIVE) != KERN_SUCCESS) {
    (void)mach_port_destroy(g.task, port);
    return false;
  }
  q.begin(3412, 0);
  q.u32(x86_THREAD_STATE64);
  q.u32(x86_THREAD_STATE64_COUNT);
  x86_thread_state64_t st{};
  st.rip = reinterpret_cast<uint64_t>(&partner_main);
  st.rsp = region + kPartnerStack - 8;
  st.rdi = region | kPartnerName;
  uint32_t words[x86_THREAD_STATE64_COUNT];
  memcpy(words, &st, sizeof words);
  for (uint32_t w : words) q.u32(w);
  if (krpc(q, v, nullptr) != KERN_SUCCESS) {
    (void)mach_port_destroy(g.task, port);
    return false;
  }
  g.partner_task = v;
  g.partner_port = port;
  g_partner_answers = true;
  pool_add(port);
  return true;
}

kern_return_t partner_call(uint32_t send_size, mach_port_name_t rcv_name) {
  if (!rcv_name) {  // send only: whether the partner answers is unknown after that
    g_partner_answers = false;
    return mach_msg(reinterpret_cast<mach_msg_header_t*>(g_scratch), MACH_SEND_MSG | MACH_SEND_TIMEOUT, send_size, 0,
                    MACH_PORT_NULL, 0);
  }
  // Without a send timeout (the fast path's shape) only while the partner
  // answers: a stuck partner's queue fills, and the send would wait forever.
  mach_msg_option_t option = MACH_SEND_MSG | MACH_RCV_MSG | MACH_RCV_TIMEOUT;
  if (!g_partner_answers) option |= MACH_SEND_TIMEOUT;
  kern_return_t mr =
      mach_msg(reinterpret_cast<mach_msg_header_t*>(g_scratch), option, send_size, kMsgMax, rcv_name, 20);
  g_partner_answers = mr == MACH_MSG_SUCCESS;
  if (mr == MACH_SEND_INVALID_DEST) g.partner_task = g.partner_port = MACH_PORT_NULL;  // gone: another may start
  return mr;
}

void op_victim(Rng& r) {
  Request q;
  unsigned p = unsigned(r.below(100));
  if (p < 25 && !g.partner_task && g.victims_n < kVictimsMax) {
    note("victim: partner (a fork echoing messages)");
    record(partner_start(r) ? KERN_SUCCESS : KERN_FAILURE);
  } else if (p < 55 || !g.victims_n) {
    q.begin(3400, 0);
    uint32_t inherit = r.pct(80) ? 0 : 1;
    q.u32(inherit);
    note("victim: task_create (inherit %u)", inherit);
    record(krpc(q, g.task, nullptr));
  } else if (p < 85) {
    mach_port_name_t v = g.victims[r.below(g.victims_n)];
    if (r.pct(40)) {
      // An exception handler (one of our ports) first: the thread faults
      // and waits for the answer in the kernel, until the reset ends it.
      mach_port_name_t exc = g.fixture[r.below(g.fixture_n)];
      kern_return_t kr = task_set_special_port(v, TASK_EXCEPTION_PORT, exc);
      note("victim: exception port %#x of %#x: %#x", exc, v, unsigned(kr));
    }
    build(r, q, 3412);
    note("victim: thread_create_running in %#x", v);
    record(krpc(q, v, r.pct(30) ? &r : nullptr));
  } else {
    mach_port_name_t v = g.victims[r.below(g.victims_n)];
    if (v == g.partner_task && r.pct(80)) return;
    note("victim: task_terminate %#x", v);
    record(task_terminate(v));
  }
}

void victim_end_all() {
  for (unsigned i = 0; i < g.victims_n; ++i) (void)task_terminate(g.victims[i]);
}

}  // namespace fz
