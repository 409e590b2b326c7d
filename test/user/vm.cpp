// Virtual memory test roles, one per task (argv[1] picks it; see
// test/qemu/cases.py, case names vm-*):
//   inherit          a child by task_create(inherit) + thread_create_running
//                    writes VM_INHERIT_COPY and VM_INHERIT_SHARE memory; each
//                    side checks what it sees of the other's writes
//   fork-loop N      N fork/exit/destroy cycles; the free page count must
//                    come back to its baseline
//   ool-recv         receives 1 MiB out of line from ool-send and more
//   ool-send         (both check the data, and that later writes stay private)
//   prot-handler     the exception handler of prot-victim: a write to memory
//   prot-victim      made read-only arrives as EXC_BAD_ACCESS, the handler
//                    restores write access with vm_protect and resumes it
//   calls            every vm.defs call, with bad arguments and good (vm_calls.cpp)
//   bench-ool-sink N / bench-ool N [sweep]   benchmarks (vm_bench.cpp)
// Lines with PASS are what the cases expect; any failure prints FAILED.
#include "vm_test.h"

const char* g_role = "vm";

namespace {

long arg_num(int argc, char** argv, int i, long dflt) {
  if (i >= argc) return dflt;
  long v = 0;
  for (const char* p = argv[i]; *p; ++p) v = v * 10 + (*p - '0');
  return v;
}

mach_port_t new_receive_right() {
  mach_port_t p;
  CHECK_KR(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p), KERN_SUCCESS);
  return p;
}

// Children run here (the stack is in .bss: inherited by copy, so each
// child has its own).
alignas(16) uint8_t g_child_stack[16 * 1024];

// ---------------------------------------------------------------- inherit

struct InheritCtl {
  volatile uint32_t phase;  // 1: child wrote, 2: parent wrote, 3: child checked
  volatile uint32_t ok;
};

vm_address_t g_copy, g_share, g_none;  // set before the fork: the child sees them
uint32_t g_counter = 7;                // .data: inherited by copy

constexpr uint32_t kCopyWords = 2 * kPage / 4, kShareWords = kPage / 4;

[[noreturn]] void inherit_child(uint64_t) {
  libmach::reset_after_fork();
  g_role = "inherit-child";
  auto* copy = reinterpret_cast<volatile uint32_t*>(g_copy);
  auto* share = reinterpret_cast<volatile uint32_t*>(g_share);
  auto* ctl = reinterpret_cast<InheritCtl*>(g_share + kPage);
  // What the parent had at the fork.
  for (uint32_t i = 0; i < kCopyWords; ++i) CHECK(copy[i] == 0xa0000000u + i);
  for (uint32_t i = 0; i < kShareWords; ++i) CHECK(share[i] == 0xb0000000u + i);
  CHECK(g_counter == 7);
  // VM_INHERIT_NONE: a hole here.
  vm_offset_t data = 0;
  mach_msg_type_number_t count = 0;
  CHECK_KR(rpc_vm_read(mach_task_self(), g_none, kPage, &data, &count), KERN_INVALID_ADDRESS);
  for (uint32_t i = 0; i < kCopyWords; ++i) copy[i] = 0xc0000000u + i;
  for (uint32_t i = 0; i < kShareWords / 2; ++i) share[i] = 0xc1000000u + i;
  g_counter = 99;
  ctl->phase = 1;
  while (ctl->phase != 2) thread_switch();
  // The parent's writes: not to our copy, but to the shared page.
  for (uint32_t i = 0; i < kCopyWords; ++i) CHECK(copy[i] == 0xc0000000u + i);
  for (uint32_t i = kShareWords / 2; i < kShareWords; ++i) CHECK(share[i] == 0xd1000000u + i);
  CHECK(g_counter == 99);
  printf("inherit-child: PASS: the parent's later writes reach shared memory only\n");
  ctl->ok = 1;
  ctl->phase = 3;
  task_terminate_self(0);
}

