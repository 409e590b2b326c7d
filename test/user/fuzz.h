// The in-guest fuzzer (test/user/fuzz.cpp, fuzz_msg.cpp, fuzz_ops.cpp): what
// its parts share. See fuzz.cpp for how a run is organized (parent and fuzz
// task, epochs, the two levels of leak checks) and docs/robustness.md.
#pragma once

#include <mach/mach_types.h>
#include <mach/mig_errors.h>
#include <vm_rpc.h>

#include "libmach/mach_ipc.h"
#include "libmach/print.h"
#include "libmach/string.h"

namespace fz {

constexpr uint64_t kPage = 4096;

// xorshift64*: one generator per iteration, seeded from (seed, iteration),
// so iteration K can be replayed without running the ones before its epoch.
struct Rng {
  uint64_t s;
  uint64_t next() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 0x2545f4914f6cdd1dull;
  }
  uint64_t below(uint64_t n) { return n ? next() % n : 0; }
  bool one_in(uint64_t n) { return below(n) == 0; }
  // A percentage chance.
  bool pct(unsigned p) { return below(100) < p; }
  uint64_t range(uint64_t lo, uint64_t hi) { return lo + below(hi - lo + 1); }
};

uint64_t splitmix64(uint64_t x);

// What one iteration does.
enum Op : unsigned {
  kOpMsg,        // a random message to ports of this task (and P names, garbage)
  kOpMsgKernel,  // a request (MIG layout, mutated) to a kernel port
  kOpReceive,    // a receive on a random name with a random buffer
  kOpPort,       // a mach_port_* trap with random names and rights
  kOpVm,         // a vm.defs call on this task (rpc_ stubs) or a victim
  kOpTrap,       // a raw trap, every number and unknown ones, random arguments
  kOpVictim,     // create / start a thread in / end a victim task
  kOpCount
};
extern const char* const kOpNames[kOpCount];

constexpr unsigned kPoolMax = 256;
constexpr unsigned kVictimsMax = 3;
constexpr unsigned kRegionsMax = 64;
constexpr unsigned kBaseMax = 32;
constexpr unsigned kFixtureMax = 16;

struct Region {
  uint64_t start, end;
  vm_prot_t prot, max_prot;
  vm_inherit_t inherit;
  uint32_t wired;
};

struct NameRec {
  mach_port_name_t name;
  mach_port_type_t type;
  mach_port_urefs_t send_urefs;
};

// Everything the fuzz task keeps (in .bss, a baseline region: never
// unmapped, protected or written by the kernel on the fuzzer's behalf).
struct State {
  // Options.
  uint64_t seed;
  uint64_t iters;  // total iterations of a full run
  uint64_t from, count;
  uint64_t epoch;  // iterations between resets (state back to the fixture)
  uint64_t progress;
  bool verbose;
  bool debug_cow;
  bool show;  // this iteration prints what it does, before doing it  // after each iteration: did it make our own pages copy-on-write?
  bool replay;  // --from given: iterations before `from` in its epoch run quietly
  uint64_t only[64];  // --only: run just these iterations (with their epoch's reset)
  unsigned only_n;

  // Protected names: never destroyed, moved or renamed by fuzz operations.
  mach_port_name_t task, thread, host;
  mach_port_name_t reply;  // the fuzzer's own reply port (krpc); mig's is `mig`
  mach_port_name_t mig;
  mach_port_name_t victims[kVictimsMax];
  unsigned victims_n;
  // The partner: a victim (a fork of this task) whose thread echoes every
  // message it receives on its port back to the reply port, with all it
  // carries (blocking receivers, the fast path, copyout into another task).
  mach_port_name_t partner_task;
  mach_port_name_t partner_port;  // our send right to its port (also in the pool)

  // Names learned in this epoch (received, allocated, extracted).
  mach_port_name_t pool[kPoolMax];
  unsigned pool_n;
  mach_port_name_t fixture[kFixtureMax];
  unsigned fixture_n;

  // Regions made in this epoch (vm_allocate, out-of-line arrivals).
  Region regions[kRegionsMax];
  unsigned regions_n;

  // The baseline: regions and names at the start, IPC and VM counters.
  Region base[kBaseMax];
  unsigned base_n;
  NameRec base_names[8];
  unsigned base_names_n;
  mach_ipc_statistics ipc0;
  vm_statistics_data_t vm0;

  // Results.
  uint64_t op_count[kOpCount];
  uint64_t op_ok[kOpCount];  // of which the call succeeded
  uint64_t skipped;  // operations the protection rules refused to issue
  uint64_t leaks;    // epochs that did not come back to the baseline
  uint64_t iterations_done;
  uint64_t current;  // the iteration running
  Op current_op;
  char desc[160];    // what the current iteration does (printed when verbose)
  kern_return_t last;  // its (last) result
};

