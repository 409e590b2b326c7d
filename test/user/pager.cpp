// External pager tests (cases pager-*): a test pager that supplies pattern
// pages and a client that maps its memory object with vm_map.
//   pager.elf serve [die|error]  the pager: registers "test-pager" with the
//                                name server; `die` ends itself on the first
//                                data_request, `error` answers page 7 with
//                                data_error
//   pager.elf client             maps 16 pages, checks the pattern, dirties
//                                pages 2 and 5 and unmaps: the pager must
//                                see data_return of exactly those, then
//                                terminate
//   pager.elf victim             touches page 0 of a pager that dies (or
//                                page 7 of one that fails): must not return
//   pager.elf bench N            the cost of a fault served by the pager
//   pager.elf fill MIB           writes MIB of anonymous memory with a
//                                pattern and reads it all back (more than
//                                RAM: the default pager carries the rest)
#include <mach/memory_object.h>
#include <memory_object_control_rpc.h>
#include <memory_object_server.h>
#include <task_rpc.h>
#include <vm_rpc.h>

#include "ipc_util.h"

const char* g_role = "pager";

namespace {

constexpr uint64_t kPage = 4096;
constexpr uint64_t kPages = 16;
constexpr uint32_t kMarker = 0xd1a7d1a7;

uint32_t pattern(uint64_t offset, uint64_t i) { return uint32_t(offset * 0x9e37u + i * 2654435761u) | 1u; }

enum class Mode { kServe, kDie, kError };
Mode g_mode = Mode::kServe;
mach_port_t g_object = MACH_PORT_NULL;
uint64_t g_requests = 0, g_returns = 0, g_bad_returns = 0, g_kernel_copies = 0;
bool g_done = false;
mach_port_t g_control = MACH_PORT_NULL;
// The client asks the pager to clean the object (a message of its own on
// the object port); the answer goes out once lock_completed arrives.
constexpr mach_msg_id_t kFlushRequest = 9999;
mach_port_t g_flush_reply = MACH_PORT_NULL;
alignas(4096) uint32_t g_page[kPage / 4];

}  // namespace

// memory_object.defs, served.

kern_return_t memory_object_init(memory_object_t, memory_object_control_t control, vm_size_t page_size) {
  printf("pager: init, page size %lu\n", page_size);
  CHECK_KR(rpc_memory_object_ready(control, FALSE), KERN_SUCCESS);
  // Bad calls get errors, not crashes.
  CHECK_KR(rpc_memory_object_data_unavailable(control, 100, kPage), KERN_INVALID_ARGUMENT);
  CHECK_KR(rpc_memory_object_lock_request(control, 0, kPage, 7, FALSE, VM_PROT_NONE, MACH_PORT_NULL),
           KERN_INVALID_VALUE);
  CHECK_KR(rpc_memory_object_data_supply(mach_task_self(), 0, vm_offset_t(g_page), kPage, VM_PROT_NONE, FALSE),
           KERN_INVALID_ARGUMENT);
  g_control = control;  // kept for lock_request (kFlushRequest)
  return KERN_SUCCESS;
}

kern_return_t memory_object_terminate(memory_object_t, memory_object_control_t control) {
  printf("pager: terminate after %lu requests, %lu returns (%lu wrong, %lu kernel copies)\n", g_requests, g_returns,
         g_bad_returns, g_kernel_copies);
  // Cleaned by lock_request first (kernel copies), so none come back again.
  if (g_returns == 2 && g_kernel_copies == 2 && g_bad_returns == 0)
    printf("pager: PASS: dirty pages came back by lock_request, then terminate\n");
  if (MACH_PORT_VALID(g_control)) mach_port_deallocate(mach_task_self(), g_control);
  mach_port_deallocate(mach_task_self(), control);
  g_done = true;
  return KERN_SUCCESS;
}

kern_return_t memory_object_data_request(memory_object_t, memory_object_control_t control,
                                         memory_object_offset_t offset, vm_size_t length, vm_prot_t) {
  g_requests++;
  if (g_mode == Mode::kDie) {
    printf("pager: dying with a request pending\n");
    task_terminate_self(0);
  }
  if (g_mode == Mode::kError && offset == 7 * kPage) {
    CHECK_KR(rpc_memory_object_data_error(control, offset, length, KERN_FAILURE), KERN_SUCCESS);
  } else {
    for (uint64_t i = 0; i < kPage / 4; i++) g_page[i] = pattern(offset, i);
    CHECK_KR(rpc_memory_object_data_supply(control, offset, vm_offset_t(g_page), kPage, VM_PROT_NONE, FALSE),
             KERN_SUCCESS);
  }
  mach_port_deallocate(mach_task_self(), control);
  return KERN_SUCCESS;
}