int role_inherit() {
  mach_port_t self = mach_task_self();
  g_copy = vm_alloc(2 * kPage);
  g_share = vm_alloc(2 * kPage);  // page 0: data, page 1: InheritCtl
  g_none = vm_alloc(kPage);
  CHECK_KR(rpc_vm_inherit(self, g_share, 2 * kPage, VM_INHERIT_SHARE), KERN_SUCCESS);
  CHECK_KR(rpc_vm_inherit(self, g_none, kPage, VM_INHERIT_NONE), KERN_SUCCESS);
  auto* copy = reinterpret_cast<volatile uint32_t*>(g_copy);
  auto* share = reinterpret_cast<volatile uint32_t*>(g_share);
  auto* ctl = reinterpret_cast<InheritCtl*>(g_share + kPage);
  for (uint32_t i = 0; i < kCopyWords; ++i) copy[i] = 0xa0000000u + i;
  for (uint32_t i = 0; i < kShareWords; ++i) share[i] = 0xb0000000u + i;
  *reinterpret_cast<volatile uint32_t*>(g_none) = 5;
  ctl->phase = 0;
  ctl->ok = 0;

  mach_port_t thread = MACH_PORT_NULL;
  mach_port_t child = start_child(inherit_child, 0, g_child_stack, sizeof g_child_stack, &thread);
  for (long i = 0; ctl->phase < 1; ++i) {
    mach_port_type_t type = 0;
    CHECK_KR(mach_port_type(self, child, &type), KERN_SUCCESS);
    CHECK(!(type & MACH_PORT_TYPE_DEAD_NAME));  // the child failed before writing
    CHECK(i < 1000000);
    thread_switch();
  }
  // The child's writes to its copies are its own...
  for (uint32_t i = 0; i < kCopyWords; ++i) CHECK(copy[i] == 0xa0000000u + i);
  CHECK(g_counter == 7);
  // ...as vm_read on its task port shows.
  vm_offset_t data = 0;
  mach_msg_type_number_t count = 0;
  CHECK_KR(rpc_vm_read(child, g_copy, 2 * kPage, &data, &count), KERN_SUCCESS);
  CHECK(count == 2 * kPage);
  auto* theirs = reinterpret_cast<const uint32_t*>(data);
  for (uint32_t i = 0; i < kCopyWords; ++i) CHECK(theirs[i] == 0xc0000000u + i);
  CHECK_KR(rpc_vm_deallocate(self, data, count), KERN_SUCCESS);
  printf("inherit: PASS: the child's writes to VM_INHERIT_COPY memory (pages and .data) are not seen by the parent\n");
  // ...but the shared page is one memory.
  for (uint32_t i = 0; i < kShareWords / 2; ++i) CHECK(share[i] == 0xc1000000u + i);
  printf("inherit: PASS: the child's writes to VM_INHERIT_SHARE memory are seen by the parent\n");

  for (uint32_t i = 0; i < kCopyWords; ++i) copy[i] = 0xd0000000u + i;
  for (uint32_t i = kShareWords / 2; i < kShareWords; ++i) share[i] = 0xd1000000u + i;
  g_counter = 8;
  ctl->phase = 2;
  CHECK(wait_dead_name(child));
  CHECK(ctl->phase == 3 && ctl->ok == 1);
  CHECK(*reinterpret_cast<volatile uint32_t*>(g_none) == 5);
  CHECK_KR(mach_port_deallocate(self, child), KERN_SUCCESS);
  CHECK_KR(mach_port_deallocate(self, thread), KERN_SUCCESS);
  printf("inherit: PASS: the child saw the parent's shared writes and not its copied ones, and ended\n");
  return 0;
}

// ---------------------------------------------------------------- fork-loop

uint64_t g_touched;  // .bss: each child writes it (a copy-on-write fault)

[[noreturn]] void loop_child(uint64_t n) {
  libmach::reset_after_fork();
  g_touched = n;
  task_terminate_self(0);
}

// Let dead threads be reaped and their tasks freed.
void settle() {
  for (int i = 0; i < 20; ++i) thread_switch();
}