extern State g;

// Scratch memory the kernel may write (receive buffers, out parameters):
// part of .bss, but nothing of the fuzzer's lives there.
constexpr size_t kScratch = 128 * 1024;
extern uint8_t g_scratch[kScratch];
constexpr size_t kMsgMax = 72 * 1024;  // message buffers start at g_scratch
inline uint8_t* names_area() { return g_scratch + kMsgMax; }  // arrays of names (OOL ports)
constexpr size_t kNamesArea = 16 * 1024;
inline uint8_t* out_area() { return g_scratch + kMsgMax + kNamesArea; }  // small out parameters
constexpr size_t kOutArea = kScratch - kMsgMax - kNamesArea;

// Bookkeeping.
void note(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void record(kern_return_t kr);
bool is_protected(mach_port_name_t name);
bool is_victim(mach_port_name_t name);
void pool_add(mach_port_name_t name);
void region_add(uint64_t addr, uint64_t size);
// True when [addr, addr+size), rounded out to pages, touches a baseline
// region (the image, stacks, the fuzzer's state).
bool touches_base(uint64_t addr, uint64_t size);
// True when the kernel would copy [addr, addr+size) copy-on-write (a
// virtual copy: at least 16 KiB) out of our writable baseline memory:
// that would make our next write to it need a page, which can fail when
// memory runs out and end the fuzzer. Such copies are made physical or
// shorter (our private pages are only ever copied, never shared).
constexpr uint64_t kVirtualCopyMin = 8 * 1024;  // the kernel's is 16 KiB: a margin
bool shares_writable_base(uint64_t addr, uint64_t size);
// Shrink [*addr, *addr+*size) to the part below the first baseline region
// it touches; false when nothing is left.
bool clamp_to_free(uint64_t* addr, uint64_t* size);
// Take what a message received into `buf` (valid up to `len` bytes) gave
// this task: names into the pool, regions into the list.
void absorb(const uint8_t* buf, size_t len);

// Generators.
mach_port_name_t any_name(Rng& r);
mach_port_name_t pool_name(Rng& r);  // from the pool or fixture (never protected), or garbage
mach_port_name_t garbage_name(Rng& r);
mach_msg_type_name_t any_disposition(Rng& r);
// Apply the protection rules to a (name, disposition) pair a fuzz
// operation is about to use in this task's space; false to refuse.
bool guard_right(mach_port_name_t* name, mach_msg_type_name_t* disp);
uint64_t any_value(Rng& r);
uint64_t any_size(Rng& r);
// Addresses the kernel only reads from / may write to.
uint64_t in_ptr(Rng& r, uint64_t len);
uint64_t out_ptr(Rng& r, uint64_t len);
uint64_t any_addr(Rng& r);
mach_msg_id_t any_msg_id(Rng& r);

// Operations (fuzz_msg.cpp, fuzz_ops.cpp).
void op_msg(Rng& r);
void op_msg_kernel(Rng& r);
void op_receive(Rng& r);
void op_port(Rng& r);
void op_vm(Rng& r);
void op_trap(Rng& r);
void op_victim(Rng& r);
void drain(mach_port_name_t port, unsigned max);
void victim_end_all();
bool partner_start(Rng& r);
// A message from g_scratch to the partner, waiting up to 20 ms for its echo
// on rcv_name.
kern_return_t partner_call(uint32_t send_size, mach_port_name_t rcv_name);

// A request to a kernel port in MIG's layout, answered on g.reply (send,
// then receive with a zero timeout: kernel ports answer at once). Returns
// the mach_msg result, or the reply's RetCode; the reply stays in g_scratch
// (absorbed already).
struct Request {
  alignas(8) uint8_t b[512];
  uint32_t off = 24;
  uint32_t ndesc = 0;
  void begin(mach_msg_id_t id, unsigned descriptors);
  void u32(uint32_t v);
  void u64(uint64_t v);
  void port(mach_port_name_t name, mach_msg_type_name_t disp);
  void ool(uint64_t addr, uint32_t size, bool dealloc, uint8_t copy);
  mach_msg_header_t* h() { return reinterpret_cast<mach_msg_header_t*>(b); }
};
kern_return_t krpc(Request& q, mach_port_name_t dest, Rng* mutate);
// Whether a message (`size` bytes at `msg`) may go to the task port `dest`
// we hold: no task_create whose child could be lost (krpc makes sure it is
// not), and on our own port no task_terminate or thread_create_running
// (fatal) nor vm calls that change baseline memory.
bool task_request_ok(mach_port_name_t dest, const uint8_t* msg, uint32_t size);
inline bool is_task_port(mach_port_name_t name) { return name == g.task || is_victim(name); }

}  // namespace fz
