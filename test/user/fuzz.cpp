// The kernel fuzzer (issue 12): random and mutated mach_msg calls, port
// calls, VM calls and raw traps, seeded and reproducible, with leak checks.
//
//   fuzz.elf [--seed N] [--iters N] [--epoch N] [--progress N] [--verbose]
//            [--from K --count M] [--only K1,K2,...]
//
// How a run is organized:
//  - The boot task (the parent) takes the kernel's counters, forks the fuzz
//    task (task_create with inherited memory + thread_create_running) and
//    waits for it to end. Then it takes the counters again: every one must
//    be back exactly (level 2, below).
//  - The fuzz task runs iterations [from, from + count) (default: all of
//    [0, iters)). Iteration i draws everything from its own generator,
//    seeded with splitmix64(seed ^ splitmix64(i)): one iteration, one
//    operation (fuzz.h, Op).
//  - Iterations are grouped in epochs of --epoch (default 32). Each epoch
//    starts from the same state, the fixture (a few receive rights, send
//    and send-once rights, a port set, a dead name, at fixed names), and
//    ends with a reset: victim tasks ended, every name and region the epoch
//    made destroyed, special ports restored, then the level-1 check.
//    So an iteration depends only on the ones before it in its epoch:
//    --from K replays from the start of K's epoch (quietly up to K, then
//    printing every operation), --only replays a chosen subset of one
//    epoch (scripts/fuzz-shrink minimizes a failing epoch with it).
//
// Baseline, level 1 (the fuzz task, after every epoch's reset, against the
// values it read before its first epoch): the IPC counters of
// mach_ipc_stats (ports, port sets, messages, spaces, out-of-line bytes)
// and vm_statistics' wired_count are equal; the task's names are exactly the
// baseline names (task, thread and host send rights, two reply ports) with
// the same user references; its map, restricted to the baseline regions,
// has the same regions with the same protections, inheritance and wiring,
// and no other region.
// Baseline, level 2 (the parent, before the fork and after the fuzz task
// ended and was reaped): ports, port sets, messages, spaces, out-of-line
// bytes, kalloc bytes, and the VM's free, active and wired pages, objects
// and map entries are all equal. Nothing is tolerated at either level.
//
// The fuzz task keeps itself alive: operations that would destroy, move,
// rename or deallocate its protected names (g.task, g.thread, g.host, its
// reply ports and victims' task ports), unmap, protect or overwrite its
// baseline regions, end it, or block it (receives and sends always time
// out) are refused before they are issued (counted as "skipped").
#include "fuzz.h"

#include <task_rpc.h>