kern_return_t memory_object_data_unlock(memory_object_t, memory_object_control_t control, memory_object_offset_t,
                                        vm_size_t, vm_prot_t) {
  mach_port_deallocate(mach_task_self(), control);
  return KERN_SUCCESS;
}

kern_return_t memory_object_lock_completed(mach_port_t, memory_object_control_t control, memory_object_offset_t offset,
                                           vm_size_t length) {
  printf("pager: lock_completed for [%#lx, %#lx), %lu kernel copies returned\n", offset, offset + length,
         g_kernel_copies);
  mach_port_deallocate(mach_task_self(), control);
  if (MACH_PORT_VALID(g_flush_reply)) {
    mach_msg_header_t done{};
    done.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0);
    done.msgh_size = sizeof done;
    done.msgh_remote_port = g_flush_reply;
    done.msgh_id = kFlushRequest + 100;
    CHECK_KR(mach_msg(&done, MACH_SEND_MSG, sizeof done, 0, MACH_PORT_NULL, 0), MACH_MSG_SUCCESS);
    g_flush_reply = MACH_PORT_NULL;
  }
  return KERN_SUCCESS;
}

kern_return_t memory_object_data_return(memory_object_t, memory_object_control_t control,
                                        memory_object_offset_t offset, vm_offset_t data,
                                        mach_msg_type_number_t dataCnt, boolean_t dirty, boolean_t kernel_copy) {
  g_returns++;
  if (kernel_copy) g_kernel_copies++;
  auto* w = reinterpret_cast<const uint32_t*>(data);
  bool ok = dataCnt == kPage && dirty && (offset == 2 * kPage || offset == 5 * kPage) && w[0] == kMarker;
  for (uint64_t i = 1; ok && i < kPage / 4; i++) ok = w[i] == pattern(offset, i);
  if (!ok) g_bad_returns++;
  printf("pager: data_return offset %#lx dirty %d: %s\n", offset, dirty, ok ? "the client's write" : "WRONG");
  rpc_vm_deallocate(mach_task_self(), data, dataCnt);
  mach_port_deallocate(mach_task_self(), control);
  return KERN_SUCCESS;
}

namespace {

void serve() {
  CHECK_KR(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &g_object), KERN_SUCCESS);
  ns_register("test-pager", g_object, MACH_MSG_TYPE_MAKE_SEND);
  alignas(8) uint8_t in[8192], out[512];
  auto* req = reinterpret_cast<mach_msg_header_t*>(in);
  auto* rep = reinterpret_cast<mach_msg_header_t*>(out);
  while (!g_done) {
    CHECK_KR(mach_msg(req, MACH_RCV_MSG, 0, sizeof in, g_object, 0), MACH_MSG_SUCCESS);
    if (req->msgh_id == kFlushRequest) {
      // Dirty pages back (the kernel keeps its copy), and a lock_completed
      // to our own port when done.
      g_flush_reply = req->msgh_remote_port;
      CHECK_KR(rpc_memory_object_lock_request(g_control, 0, kPages * kPage, MEMORY_OBJECT_RETURN_DIRTY, FALSE,
                                              VM_PROT_NONE, g_object),
               KERN_SUCCESS);
      continue;
    }
    if (!memory_object_server(req, rep)) printf("pager: unexpected message id %d\n", req->msgh_id);
  }
}

mach_port_t map_object(vm_address_t* addr) {
  mach_port_t object = ns_lookup("test-pager");
  *addr = 0;
  // Errors first: no task, unaligned offset, protections beyond the maximum.
  CHECK_KR(rpc_vm_map(mach_task_self(), addr, kPages * kPage, 0, VM_FLAGS_ANYWHERE, object, 100, FALSE,
                      VM_PROT_READ, VM_PROT_READ, VM_INHERIT_DEFAULT),
           KERN_INVALID_ARGUMENT);
  CHECK_KR(rpc_vm_map(mach_task_self(), addr, kPages * kPage, 0, VM_FLAGS_ANYWHERE, object, 0, FALSE,
                      VM_PROT_DEFAULT, VM_PROT_READ, VM_INHERIT_DEFAULT),
           KERN_INVALID_ARGUMENT);
  CHECK_KR(rpc_vm_map(mach_task_self(), addr, kPages * kPage, 0, VM_FLAGS_ANYWHERE, mach_task_self(), 0, FALSE,
                      VM_PROT_READ, VM_PROT_READ, VM_INHERIT_DEFAULT),
           KERN_INVALID_ARGUMENT);
  CHECK_KR(rpc_vm_map(mach_task_self(), addr, kPages * kPage, 0xffff, VM_FLAGS_ANYWHERE, object, 0, FALSE,
                      VM_PROT_DEFAULT, VM_PROT_ALL, VM_INHERIT_DEFAULT),
           KERN_SUCCESS);
  CHECK((*addr & 0xffff) == 0);
  return object;
}