int role_fork_loop(long n) {
  mach_port_t self = mach_task_self();
  auto cycle = [&](long i) {
    mach_port_t child = start_child(loop_child, uint64_t(i), g_child_stack, sizeof g_child_stack);
    CHECK(wait_dead_name(child));  // the child touched its page and ended
    CHECK_KR(mach_port_deallocate(self, child), KERN_SUCCESS);
  };
  for (long i = 0; i < 20; ++i) cycle(i);  // warm-up: kernel zones reach their working size
  settle();
  vm_statistics_data_t before = vm_stats();
  for (long i = 0; i < n; ++i) cycle(i);
  settle();
  vm_statistics_data_t after = vm_stats();
  CHECK(g_touched == 0);  // the children's writes were theirs
  printf("fork-loop: %ld cycles of task_create(inherit) + thread_create_running + exit + destroy: "
         "free pages %lu before, %lu after; objects %lu -> %lu; map entries %lu -> %lu; "
         "copy-on-write faults %lu; collapses %lu\n",
         n, (unsigned long)before.free_count, (unsigned long)after.free_count, (unsigned long)before.object_count,
         (unsigned long)after.object_count, (unsigned long)before.map_entry_count,
         (unsigned long)after.map_entry_count, (unsigned long)(after.cow_faults - before.cow_faults),
         (unsigned long)(after.collapses - before.collapses));
  if (after.free_count != before.free_count) {
    printf("fork-loop: FAILED: %ld pages leaked over %ld cycles\n", long(before.free_count - after.free_count), n);
    return 1;
  }
  printf("fork-loop: PASS: free page count back at its baseline after %ld cycles\n", n);
  return 0;
}

// ---------------------------------------------------------------- out of line

struct OolMsg {
  mach_msg_header_t h;
  mach_msg_body_t body;
  mach_msg_ool_descriptor_t ool;
  uint32_t kind;
};

constexpr vm_size_t kMiB = 1 << 20;
constexpr uint32_t kWords = kMiB / 4;
inline uint32_t pattern(uint32_t i) { return i * 2654435761u ^ 0x5a5a5a5au; }

// Send `size` bytes at `addr` to `dest` (kind says what for) and wait for
// the receiver's answer.
void send_ool(mach_port_t dest, mach_port_t reply, const void* addr, vm_size_t size, uint8_t copy, bool dealloc,
              uint32_t kind) {
  union {
    OolMsg m;
    SimpleMsg ack;
  } u{};
  u.m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE) | MACH_MSGH_BITS_COMPLEX;
  u.m.h.msgh_remote_port = dest;
  u.m.h.msgh_local_port = reply;
  u.m.h.msgh_id = 100;
  u.m.body.msgh_descriptor_count = 1;
  u.m.ool = {reinterpret_cast<uint64_t>(addr), mach_msg_size_t(size), uint8_t(dealloc), copy, 0,
             MACH_MSG_OOL_DESCRIPTOR};
  u.m.kind = kind;
  CHECK_KR(mach_msg(&u.m.h, MACH_SEND_MSG | MACH_RCV_MSG, sizeof u.m, sizeof u, reply, 0), MACH_MSG_SUCCESS);
  CHECK(u.ack.h.msgh_id == 200 && u.ack.data[0] == kind);
}