namespace fz {

State g;
alignas(4096) uint8_t g_scratch[kScratch];

const char* const kOpNames[kOpCount] = {"msg", "msg-kernel", "receive", "port", "vm", "trap", "victim"};

namespace {

// ------------------------------------------------------------ histogram

struct Bucket {
  kern_return_t code;
  uint64_t n;
};
Bucket g_hist[128];
unsigned g_hist_n;

const char* code_name(kern_return_t kr) {
  switch (kr) {
#define N(c) \
  case c:    \
    return #c;
    N(KERN_SUCCESS) N(KERN_INVALID_ADDRESS) N(KERN_PROTECTION_FAILURE) N(KERN_NO_SPACE) N(KERN_INVALID_ARGUMENT)
    N(KERN_FAILURE) N(KERN_RESOURCE_SHORTAGE) N(KERN_NOT_RECEIVER) N(KERN_NO_ACCESS) N(KERN_ALREADY_IN_SET)
    N(KERN_NOT_IN_SET) N(KERN_NAME_EXISTS) N(KERN_INVALID_NAME) N(KERN_INVALID_TASK) N(KERN_INVALID_RIGHT)
    N(KERN_INVALID_VALUE) N(KERN_UREFS_OVERFLOW) N(KERN_INVALID_CAPABILITY) N(KERN_RIGHT_EXISTS)
    N(MACH_SEND_INVALID_DATA) N(MACH_SEND_INVALID_DEST) N(MACH_SEND_TIMED_OUT) N(MACH_SEND_MSG_TOO_SMALL)
    N(MACH_SEND_INVALID_REPLY) N(MACH_SEND_INVALID_RIGHT) N(MACH_SEND_INVALID_MEMORY) N(MACH_SEND_NO_BUFFER)
    N(MACH_SEND_TOO_LARGE) N(MACH_SEND_INVALID_TYPE) N(MACH_SEND_INVALID_HEADER) N(MACH_RCV_INVALID_NAME)
    N(MACH_RCV_TIMED_OUT) N(MACH_RCV_TOO_LARGE) N(MACH_RCV_INVALID_DATA) N(MACH_RCV_PORT_DIED) N(MACH_RCV_IN_SET)
    N(MACH_RCV_HEADER_ERROR) N(MACH_RCV_BODY_ERROR) N(MIG_TYPE_ERROR) N(MIG_REPLY_MISMATCH) N(MIG_BAD_ID)
    N(MIG_BAD_ARGUMENTS) N(MIG_ARRAY_TOO_LARGE)
#undef N
    default:
      return "?";
  }
}

// ------------------------------------------------------------ options

bool parse_u64(const char* s, uint64_t* out) {
  uint64_t v = 0;
  int base = 10;
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s += 2;
  }
  if (!*s) return false;
  for (; *s; ++s) {
    unsigned d;
    if (*s >= '0' && *s <= '9') d = unsigned(*s - '0');
    else if (base == 16 && *s >= 'a' && *s <= 'f') d = unsigned(*s - 'a' + 10);
    else if (base == 16 && *s >= 'A' && *s <= 'F') d = unsigned(*s - 'A' + 10);
    else return false;
    v = v * uint64_t(base) + d;
  }
  *out = v;
  return true;
}

bool parse_args(int argc, char** argv) {
  g.seed = 1;
  g.iters = 20000;
  g.epoch = 32;
  g.progress = 1000;
  bool have_from = false, have_count = false;
  for (int i = 1; i < argc; ++i) {
    const char* a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
    uint64_t* slot = nullptr;
    if (!strcmp(a, "--verbose")) {
      g.verbose = true;
      continue;
    }
    if (!strcmp(a, "--debug-cow")) {
      g.debug_cow = true;
      continue;
    }
    if (!strcmp(a, "--seed")) slot = &g.seed;
    else if (!strcmp(a, "--iters")) slot = &g.iters;
    else if (!strcmp(a, "--epoch")) slot = &g.epoch;
    else if (!strcmp(a, "--progress")) slot = &g.progress;
    else if (!strcmp(a, "--from")) slot = &g.from, have_from = true;
    else if (!strcmp(a, "--count")) slot = &g.count, have_count = true;
    else if (!strcmp(a, "--only") && v) {
      // A comma-separated list of iterations, all in one epoch.
      const char* p = v;
      while (*p && g.only_n < 64) {
        uint64_t k = 0;
        bool digit = false;
        for (; *p >= '0' && *p <= '9'; ++p) k = k * 10 + uint64_t(*p - '0'), digit = true;
        if (!digit) return false;
        g.only[g.only_n++] = k;
        if (*p == ',') ++p;
        else if (*p) return false;
      }
      ++i;
      continue;
    } else {
      printf("fuzz: unknown argument %s\n", a);
      return false;
    }
    if (!v || !parse_u64(v, slot)) {
      printf("fuzz: %s needs a number\n", a);
      return false;
    }
    ++i;
  }
  if (g.epoch == 0) g.epoch = ~0ull;
  if (g.progress == 0) g.progress = ~0ull;
  if (g.only_n) {
    g.from = g.only[0];
    for (unsigned i = 1; i < g.only_n; ++i)
      if (g.only[i] < g.from) g.from = g.only[i];
    uint64_t last = g.from;
    for (unsigned i = 0; i < g.only_n; ++i) {
      if (g.only[i] / g.epoch != g.from / g.epoch) {
        printf("fuzz: --only iterations must be in one epoch\n");
        return false;
      }
      if (g.only[i] > last) last = g.only[i];
    }
    g.count = last - g.from + 1;
    g.replay = true;
    g.verbose = true;
  } else if (have_from || have_count) {
    if (!have_count) g.count = 1;
    g.replay = have_from;
    if (have_from) g.verbose = true;
  } else {
    g.from = 0;
    g.count = g.iters;
  }
  return true;
}

// ------------------------------------------------------------ baseline

mach_ipc_statistics ipc_stats() {
  mach_ipc_statistics st{};
  (void)mach_ipc_stats(&st);
  return st;
}

vm_statistics_data_t vm_stats() {
  vm_statistics_data_t s{};
  (void)rpc_vm_statistics(g.task, &s);
  return s;
}

// The task's regions in [lo, hi), adjacent ones with equal attributes
// merged; at most `max`. Returns how many.
unsigned read_regions(Region* out, unsigned max, uint64_t lo, uint64_t hi) {
  unsigned n = 0;
  uint64_t addr = lo;
  while (addr < hi) {
    vm_address_t a = addr;
    vm_size_t size = 0;
    vm_region_basic_info_data_64_t info{};
    mach_msg_type_number_t cnt = VM_REGION_BASIC_INFO_COUNT_64;
    mach_port_t obj = MACH_PORT_NULL;
    if (rpc_vm_region(g.task, &a, &size, VM_REGION_BASIC_INFO_64, reinterpret_cast<int*>(&info), &cnt, &obj) !=
        KERN_SUCCESS)
      break;
    if (a >= hi) break;
    Region r{a, a + size, info.protection, info.max_protection, info.inheritance, info.user_wired_count};
    if (r.end > hi) r.end = hi;
    if (n && out[n - 1].end == r.start && out[n - 1].prot == r.prot && out[n - 1].max_prot == r.max_prot &&
        out[n - 1].inherit == r.inherit && out[n - 1].wired == r.wired) {
      out[n - 1].end = r.end;
    } else if (n < max) {
      out[n++] = r;
    } else {
      return max + 1;  // too many: reported as a mismatch
    }
    addr = a + size;
  }
  return n;
}

unsigned read_names(mach_port_name_t* names, mach_port_type_t* types, unsigned cap) {
  unsigned count = 0;
  if (mach_port_names(g.task, names, types, cap, &count) != KERN_SUCCESS) return 0;
  return count < cap ? count : cap;
}

bool is_base_name(mach_port_name_t name) {
  for (unsigned i = 0; i < g.base_names_n; ++i)
    if (g.base_names[i].name == name) return true;
  return false;
}

mach_port_urefs_t send_urefs(mach_port_name_t name) {
  mach_port_urefs_t r = 0;
  (void)mach_port_get_refs(g.task, name, MACH_PORT_RIGHT_SEND, &r);
  return r;
}

void take_baseline() {
  g.base_n = read_regions(g.base, kBaseMax, 0, ~0ull);
  auto* names = reinterpret_cast<mach_port_name_t*>(out_area());
  auto* types = names + 64;
  unsigned n = read_names(names, types, 64);
  g.base_names_n = 0;
  for (unsigned i = 0; i < n && i < 8; ++i)
    g.base_names[g.base_names_n++] = NameRec{names[i], types[i], send_urefs(names[i])};
  g.ipc0 = ipc_stats();
  g.vm0 = vm_stats();
}

// ------------------------------------------------------------ fixture and reset

// The state every epoch starts from; half the epochs (chosen by the seed)
// also start with a partner.
void fixture_create(uint64_t epoch) {
  g.fixture_n = 0;
  auto name = [](unsigned i) { return mach_port_name_t(MACH_PORT_MAKE(0x100u + i, 0u)); };
  for (unsigned i = 0; i < 4; ++i)
    if (mach_port_allocate_name(g.task, MACH_PORT_RIGHT_RECEIVE, name(i)) == KERN_SUCCESS)
      g.fixture[g.fixture_n++] = name(i);
  (void)mach_port_insert_right(g.task, name(0), name(0), MACH_MSG_TYPE_MAKE_SEND);
  (void)mach_port_insert_right(g.task, name(1), name(1), MACH_MSG_TYPE_MAKE_SEND);
  (void)mach_port_set_qlimit(g.task, name(3), 1);
  if (mach_port_allocate_name(g.task, MACH_PORT_RIGHT_PORT_SET, name(4)) == KERN_SUCCESS) {
    g.fixture[g.fixture_n++] = name(4);
    (void)mach_port_move_member(g.task, name(2), name(4));
  }
  if (mach_port_allocate_name(g.task, MACH_PORT_RIGHT_DEAD_NAME, name(5)) == KERN_SUCCESS)
    g.fixture[g.fixture_n++] = name(5);
  for (unsigned i = 0; i < 2; ++i) {
    mach_port_t so = MACH_PORT_NULL;
    mach_msg_type_name_t t = 0;
    if (mach_port_extract_right(g.task, name(i), MACH_MSG_TYPE_MAKE_SEND_ONCE, &so, &t) == KERN_SUCCESS)
      g.fixture[g.fixture_n++] = so;
  }
  Rng r{splitmix64(g.seed ^ splitmix64(~epoch))};
  if (!r.s) r.s = 1;
  if (r.pct(50)) (void)partner_start(r);
}

// Back to the baseline: end victims, restore special ports, destroy every
// name and region the epoch made. Then the level-1 check; false on a
// mismatch (printed).
// libmach replaces mig's reply port after a failed receive (a reply whose
// rights could not be copied out when memory ran short): the new one stands
// for the old, protected and in the baseline.
void refresh_mig() {
  mach_port_t mig = mig_get_reply_port();
  if (mig == g.mig) return;
  for (unsigned i = 0; i < g.base_names_n; ++i)
    if (g.base_names[i].name == g.mig) g.base_names[i].name = mig;
  g.mig = mig;
}

bool reset_and_check(uint64_t first, uint64_t last) {
  refresh_mig();
  victim_end_all();
  // Memory first: the regions this epoch made go by the trap (no message
  // buffers needed), so a machine run out of memory (pressure) has room
  // again for what follows.
  for (unsigned i = 0; i < g.regions_n; ++i) {
    uint64_t a = g.regions[i].start, size = g.regions[i].end - g.regions[i].start;
    if (clamp_to_free(&a, &size)) (void)vm_deallocate(g.task, a, size);
  }
  (void)task_set_special_port(g.task, TASK_BOOTSTRAP_PORT, MACH_PORT_NULL);
  (void)task_set_special_port(g.task, TASK_EXCEPTION_PORT, MACH_PORT_NULL);
  (void)thread_set_special_port(g.thread, THREAD_EXCEPTION_PORT, MACH_PORT_NULL);
  (void)task_set_emulation(nullptr);
  auto* names = reinterpret_cast<mach_port_name_t*>(out_area());
  auto* types = names + 2048;
  // Destroying rights sends notifications (a send-once right destroyed in a
  // queued message notifies its port, e.g. our reply ports), and draining
  // those brings rights in: until nothing is left.
  // (Thousands of names are possible: an out-of-line array of send-once
  // rights gives one name each.)
  for (int pass = 0; pass < 10000; ++pass) {
    drain(g.reply, 1000);
    drain(g.mig, 1000);
    unsigned n = read_names(names, types, 2048);
    if (n == 0) {  // not even our own names: the call failed (memory short); once more
      (void)clock_sleep(1);
      n = read_names(names, types, 2048);
    }
    bool any = false;
    for (unsigned i = 0; i < n; ++i) {
      if (is_base_name(names[i])) continue;
      (void)mach_port_destroy(g.task, names[i]);
      any = true;
    }
    if (!any) break;
  }
  for (unsigned i = 0; i < g.base_names_n; ++i) {
    const NameRec& b = g.base_names[i];
    mach_port_urefs_t now = send_urefs(b.name);
    if (now != b.send_urefs)
      (void)mach_port_mod_refs(g.task, b.name, MACH_PORT_RIGHT_SEND, mach_port_delta_t(b.send_urefs) - mach_port_delta_t(now));
  }
  // Regions: whatever lies outside the baseline regions goes.
  uint64_t addr = 0;
  for (;;) {
    vm_address_t a = addr;
    vm_size_t size = 0;
    vm_region_basic_info_data_64_t info{};
    mach_msg_type_number_t cnt = VM_REGION_BASIC_INFO_COUNT_64;
    mach_port_t obj = MACH_PORT_NULL;
    if (rpc_vm_region(g.task, &a, &size, VM_REGION_BASIC_INFO_64, reinterpret_cast<int*>(&info), &cnt, &obj) !=
        KERN_SUCCESS)
      break;
    uint64_t s = a, sz = size;
    while (sz && clamp_to_free(&s, &sz)) {
      if (info.user_wired_count) (void)rpc_vm_wire(g.task, s, sz, VM_PROT_NONE);
      (void)rpc_vm_deallocate(g.task, s, sz);
      uint64_t next = s + sz;
      sz = a + size - next;
      s = next;
      // Skip the baseline region that stopped the clamp.
      for (unsigned i = 0; i < g.base_n && sz; ++i)
        if (s >= g.base[i].start && s < g.base[i].end) {
          uint64_t skip = g.base[i].end - s < sz ? g.base[i].end - s : sz;
          s += skip;
          sz -= skip;
        }
    }
    addr = a + size;
    if (addr < a) break;
  }
  g.pool_n = g.regions_n = g.victims_n = 0;
  g.partner_task = g.partner_port = MACH_PORT_NULL;

  // Level 1.
  bool ok = true;
  char why[256];
  size_t w = 0;
  why[0] = 0;
  auto diff = [&](const char* what, uint64_t was, uint64_t now) {
    if (was == now) return;
    ok = false;
    if (w < sizeof why - 64)
      w += size_t(snprintf(why + w, sizeof why - w, " %s %lu->%lu", what, (unsigned long)was, (unsigned long)now));
  };
  mach_ipc_statistics st = ipc_stats();
  diff("ports", g.ipc0.ports, st.ports);
  diff("port_sets", g.ipc0.port_sets, st.port_sets);
  diff("kmsgs", g.ipc0.kmsgs, st.kmsgs);
  diff("spaces", g.ipc0.spaces, st.spaces);
  diff("ool_bytes", g.ipc0.ool_bytes, st.ool_bytes);
  vm_statistics_data_t vs = vm_stats();
  diff("wired", g.vm0.wired_count, vs.wired_count);
  unsigned n = read_names(names, types, 2048);
  diff("names", g.base_names_n, n);
  for (unsigned i = 0; i < n; ++i) {
    bool found = false;
    for (unsigned j = 0; j < g.base_names_n; ++j) {
      const NameRec& b = g.base_names[j];
      if (b.name != names[i]) continue;
      found = true;
      diff("name-type", b.type, types[i]);
      diff("name-urefs", b.send_urefs, send_urefs(b.name));
    }
    if (!found) {
      diff("stray-name", 0, names[i]);
      mach_port_type_t type = 0;
      kern_return_t tk = mach_port_type(g.task, names[i], &type);
      kern_return_t dk = mach_port_destroy(g.task, names[i]);
      printf("fuzz: stray name %#x: type %#x (%#x), destroy -> %#x\n", names[i], type, unsigned(tk), unsigned(dk));
    }
  }
  Region now[kBaseMax + 1];
  unsigned rn = read_regions(now, kBaseMax, 0, ~0ull);
  diff("regions", g.base_n, rn);
  for (unsigned i = 0; i < rn && i < g.base_n; ++i) {
    const Region &b = g.base[i], &c = now[i];
    if (b.start != c.start || b.end != c.end || b.prot != c.prot || b.max_prot != c.max_prot ||
        b.inherit != c.inherit || b.wired != c.wired)
      diff("region-at", b.start, c.start);
  }
  if (!ok) {
    ++g.leaks;
    printf("fuzz: LEAK after iterations %lu..%lu (seed %#lx):%s\n", (unsigned long)first, (unsigned long)last,
           (unsigned long)g.seed, why);
    // Start the next epoch from what is there now, so one leak is reported once.
    g.ipc0 = st;
    g.vm0.wired_count = vs.wired_count;
    g.base_n = read_regions(g.base, kBaseMax, 0, ~0ull);
  }
  return ok;
}

// Write every page of every writable region once (the same byte back), so
// the fuzz task's reads of inherited memory never fill pages into objects
// the parent keeps.
void touch_writable() {
  Region rs[kBaseMax + 1];
  unsigned n = read_regions(rs, kBaseMax, 0, ~0ull);
  for (unsigned i = 0; i < n && i <= kBaseMax; ++i) {
    if (!(rs[i].prot & VM_PROT_WRITE)) continue;
    for (uint64_t a = rs[i].start; a < rs[i].end; a += kPage) {
      auto* p = reinterpret_cast<volatile uint8_t*>(a);
      *p = *p;
    }
  }
}

// ------------------------------------------------------------ one iteration

void run_one(uint64_t it, bool quiet) {
  refresh_mig();
  Rng r{splitmix64(g.seed ^ splitmix64(it + 1))};
  if (!r.s) r.s = 1;
  g.current = it;
  g.desc[0] = 0;
  g.last = 0;
  // Weights: messages and kernel requests dominate.
  static const unsigned kWeights[kOpCount] = {26, 21, 9, 16, 14, 10, 4};
  unsigned pick = unsigned(r.below(100)), acc = 0;
  Op op = kOpMsg;
  for (unsigned i = 0; i < kOpCount; ++i) {
    acc += kWeights[i];
    if (pick < acc) {
      op = Op(i);
      break;
    }
  }
  g.current_op = op;
  bool show = g.verbose && !quiet;
  g.show = show;
  if (show) printf("fuzz: it %lu %s\n", (unsigned long)it, kOpNames[op]);
  switch (op) {
    case kOpMsg: op_msg(r); break;
    case kOpMsgKernel: op_msg_kernel(r); break;
    case kOpReceive: op_receive(r); break;
    case kOpPort: op_port(r); break;
    case kOpVm: op_vm(r); break;
    case kOpTrap: op_trap(r); break;
    case kOpVictim: op_victim(r); break;
    case kOpCount: break;
  }
  ++g.op_count[op];
  ++g.iterations_done;
  if (g.debug_cow) {
    // A write to each of our writable pages must copy nothing (the
    // fuzzer's own memory is never shared: see touch_writable's callers).
    vm_statistics_data_t before{}, after{};
    (void)rpc_vm_statistics(g.task, &before);
    for (unsigned i = 0; i < g.base_n; ++i)
      if (g.base[i].prot & VM_PROT_WRITE)
        for (uint64_t a = g.base[i].start; a < g.base[i].end; a += kPage) {
          auto* p = reinterpret_cast<volatile uint8_t*>(a);
          *p = *p;
        }
    (void)rpc_vm_statistics(g.task, &after);
    if (after.cow_faults != before.cow_faults)
      printf("fuzz: debug-cow: iteration %lu (%s) left %lu of our pages copy-on-write: %s\n", (unsigned long)it,
             kOpNames[op], (unsigned long)(after.cow_faults - before.cow_faults), g.desc);
  }
  if (show) printf("fuzz: it %lu done: %s -> %#x\n", (unsigned long)it, g.desc, unsigned(g.last));
  if (!quiet && (it + 1) % g.progress == 0) {
    mach_task_basic b{};
    (void)task_info_self(&b);
    printf("fuzz: progress it %lu at %lu ms (%s: %s)\n", (unsigned long)it,
           (unsigned long)(b.ticks_per_second ? b.ticks * 1000 / b.ticks_per_second : 0), kOpNames[op], g.desc);
  }
}

bool selected(uint64_t it) {
  if (!g.only_n) return true;
  for (unsigned i = 0; i < g.only_n; ++i)
    if (g.only[i] == it) return true;
  return false;
}

uint64_t now_ticks(uint64_t* hz) {
  mach_task_basic b{};
  (void)task_info_self(&b);
  *hz = b.ticks_per_second;
  return b.ticks;
}

// Where the fuzz task tells the parent how it went (VM_INHERIT_SHARE).
struct Shared {
  volatile uint64_t done;
  volatile uint64_t leaks;
  volatile uint64_t iterations;
};
Shared* g_shared;

// ------------------------------------------------------------ the fuzz task

[[noreturn]] void fuzz_task(uint64_t) {
  libmach::reset_after_fork();
  g.task = mach_task_self();
  g.thread = mach_thread_self();
  g.host = mach_host_self();
  g.reply = mach_reply_port();
  g.mig = mig_get_reply_port();
  // Our own copies of every writable page now: later writes never need a
  // page, so running the machine out of memory (vm_wire, vm_copy, large
  // out-of-line copies) cannot end the fuzzer.
  touch_writable();
  // Forks (victims, the partner) inherit none of our writable memory: its
  // pages stay ours alone, and a write to them never needs a copy.
  {
    Region rs[kBaseMax + 1];
    unsigned n = read_regions(rs, kBaseMax, 0, ~0ull);
    for (unsigned i = 0; i < n && i < kBaseMax; ++i)
      if (rs[i].prot & VM_PROT_WRITE) (void)rpc_vm_inherit(g.task, rs[i].start, rs[i].end - rs[i].start, VM_INHERIT_NONE);
  }
  take_baseline();
  printf("fuzz: seed %#lx, iterations %lu..%lu, epoch %lu; baseline: %u regions, %u names, ports %lu, "
         "kmsgs %lu, wired %lu\n",
         (unsigned long)g.seed, (unsigned long)g.from, (unsigned long)(g.from + g.count - 1),
         (unsigned long)g.epoch, g.base_n, g.base_names_n, (unsigned long)g.ipc0.ports,
         (unsigned long)g.ipc0.kmsgs, (unsigned long)g.vm0.wired_count);
  uint64_t hz;
  uint64_t t0 = now_ticks(&hz);
  uint64_t end = g.from + g.count;
  uint64_t start = g.from - g.from % g.epoch;
  if (g.replay && start < g.from)
    printf("fuzz: replay: iterations %lu..%lu run first (the start of the epoch), quietly\n",
           (unsigned long)start, (unsigned long)(g.from - 1));
  fixture_create(start / g.epoch);
  uint64_t epoch_first = start;
  for (uint64_t it = start; it < end; ++it) {
    if (it != start && it % g.epoch == 0) {
      (void)reset_and_check(epoch_first, it - 1);
      fixture_create(it / g.epoch);
      epoch_first = it;
    }
    if (!selected(it)) continue;
    run_one(it, g.replay && it < g.from);
  }
  (void)reset_and_check(epoch_first, end - 1);
  uint64_t t1 = now_ticks(&hz);
  uint64_t ms = hz ? (t1 - t0) * 1000 / hz : 0;

  printf("fuzz: seed %#lx: %lu iterations in %lu ms (%lu/s); skipped by the protection rules: %lu\n",
         (unsigned long)g.seed, (unsigned long)g.iterations_done, (unsigned long)ms,
         (unsigned long)(ms ? g.iterations_done * 1000 / ms : 0), (unsigned long)g.skipped);
  for (unsigned i = 0; i < kOpCount; ++i)
    printf("fuzz: op %-10s %7lu (%lu succeeded)\n", kOpNames[i], (unsigned long)g.op_count[i],
           (unsigned long)g.op_ok[i]);
  // Histogram, most frequent first.
  for (unsigned i = 0; i < g_hist_n; ++i)
    for (unsigned j = i + 1; j < g_hist_n; ++j)
      if (g_hist[j].n > g_hist[i].n) {
        Bucket t = g_hist[i];
        g_hist[i] = g_hist[j];
        g_hist[j] = t;
      }
  for (unsigned i = 0; i < g_hist_n; ++i)
    printf("fuzz: result %08x %-26s %lu\n", unsigned(g_hist[i].code), code_name(g_hist[i].code),
           (unsigned long)g_hist[i].n);
  printf("fuzz: level 1: %lu epochs off the baseline\n", (unsigned long)g.leaks);
  g_shared->leaks = g.leaks;
  g_shared->iterations = g.iterations_done;
  g_shared->done = 1;
  task_terminate_self(g.leaks ? 1 : 0);
}

// ------------------------------------------------------------ the parent

alignas(16) uint8_t g_fuzz_stack[64 * 1024];

struct Counters {
  mach_ipc_statistics ipc;
  vm_statistics_data_t vm;
};

Counters counters() {
  // Whatever else runs settles first: the boot thread frees its argument
  // block after starting us, dead threads are reaped, tasks freed.
  (void)clock_sleep(100);
  for (int i = 0; i < 20; ++i) thread_switch();
  return Counters{ipc_stats(), vm_stats()};
}

}  // namespace

