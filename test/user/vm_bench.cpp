// Out-of-line benchmarks (scripts/bench, test/bench/run_machina.sh): the
// cost of delivering 1 MiB to another task
//   msg_ool_1mib           one message, the megabyte out of line as a
//                          virtual copy (copy-on-write, nothing copied)
//   msg_ool_physical_1mib  the same with MACH_MSG_PHYSICAL_COPY
//   msg_inline_1mib        16 messages of 64 KiB (the largest inline
//                          message: 65,512 bytes of data each)
// each from the first send until the receiver's acknowledgement arrives;
// the receiver vm_deallocates each region it gets. With `sweep`, regions
// of 1, 2, 4, 8 and 16 pages sent virtual and physical
// (ool_sweep_{virtual,physical}_<K>k) show where copying stops paying
// (vm/vm_map_copy.h: kVmCopyVirtualMin). There the sender also writes a
// word in each page of its buffer before every send, as a program reusing
// it does, so the virtual copy pays for its write faults. Instructions
// under -icount shift=0, median after a warm-up of a quarter of the
// iterations.
#include "vm_test.h"

namespace {

constexpr mach_msg_id_t kOol = 300, kInline = 301, kDone = 399, kAck = 400;
constexpr mach_msg_size_t kInlineData = MACH_MSG_SIZE_MAX - sizeof(mach_msg_header_t);
constexpr int kInlinePerMiB = 16;

struct OolMsg {
  mach_msg_header_t h;
  mach_msg_body_t body;
  mach_msg_ool_descriptor_t ool;
};

struct InlineMsg {
  mach_msg_header_t h;
  uint8_t data[kInlineData];
};
static_assert(sizeof(InlineMsg) == MACH_MSG_SIZE_MAX, "the largest inline message");

uint64_t median(uint64_t* v, long n) {
  for (long i = 1; i < n; ++i)
    for (long j = i; j > 0 && v[j - 1] > v[j]; --j) {
      uint64_t t = v[j];
      v[j] = v[j - 1];
      v[j - 1] = t;
    }
  return v[n / 2];
}

// The time an empty rdtsc pair takes, to subtract.
uint64_t rdtsc_overhead() {
  static uint64_t s[64];
  for (auto& x : s) {
    uint64_t t0 = rdtsc();
    x = rdtsc() - t0;
  }
  return median(s, 64);
}

void wait_ack(mach_port_t reply) {
  SimpleMsg ack{};
  CHECK_KR(mach_msg(&ack.h, MACH_RCV_MSG, 0, sizeof ack, reply, 0), MACH_MSG_SUCCESS);
  CHECK(ack.h.msgh_id == kAck);
}

// One region of `size` bytes, out of line; returns the instructions until
// the receiver acknowledged it.
uint64_t send_ool_once(mach_port_t sink, mach_port_t reply, const void* data, vm_size_t size, uint8_t copy) {
  OolMsg m{};
  m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE) | MACH_MSGH_BITS_COMPLEX;
  m.h.msgh_remote_port = sink;
  m.h.msgh_local_port = reply;
  m.h.msgh_id = kOol;
  m.body.msgh_descriptor_count = 1;
  m.ool = {reinterpret_cast<uint64_t>(data), mach_msg_size_t(size), 0, copy, 0, MACH_MSG_OOL_DESCRIPTOR};
  uint64_t t0 = rdtsc();
  CHECK_KR(mach_msg(&m.h, MACH_SEND_MSG, sizeof m, 0, MACH_PORT_NULL, 0), MACH_MSG_SUCCESS);
  wait_ack(reply);
  return rdtsc() - t0;
}

// 1 MiB as kInlinePerMiB inline messages, the last asking for the ack.
uint64_t send_inline_mib(mach_port_t sink, mach_port_t reply, const uint8_t* data) {
  static InlineMsg m;
  uint64_t t0 = rdtsc();
  for (int i = 0; i < kInlinePerMiB; ++i) {
    bool last = i + 1 == kInlinePerMiB;
    m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, last ? MACH_MSG_TYPE_MAKE_SEND_ONCE : 0);
    m.h.msgh_remote_port = sink;
    m.h.msgh_local_port = last ? reply : MACH_PORT_NULL;
    m.h.msgh_id = kInline;
    memcpy(m.data, data + size_t(i) * kInlineData, kInlineData);
    CHECK_KR(mach_msg(&m.h, MACH_SEND_MSG, sizeof m, 0, MACH_PORT_NULL, 0), MACH_MSG_SUCCESS);
  }
  wait_ack(reply);
  return rdtsc() - t0;
}

