// The default pager's booted test (case default-pager-protocol): this task
// plays the kernel. It makes memory objects with memory_object_create on
// "default-pager", pages data out (data_return) and in (data_request), and
// serves the control port itself: the pager's data_supply /
// data_unavailable / data_error calls arrive here and are answered through
// a server stub generated from memory_object_control.defs.
//   dp_client.elf
#include <mach/memory_object.h>
#include <memory_object_default_rpc.h>
#include <memory_object_rpc.h>
#include <vm_rpc.h>

#include "dp_control_server.h"
#include "ipc_util.h"

const char* g_role = "dp-client";

namespace {

constexpr uint64_t kPage = 4096;

mach_port_t g_pager;  // the default port
mach_port_t g_ctl;    // our "control port": receive right and a send right

// What the pager answered, accumulated until a request is covered.
struct Answer {
  uint64_t supplied = 0, unavailable = 0, errors = 0;  // bytes
  kern_return_t last_error = KERN_SUCCESS;
  uint64_t bad_pages = 0;  // supplied pages whose contents were wrong
  uint64_t seed = 0;       // the pattern expected (per page: seed of the page)
  const uint64_t* seeds = nullptr;
};
Answer g_answer;

uint64_t word(uint64_t seed, uint64_t page, uint64_t i) { return (seed * 0x9e3779b97f4a7c15ull) ^ (page << 20) ^ i; }

vm_address_t make_pages(uint64_t first, uint64_t n, uint64_t seed) {
  vm_address_t buf = 0;
  CHECK_KR(rpc_vm_allocate(mach_task_self(), &buf, n * kPage, VM_FLAGS_ANYWHERE), KERN_SUCCESS);
  auto* w = reinterpret_cast<uint64_t*>(buf);
  for (uint64_t p = 0; p < n; ++p)
    for (uint64_t i = 0; i < kPage / 8; ++i) w[p * kPage / 8 + i] = word(seed, first + p, i);
  return buf;
}

// Pages [first, first + n) go to the pager in one data_return.
void page_out(mach_port_t obj, uint64_t first, uint64_t n, uint64_t seed) {
  vm_address_t buf = make_pages(first, n, seed);
  CHECK_KR(rpc_memory_object_data_return(obj, g_ctl, first * kPage, buf, mach_msg_type_number_t(n * kPage), TRUE,
                                         FALSE),
           KERN_SUCCESS);
  CHECK_KR(vm_deallocate(mach_task_self(), buf, n * kPage), KERN_SUCCESS);
}

// Serves the control port until `bytes` are answered (supplied,
// unavailable or refused).
void serve_control(uint64_t bytes) {
  alignas(8) uint8_t in[memory_object_control_MAX_REQUEST_SIZE + 64];
  alignas(8) uint8_t out[memory_object_control_MAX_REPLY_SIZE + 64];
  auto* req = reinterpret_cast<mach_msg_header_t*>(in);
  auto* rep = reinterpret_cast<mach_msg_header_t*>(out);
  while (g_answer.supplied + g_answer.unavailable + g_answer.errors < bytes) {
    CHECK_KR(mach_msg(req, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof in, g_ctl, 10000), MACH_MSG_SUCCESS);
    CHECK(memory_object_control_server(req, rep));
    CHECK_KR(mach_msg(rep, MACH_SEND_MSG, rep->msgh_size, 0, MACH_PORT_NULL, 0), MACH_MSG_SUCCESS);
  }
}

// data_request for [first, first + n) pages; the answers expected: pages
// holding the pattern of seeds[page] (0: unavailable).
Answer page_in(mach_port_t obj, uint64_t first, uint64_t n, const uint64_t* seeds) {
  g_answer = Answer{};
  g_answer.seeds = seeds;
  g_answer.seed = first;  // seeds[] is indexed from first
  CHECK_KR(rpc_memory_object_data_request(obj, g_ctl, first * kPage, n * kPage, VM_PROT_READ), KERN_SUCCESS);
  serve_control(n * kPage);
  return g_answer;
}

mach_port_t create(uint64_t size) {
  mach_port_t obj;
  CHECK_KR(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &obj), KERN_SUCCESS);
  CHECK_KR(mach_port_insert_right(mach_task_self(), obj, obj, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
  // The receive right moves to the pager; the name stays ours for the send right.
  CHECK_KR(rpc_memory_object_create(g_pager, obj, size, g_ctl, kPage), KERN_SUCCESS);
  return obj;
}

void terminate(mach_port_t obj) {
  CHECK_KR(rpc_memory_object_terminate(obj, g_ctl), KERN_SUCCESS);
  // The pager destroys the object's port: our send right becomes a dead name.
  mach_port_type_t type = 0;
  for (int i = 0; i < 1000; ++i) {
    CHECK_KR(mach_port_type(mach_task_self(), obj, &type), KERN_SUCCESS);
    if (type & MACH_PORT_TYPE_DEAD_NAME) break;
    thread_switch();
  }
  CHECK(type & MACH_PORT_TYPE_DEAD_NAME);
  CHECK_KR(rpc_memory_object_data_request(obj, g_ctl, 0, kPage, VM_PROT_READ), MACH_SEND_INVALID_DEST);
  CHECK_KR(mach_port_deallocate(mach_task_self(), obj), KERN_SUCCESS);
}

// Object A (1 GiB, sparse): pages out one at a time and several at once,
// far offsets, an overwritten page, a page never returned, bad requests.
void small_object() {
  constexpr uint64_t kSize = 1ull << 30, kLast = kSize / kPage - 1;
  mach_port_t obj = create(kSize);
  uint64_t seeds[8];
  for (uint64_t p = 0; p < 8; ++p) seeds[p] = 100 + p;
  page_out(obj, 0, 4, 100);  // one message of four pages...
  for (uint64_t p = 0; p < 4; ++p) seeds[p] = 100;
  for (uint64_t p = 4; p < 8; ++p) page_out(obj, p, 1, seeds[p]);  // ...and four of one
  uint64_t far_seed = 7;
  page_out(obj, kLast, 1, far_seed);
  page_out(obj, 65536, 1, 8);  // 256 MiB in
  for (uint64_t p = 0; p < 8; ++p) {
    Answer a = page_in(obj, p, 1, seeds + p);
    CHECK(a.supplied == kPage && a.bad_pages == 0);
  }
  Answer a = page_in(obj, 0, 8, seeds);  // all eight in one request
  CHECK(a.supplied == 8 * kPage && a.bad_pages == 0);
  a = page_in(obj, kLast, 1, &far_seed);
  CHECK(a.supplied == kPage && a.bad_pages == 0);
  uint64_t mid_seed = 8;
  a = page_in(obj, 65536, 1, &mid_seed);
  CHECK(a.supplied == kPage && a.bad_pages == 0);
  printf("dp-client: 10 pages returned and read back (offsets 0-7, 256 MiB, 1 GiB - 4 KiB)\n");

  // Overwritten: the page keeps its slot, the new contents come back.
  seeds[2] = 555;
  page_out(obj, 2, 1, 555);
  a = page_in(obj, 2, 1, seeds + 2);
  CHECK(a.supplied == kPage && a.bad_pages == 0);
  a = page_in(obj, 0, 8, seeds);
  CHECK(a.supplied == 8 * kPage && a.bad_pages == 0);
  printf("dp-client: page 2 overwritten and read back\n");

  // Never returned: data_unavailable (the kernel would zero-fill).
  uint64_t none[3] = {0, 0, 0};
  a = page_in(obj, 20, 1, none);
  CHECK(a.unavailable == kPage && a.supplied == 0);
  a = page_in(obj, 7, 3, seeds + 7);  // one stored page, then two never returned
  CHECK(a.supplied == kPage && a.unavailable == 2 * kPage && a.bad_pages == 0);
  printf("dp-client: pages never returned are unavailable\n");

  // Bad input: the pager logs it, answers data_error where it can, goes on.
  a = page_in(obj, kLast, 2, none);  // runs beyond the object
  CHECK(a.errors == 2 * kPage && a.last_error == KERN_INVALID_ARGUMENT);
  g_answer = Answer{};
  CHECK_KR(rpc_memory_object_data_request(obj, g_ctl, 100, kPage, VM_PROT_READ), KERN_SUCCESS);  // unaligned
  serve_control(kPage);
  CHECK(g_answer.errors == kPage);
  vm_address_t buf = make_pages(0, 1, 1);
  CHECK_KR(rpc_memory_object_data_return(obj, g_ctl, 0, buf, 100, TRUE, FALSE), KERN_SUCCESS);  // short data
  CHECK_KR(rpc_memory_object_data_return(obj, g_ctl, kSize, buf, kPage, TRUE, FALSE), KERN_SUCCESS);  // beyond
  CHECK_KR(vm_deallocate(mach_task_self(), buf, kPage), KERN_SUCCESS);
  CHECK_KR(rpc_memory_object_init(obj, g_ctl, kPage), KERN_SUCCESS);  // not for default-pager objects
  CHECK_KR(rpc_memory_object_data_unlock(obj, g_ctl, 0, kPage, VM_PROT_WRITE), KERN_SUCCESS);
  // A message of the object interface on the default port: not understood.
  CHECK_KR(rpc_memory_object_data_request(g_pager, g_ctl, 0, kPage, VM_PROT_READ), KERN_SUCCESS);
  // A message larger than any of the protocol's: dropped by the receive.
  struct {
    mach_msg_header_t h;
    uint8_t junk[2048];
  } big{};
  big.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
  big.h.msgh_remote_port = obj;
  big.h.msgh_id = MEMORY_OBJECT_DATA_REQUEST_ID;
  CHECK_KR(mach_msg(&big.h, MACH_SEND_MSG, sizeof big, 0, MACH_PORT_NULL, 0), MACH_MSG_SUCCESS);
  a = page_in(obj, 0, 8, seeds);  // the pager still serves, data intact
  CHECK(a.supplied == 8 * kPage && a.bad_pages == 0);
  printf("dp-client: bad requests refused, the pager still serves\n");
  terminate(obj);
  printf("dp-client: object A terminated\n");
}

// Object B: 512 pages in messages of 64 pages, read back 16 at a time.
// Object C then fills the rest of the disk: pages beyond it are lost and
// say so (data_error) instead of reading as zeros.
void many_pages(uint64_t disk_slots) {
  constexpr uint64_t kPages = 512;
  mach_port_t b = create(kPages * kPage);
  static uint64_t seeds[kPages];
  for (uint64_t p = 0; p < kPages; ++p) seeds[p] = 1000 + p / 64;
  for (uint64_t p = 0; p < kPages; p += 64) page_out(b, p, 64, 1000 + p / 64);
  for (uint64_t p = 0; p < kPages; p += 16) {
    Answer a = page_in(b, p, 16, seeds + p);
    CHECK(a.supplied == 16 * kPage && a.bad_pages == 0);
  }
  printf("dp-client: 512 pages returned and read back\n");

  uint64_t left = disk_slots - kPages, extra = 8;
  mach_port_t c = create((left + extra) * kPage);
  static uint64_t cseeds[4096];
  CHECK(left + extra <= 4096);
  for (uint64_t p = 0; p < left + extra; ++p) cseeds[p] = 3000 + p / 32;
  for (uint64_t p = 0; p < left + extra; p += 32) {
    uint64_t n = left + extra - p < 32 ? left + extra - p : 32;
    page_out(c, p, n, 3000 + p / 32);
  }
  Answer a = page_in(c, 0, 16, cseeds);
  CHECK(a.supplied == 16 * kPage && a.bad_pages == 0);
  a = page_in(c, left - 1, 1, cseeds + left - 1);  // the last that fit
  CHECK(a.supplied == kPage && a.bad_pages == 0);
  a = page_in(c, left, extra, cseeds + left);  // lost
  CHECK(a.errors == extra * kPage && a.last_error == KERN_MEMORY_ERROR);
  printf("dp-client: backing store exhausted after %lu more pages; the rest reported lost\n", (unsigned long)left);
  terminate(c);
  // C's slots are free again: D takes every one of them.
  mach_port_t d = create(left * kPage);
  for (uint64_t p = 0; p < left; ++p) cseeds[p] = 4000 + p / 32;
  for (uint64_t p = 0; p < left; p += 32) page_out(d, p, left - p < 32 ? left - p : 32, 4000 + p / 32);
  a = page_in(d, 0, 32, cseeds);
  CHECK(a.supplied == 32 * kPage && a.bad_pages == 0);
  a = page_in(d, left - 32, 32, cseeds + left - 32);
  CHECK(a.supplied == 32 * kPage && a.bad_pages == 0);
  terminate(d);
  printf("dp-client: the slots of C reused by D (%lu pages)\n", (unsigned long)left);
  for (uint64_t p = 0; p < kPages; p += 32) {  // B untouched meanwhile
    a = page_in(b, p, 32, seeds + p);
    CHECK(a.supplied == 32 * kPage && a.bad_pages == 0);
  }
  terminate(b);
  printf("dp-client: objects B, C and D terminated\n");
}

}  // namespace

// The control interface, served here as the kernel would. Every call is
// answered KERN_SUCCESS; what it brought is checked against g_answer.
kern_return_t memory_object_data_supply(mach_port_t, memory_object_offset_t offset, vm_offset_t data,
                                        mach_msg_type_number_t size, vm_prot_t lock_value, boolean_t precious) {
  CHECK(lock_value == VM_PROT_NONE && !precious);
  CHECK(offset % kPage == 0 && size % kPage == 0 && size > 0);
  uint64_t first = offset / kPage, base = g_answer.seed;
  CHECK(first >= base);
  const auto* w = reinterpret_cast<const uint64_t*>(data);
  for (uint64_t p = 0; p < size / kPage; ++p) {
    uint64_t seed = g_answer.seeds[first + p - base];
    for (uint64_t i = 0; i < kPage / 8; ++i)
      if (w[p * kPage / 8 + i] != word(seed, first + p, i)) {
        printf("dp-client: page %#lx word %lu is %#lx\n", (unsigned long)(first + p), (unsigned long)i,
               (unsigned long)w[p * kPage / 8 + i]);
        ++g_answer.bad_pages;
        break;
      }
  }
  g_answer.supplied += size;
  CHECK_KR(vm_deallocate(mach_task_self(), data, size), KERN_SUCCESS);
  return KERN_SUCCESS;
}

kern_return_t memory_object_data_unavailable(mach_port_t, memory_object_offset_t, vm_size_t size) {
  g_answer.unavailable += size;
  return KERN_SUCCESS;
}

kern_return_t memory_object_data_error(mach_port_t, memory_object_offset_t, vm_size_t size, kern_return_t error) {
  g_answer.errors += size;
  g_answer.last_error = error;
  return KERN_SUCCESS;
}

kern_return_t memory_object_lock_request(mach_port_t, memory_object_offset_t, vm_size_t, int, boolean_t, vm_prot_t,
                                         mach_port_t) {
  printf("dp-client: FAILED: the default pager sent lock_request\n");
  return KERN_FAILURE;
}

kern_return_t memory_object_ready(mach_port_t, boolean_t) {
  printf("dp-client: FAILED: the default pager sent ready\n");
  return KERN_FAILURE;
}

kern_return_t memory_object_get_attributes(mach_port_t, boolean_t*, uint64_t*, uint64_t*) {
  printf("dp-client: FAILED: the default pager sent get_attributes\n");
  return KERN_FAILURE;
}

kern_return_t memory_object_destroy(mach_port_t, kern_return_t) {
  printf("dp-client: FAILED: the default pager sent destroy\n");
  return KERN_FAILURE;
}

int main(int argc, char** argv) {
  uint64_t disk_slots = 0;
  for (const char* s = argc > 1 ? argv[1] : "1024"; *s >= '0' && *s <= '9'; ++s) disk_slots = disk_slots * 10 + uint64_t(*s - '0');
  g_pager = ns_lookup("default-pager");
  CHECK_KR(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &g_ctl), KERN_SUCCESS);
  CHECK_KR(mach_port_insert_right(mach_task_self(), g_ctl, g_ctl, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
  small_object();
  many_pages(disk_slots);
  // Every control send right the pager got (one per message) is gone once
  // ours goes too: a no-senders notification.
  mach_port_t notify, previous;
  CHECK_KR(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &notify), KERN_SUCCESS);
  CHECK_KR(mach_port_request_notification(mach_task_self(), g_ctl, MACH_NOTIFY_NO_SENDERS, 1, notify, &previous),
           KERN_SUCCESS);
  CHECK_KR(mach_port_deallocate(mach_task_self(), g_ctl), KERN_SUCCESS);
  SimpleMsg m{};
  CHECK_KR(mach_msg(&m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof m, notify, 5000), MACH_MSG_SUCCESS);
  CHECK(m.h.msgh_id == MACH_NOTIFY_NO_SENDERS);
  printf("dp-client: the pager holds no control rights any more\n");
  CHECK_KR(mach_port_deallocate(mach_task_self(), g_pager), KERN_SUCCESS);  // the pager may end now
  printf("dp-client: PASS\n");
  return 0;
}