void note(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  (void)vsnprintf(g.desc, sizeof g.desc, fmt, ap);
  va_end(ap);
  if (g.show) printf("fuzz: it %lu: %s\n", (unsigned long)g.current, g.desc);
}

void record(kern_return_t kr) {
  g.last = kr;
  if (kr == KERN_SUCCESS) ++g.op_ok[g.current_op];
  for (unsigned i = 0; i < g_hist_n; ++i)
    if (g_hist[i].code == kr) {
      ++g_hist[i].n;
      return;
    }
  if (g_hist_n < 128) g_hist[g_hist_n++] = Bucket{kr, 1};
}

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace fz

const char* g_role = "fuzz";

int main(int argc, char** argv) {
  using namespace fz;
  if (!parse_args(argc, argv)) return 2;
  g.task = mach_task_self();
  g.mig = mig_get_reply_port();
  // The fuzz task inherits no bootstrap or exception port: its messages
  // could otherwise wait in ports the parent keeps.
  (void)task_set_special_port(g.task, TASK_BOOTSTRAP_PORT, MACH_PORT_NULL);
  (void)task_set_special_port(g.task, TASK_EXCEPTION_PORT, MACH_PORT_NULL);
  vm_address_t shared = 0;
  if (rpc_vm_allocate(g.task, &shared, kPage, VM_FLAGS_ANYWHERE) != KERN_SUCCESS ||
      rpc_vm_inherit(g.task, shared, kPage, VM_INHERIT_SHARE) != KERN_SUCCESS) {
    printf("fuzz: FAILED: no shared page\n");
    return 1;
  }
  g_shared = reinterpret_cast<Shared*>(shared);
  // The fuzz task runs on a stack of its own (in .bss) and never needs
  // ours; not inheriting it spares the copies our writes to it would cost
  // while the fuzz task lives (they would outlive it: not a leak, but the
  // level-2 counters must come back exactly). Our .data and .bss are not
  // written until the fuzz task has ended.
  {
    int here = 0;
    vm_address_t a = reinterpret_cast<vm_address_t>(&here);
    vm_size_t size = 0;
    vm_region_basic_info_data_64_t info{};
    mach_msg_type_number_t cnt = VM_REGION_BASIC_INFO_COUNT_64;
    mach_port_t obj = MACH_PORT_NULL;
    if (rpc_vm_region(g.task, &a, &size, VM_REGION_BASIC_INFO_64, reinterpret_cast<int*>(&info), &cnt, &obj) !=
            KERN_SUCCESS ||
        rpc_vm_inherit(g.task, a, size, VM_INHERIT_NONE) != KERN_SUCCESS) {
      printf("fuzz: FAILED: cannot find our stack\n");
      return 1;
    }
  }
  touch_writable();
  Counters before = counters();

  mach_port_t child = MACH_PORT_NULL, thread = MACH_PORT_NULL;
  if (rpc_task_create(g.task, TRUE, &child) != KERN_SUCCESS) {
    printf("fuzz: FAILED: task_create\n");
    return 1;
  }
  x86_thread_state64_t state{};
  state.rip = reinterpret_cast<uint64_t>(&fuzz_task);
  state.rsp = ((reinterpret_cast<uint64_t>(g_fuzz_stack) + sizeof g_fuzz_stack) & ~uint64_t(15)) - 8;
  if (rpc_thread_create_running(child, x86_THREAD_STATE64, reinterpret_cast<thread_state_t>(&state),
                                x86_THREAD_STATE64_COUNT, &thread) != KERN_SUCCESS) {
    printf("fuzz: FAILED: thread_create_running\n");
    return 1;
  }
  for (;;) {
    mach_port_type_t type = 0;
    if (mach_port_type(g.task, child, &type) != KERN_SUCCESS || (type & MACH_PORT_TYPE_DEAD_NAME)) break;
    (void)clock_sleep(20);
  }
  (void)mach_port_deallocate(g.task, child);
  (void)mach_port_deallocate(g.task, thread);
  Counters after = counters();

  bool ok = g_shared->done && g_shared->leaks == 0;
  if (!g_shared->done) printf("fuzz: FAILED: the fuzz task ended before it finished (see above)\n");
  auto check = [&](const char* what, uint64_t was, uint64_t now) {
    printf("fuzz: level 2: %-14s %lu -> %lu%s\n", what, (unsigned long)was, (unsigned long)now,
           was == now ? "" : "  MISMATCH");
    if (was != now) ok = false;
  };
  check("ports", before.ipc.ports, after.ipc.ports);
  check("port_sets", before.ipc.port_sets, after.ipc.port_sets);
  check("kmsgs", before.ipc.kmsgs, after.ipc.kmsgs);
  check("spaces", before.ipc.spaces, after.ipc.spaces);
  check("ool_bytes", before.ipc.ool_bytes, after.ipc.ool_bytes);
  check("kalloc_bytes", before.ipc.kalloc_bytes, after.ipc.kalloc_bytes);
  // Free pages may only go up: page-out (vm_pageout.h) may have dropped
  // clean pages, page tables or reverse-mapping slabs the baseline held
  // under the pressure op; a leak takes pages away.
  printf("fuzz: level 2: %-14s %lu -> %lu%s\n", "free_pages", (unsigned long)before.vm.free_count,
         (unsigned long)after.vm.free_count, after.vm.free_count >= before.vm.free_count ? "" : "  MISMATCH");
  if (after.vm.free_count < before.vm.free_count) ok = false;
  check("active_pages", before.vm.active_count, after.vm.active_count);
  check("wired_pages", before.vm.wired_count, after.vm.wired_count);
  check("objects", before.vm.object_count, after.vm.object_count);
  check("map_entries", before.vm.map_entry_count, after.vm.map_entry_count);
  if (ok)
    printf("fuzz: PASS: seed %#lx, %lu iterations, every epoch and the whole run back at the baseline\n",
           (unsigned long)g.seed, (unsigned long)g_shared->iterations);
  else
    printf("fuzz: FAILED: seed %#lx (rerun a range with --seed %#lx --from K --count M)\n", (unsigned long)g.seed,
           (unsigned long)g.seed);
  return ok ? 0 : 1;
}