// Median over `n` runs of `op` after n/4 warm-up runs.
template <class Op>
uint64_t measure(long n, uint64_t overhead, Op op) {
  static uint64_t samples[4096];
  long warmup = n / 4;
  long count = n - warmup < 4096 ? n - warmup : 4096;
  for (long i = 0; i < n; ++i) {
    uint64_t t = op();
    if (i >= warmup && i - warmup < count) samples[i - warmup] = t;
  }
  uint64_t m = median(samples, count);
  return m > overhead ? m - overhead : 0;
}

void report(const char* name, uint64_t instructions, long n) {
  printf("BENCH name=%s system=this instructions=%lu iterations=%ld\n", name, (unsigned long)instructions,
         n - n / 4 < 4096 ? n - n / 4 : 4096);
}

}  // namespace

namespace {

alignas(16) uint8_t g_echo_stack[16 * 1024];

// The server thread of bench-rpc-threads: answers forever (the task's end
// stops it), with reply-and-receive as a server does.
[[noreturn]] void echo_thread(uint64_t port_arg) {
  auto port = mach_port_t(port_arg);
  SimpleMsg m{};
  mach_msg_return_t mr = mach_msg(&m.h, MACH_RCV_MSG, 0, sizeof m, port, 0);
  for (;;) {
    if (mr != MACH_MSG_SUCCESS) {
      printf("%s: server thread: mach_msg %#x\n", g_role, mr);
      task_terminate_self(1);
    }
    m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0);
    m.h.msgh_local_port = MACH_PORT_NULL;
    m.h.msgh_id += 100;
    mr = mach_msg(&m.h, MACH_SEND_MSG | MACH_RCV_MSG, sizeof m, sizeof m, port, 0);
  }
}

}  // namespace

// bench-rpc-threads N: the null RPC round trip of echo-client (ipc.elf), to
// a server that is a second thread of this task (thread_create_running on
// our own task port): no address-space switch.
int role_bench_rpc_threads(long n) {
  mach_port_t port, reply;
  CHECK_KR(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &port), KERN_SUCCESS);
  CHECK_KR(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &reply), KERN_SUCCESS);
  // A send right to copy, as a client of another task holds one.
  CHECK_KR(mach_port_insert_right(mach_task_self(), port, port, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
  x86_thread_state64_t state{};
  state.rip = reinterpret_cast<uint64_t>(&echo_thread);
  state.rsp = ((reinterpret_cast<uint64_t>(g_echo_stack) + sizeof g_echo_stack) & ~uint64_t(15)) - 8;
  state.rdi = port;
  mach_port_t thread = MACH_PORT_NULL;
  CHECK_KR(rpc_thread_create_running(mach_task_self(), x86_THREAD_STATE64, reinterpret_cast<thread_state_t>(&state),
                                     x86_THREAD_STATE64_COUNT, &thread),
           KERN_SUCCESS);
  static uint64_t samples[4096];
  long warmup = n / 4;
  long count = n - warmup < 4096 ? n - warmup : 4096;
  for (long i = 0; i < n; ++i) {
    SimpleMsg m{};
    m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
    m.h.msgh_remote_port = port;
    m.h.msgh_local_port = reply;
    m.h.msgh_id = 500;
    uint64_t t0 = rdtsc();
    mach_msg_return_t mr = mach_msg(&m.h, MACH_SEND_MSG | MACH_RCV_MSG, sizeof m, sizeof m, reply, 0);
    uint64_t t1 = rdtsc();
    CHECK_KR(mr, MACH_MSG_SUCCESS);
    CHECK(m.h.msgh_id == 600);
    if (i >= warmup && i - warmup < count) samples[i - warmup] = t1 - t0;
  }
  printf("%s: %ld round trips to a thread of this task ok\n", g_role, n);
  printf("BENCH name=null_rpc_two_threads system=this instructions=%lu iterations=%ld\n",
         (unsigned long)median(samples, count), count);
  return 0;
}

// bench-ool-sink: receives until kDone; deallocates out-of-line regions,
// acknowledges messages that carry a reply right.
int role_bench_ool_sink(long) {
  mach_port_t self = mach_task_self();
  mach_port_t port;
  CHECK_KR(mach_port_allocate(self, MACH_PORT_RIGHT_RECEIVE, &port), KERN_SUCCESS);
  CHECK_KR(mach_port_set_qlimit(self, port, kInlinePerMiB), KERN_SUCCESS);
  ns_register("vm-bench", port, MACH_MSG_TYPE_MAKE_SEND);
  static union {
    mach_msg_header_t h;
    OolMsg ool;
    InlineMsg in;
    uint8_t raw[MACH_MSG_SIZE_MAX + 64];
  } u;
  long received = 0;
  for (;; ++received) {
    CHECK_KR(mach_msg(&u.h, MACH_RCV_MSG, 0, sizeof u, port, 0), MACH_MSG_SUCCESS);
    if (u.h.msgh_id == kOol) {
      CHECK(u.ool.ool.size > 0 && u.ool.ool.address);
      CHECK_KR(vm_deallocate(self, u.ool.ool.address, u.ool.ool.size), KERN_SUCCESS);
    } else {
      CHECK(u.h.msgh_id == kInline || u.h.msgh_id == kDone);
    }
    if (MACH_PORT_VALID(u.h.msgh_remote_port)) {
      SimpleMsg ack{};
      ack.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0);
      ack.h.msgh_remote_port = u.h.msgh_remote_port;
      ack.h.msgh_id = kAck;
      CHECK_KR(mach_msg(&ack.h, MACH_SEND_MSG, sizeof ack, 0, MACH_PORT_NULL, 0), MACH_MSG_SUCCESS);
    }
    if (u.h.msgh_id == kDone) break;
  }
  printf("bench-ool-sink: received %ld messages\n", received);
  return 0;
}