mach_port_t g_client_object = MACH_PORT_NULL;

void client() {
  vm_address_t addr;
  g_client_object = map_object(&addr);
  vm_statistics_data_t before, after;
  CHECK_KR(rpc_vm_statistics(mach_task_self(), &before), KERN_SUCCESS);
  auto* w = reinterpret_cast<volatile uint32_t*>(addr);
  for (uint64_t p = 0; p < kPages; p++)
    for (uint64_t i = 0; i < kPage / 4; i += 97) CHECK(w[p * kPage / 4 + i] == pattern(p * kPage, i));
  CHECK_KR(rpc_vm_statistics(mach_task_self(), &after), KERN_SUCCESS);
  CHECK(after.pageins - before.pageins == kPages);
  printf("client: PASS: %lu pages read through the pager, one request each\n", kPages);
  w[2 * kPage / 4] = kMarker;
  w[5 * kPage / 4] = kMarker;
  // The pager cleans the object (lock_request, return dirty, no flush): the
  // two pages go back now, the mapping stays and reads the same.
  mach_msg_header_t m{};
  m.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
  m.msgh_size = sizeof m;
  m.msgh_remote_port = g_client_object;
  m.msgh_local_port = mig_get_reply_port();
  m.msgh_id = kFlushRequest;
  CHECK_KR(mach_msg(&m, MACH_SEND_MSG | MACH_RCV_MSG, sizeof m, sizeof m, m.msgh_local_port, 0), MACH_MSG_SUCCESS);
  CHECK(m.msgh_id == kFlushRequest + 100);
  CHECK(w[2 * kPage / 4] == kMarker && w[5 * kPage / 4] == kMarker && w[3 * kPage / 4] == pattern(3 * kPage, 0));
  printf("client: PASS: the pager cleaned the object; the mapping reads the same\n");
  CHECK_KR(rpc_vm_deallocate(mach_task_self(), addr, kPages * kPage), KERN_SUCCESS);
  printf("client: unmapped\n");
}

void victim() {
  vm_address_t addr;
  map_object(&addr);
  auto* w = reinterpret_cast<volatile uint32_t*>(addr);
  CHECK(w[0] == pattern(0, 0));  // with a pager that dies, the task ends right here
  printf("victim: page 0 read; touching page 7\n");
  uint32_t v = w[7 * kPage / 4];
  printf("victim: FAILED: page 7 read %#x\n", v);
}

void bench(uint64_t n) {
  vm_address_t addr;
  mach_port_t object = ns_lookup("test-pager");
  addr = 0;
  CHECK_KR(rpc_vm_map(mach_task_self(), &addr, n * kPage, 0, VM_FLAGS_ANYWHERE, object, 0, FALSE, VM_PROT_READ,
                      VM_PROT_READ, VM_INHERIT_DEFAULT),
           KERN_SUCCESS);
  auto* w = reinterpret_cast<volatile uint32_t*>(addr);
  uint64_t* cost = nullptr;
  vm_address_t buf = 0;
  CHECK_KR(rpc_vm_allocate(mach_task_self(), &buf, n * 8, VM_FLAGS_ANYWHERE), KERN_SUCCESS);
  cost = reinterpret_cast<uint64_t*>(buf);
  for (uint64_t i = 0; i < n; i++) cost[i] = 0;  // resident before timing
  for (uint64_t p = 0; p < n; p++) {
    uint64_t t0 = rdtsc();
    (void)w[p * kPage / 4];
    cost[p] = rdtsc() - t0;
  }
  // Median of the later half (the first faults warm the pager's code up).
  uint64_t m = n / 2;
  for (uint64_t i = m; i < n; i++)
    for (uint64_t j = i + 1; j < n; j++)
      if (cost[j] < cost[i]) {
        uint64_t t = cost[i];
        cost[i] = cost[j];
        cost[j] = t;
      }
  printf("BENCH name=pager_fault system=this instructions=%lu iterations=%lu\n", cost[m + (n - m) / 2], n - m);
  // Unmapped: the pager hears terminate and ends, and so does the boot.
  CHECK_KR(rpc_vm_deallocate(mach_task_self(), addr, n * kPage), KERN_SUCCESS);
}

