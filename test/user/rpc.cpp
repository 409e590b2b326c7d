// The kernel interface through messages: every routine of mach_port.defs,
// task.defs and thread.defs called with the generated user stubs (rpc_*)
// on this task's and thread's kernel ports, each result checked against
// the trap versions (libmach/mach_ipc.h); malformed requests answered with
// MIG_BAD_ID / MIG_BAD_ARGUMENTS; port and message counts back at their
// baseline. Roles (argv[1]; see test/qemu/cases.py):
//   calls           the battery above, then rpc_task_terminate on itself
//   victim          registers its task port as "victim" with ns and waits
//   killer          looks "victim" up, reads its task_info, ends it by message
#include <host_rpc.h>
#include <mach_port_rpc.h>
#include <task_rpc.h>
#include <thread_rpc.h>
#include <vm_rpc.h>

#include "ipc_util.h"

const char* g_role = "rpc";

namespace {

int g_checks = 0;

#define RPC_OK(expr)                 \
  do {                               \
    CHECK_KR(expr, KERN_SUCCESS);    \
    ++g_checks;                      \
  } while (0)
#define RPC_IS(expr, want)           \
  do {                               \
    CHECK_KR(expr, want);            \
    ++g_checks;                      \
  } while (0)

struct Stats {
  unsigned long ports, port_sets, kmsgs, ool_bytes;
};

Stats stats() {
  mach_ipc_statistics st{};
  CHECK_KR(mach_ipc_stats(&st), KERN_SUCCESS);
  return Stats{st.ports, st.port_sets, st.kmsgs, st.ool_bytes};
}

mach_port_type_t trap_type(mach_port_t name) {
  mach_port_type_t t = 0;
  CHECK_KR(mach_port_type(mach_task_self(), name, &t), KERN_SUCCESS);
  return t;
}

mach_port_urefs_t trap_refs(mach_port_t name, mach_port_right_t right) {
  mach_port_urefs_t r = 0;
  CHECK_KR(mach_port_get_refs(mach_task_self(), name, right, &r), KERN_SUCCESS);
  return r;
}

// A raw request to a kernel port; returns the reply's RetCode.
kern_return_t raw_request(mach_port_t dest, mach_msg_id_t id, void* body, mach_msg_size_t size, bool complex) {
  union {
    mach_msg_header_t h;
    uint8_t raw[256];
  } m{};
  memcpy(m.raw + sizeof(mach_msg_header_t), body, size - sizeof(mach_msg_header_t));
  m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE) |
                  (complex ? MACH_MSGH_BITS_COMPLEX : 0);
  m.h.msgh_remote_port = dest;
  m.h.msgh_local_port = mig_get_reply_port();
  m.h.msgh_id = id;
  CHECK_KR(mach_msg(&m.h, MACH_SEND_MSG | MACH_RCV_MSG, size, sizeof m, m.h.msgh_local_port, 0), MACH_MSG_SUCCESS);
  CHECK(m.h.msgh_id == id + 100);
  CHECK(m.h.msgh_size == sizeof(mig_reply_error_t));
  kern_return_t code;
  memcpy(&code, m.raw + sizeof(mach_msg_header_t), sizeof code);
  return code;
}