int role_ool_send() {
  mach_port_t self = mach_task_self();
  mach_port_t dest = ns_lookup("vm-ool");
  mach_port_t reply = new_receive_right();
  auto* region = reinterpret_cast<uint32_t*>(vm_alloc(kMiB));
  for (uint32_t i = 0; i < kWords; ++i) region[i] = pattern(i);
  // 1: 1 MiB, virtual copy. The receiver checks it and writes its first half.
  send_ool(dest, reply, region, kMiB, MACH_MSG_VIRTUAL_COPY, false, 1);
  for (uint32_t i = 0; i < kWords; ++i) CHECK(region[i] == pattern(i));
  printf("ool-send: PASS: the receiver's writes to its copy are not seen by the sender\n");
  // 2: our writes to the second half; the receiver checks it does not see them.
  for (uint32_t i = kWords / 2; i < kWords; ++i) region[i] = ~pattern(i);
  send_ool(dest, reply, nullptr, 0, MACH_MSG_VIRTUAL_COPY, false, 2);
  // 3: the same megabyte as a physical copy.
  send_ool(dest, reply, region, kMiB, MACH_MSG_PHYSICAL_COPY, false, 3);
  // 4: deallocate on send: the region leaves the sender.
  auto* gone = reinterpret_cast<uint32_t*>(vm_alloc(64 * 1024));
  for (uint32_t i = 0; i < 16384; ++i) gone[i] = pattern(i) + 4;
  send_ool(dest, reply, gone, 64 * 1024, MACH_MSG_VIRTUAL_COPY, true, 4);
  vm_address_t addr = reinterpret_cast<vm_address_t>(gone);
  vm_size_t size = 0;
  vm_region_basic_info_data_64_t info;
  mach_msg_type_number_t count = VM_REGION_BASIC_INFO_COUNT_64;
  mach_port_t object = MACH_PORT_NULL;
  kern_return_t kr = rpc_vm_region(self, &addr, &size, VM_REGION_BASIC_INFO_64, reinterpret_cast<int*>(&info), &count,
                                   &object);
  CHECK(kr == KERN_INVALID_ADDRESS || (kr == KERN_SUCCESS && addr > reinterpret_cast<vm_address_t>(gone)));
  // 5: a small region inside a page (below the virtual-copy threshold).
  send_ool(dest, reply, reinterpret_cast<uint8_t*>(region) + 100, 300, MACH_MSG_VIRTUAL_COPY, false, 5);
  send_ool(dest, reply, nullptr, 0, MACH_MSG_VIRTUAL_COPY, false, 9);
  printf("ool-send: PASS: virtual, physical, deallocating and small out-of-line sends done\n");
  return 0;
}

int role_ool_recv() {
  mach_port_t self = mach_task_self();
  mach_port_t port = new_receive_right();
  ns_register("vm-ool", port, MACH_MSG_TYPE_MAKE_SEND);
  uint32_t* mine = nullptr;  // the megabyte received first
  for (;;) {
    union {
      OolMsg m;
      uint8_t raw[256];
    } u{};
    CHECK_KR(mach_msg(&u.m.h, MACH_RCV_MSG, 0, sizeof u, port, 0), MACH_MSG_SUCCESS);
    CHECK(u.m.h.msgh_id == 100 && (u.m.h.msgh_bits & MACH_MSGH_BITS_COMPLEX));
    auto* got = reinterpret_cast<uint32_t*>(u.m.ool.address);
    uint32_t kind = u.m.kind;
    if (kind == 1) {
      CHECK(u.m.ool.size == kMiB && got);
      for (uint32_t i = 0; i < kWords; ++i) CHECK(got[i] == pattern(i));
      printf("ool-recv: PASS: 1 MiB out of line arrived intact at %p\n", static_cast<void*>(got));
      for (uint32_t i = 0; i < kWords / 2; ++i) got[i] = 0x5ec00000u + i;
      mine = got;
    } else if (kind == 2) {
      for (uint32_t i = 0; i < kWords / 2; ++i) CHECK(mine[i] == 0x5ec00000u + i);
      for (uint32_t i = kWords / 2; i < kWords; ++i) CHECK(mine[i] == pattern(i));
      printf("ool-recv: PASS: the sender's later writes are not seen in the received copy\n");
      CHECK_KR(rpc_vm_deallocate(self, reinterpret_cast<vm_address_t>(mine), kMiB), KERN_SUCCESS);
    } else if (kind == 3) {
      CHECK(u.m.ool.size == kMiB && got);
      for (uint32_t i = 0; i < kWords; ++i) CHECK(got[i] == (i < kWords / 2 ? pattern(i) : ~pattern(i)));
      CHECK_KR(vm_deallocate(self, u.m.ool.address, u.m.ool.size), KERN_SUCCESS);
      printf("ool-recv: PASS: 1 MiB physical copy arrived intact\n");
    } else if (kind == 4) {
      CHECK(u.m.ool.size == 64 * 1024 && got);
      for (uint32_t i = 0; i < 16384; ++i) CHECK(got[i] == pattern(i) + 4);
      got[0] = 1;  // the only user now: no copy to make
      CHECK_KR(vm_deallocate(self, u.m.ool.address, u.m.ool.size), KERN_SUCCESS);
      printf("ool-recv: PASS: a region sent with deallocate arrived intact\n");
    } else if (kind == 5) {
      CHECK(u.m.ool.size == 300 && got);
      auto* bytes = reinterpret_cast<const uint8_t*>(got);
      for (uint32_t i = 0; i < 300; ++i) {
        uint32_t w = pattern((100 + i) / 4);
        CHECK(bytes[i] == uint8_t(w >> (8 * ((100 + i) % 4))));
      }
      CHECK_KR(vm_deallocate(self, u.m.ool.address, u.m.ool.size), KERN_SUCCESS);
      printf("ool-recv: PASS: a 300-byte region arrived intact\n");
    } else {
      CHECK(kind == 9);
    }
    SimpleMsg ack{};
    ack.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0);
    ack.h.msgh_remote_port = u.m.h.msgh_remote_port;
    ack.h.msgh_id = 200;
    ack.data[0] = kind;
    CHECK_KR(mach_msg(&ack.h, MACH_SEND_MSG, sizeof ack, 0, MACH_PORT_NULL, 0), MACH_MSG_SUCCESS);
    if (kind == 9) break;
  }
  return 0;
}