void fill(uint64_t mib) {
  vm_statistics_data_t before, after;
  CHECK_KR(rpc_vm_statistics(mach_task_self(), &before), KERN_SUCCESS);
  uint64_t bytes = mib << 20, words = bytes / 8;
  vm_address_t addr = 0;
  CHECK_KR(rpc_vm_allocate(mach_task_self(), &addr, bytes, VM_FLAGS_ANYWHERE), KERN_SUCCESS);
  auto* w = reinterpret_cast<uint64_t*>(addr);
  auto value = [](uint64_t i) { return i * 0x9e3779b97f4a7c15ull ^ 0x5a5a; };
  for (uint64_t i = 0; i < words; i++) w[i] = value(i);
  printf("fill: %lu MiB written (%lu pages of RAM in all)\n", mib, before.total_count);
  uint64_t bad = 0;
  for (uint64_t i = 0; i < words; i++)
    if (w[i] != value(i) && bad++ < 4) printf("fill: FAILED: word %lu is %#lx\n", i, w[i]);
  CHECK_KR(rpc_vm_statistics(mach_task_self(), &after), KERN_SUCCESS);
  printf("fill: %lu pages out, %lu pages in\n", after.pageouts - before.pageouts, after.pageins - before.pageins);
  CHECK(bad == 0);
  CHECK(after.pageouts - before.pageouts > 0 && after.pageins - before.pageins > 0);
  printf("fill: PASS: %lu MiB read back intact\n", mib);
  CHECK_KR(rpc_vm_deallocate(mach_task_self(), addr, bytes), KERN_SUCCESS);
}

// Fault injection (docs/robustness.md): a client of the default pager is
// killed in the middle of its paging. churn keeps MIB of its memory moving
// to and from swap; killer ends it MS milliseconds into its second pass; fill-after then
// runs `fill` on a default pager that must have kept going.
[[noreturn]] void churn(uint64_t mib) {
  // More memory than the machine has: only once the default pager runs
  // (it starts with the other boot modules; it registers with the kernel,
  // not the name server, so give it time).
  (void)clock_sleep(3000);
  uint64_t bytes = mib << 20;
  vm_address_t addr = 0;
  CHECK_KR(rpc_vm_allocate(mach_task_self(), &addr, bytes, VM_FLAGS_ANYWHERE), KERN_SUCCESS);
  auto* w = reinterpret_cast<volatile uint64_t*>(addr);
  for (uint64_t pass = 1;; ++pass) {
    for (uint64_t i = 0; i < bytes / 8; i += kPage / 8) w[i] = i ^ pass;
    if (pass == 1) {
      printf("churn: %lu MiB written once; paging on\n", (unsigned long)mib);
      ns_register("churn", mach_task_self(), MACH_MSG_TYPE_COPY_SEND);  // the killer may come now
    }
  }
}

void killer(uint64_t ms) {
  mach_port_t task = ns_lookup("churn");
  vm_statistics_data_t s{};
  (void)clock_sleep(ms);
  CHECK_KR(rpc_vm_statistics(mach_task_self(), &s), KERN_SUCCESS);
  CHECK_KR(rpc_task_terminate(task), KERN_SUCCESS);
  printf("killer: churn ended in the middle of its paging (%lu page-outs, %lu page-ins so far)\n",
         (unsigned long)s.pageouts, (unsigned long)s.pageins);
  mach_port_t token = MACH_PORT_NULL;
  CHECK_KR(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &token), KERN_SUCCESS);
  ns_register("killed", token, MACH_MSG_TYPE_MAKE_SEND);
}

}  // namespace

int main(int argc, char** argv) {
  const char* what = argc > 1 ? argv[1] : "";
  if (!strcmp(what, "serve")) {
    const char* how = argc > 2 ? argv[2] : "";
    g_mode = !strcmp(how, "die") ? Mode::kDie : !strcmp(how, "error") ? Mode::kError : Mode::kServe;
    serve();
    return 0;
  }
  g_role = what;
  if (!strcmp(what, "client")) {
    client();
    return 0;
  }
  if (!strcmp(what, "victim")) {
    victim();
    return 1;
  }
  if (!strcmp(what, "bench")) {
    uint64_t n = 0;
    for (const char* c = argc > 2 ? argv[2] : "64"; *c >= '0' && *c <= '9'; c++) n = n * 10 + uint64_t(*c - '0');
    bench(n >= 4 && n <= 4096 ? n : 64);
    return 0;
  }
  if (!strcmp(what, "fill")) {
    uint64_t n = 0;
    for (const char* c = argc > 2 ? argv[2] : "8"; *c >= '0' && *c <= '9'; c++) n = n * 10 + uint64_t(*c - '0');
    fill(n >= 1 && n <= 4096 ? n : 8);
    return 0;
  }
  uint64_t n = 0;
  for (const char* c = argc > 2 ? argv[2] : ""; *c >= '0' && *c <= '9'; c++) n = n * 10 + uint64_t(*c - '0');
  if (!strcmp(what, "churn")) churn(n ? n : 80);
  if (!strcmp(what, "killer")) {
    killer(n ? n : 2000);
    return 0;
  }
  if (!strcmp(what, "fill-after")) {
    (void)ns_lookup("killed");  // once the killer has done its work
    fill(n ? n : 48);
    return 0;
  }
  printf("pager: usage: pager.elf serve [die|error] | client | victim | bench N | fill MIB | churn MIB | killer MS "
         "| fill-after MIB\n");
  return 2;
}