void port_calls(mach_port_t self) {
  // allocate / type / insert_right / refs.
  mach_port_t p = MACH_PORT_NULL;
  RPC_OK(rpc_mach_port_allocate(self, MACH_PORT_RIGHT_RECEIVE, &p));
  CHECK(trap_type(p) == MACH_PORT_TYPE_RECEIVE);
  mach_port_type_t t = 0;
  RPC_OK(rpc_mach_port_type(self, p, &t));
  CHECK(t == MACH_PORT_TYPE_RECEIVE);
  RPC_OK(rpc_mach_port_insert_right(self, p, p, MACH_MSG_TYPE_MAKE_SEND));
  CHECK(trap_type(p) == MACH_PORT_TYPE_SEND_RECEIVE);
  mach_port_urefs_t refs = 0;
  RPC_OK(rpc_mach_port_get_refs(self, p, MACH_PORT_RIGHT_SEND, &refs));
  CHECK(refs == 1);
  RPC_OK(rpc_mach_port_mod_refs(self, p, MACH_PORT_RIGHT_SEND, 2));
  CHECK(trap_refs(p, MACH_PORT_RIGHT_SEND) == 3);
  RPC_OK(rpc_mach_port_deallocate(self, p));
  CHECK(trap_refs(p, MACH_PORT_RIGHT_SEND) == 2);

  // extract_right: a send right comes back under the same name, a send-once
  // right under a new one.
  mach_port_t got = MACH_PORT_NULL;
  mach_msg_type_name_t got_type = 0;
  RPC_OK(rpc_mach_port_extract_right(self, p, MACH_MSG_TYPE_COPY_SEND, &got, &got_type));
  CHECK(got == p && got_type == MACH_MSG_TYPE_PORT_SEND);
  CHECK(trap_refs(p, MACH_PORT_RIGHT_SEND) == 3);
  RPC_OK(rpc_mach_port_extract_right(self, p, MACH_MSG_TYPE_MAKE_SEND_ONCE, &got, &got_type));
  CHECK(got != p && got_type == MACH_MSG_TYPE_PORT_SEND_ONCE);
  CHECK(trap_type(got) == MACH_PORT_TYPE_SEND_ONCE);
  RPC_OK(rpc_mach_port_deallocate(self, got));
  CHECK_KR(mach_port_type(self, got, &t), KERN_INVALID_NAME);
  // Errors come back as the traps give them.
  RPC_IS(rpc_mach_port_extract_right(self, 0x9999, MACH_MSG_TYPE_COPY_SEND, &got, &got_type), KERN_INVALID_NAME);
  RPC_IS(rpc_mach_port_insert_right(self, p, p, MACH_MSG_TYPE_MAKE_SEND_ONCE), KERN_NAME_EXISTS);
  RPC_IS(rpc_mach_port_type(self, 0x9999, &t), KERN_INVALID_NAME);
  RPC_IS(rpc_mach_port_allocate(self, 7, &got), KERN_INVALID_VALUE);
  RPC_IS(rpc_mach_port_mod_refs(self, p, MACH_PORT_RIGHT_RECEIVE, 2), KERN_INVALID_VALUE);

  // rename, allocate_name, destroy.
  const mach_port_t chosen = MACH_PORT_MAKE(60, 3), chosen2 = MACH_PORT_MAKE(61, 5);
  RPC_OK(rpc_mach_port_rename(self, p, chosen));
  CHECK_KR(mach_port_type(self, p, &t), KERN_INVALID_NAME);
  CHECK(trap_type(chosen) == MACH_PORT_TYPE_SEND_RECEIVE);
  p = chosen;
  RPC_OK(rpc_mach_port_allocate_name(self, MACH_PORT_RIGHT_DEAD_NAME, chosen2));
  CHECK(trap_type(chosen2) == MACH_PORT_TYPE_DEAD_NAME);
  RPC_IS(rpc_mach_port_allocate_name(self, MACH_PORT_RIGHT_RECEIVE, chosen2), KERN_NAME_EXISTS);
  RPC_OK(rpc_mach_port_destroy(self, chosen2));
  CHECK_KR(mach_port_type(self, chosen2, &t), KERN_INVALID_NAME);

  // Port sets and attributes.
  mach_port_t set = MACH_PORT_NULL;
  RPC_OK(rpc_mach_port_allocate(self, MACH_PORT_RIGHT_PORT_SET, &set));
  CHECK(trap_type(set) == MACH_PORT_TYPE_PORT_SET);
  RPC_OK(rpc_mach_port_move_member(self, p, set));
  int32_t info[MACH_PORT_INFO_MAX] = {};
  mach_msg_type_number_t count = MACH_PORT_INFO_MAX;
  RPC_OK(rpc_mach_port_get_attributes(self, p, MACH_PORT_RECEIVE_STATUS, info, &count));
  mach_port_status_t status;
  CHECK(count == sizeof status / 4);
  memcpy(&status, info, sizeof status);
  CHECK(status.mps_pset == set && status.mps_qlimit == MACH_PORT_QLIMIT_DEFAULT);
  RPC_OK(rpc_mach_port_move_member(self, p, MACH_PORT_NULL));
  CHECK_KR(mach_port_move_member(self, p, MACH_PORT_NULL), KERN_NOT_IN_SET);
  RPC_IS(rpc_mach_port_move_member(self, p, MACH_PORT_NULL), KERN_NOT_IN_SET);
  int32_t limits[1] = {3};
  RPC_OK(rpc_mach_port_set_attributes(self, p, MACH_PORT_LIMITS_INFO, limits, 1));
  uint32_t trap_info[MACH_PORT_INFO_MAX];
  unsigned trap_count = MACH_PORT_INFO_MAX;
  CHECK_KR(mach_port_get_attributes(self, p, MACH_PORT_LIMITS_INFO, trap_info, &trap_count), KERN_SUCCESS);
  CHECK(trap_count == 1 && trap_info[0] == 3);
  count = MACH_PORT_INFO_MAX;
  RPC_OK(rpc_mach_port_get_attributes(self, p, MACH_PORT_LIMITS_INFO, info, &count));
  CHECK(count == 1 && info[0] == 3);
  limits[0] = MACH_PORT_QLIMIT_MAX + 1;
  RPC_IS(rpc_mach_port_set_attributes(self, p, MACH_PORT_LIMITS_INFO, limits, 1), KERN_INVALID_VALUE);
  RPC_IS(rpc_mach_port_get_attributes(self, p, 99, info, &count), KERN_INVALID_VALUE);
  RPC_OK(rpc_mach_port_destroy(self, set));

  // names: the same list as the trap's.
  mach_port_name_array_t names = nullptr;
  mach_port_type_array_t types = nullptr;
  mach_msg_type_number_t ncount = 0, tcount = 0;
  RPC_OK(rpc_mach_port_names(self, &names, &ncount, &types, &tcount));
  CHECK(ncount == tcount && ncount > 0);
  mach_port_t tnames[64];
  mach_port_type_t ttypes[64];
  unsigned total = 0;
  CHECK_KR(mach_port_names(self, tnames, ttypes, 64, &total), KERN_SUCCESS);
  CHECK(total == ncount);
  bool found = false;
  for (unsigned i = 0; i < total; i++) {
    CHECK(names[i] == tnames[i] && types[i] == ttypes[i]);
    found |= names[i] == p && types[i] == MACH_PORT_TYPE_SEND_RECEIVE;
  }
  CHECK(found);
  CHECK_KR(vm_deallocate(self, reinterpret_cast<unsigned long>(names), ncount * 4), KERN_SUCCESS);
  CHECK_KR(vm_deallocate(self, reinterpret_cast<unsigned long>(types), tcount * 4), KERN_SUCCESS);

  // request_notification: no-senders on p, to a port of ours.
  mach_port_t notify = MACH_PORT_NULL, previous = 0x1234;
  CHECK_KR(mach_port_allocate(self, MACH_PORT_RIGHT_RECEIVE, &notify), KERN_SUCCESS);
  RPC_OK(rpc_mach_port_request_notification(self, p, MACH_NOTIFY_NO_SENDERS, 0, notify, &previous));
  CHECK(previous == MACH_PORT_NULL);
  RPC_IS(rpc_mach_port_request_notification(self, 0x9999, MACH_NOTIFY_NO_SENDERS, 0, notify, &previous),
         KERN_INVALID_NAME);
  RPC_IS(rpc_mach_port_request_notification(self, p, 12345, 0, notify, &previous), KERN_INVALID_VALUE);
  CHECK_KR(mach_port_mod_refs(self, p, MACH_PORT_RIGHT_SEND, -3), KERN_SUCCESS);  // the last send rights go
  struct {
    mach_msg_header_t h;
    uint8_t body[64];
  } n{};
  // The refused requests' send-once rights were released (send-once
  // notifications, as when a MIG server destroys a request); then no-senders.
  do {
    CHECK_KR(mach_msg(&n.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof n, notify, 1000), MACH_MSG_SUCCESS);
    CHECK(n.h.msgh_id == MACH_NOTIFY_NO_SENDERS || n.h.msgh_id == MACH_NOTIFY_SEND_ONCE);
  } while (n.h.msgh_id != MACH_NOTIFY_NO_SENDERS);
  ++g_checks;
  CHECK_KR(mach_port_destroy(self, notify), KERN_SUCCESS);
  RPC_OK(rpc_mach_port_destroy(self, p));
  printf("rpc: mach_port calls by message agree with the traps\n");
}