// bench-ool N [sweep]: N deliveries of each kind (and of each sweep size).
int role_bench_ool(long n, bool sweep) {
  mach_port_t self = mach_task_self();
  mach_port_t sink = ns_lookup("vm-bench");
  mach_port_t reply;
  CHECK_KR(mach_port_allocate(self, MACH_PORT_RIGHT_RECEIVE, &reply), KERN_SUCCESS);
  constexpr vm_size_t kMiB = 1 << 20;
  auto* data = reinterpret_cast<uint8_t*>(vm_alloc(kMiB));
  for (vm_size_t i = 0; i < kMiB; ++i) data[i] = uint8_t(i * 13);
  uint64_t overhead = rdtsc_overhead();

  uint64_t ool = measure(n, overhead, [&] { return send_ool_once(sink, reply, data, kMiB, MACH_MSG_VIRTUAL_COPY); });
  uint64_t phys = measure(n, overhead, [&] { return send_ool_once(sink, reply, data, kMiB, MACH_MSG_PHYSICAL_COPY); });
  uint64_t in = measure(n, overhead, [&] { return send_inline_mib(sink, reply, data); });
  report("msg_ool_1mib", ool, n);
  report("msg_ool_physical_1mib", phys, n);
  report("msg_inline_1mib", in, n);
  printf("bench-ool: 1 MiB out of line (virtual copy) is %lux cheaper than inline, %lux cheaper than a physical "
         "copy: target of 10x %s\n",
         (unsigned long)(ool ? in / ool : 0), (unsigned long)(ool ? phys / ool : 0),
         ool && ool * 10 <= in ? "met" : "NOT MET");
  if (sweep) {
    for (vm_size_t pages = 1; pages <= 16; pages *= 2) {
      char name[64];
      auto reuse_and_send = [&](uint8_t copy) {
        uint64_t t0 = rdtsc();
        auto* bytes = reinterpret_cast<volatile uint8_t*>(data);
        for (vm_size_t p = 0; p < pages; ++p) bytes[p * kPage] = uint8_t(bytes[p * kPage] + 1);
        uint64_t t = rdtsc() - t0;
        return t + send_ool_once(sink, reply, data, pages * kPage, copy);
      };
      uint64_t v = measure(n, overhead, [&] { return reuse_and_send(MACH_MSG_VIRTUAL_COPY); });
      uint64_t p = measure(n, overhead, [&] { return reuse_and_send(MACH_MSG_PHYSICAL_COPY); });
      snprintf(name, sizeof name, "ool_sweep_virtual_%luk", (unsigned long)(pages * 4));
      report(name, v, n);
      snprintf(name, sizeof name, "ool_sweep_physical_%luk", (unsigned long)(pages * 4));
      report(name, p, n);
    }
  }
  SimpleMsg done{};
  done.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
  done.h.msgh_remote_port = sink;
  done.h.msgh_local_port = reply;
  done.h.msgh_id = kDone;
  CHECK_KR(mach_msg(&done.h, MACH_SEND_MSG, sizeof done, 0, MACH_PORT_NULL, 0), MACH_MSG_SUCCESS);
  wait_ack(reply);
  return 0;
}
