// vm.elf calls: every vm.defs routine by message, with bad arguments (each
// must give its error code, and the task goes on) and with good ones (each
// must do what it says), plus task_create / thread_create_running's
// refusals. Prints one PASS line per group and a total.
#include "vm_test.h"

namespace {

int g_checks = 0;

#define VM_IS(expr, want)         \
  do {                            \
    CHECK_KR(expr, want);         \
    ++g_checks;                   \
  } while (0)
#define VM_OK(expr) VM_IS(expr, KERN_SUCCESS)

constexpr vm_address_t kKernelAddr = 0xffff800000000000ul;
constexpr vm_address_t kTop = 0x00007ffffffff000ul;  // the last user page (a guard page)

struct Region {
  kern_return_t kr;
  vm_address_t addr;
  vm_size_t size;
  vm_region_basic_info_data_64_t info;
};

// `pages` pages of fresh memory followed by `hole` free pages (allocated,
// then the tail given back), so that calls can run into a known hole.
vm_address_t alloc_before_hole(vm_size_t pages, vm_size_t hole) {
  vm_address_t b = vm_alloc((pages + hole) * kPage);
  CHECK_KR(rpc_vm_deallocate(mach_task_self(), b + pages * kPage, hole * kPage), KERN_SUCCESS);
  return b;
}

Region region(mach_port_t task, vm_address_t at) {
  Region r{};
  r.addr = at;
  mach_msg_type_number_t count = VM_REGION_BASIC_INFO_COUNT_64;
  mach_port_t object = 1;
  r.kr = rpc_vm_region(task, &r.addr, &r.size, VM_REGION_BASIC_INFO_64, reinterpret_cast<int*>(&r.info), &count,
                       &object);
  if (r.kr == KERN_SUCCESS) CHECK(count == VM_REGION_BASIC_INFO_COUNT_64 && object == MACH_PORT_NULL);
  return r;
}

void allocate_calls(mach_port_t self) {
  vm_address_t a = 0;
  VM_IS(rpc_vm_allocate(self, &a, 0, VM_FLAGS_ANYWHERE), KERN_INVALID_ARGUMENT);
  VM_IS(rpc_vm_allocate(self, &a, kPage, 0x10), KERN_INVALID_ARGUMENT);           // unknown flag
  VM_IS(rpc_vm_allocate(self, &a, 1ul << 60, VM_FLAGS_ANYWHERE), KERN_NO_SPACE);  // huge
  VM_IS(rpc_vm_allocate(self, &a, ~0ul, VM_FLAGS_ANYWHERE), KERN_NO_SPACE);       // rounds past the end
  a = 0;
  VM_IS(rpc_vm_allocate(self, &a, kPage, VM_FLAGS_FIXED), KERN_INVALID_ADDRESS);  // page 0 is not user space
  a = kKernelAddr;
  VM_IS(rpc_vm_allocate(self, &a, kPage, VM_FLAGS_FIXED), KERN_INVALID_ADDRESS);
  a = kTop;
  VM_IS(rpc_vm_allocate(self, &a, kPage, VM_FLAGS_FIXED), KERN_INVALID_ADDRESS);  // the guard page
  // Anywhere: page-aligned, read/write, inherited by copy, zero-filled.
  vm_address_t b = alloc_before_hole(3, 2);
  Region r = region(self, b);
  VM_OK(r.kr);
  CHECK(r.addr == b && r.size == 3 * kPage);
  CHECK(r.info.protection == VM_PROT_DEFAULT && r.info.max_protection == VM_PROT_ALL &&
        r.info.inheritance == VM_INHERIT_COPY && r.info.user_wired_count == 0);
  CHECK(reinterpret_cast<volatile uint64_t*>(b)[1000] == 0);
  // Fixed over it: taken. Fixed in the hole after it, at an unaligned
  // address: rounded down.
  a = b + kPage;
  VM_IS(rpc_vm_allocate(self, &a, kPage, VM_FLAGS_FIXED), KERN_NO_SPACE);
  a = b + 3 * kPage + 123;
  VM_OK(rpc_vm_allocate(self, &a, kPage, VM_FLAGS_FIXED));
  CHECK(a == b + 3 * kPage);
  r = region(self, b + 3 * kPage);
  CHECK(r.kr == KERN_SUCCESS && r.addr <= b + 3 * kPage && r.addr + r.size >= b + 4 * kPage);
  // Deallocate: unaligned rounds out; holes are skipped; wrapping and
  // kernel ranges are refused; size 0 does nothing.
  VM_OK(rpc_vm_deallocate(self, b + 3 * kPage + 100, 10));
  r = region(self, b + 3 * kPage);
  CHECK(r.kr == KERN_INVALID_ADDRESS || r.addr >= b + 5 * kPage);
  VM_OK(rpc_vm_deallocate(self, b + 2 * kPage, 3 * kPage));  // its last page and the hole
  r = region(self, b);
  CHECK(r.addr == b && r.size == 2 * kPage);
  VM_OK(rpc_vm_deallocate(self, b + kPage, 0));
  CHECK(region(self, b).size == 2 * kPage);
  VM_IS(rpc_vm_deallocate(self, ~0ul - 10, 100), KERN_INVALID_ADDRESS);
  VM_IS(rpc_vm_deallocate(self, kKernelAddr, kPage), KERN_INVALID_ADDRESS);
  VM_OK(rpc_vm_deallocate(self, b, 2 * kPage));
  r = region(self, b);
  CHECK(r.kr == KERN_INVALID_ADDRESS || r.addr > b);
  printf("calls: PASS: vm_allocate / vm_deallocate (sizes, flags, fixed, unaligned, holes, wrap)\n");
}

void protect_inherit_calls(mach_port_t self) {
  vm_address_t b = alloc_before_hole(4, 4);
  VM_IS(rpc_vm_protect(self, b, kPage, FALSE, 0x10), KERN_INVALID_ARGUMENT);
  VM_IS(rpc_vm_protect(self, b, 6 * kPage, FALSE, VM_PROT_READ), KERN_INVALID_ADDRESS);  // runs into a hole
  VM_IS(rpc_vm_protect(self, ~0ul - kPage, 2 * kPage, FALSE, VM_PROT_READ), KERN_INVALID_ADDRESS);
  VM_OK(rpc_vm_protect(self, b, 0, FALSE, VM_PROT_NONE));  // nothing
  // Unaligned: the pages touched. Page 1 read-only, the rest unchanged.
  VM_OK(rpc_vm_protect(self, b + kPage + 10, 20, FALSE, VM_PROT_READ));
  Region r = region(self, b + kPage);
  CHECK(r.addr == b + kPage && r.size == kPage && r.info.protection == VM_PROT_READ);
  r = region(self, b);
  CHECK(r.addr == b && r.size == kPage && r.info.protection == VM_PROT_DEFAULT);
  // Maximum: lowered to read, then read/write is refused.
  VM_OK(rpc_vm_protect(self, b + 2 * kPage, kPage, TRUE, VM_PROT_READ));
  VM_IS(rpc_vm_protect(self, b + 2 * kPage, kPage, FALSE, VM_PROT_DEFAULT), KERN_PROTECTION_FAILURE);
  r = region(self, b + 2 * kPage);
  CHECK(r.info.max_protection == VM_PROT_READ && r.info.protection == VM_PROT_READ);
  // Back to read/write where the maximum allows it.
  VM_OK(rpc_vm_protect(self, b + kPage, kPage, FALSE, VM_PROT_DEFAULT));
  r = region(self, b + kPage);
  CHECK(r.addr <= b + kPage && r.info.protection == VM_PROT_DEFAULT);

  VM_IS(rpc_vm_inherit(self, b, kPage, 7), KERN_INVALID_ARGUMENT);
  VM_IS(rpc_vm_inherit(self, b, 6 * kPage, VM_INHERIT_SHARE), KERN_INVALID_ADDRESS);
  VM_IS(rpc_vm_inherit(self, kKernelAddr, kPage, VM_INHERIT_SHARE), KERN_INVALID_ADDRESS);
  VM_OK(rpc_vm_inherit(self, b + 3 * kPage, kPage, VM_INHERIT_SHARE));
  r = region(self, b + 3 * kPage);
  CHECK(r.addr == b + 3 * kPage && r.info.inheritance == VM_INHERIT_SHARE);
  VM_OK(rpc_vm_inherit(self, b + 3 * kPage, kPage, VM_INHERIT_NONE));
  CHECK(region(self, b + 3 * kPage).info.inheritance == VM_INHERIT_NONE);
  VM_OK(rpc_vm_deallocate(self, b, 4 * kPage));
  printf("calls: PASS: vm_protect / vm_inherit (bad values, holes, maximum protection, clipping)\n");
}

void read_write_copy_calls(mach_port_t self) {
  vm_address_t b = alloc_before_hole(8, 4);
  vm_address_t hole = b + 8 * kPage;
  auto* w = reinterpret_cast<uint32_t*>(b);
  for (uint32_t i = 0; i < 8 * kPage / 4; ++i) w[i] = i ^ 0xabcd0000u;
  vm_offset_t data = 0;
  mach_msg_type_number_t count = 0;
  // vm_read: holes, wrap, kernel, too large for a message, unreadable.
  VM_IS(rpc_vm_read(self, b + 7 * kPage, 2 * kPage, &data, &count), KERN_INVALID_ADDRESS);
  VM_IS(rpc_vm_read(self, hole + kPage, kPage, &data, &count), KERN_INVALID_ADDRESS);  // unmapped
  VM_IS(rpc_vm_read(self, ~0ul - 10, 100, &data, &count), KERN_INVALID_ADDRESS);
  VM_IS(rpc_vm_read(self, kKernelAddr, kPage, &data, &count), KERN_INVALID_ADDRESS);
  VM_IS(rpc_vm_read(self, b, 1ul << 40, &data, &count), KERN_INVALID_ARGUMENT);
  VM_OK(rpc_vm_protect(self, b + 6 * kPage, kPage, FALSE, VM_PROT_NONE));
  VM_IS(rpc_vm_read(self, b + 5 * kPage, 2 * kPage, &data, &count), KERN_PROTECTION_FAILURE);
  VM_OK(rpc_vm_protect(self, b + 6 * kPage, kPage, FALSE, VM_PROT_DEFAULT));
  // Good reads: small (a buffer), unaligned, and five pages (a virtual copy).
  VM_OK(rpc_vm_read(self, b + 10, 0, &data, &count));
  CHECK(count == 0);
  VM_OK(rpc_vm_read(self, b + 40, 100, &data, &count));
  CHECK(count == 100 && data && data != b + 40 && memcmp(reinterpret_cast<void*>(data), w + 10, 100) == 0);
  VM_OK(rpc_vm_deallocate(self, data, count));
  VM_OK(rpc_vm_read(self, b + kPage, 5 * kPage, &data, &count));
  CHECK(count == 5 * kPage && memcmp(reinterpret_cast<void*>(data), w + kPage / 4, 5 * kPage) == 0);
  w[kPage / 4] = 1;  // ours changes, the copy does not
  CHECK(reinterpret_cast<uint32_t*>(data)[0] == ((kPage / 4) ^ 0xabcd0000u));
  VM_OK(rpc_vm_deallocate(self, data, count));

  // vm_write: unmapped, read-only, then good ones (small and a few pages).
  static uint32_t src[3 * 1024];
  for (uint32_t i = 0; i < 3 * 1024; ++i) src[i] = 0x77000000u + i;
  VM_IS(rpc_vm_write(self, hole, reinterpret_cast<vm_offset_t>(src), 64), KERN_INVALID_ADDRESS);
  VM_IS(rpc_vm_write(self, b + 7 * kPage + 100, reinterpret_cast<vm_offset_t>(src), 8192), KERN_INVALID_ADDRESS);
  VM_OK(rpc_vm_protect(self, b + 2 * kPage, kPage, FALSE, VM_PROT_READ));
  VM_IS(rpc_vm_write(self, b + 2 * kPage, reinterpret_cast<vm_offset_t>(src), 64), KERN_PROTECTION_FAILURE);
  CHECK(w[2 * kPage / 4] == ((2 * kPage / 4) ^ 0xabcd0000u));  // untouched
  VM_OK(rpc_vm_protect(self, b + 2 * kPage, kPage, FALSE, VM_PROT_DEFAULT));
  VM_OK(rpc_vm_write(self, b + 12, reinterpret_cast<vm_offset_t>(src), 64));
  CHECK(memcmp(w + 3, src, 64) == 0 && w[2] == (2 ^ 0xabcd0000u) && w[19] == (19 ^ 0xabcd0000u));
  VM_OK(rpc_vm_write(self, b + 3 * kPage, reinterpret_cast<vm_offset_t>(src), sizeof src));
  CHECK(memcmp(w + 3 * kPage / 4, src, sizeof src) == 0);
  VM_OK(rpc_vm_write(self, b, reinterpret_cast<vm_offset_t>(src), 0));

  // vm_copy: holes at either end, read-only destination, wrap; then good
  // copies, overlapping too (as memmove).
  VM_IS(rpc_vm_copy(self, b + 7 * kPage, 2 * kPage, b), KERN_INVALID_ADDRESS);
  VM_IS(rpc_vm_copy(self, b, 2 * kPage, b + 7 * kPage), KERN_INVALID_ADDRESS);
  VM_IS(rpc_vm_copy(self, b, 2 * kPage, ~0ul - kPage), KERN_INVALID_ADDRESS);
  VM_OK(rpc_vm_protect(self, b + 5 * kPage, kPage, FALSE, VM_PROT_READ));
  VM_IS(rpc_vm_copy(self, b, 2 * kPage, b + 4 * kPage), KERN_PROTECTION_FAILURE);
  VM_OK(rpc_vm_protect(self, b + 5 * kPage, kPage, FALSE, VM_PROT_DEFAULT));
  for (uint32_t i = 0; i < 8 * kPage / 4; ++i) w[i] = i;
  VM_OK(rpc_vm_copy(self, b, 2 * kPage, b + 5 * kPage));
  for (uint32_t i = 0; i < 2 * kPage / 4; ++i) CHECK(w[5 * kPage / 4 + i] == i);
  VM_OK(rpc_vm_copy(self, b + 100, 4 * kPage, b + 100 + 2 * kPage + 8));  // overlapping, unaligned
  for (uint32_t i = 0; i < 4 * kPage / 4; ++i) CHECK(w[(100 + 2 * kPage + 8) / 4 + i] == 25 + i);
  CHECK(w[24] == 24 && w[(100 + 2 * kPage + 8) / 4 - 1] == (100 + 2 * kPage + 8) / 4 - 1);
  VM_OK(rpc_vm_copy(self, b, 0, b + kPage));
  VM_OK(rpc_vm_deallocate(self, b, 8 * kPage));
  printf("calls: PASS: vm_read / vm_write / vm_copy (holes, unmapped, read-only, huge, overlapping)\n");
}

void region_wire_stats_calls(mach_port_t self) {
  vm_address_t b = alloc_before_hole(4, 4);
  vm_address_t addr = b;
  vm_size_t size = 0;
  int info[VM_REGION_INFO_MAX];
  mach_msg_type_number_t count = VM_REGION_INFO_MAX;
  mach_port_t object;
  VM_IS(rpc_vm_region(self, &addr, &size, 5, info, &count, &object), KERN_INVALID_ARGUMENT);  // flavor
  count = 3;
  VM_IS(rpc_vm_region(self, &addr, &size, VM_REGION_BASIC_INFO_64, info, &count, &object), KERN_INVALID_ARGUMENT);
  count = VM_REGION_INFO_MAX;
  addr = kTop;
  VM_IS(rpc_vm_region(self, &addr, &size, VM_REGION_BASIC_INFO_64, info, &count, &object), KERN_INVALID_ADDRESS);
  addr = b + 100;  // inside: the region that holds it
  count = VM_REGION_INFO_MAX;
  VM_OK(rpc_vm_region(self, &addr, &size, VM_REGION_BASIC_INFO_64, info, &count, &object));
  CHECK(addr == b && size == 4 * kPage && count == VM_REGION_BASIC_INFO_COUNT_64);
  // Walking from 0 finds this program's regions in order, ours among them.
  int regions = 0;
  bool found = false;
  for (vm_address_t at = 0;; ++regions) {
    Region r = region(self, at);
    if (r.kr != KERN_SUCCESS) break;
    CHECK(r.addr >= at && r.size > 0 && r.size % kPage == 0);
    found |= r.addr == b;
    at = r.addr + r.size;
  }
  CHECK(found && regions >= 3);

  vm_statistics_data_t s0 = vm_stats();
  CHECK(s0.page_size == kPage && s0.total_count > 0 && s0.free_count < s0.total_count && s0.object_count > 0 &&
        s0.map_entry_count > 0 && s0.faults > 0 && s0.zero_fill_count > 0);
  VM_IS(rpc_vm_wire(self, b, kPage, 0x10), KERN_INVALID_ARGUMENT);
  VM_IS(rpc_vm_wire(self, b, 8 * kPage, VM_PROT_READ), KERN_INVALID_ADDRESS);
  VM_IS(rpc_vm_wire(self, kKernelAddr, kPage, VM_PROT_READ), KERN_INVALID_ADDRESS);
  VM_OK(rpc_vm_protect(self, b + 3 * kPage, kPage, FALSE, VM_PROT_READ));
  VM_IS(rpc_vm_wire(self, b + 3 * kPage, kPage, VM_PROT_READ | VM_PROT_WRITE), KERN_PROTECTION_FAILURE);
  VM_IS(rpc_vm_wire(self, b, kPage, VM_PROT_NONE), KERN_FAILURE);  // not wired
  VM_OK(rpc_vm_wire(self, b, 3 * kPage, VM_PROT_READ | VM_PROT_WRITE));
  vm_statistics_data_t s1 = vm_stats();
  CHECK(s1.wired_count == s0.wired_count + 3);
  CHECK(region(self, b).info.user_wired_count == 1);
  CHECK(reinterpret_cast<volatile uint32_t*>(b)[0] == 0);
  VM_OK(rpc_vm_wire(self, b, 3 * kPage, VM_PROT_NONE));
  CHECK(vm_stats().wired_count == s0.wired_count);
  VM_IS(rpc_vm_wire(self, b, kPage, VM_PROT_NONE), KERN_FAILURE);
  // Touching fresh pages takes free pages; freeing them gives them back.
  VM_OK(rpc_vm_deallocate(self, b, 4 * kPage));
  vm_address_t c = vm_alloc(64 * kPage);
  vm_statistics_data_t s2 = vm_stats();
  for (vm_size_t off = 0; off < 64 * kPage; off += kPage) reinterpret_cast<volatile uint8_t*>(c)[off] = 1;
  vm_statistics_data_t s3 = vm_stats();
  CHECK(s3.free_count + 64 <= s2.free_count && s3.zero_fill_count >= s2.zero_fill_count + 64);
  VM_OK(rpc_vm_deallocate(self, c, 64 * kPage));
  vm_statistics_data_t s4 = vm_stats();
  CHECK(s4.free_count >= s3.free_count + 64);
  printf("calls: PASS: vm_region / vm_wire / vm_statistics (flavor, count, holes, wired and free counts)\n");
}

// Calls on ports that are not a live task's, and task_create /
// thread_create_running refusals; vm calls on a child's task port.
void port_and_task_calls(mach_port_t self) {
  vm_address_t a = 0;
  mach_port_t host = mach_host_self();
  mach_port_t thread = mach_thread_self();
  VM_IS(rpc_vm_allocate(host, &a, kPage, VM_FLAGS_ANYWHERE), KERN_INVALID_ARGUMENT);
  VM_IS(rpc_vm_allocate(thread, &a, kPage, VM_FLAGS_ANYWHERE), KERN_INVALID_ARGUMENT);
  VM_IS(rpc_vm_deallocate(host, 0x10000, kPage), KERN_INVALID_ARGUMENT);
  VM_IS(rpc_vm_protect(thread, 0x10000, kPage, FALSE, VM_PROT_READ), KERN_INVALID_ARGUMENT);
  vm_statistics_data_t s;
  VM_IS(rpc_vm_statistics(host, &s), KERN_INVALID_ARGUMENT);
  VM_IS(rpc_vm_allocate(0x4321, &a, kPage, VM_FLAGS_ANYWHERE), MACH_SEND_INVALID_DEST);  // no such name
  VM_IS(rpc_vm_allocate(MACH_PORT_NULL, &a, kPage, VM_FLAGS_ANYWHERE), MACH_SEND_INVALID_DEST);
  mach_port_t child = MACH_PORT_NULL;
  VM_IS(rpc_task_create(host, TRUE, &child), KERN_INVALID_ARGUMENT);

  // A child without inherited memory is empty; with it, it has our regions.
  VM_OK(rpc_task_create(self, FALSE, &child));
  CHECK(region(child, 0).kr == KERN_INVALID_ADDRESS);
  vm_address_t at = 0;
  VM_OK(rpc_vm_allocate(child, &at, 2 * kPage, VM_FLAGS_ANYWHERE));
  static const char kHello[] = "written into another task";
  VM_OK(rpc_vm_write(child, at + 10, reinterpret_cast<vm_offset_t>(kHello), sizeof kHello));
  vm_offset_t data = 0;
  mach_msg_type_number_t count = 0;
  VM_OK(rpc_vm_read(child, at + 10, sizeof kHello, &data, &count));
  CHECK(count == sizeof kHello && memcmp(reinterpret_cast<void*>(data), kHello, sizeof kHello) == 0);
  VM_OK(rpc_vm_deallocate(self, data, count));
  // thread_create_running's checks, on the empty child.
  x86_thread_state64_t st{};
  st.rip = 0x10000;
  st.rsp = 0x20000;
  mach_port_t t = MACH_PORT_NULL;
  auto* words = reinterpret_cast<thread_state_t>(&st);
  VM_IS(rpc_thread_create_running(child, 99, words, x86_THREAD_STATE64_COUNT, &t), KERN_INVALID_ARGUMENT);
  VM_IS(rpc_thread_create_running(child, x86_THREAD_STATE64, words, 10, &t), KERN_INVALID_ARGUMENT);
  VM_IS(rpc_thread_create_running(host, x86_THREAD_STATE64, words, x86_THREAD_STATE64_COUNT, &t),
        KERN_INVALID_ARGUMENT);
  st.rip = kKernelAddr;
  VM_IS(rpc_thread_create_running(child, x86_THREAD_STATE64, words, x86_THREAD_STATE64_COUNT, &t),
        KERN_INVALID_ADDRESS);
  st.rip = 0x10000;
  st.rsp = kKernelAddr;
  VM_IS(rpc_thread_create_running(child, x86_THREAD_STATE64, words, x86_THREAD_STATE64_COUNT, &t),
        KERN_INVALID_ADDRESS);
  VM_OK(rpc_task_terminate(child));
  VM_IS(rpc_vm_allocate(child, &a, kPage, VM_FLAGS_ANYWHERE), MACH_SEND_INVALID_DEST);  // a dead name now
  CHECK_KR(mach_port_deallocate(self, child), KERN_SUCCESS);

  VM_OK(rpc_task_create(self, TRUE, &child));
  Region mine = region(self, 0), theirs = region(child, 0);
  CHECK(theirs.kr == KERN_SUCCESS && theirs.addr == mine.addr && theirs.size == mine.size);
  VM_OK(rpc_task_terminate(child));
  CHECK_KR(mach_port_deallocate(self, child), KERN_SUCCESS);
  CHECK_KR(mach_port_deallocate(self, host), KERN_SUCCESS);
  CHECK_KR(mach_port_deallocate(self, thread), KERN_SUCCESS);
  printf("calls: PASS: bad task ports refused; task_create (empty and inherited), thread_create_running refusals, "
         "vm calls on another task\n");
}

}  // namespace

int role_calls() {
  mach_port_t self = mach_task_self();
  allocate_calls(self);
  protect_inherit_calls(self);
  read_write_copy_calls(self);
  region_wire_stats_calls(self);
  port_and_task_calls(self);
  printf("calls: PASS: all %d vm calls gave the expected results\n", g_checks);
  return 0;
}