void task_thread_calls(mach_port_t self) {
  // Special ports: RPC and trap agree.
  mach_port_t a = MACH_PORT_NULL, b = MACH_PORT_NULL;
  RPC_OK(rpc_task_get_special_port(self, TASK_KERNEL_PORT, &a));
  CHECK(a == self);
  CHECK_KR(mach_port_deallocate(self, a), KERN_SUCCESS);  // the extra reference it brought
  RPC_OK(rpc_task_get_special_port(self, TASK_BOOTSTRAP_PORT, &a));
  CHECK_KR(task_get_special_port(self, TASK_BOOTSTRAP_PORT, &b), KERN_SUCCESS);
  CHECK(a == b);
  if (MACH_PORT_VALID(a)) {
    CHECK_KR(mach_port_deallocate(self, a), KERN_SUCCESS);
    CHECK_KR(mach_port_deallocate(self, b), KERN_SUCCESS);
  }
  mach_port_t exc = MACH_PORT_NULL;
  CHECK_KR(mach_port_allocate(self, MACH_PORT_RIGHT_RECEIVE, &exc), KERN_SUCCESS);
  CHECK_KR(mach_port_insert_right(self, exc, exc, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
  RPC_OK(rpc_task_set_special_port(self, TASK_EXCEPTION_PORT, exc));
  CHECK_KR(task_get_special_port(self, TASK_EXCEPTION_PORT, &b), KERN_SUCCESS);
  CHECK(b == exc);
  CHECK_KR(mach_port_deallocate(self, b), KERN_SUCCESS);
  RPC_OK(rpc_task_get_special_port(self, TASK_EXCEPTION_PORT, &a));
  CHECK(a == exc && trap_refs(exc, MACH_PORT_RIGHT_SEND) == 2);
  CHECK_KR(mach_port_deallocate(self, a), KERN_SUCCESS);
  RPC_OK(rpc_task_set_special_port(self, TASK_EXCEPTION_PORT, MACH_PORT_NULL));
  CHECK_KR(task_get_special_port(self, TASK_EXCEPTION_PORT, &b), KERN_SUCCESS);
  CHECK(b == MACH_PORT_NULL);
  RPC_IS(rpc_task_set_special_port(self, TASK_KERNEL_PORT, exc), KERN_INVALID_ARGUMENT);
  RPC_IS(rpc_task_get_special_port(self, 77, &a), KERN_INVALID_ARGUMENT);

  mach_port_t thread = mach_thread_self();
  RPC_OK(rpc_thread_get_special_port(thread, THREAD_KERNEL_PORT, &a));
  CHECK(a == thread);
  CHECK_KR(mach_port_deallocate(self, a), KERN_SUCCESS);
  RPC_OK(rpc_thread_set_special_port(thread, THREAD_EXCEPTION_PORT, exc));
  CHECK_KR(thread_get_special_port(thread, THREAD_EXCEPTION_PORT, &b), KERN_SUCCESS);
  CHECK(b == exc);
  CHECK_KR(mach_port_deallocate(self, b), KERN_SUCCESS);
  RPC_OK(rpc_thread_get_special_port(thread, THREAD_EXCEPTION_PORT, &a));
  CHECK(a == exc);
  CHECK_KR(mach_port_deallocate(self, a), KERN_SUCCESS);
  RPC_OK(rpc_thread_set_special_port(thread, THREAD_EXCEPTION_PORT, MACH_PORT_NULL));
  CHECK_KR(thread_get_special_port(thread, THREAD_EXCEPTION_PORT, &b), KERN_SUCCESS);
  CHECK(b == MACH_PORT_NULL);
  RPC_IS(rpc_thread_set_special_port(thread, THREAD_KERNEL_PORT, exc), KERN_INVALID_ARGUMENT);
  CHECK_KR(mach_port_destroy(self, exc), KERN_SUCCESS);

  // task_info.
  int32_t info[TASK_INFO_MAX];
  mach_msg_type_number_t count = TASK_INFO_MAX;
  RPC_OK(rpc_task_info(self, TASK_BASIC_INFO, info, &count));
  CHECK(count == TASK_BASIC_INFO_COUNT);
  task_basic_info_data_t basic;
  memcpy(&basic, info, sizeof basic);
  mach_port_t tnames[64];
  mach_port_type_t ttypes[64];
  unsigned total = 0;
  CHECK_KR(mach_port_names(self, tnames, ttypes, 64, &total), KERN_SUCCESS);
  CHECK(basic.thread_count == 1 && basic.port_names == total && basic.task_id > 0);
  RPC_IS(rpc_task_info(self, 12345, info, &count), KERN_INVALID_ARGUMENT);

  // The wrong kind of kernel port: the intran finds no task (no thread).
  mach_port_t p;
  RPC_IS(rpc_mach_port_allocate(thread, MACH_PORT_RIGHT_RECEIVE, &p), KERN_INVALID_TASK);
  RPC_IS(rpc_task_info(thread, TASK_BASIC_INFO, info, &count), KERN_INVALID_ARGUMENT);
  RPC_IS(rpc_thread_get_special_port(self, THREAD_KERNEL_PORT, &a), KERN_INVALID_ARGUMENT);
  CHECK_KR(mach_port_deallocate(self, thread), KERN_SUCCESS);
  printf("rpc: task and thread calls by message agree with the traps\n");
}

// host.defs on the host port (host_self trap).
void host_calls(mach_port_t self) {
  mach_port_t host = mach_host_self();
  CHECK(MACH_PORT_VALID(host) && (trap_type(host) & MACH_PORT_TYPE_SEND));
  CHECK(mach_host_self() == host);  // the same name, one more reference
  CHECK_KR(mach_port_deallocate(self, host), KERN_SUCCESS);
  int32_t info[HOST_INFO_MAX];
  mach_msg_type_number_t count = HOST_INFO_MAX;
  RPC_OK(rpc_host_info(host, HOST_BASIC_INFO, info, &count));
  CHECK(count == HOST_BASIC_INFO_COUNT && count == 12);
  host_basic_info_data_t basic;
  memcpy(&basic, info, sizeof basic);
  CHECK(basic.max_cpus == 1 && basic.avail_cpus == 1 && basic.cpu_type == CPU_TYPE_X86_64);
  CHECK(basic.max_mem >= (16ul << 20) && basic.memory_size > 0 && basic.memory_size <= basic.max_mem);
  RPC_IS(rpc_host_info(host, 12345, info, &count), KERN_INVALID_ARGUMENT);
  RPC_IS(rpc_host_info(self, HOST_BASIC_INFO, info, &count), KERN_INVALID_ARGUMENT);  // a task port
  char version[256] = {};
  RPC_OK(rpc_host_kernel_version(host, version));
  CHECK(strncmp(version, "machina", 7) == 0);
  uint8_t none[4] = {};
  RPC_IS(raw_request(host, 202, none, sizeof(mach_msg_header_t), false), MIG_BAD_ID);  // skipped
  printf("rpc: host_info: %d cpu, %lu MiB; version \"%s\"\n", basic.max_cpus, (unsigned long)(basic.max_mem >> 20),
         version);
  CHECK_KR(mach_port_deallocate(self, host), KERN_SUCCESS);
}

// vm_deallocate by message frees a received out-of-line region.
void vm_calls(mach_port_t self) {
  mach_port_t port;
  CHECK_KR(mach_port_allocate(self, MACH_PORT_RIGHT_RECEIVE, &port), KERN_SUCCESS);
  static uint8_t page[4096];
  for (int i = 0; i < 4096; ++i) page[i] = uint8_t(i * 7);
  struct {
    mach_msg_header_t h;
    mach_msg_body_t body;
    mach_msg_ool_descriptor_t ool;
    uint8_t room[64];
  } m{};
  m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
  m.h.msgh_remote_port = port;
  m.h.msgh_id = 1;
  m.body.msgh_descriptor_count = 1;
  m.ool = {reinterpret_cast<uint64_t>(page), sizeof page, 0, MACH_MSG_PHYSICAL_COPY, 0, MACH_MSG_OOL_DESCRIPTOR};
  CHECK_KR(mach_msg(&m.h, MACH_SEND_MSG | MACH_RCV_MSG, 28 + 16, sizeof m, port, 0), MACH_MSG_SUCCESS);
  auto* got = reinterpret_cast<const uint8_t*>(m.ool.address);
  CHECK(got && m.ool.size == sizeof page && got != page && got[100] == uint8_t(700) && got[4095] == page[4095]);
  RPC_OK(rpc_vm_deallocate(self, m.ool.address, m.ool.size));
  mach_port_t host = mach_host_self();
  RPC_IS(rpc_vm_deallocate(host, m.ool.address, m.ool.size), KERN_INVALID_ARGUMENT);  // not a task port
  CHECK_KR(mach_port_deallocate(self, host), KERN_SUCCESS);
  uint8_t none[4] = {};
  RPC_IS(raw_request(self, 4806, none, sizeof(mach_msg_header_t), false), MIG_BAD_ID);  // vm_read_list: skipped
  RPC_IS(raw_request(self, 4801, none, sizeof(mach_msg_header_t), false), MIG_BAD_ARGUMENTS);  // vm_allocate, short
  CHECK_KR(mach_port_mod_refs(self, port, MACH_PORT_RIGHT_RECEIVE, -1), KERN_SUCCESS);
  printf("rpc: vm_deallocate by message freed a received out-of-line region\n");
}

void malformed(mach_port_t self) {
  uint8_t body[128] = {};
  // Ids no subsystem serves (a skipped slot, beyond the ranges).
  RPC_IS(raw_request(self, 3209, body, sizeof(mach_msg_header_t), false), MIG_BAD_ID);
  RPC_IS(raw_request(self, 3402, body, sizeof(mach_msg_header_t), false), MIG_BAD_ID);
  RPC_IS(raw_request(self, 9999, body, sizeof(mach_msg_header_t), false), MIG_BAD_ID);
  // mach_port_type (3201) takes one name: too short, too long.
  RPC_IS(raw_request(self, 3201, body, sizeof(mach_msg_header_t), false), MIG_BAD_ARGUMENTS);
  RPC_IS(raw_request(self, 3201, body, sizeof(mach_msg_header_t) + 12, false), MIG_BAD_ARGUMENTS);
  // A port right where none belongs: refused, and the right released.
  mach_port_t extra;
  CHECK_KR(mach_port_allocate(self, MACH_PORT_RIGHT_RECEIVE, &extra), KERN_SUCCESS);
  struct {
    mach_msg_body_t body;
    mach_msg_port_descriptor_t port;
    uint32_t name;
  } __attribute__((packed)) withport{};
  withport.body.msgh_descriptor_count = 1;
  withport.port.name = extra;
  withport.port.disposition = MACH_MSG_TYPE_MAKE_SEND;
  withport.port.type = MACH_MSG_PORT_DESCRIPTOR;
  withport.name = extra;
  memcpy(body, &withport, sizeof withport);
  RPC_IS(raw_request(self, 3201, body, sizeof(mach_msg_header_t) + sizeof withport, true), MIG_BAD_ARGUMENTS);
  CHECK(trap_type(extra) == MACH_PORT_TYPE_RECEIVE);  // the send right made for the request is gone
  // insert_right (3214) carrying a send-once right under a taken name:
  // the routine fails and the right is released (counts below).
  withport.port.disposition = MACH_MSG_TYPE_MAKE_SEND_ONCE;
  memcpy(body, &withport, sizeof withport);
  RPC_IS(raw_request(self, 3214, body, sizeof(mach_msg_header_t) + sizeof withport, true), KERN_NAME_EXISTS);
  // Out-of-line data to a kernel port: refused before anything is mapped.
  struct {
    mach_msg_body_t body;
    mach_msg_ool_descriptor_t ool;
  } __attribute__((packed)) withool{};
  withool.body.msgh_descriptor_count = 1;
  withool.ool.address = reinterpret_cast<uint64_t>(body + 64);
  withool.ool.size = 16;
  withool.ool.copy = MACH_MSG_PHYSICAL_COPY;
  withool.ool.type = MACH_MSG_OOL_DESCRIPTOR;
  memcpy(body, &withool, sizeof withool);
  RPC_IS(raw_request(self, 3200, body, sizeof(mach_msg_header_t) + sizeof withool, true), MIG_BAD_ARGUMENTS);
  CHECK_KR(mach_port_destroy(self, extra), KERN_SUCCESS);
  printf("rpc: malformed requests refused with MIG_BAD_ID / MIG_BAD_ARGUMENTS\n");
}

int role_calls() {
  mach_port_t self = mach_task_self();
  (void)mig_get_reply_port();  // made before the baseline: it stays
  Stats before = stats();
  port_calls(self);
  task_thread_calls(self);
  host_calls(self);
  vm_calls(self);
  malformed(self);
  Stats after = stats();
  printf("rpc: ports %lu->%lu, sets %lu->%lu, messages %lu->%lu, out-of-line bytes %lu->%lu\n", before.ports,
         after.ports, before.port_sets, after.port_sets, before.kmsgs, after.kmsgs, before.ool_bytes, after.ool_bytes);
  CHECK(after.ports == before.ports && after.port_sets == before.port_sets && after.kmsgs == before.kmsgs &&
        after.ool_bytes == before.ool_bytes);
  printf("rpc: all %d calls by message passed, counts back at baseline\n", g_checks);
  // The last call: this task ends by message (the reply comes first).
  kern_return_t kr = rpc_task_terminate(self);
  printf("rpc: FAILED: still running after rpc_task_terminate (%#x)\n", kr);
  return 1;
}

int role_victim() {
  ns_register("victim", mach_task_self(), MACH_MSG_TYPE_COPY_SEND);
  mach_port_t never;
  CHECK_KR(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &never), KERN_SUCCESS);
  printf("victim: waiting\n");
  SimpleMsg m{};
  (void)mach_msg(&m.h, MACH_RCV_MSG, 0, sizeof m, never, 0);
  printf("victim: FAILED: woke up\n");
  return 1;
}

int role_killer() {
  mach_port_t victim = ns_lookup("victim");
  int32_t info[TASK_INFO_MAX];
  mach_msg_type_number_t count = TASK_INFO_MAX;
  CHECK_KR(rpc_task_info(victim, TASK_BASIC_INFO, info, &count), KERN_SUCCESS);
  task_basic_info_data_t basic;
  memcpy(&basic, info, sizeof basic);
  printf("killer: victim is task %u with %u thread(s)\n", basic.task_id, basic.thread_count);
  CHECK_KR(rpc_task_terminate(victim), KERN_SUCCESS);
  CHECK(trap_type(victim) == MACH_PORT_TYPE_DEAD_NAME);
  CHECK_KR(rpc_task_info(victim, TASK_BASIC_INFO, info, &count), MACH_SEND_INVALID_DEST);
  printf("killer: victim ended by task_terminate message; its port is a dead name\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    printf("rpc: no role\n");
    return 2;
  }
  g_role = argv[1];
  if (!strcmp(argv[1], "calls")) return role_calls();
  if (!strcmp(argv[1], "victim")) return role_victim();
  if (!strcmp(argv[1], "killer")) return role_killer();
  printf("rpc: unknown role %s\n", argv[1]);
  return 2;
}