// ---------------------------------------------------------------- exceptions


int role_prot_handler() {
  mach_port_t self = mach_task_self();
  mach_port_t port = new_receive_right();
  ns_register("vm-exc", port, MACH_MSG_TYPE_MAKE_SEND);
  union {
    SimpleMsg where;
    exception_raise_request_t req;
    mig_reply_error_t rep;
    uint8_t raw[256];
  } m{};
  // First the victim says which address it will write.
  CHECK_KR(mach_msg(&m.where.h, MACH_RCV_MSG, 0, sizeof m, port, 0), MACH_MSG_SUCCESS);
  CHECK(m.where.h.msgh_id == 77);
  uint64_t expected = m.where.data[0] | uint64_t(m.where.data[1]) << 32;
  CHECK_KR(mach_msg(&m.req.Head, MACH_RCV_MSG, 0, sizeof m, port, 0), MACH_MSG_SUCCESS);
  CHECK(m.req.Head.msgh_id == MACH_EXCEPTION_RAISE_ID && m.req.codeCnt == 2);
  CHECK(m.req.exception == EXC_BAD_ACCESS);
  CHECK_KR(m.req.code[0], KERN_PROTECTION_FAILURE);
  CHECK_KR(m.req.code[1], long(expected));
  mach_port_t victim = m.req.task.name;
  // The region is read-only, as the victim made it.
  vm_address_t addr = vm_address_t(m.req.code[1]);
  vm_size_t size = 0;
  vm_region_basic_info_data_64_t info{};
  mach_msg_type_number_t count = VM_REGION_BASIC_INFO_COUNT_64;
  mach_port_t object = MACH_PORT_NULL;
  CHECK_KR(rpc_vm_region(victim, &addr, &size, VM_REGION_BASIC_INFO_64, reinterpret_cast<int*>(&info), &count,
                         &object),
           KERN_SUCCESS);
  CHECK(addr <= uint64_t(m.req.code[1]) && info.protection == VM_PROT_READ);
  CHECK_KR(rpc_vm_protect(victim, vm_address_t(m.req.code[1]) & ~(kPage - 1), kPage, FALSE,
                          VM_PROT_READ | VM_PROT_WRITE),
           KERN_SUCCESS);
  printf("prot-handler: PASS: EXC_BAD_ACCESS, KERN_PROTECTION_FAILURE at %#lx (the address written); "
         "write access restored by vm_protect on the victim's task port\n",
         long(m.req.code[1]));
  CHECK_KR(mach_port_deallocate(self, m.req.thread.name), KERN_SUCCESS);
  CHECK_KR(mach_port_deallocate(self, victim), KERN_SUCCESS);
  mach_port_t reply = m.req.Head.msgh_remote_port;
  m.rep = mig_reply_error_t{};
  m.rep.Head.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0);
  m.rep.Head.msgh_size = sizeof m.rep;
  m.rep.Head.msgh_remote_port = reply;
  m.rep.Head.msgh_id = MACH_EXCEPTION_RAISE_ID + 100;
  m.rep.RetCode = KERN_SUCCESS;
  CHECK_KR(mach_msg(&m.rep.Head, MACH_SEND_MSG, sizeof m.rep, 0, MACH_PORT_NULL, 0), MACH_MSG_SUCCESS);
  return 0;
}

int role_prot_victim() {
  mach_port_t self = mach_task_self();
  mach_port_t handler = ns_lookup("vm-exc");
  CHECK_KR(task_set_special_port(self, TASK_EXCEPTION_PORT, handler), KERN_SUCCESS);
  auto* page = reinterpret_cast<volatile uint64_t*>(vm_alloc(kPage));
  page[0] = 1;
  CHECK_KR(rpc_vm_protect(self, reinterpret_cast<vm_address_t>(page), kPage, FALSE, VM_PROT_READ), KERN_SUCCESS);
  CHECK(page[0] == 1);  // still readable
  SimpleMsg where{};
  where.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
  where.h.msgh_remote_port = handler;
  where.h.msgh_id = 77;
  uint64_t target = reinterpret_cast<uint64_t>(&page[1]);
  where.data[0] = uint32_t(target);
  where.data[1] = uint32_t(target >> 32);
  CHECK_KR(mach_msg(&where.h, MACH_SEND_MSG, sizeof where, 0, MACH_PORT_NULL, 0), MACH_MSG_SUCCESS);
  page[1] = 42;  // a protection fault; the handler makes the page writable and resumes us
  CHECK(page[1] == 42 && page[0] == 1);
  vm_address_t addr = reinterpret_cast<vm_address_t>(page);
  vm_size_t size = 0;
  vm_region_basic_info_data_64_t info{};
  mach_msg_type_number_t count = VM_REGION_BASIC_INFO_COUNT_64;
  mach_port_t object = MACH_PORT_NULL;
  CHECK_KR(rpc_vm_region(self, &addr, &size, VM_REGION_BASIC_INFO_64, reinterpret_cast<int*>(&info), &count, &object),
           KERN_SUCCESS);
  CHECK(info.protection == (VM_PROT_READ | VM_PROT_WRITE));
  printf("prot-victim: PASS: the write to read-only memory faulted and went through after the handler's "
         "vm_protect\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    printf("vm: no role\n");
    return 2;
  }
  g_role = argv[1];
  const char* r = argv[1];
  if (!strcmp(r, "inherit")) return role_inherit();
  if (!strcmp(r, "fork-loop")) return role_fork_loop(arg_num(argc, argv, 2, 1000));
  if (!strcmp(r, "ool-send")) return role_ool_send();
  if (!strcmp(r, "ool-recv")) return role_ool_recv();
  if (!strcmp(r, "prot-handler")) return role_prot_handler();
  if (!strcmp(r, "prot-victim")) return role_prot_victim();
  if (!strcmp(r, "calls")) return role_calls();
  if (!strcmp(r, "bench-ool-sink")) return role_bench_ool_sink(arg_num(argc, argv, 2, 1));
  if (!strcmp(r, "bench-rpc-threads")) return role_bench_rpc_threads(arg_num(argc, argv, 2, 1));
  if (!strcmp(r, "bench-ool"))
    return role_bench_ool(arg_num(argc, argv, 2, 1), argc > 3 && !strcmp(argv[3], "sweep"));
  printf("vm: unknown role %s\n", r);
  return 2;
}
