// IPC test roles, one per task (argv[1] picks it; see test/qemu/cases.py):
// a name server, an echo RPC pair with a relay, a moved receive right,
// dead-name and no-senders notifications, a port set, and a battery of
// malformed messages with leak counts.
#include "ipc_util.h"
#include "ns_supervise.h"

const char* g_role = "ipc";

namespace {

long arg_num(int argc, char** argv, int i, long dflt) {
  if (i >= argc) return dflt;
  long v = 0;
  for (const char* p = argv[i]; *p; ++p) v = v * 10 + (*p - '0');
  return v;
}

// ns N [supervise=NAME:INDEX,...]: serve N requests on the bootstrap port,
// then exit. A lookup for a name not registered yet waits for its
// registration. When the kernel gave this task the I/O master port
// (IO_MASTER_PORT=<name> in the environment), every lookup of "io-master"
// gets a copy of it at once (drivers' tests), and supervised names are kept
// and their modules started again when they die (ns_supervise.h; the
// notifications do not count as requests).
int role_ns(long n, mach_port_t io_master, ns::Supervised* sup, int nsup) {
  struct Entry {
    char name[32];
    mach_port_t port;      // registered right (send), or pending reply (send-once)
    bool pending_lookup;
  } table[32] = {};
  int used = 0;
  mach_port_t bp = bootstrap_port();
  union {
    PortMsg pm;
    mach_dead_name_notification_t dn;
    uint8_t raw[256];
  } buf;
  for (long served = 0; served < n;) {
    CHECK_KR(mach_msg(&buf.pm.h, MACH_RCV_MSG, 0, sizeof buf, bp, 0), MACH_MSG_SUCCESS);
    if (buf.pm.h.msgh_id == MACH_NOTIFY_DEAD_NAME && nsup) {
      ns::died(sup, nsup, buf.dn.not_port, io_master);
      continue;
    }
    ++served;
    char name[32] = {};
    mach_port_t right = MACH_PORT_NULL;
    bool lookup = buf.pm.h.msgh_id == kNsLookup;
    if (lookup) {
      memcpy(name, buf.raw + sizeof(mach_msg_header_t), 31);
      right = buf.pm.h.msgh_remote_port;  // the reply send-once right
    } else {
      CHECK(buf.pm.h.msgh_id == kNsRegister);
      memcpy(name, buf.pm.name, 31);
      right = buf.pm.port.name;
    }
    if (lookup && MACH_PORT_VALID(io_master) && strcmp(name, "io-master") == 0) {
      ns::answer(right, io_master, MACH_MSG_TYPE_COPY_SEND);
      continue;
    }
    if (ns::Supervised* s = ns::find(sup, nsup, name)) {
      if (lookup && MACH_PORT_VALID(s->port)) {
        ns::answer(right, s->port, MACH_MSG_TYPE_COPY_SEND);
        continue;
      }
      if (!lookup) {
        if (ns::registered(*s, right, bp))
          for (int i = 0; i < used; ++i)  // the lookups that waited
            if (table[i].port != MACH_PORT_NULL && table[i].pending_lookup && !strcmp(table[i].name, name)) {
              ns::answer(table[i].port, s->port, MACH_MSG_TYPE_COPY_SEND);
              table[i].port = MACH_PORT_NULL;
            }
        continue;
      }
    }
    // A matching entry of the other kind completes a pair.
    int match = -1;
    for (int i = 0; i < used; ++i)
      if (table[i].port != MACH_PORT_NULL && table[i].pending_lookup != lookup && strcmp(table[i].name, name) == 0) {
        match = i;
        break;
      }
    if (match < 0) {
      CHECK(used < 32);
      memcpy(table[used].name, name, 32);
      table[used].port = right;
      table[used].pending_lookup = lookup;
      ++used;
      continue;
    }
    mach_port_t reply = lookup ? right : table[match].port;
    mach_port_t given = lookup ? table[match].port : right;
    table[match].port = MACH_PORT_NULL;
    ns::answer(reply, given, MACH_MSG_TYPE_MOVE_SEND);  // handed out once: the server keeps nothing
  }
  printf("ns: served %ld requests\n", n);
  return 0;
}

mach_port_t new_receive_right() {
  mach_port_t p;
  CHECK_KR(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p), KERN_SUCCESS);
  return p;
}

// echo-server NAME K: answer K requests (data doubled) with reply-and-receive.
int role_echo_server(const char* name, long k) {
  mach_port_t port = new_receive_right();
  ns_register(name, port, MACH_MSG_TYPE_MAKE_SEND);
  SimpleMsg m{};
  CHECK_KR(mach_msg(&m.h, MACH_RCV_MSG, 0, sizeof m, port, 0), MACH_MSG_SUCCESS);
  for (long i = 0; i < k; ++i) {
    CHECK(m.h.msgh_local_port == port);
    CHECK(MACH_MSGH_BITS_REMOTE(m.h.msgh_bits) == MACH_MSG_TYPE_PORT_SEND_ONCE);
    m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0);
    m.h.msgh_local_port = MACH_PORT_NULL;
    m.h.msgh_id += 100;
    for (auto& d : m.data) d *= 2;
    mach_msg_option_t opt = i + 1 < k ? MACH_SEND_MSG | MACH_RCV_MSG : MACH_SEND_MSG;
    CHECK_KR(mach_msg(&m.h, opt, sizeof m, sizeof m, port, 0), MACH_MSG_SUCCESS);
  }
  printf("%s: served %ld requests\n", g_role, k);
  return 0;
}

uint64_t median(uint64_t* v, long n) {
  for (long i = 1; i < n; ++i)
    for (long j = i; j > 0 && v[j - 1] > v[j]; --j) {
      uint64_t t = v[j];
      v[j] = v[j - 1];
      v[j - 1] = t;
    }
  return v[n / 2];
}

// echo-client NAME K [bench]: K round trips through the named server.
int role_echo_client(const char* name, long k, bool bench) {
  mach_port_t server = ns_lookup(name);
  mach_port_t reply = mig_get_reply_port();
  static uint64_t samples[4096];
  long warmup = bench ? k / 4 : 0;
  for (long i = 0; i < k; ++i) {
    SimpleMsg m{};
    m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
    m.h.msgh_remote_port = server;
    m.h.msgh_local_port = reply;
    m.h.msgh_id = 500;
    for (int d = 0; d < 8; ++d) m.data[d] = uint32_t(i + d);
    uint64_t t0 = rdtsc();
    mach_msg_return_t mr = mach_msg(&m.h, MACH_SEND_MSG | MACH_RCV_MSG, sizeof m, sizeof m, reply, 0);
    uint64_t t1 = rdtsc();
    CHECK_KR(mr, MACH_MSG_SUCCESS);
    CHECK(m.h.msgh_id == 600);
    CHECK(m.h.msgh_local_port == reply);
    for (int d = 0; d < 8; ++d) CHECK(m.data[d] == uint32_t(2 * (i + d)));
    if (i >= warmup && i - warmup < 4096) samples[i - warmup] = t1 - t0;
  }
  printf("%s: %ld round trips through %s ok\n", g_role, k, name);
  if (bench) {
    // The trap alone: mach_msg with nothing to do.
    static uint64_t trap_samples[1024];
    for (int i = 0; i < 1024; ++i) {
      uint64_t t0 = rdtsc();
      (void)mach_msg(nullptr, 0, 0, 0, MACH_PORT_NULL, 0);
      trap_samples[i] = rdtsc() - t0;
    }
    printf("BENCH name=null_trap system=this instructions=%lu iterations=1024\n", median(trap_samples, 1024));
    long n = k - warmup < 4096 ? k - warmup : 4096;
    printf("BENCH name=null_rpc_two_tasks system=this instructions=%lu iterations=%ld\n", median(samples, n), n);
  }
  return 0;
}

// relay FROM TO: pass the send right registered as FROM on under TO.
int role_relay(const char* from, const char* to) {
  mach_port_t right = ns_lookup(from);
  mach_port_type_t type;
  CHECK_KR(mach_port_type(mach_task_self(), right, &type), KERN_SUCCESS);
  CHECK(type == MACH_PORT_TYPE_SEND);
  ns_register(to, right, MACH_MSG_TYPE_MOVE_SEND);
  CHECK_KR(mach_port_type(mach_task_self(), right, &type), KERN_INVALID_NAME);  // moved away
  printf("relay: passed %s on as %s\n", from, to);
  return 0;
}

// mover: makes a port, keeps a send right, moves the receive right to the
// catcher, then sends on it. catcher: receives the right, then the message.
int role_mover() {
  mach_port_t port = new_receive_right();
  CHECK_KR(mach_port_insert_right(mach_task_self(), port, port, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
  mach_port_t catcher = ns_lookup("catcher");
  PortMsg m{};
  m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
  m.h.msgh_remote_port = catcher;
  m.h.msgh_id = 77;
  m.body.msgh_descriptor_count = 1;
  m.port.name = port;
  m.port.disposition = MACH_MSG_TYPE_MOVE_RECEIVE;
  m.port.type = MACH_MSG_PORT_DESCRIPTOR;
  CHECK_KR(mach_msg(&m.h, MACH_SEND_MSG, sizeof m, 0, MACH_PORT_NULL, 0), MACH_MSG_SUCCESS);
  mach_port_type_t type;
  CHECK_KR(mach_port_type(mach_task_self(), port, &type), KERN_SUCCESS);
  CHECK(type == MACH_PORT_TYPE_SEND);  // the receive right is gone, the send right stays
  SimpleMsg s{};
  s.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
  s.h.msgh_remote_port = port;
  s.h.msgh_id = 78;
  s.data[0] = 0xfeed;
  CHECK_KR(mach_msg(&s.h, MACH_SEND_MSG, sizeof s, 0, MACH_PORT_NULL, 0), MACH_MSG_SUCCESS);
  SimpleMsg none{};
  CHECK_KR(mach_msg(&none.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof none, port, 0), MACH_RCV_INVALID_NAME);
  printf("mover: receive right moved away\n");
  return 0;
}

int role_catcher() {
  mach_port_t mine = new_receive_right();
  ns_register("catcher", mine, MACH_MSG_TYPE_MAKE_SEND);
  PortMsg m{};
  CHECK_KR(mach_msg(&m.h, MACH_RCV_MSG, 0, sizeof m, mine, 0), MACH_MSG_SUCCESS);
  CHECK(m.h.msgh_id == 77);
  CHECK(m.port.disposition == MACH_MSG_TYPE_PORT_RECEIVE);
  mach_port_t got = m.port.name;
  mach_port_type_t type;
  CHECK_KR(mach_port_type(mach_task_self(), got, &type), KERN_SUCCESS);
  CHECK(type & MACH_PORT_TYPE_RECEIVE);
  SimpleMsg s{};
  CHECK_KR(mach_msg(&s.h, MACH_RCV_MSG, 0, sizeof s, got, 0), MACH_MSG_SUCCESS);
  CHECK(s.h.msgh_id == 78 && s.data[0] == 0xfeed && s.h.msgh_local_port == got);
  printf("catcher: received on the moved receive right\n");
  return 0;
}

// dying-server: registers, answers nothing, exits after one message.
int role_dying_server() {
  mach_port_t port = new_receive_right();
  ns_register("dying", port, MACH_MSG_TYPE_MAKE_SEND);
  SimpleMsg m{};
  CHECK_KR(mach_msg(&m.h, MACH_RCV_MSG, 0, sizeof m, port, 0), MACH_MSG_SUCCESS);
  printf("dying-server: exiting\n");
  return 0;
}

// dn-client: dead-name notification when the server dies.
int role_dn_client() {
  mach_port_t server = ns_lookup("dying");
  mach_port_urefs_t refs0 = 0;
  CHECK_KR(mach_port_get_refs(mach_task_self(), server, MACH_PORT_RIGHT_SEND, &refs0), KERN_SUCCESS);
  CHECK(refs0 == 1);
  mach_port_t notify = new_receive_right();
  mach_port_t previous = 1;
  CHECK_KR(mach_port_request_notification(mach_task_self(), server, MACH_NOTIFY_DEAD_NAME, 0, notify, &previous),
           KERN_SUCCESS);
  CHECK(previous == MACH_PORT_NULL);
  mach_port_type_t type;
  CHECK_KR(mach_port_type(mach_task_self(), server, &type), KERN_SUCCESS);
  CHECK(type == (MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_DNREQUEST));
  SimpleMsg m{};
  m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
  m.h.msgh_remote_port = server;
  m.h.msgh_id = 1;
  CHECK_KR(mach_msg(&m.h, MACH_SEND_MSG, sizeof m, 0, MACH_PORT_NULL, 0), MACH_MSG_SUCCESS);
  mach_dead_name_notification_t n{};
  CHECK_KR(mach_msg(&n.not_header, MACH_RCV_MSG, 0, sizeof n, notify, 0), MACH_MSG_SUCCESS);
  CHECK(n.not_header.msgh_id == MACH_NOTIFY_DEAD_NAME);
  CHECK(n.not_port == server);
  CHECK_KR(mach_port_type(mach_task_self(), server, &type), KERN_SUCCESS);
  CHECK(type == MACH_PORT_TYPE_DEAD_NAME);
  m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
  m.h.msgh_remote_port = server;
  CHECK_KR(mach_msg(&m.h, MACH_SEND_MSG, sizeof m, 0, MACH_PORT_NULL, 0), MACH_SEND_INVALID_DEST);
  // Mach: the notification brings one more user reference for the name.
  mach_port_urefs_t refs = 0;
  CHECK_KR(mach_port_get_refs(mach_task_self(), server, MACH_PORT_RIGHT_DEAD_NAME, &refs), KERN_SUCCESS);
  CHECK(refs == 2);
  CHECK_KR(mach_port_deallocate(mach_task_self(), server), KERN_SUCCESS);
  CHECK_KR(mach_port_deallocate(mach_task_self(), server), KERN_SUCCESS);
  CHECK_KR(mach_port_type(mach_task_self(), server, &type), KERN_INVALID_NAME);
  printf("dn-client: dead-name notification for name %#x\n", server);
  return 0;
}

// nosenders-server: learns when its last client's send right goes.
int role_nosenders_server() {
  mach_port_t port = new_receive_right();
  mach_port_t notify = new_receive_right();
  mach_port_t previous;
  ns_register("nosenders", port, MACH_MSG_TYPE_MAKE_SEND);
  CHECK_KR(mach_port_request_notification(mach_task_self(), port, MACH_NOTIFY_NO_SENDERS, 1, notify, &previous),
           KERN_SUCCESS);
  mach_no_senders_notification_t n{};
  CHECK_KR(mach_msg(&n.not_header, MACH_RCV_MSG, 0, sizeof n, notify, 0), MACH_MSG_SUCCESS);
  CHECK(n.not_header.msgh_id == MACH_NOTIFY_NO_SENDERS);
  CHECK(n.not_count == 1);
  printf("nosenders-server: no more senders (mscount %u)\n", n.not_count);
  return 0;
}

int role_nosenders_client() {
  mach_port_t server = ns_lookup("nosenders");
  printf("nosenders-client: holding the only send right, now exiting\n");
  (void)server;
  return 0;
}

// pset-server N: three ports in one set, N messages on each.
int role_pset_server(long n) {
  mach_port_t set;
  CHECK_KR(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_PORT_SET, &set), KERN_SUCCESS);
  mach_port_t ports[3];
  const char* names[3] = {"pset0", "pset1", "pset2"};
  for (int i = 0; i < 3; ++i) {
    ports[i] = new_receive_right();
    CHECK_KR(mach_port_move_member(mach_task_self(), ports[i], set), KERN_SUCCESS);
    ns_register(names[i], ports[i], MACH_MSG_TYPE_MAKE_SEND);
  }
  SimpleMsg m{};
  CHECK_KR(mach_msg(&m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof m, ports[0], 0), MACH_RCV_IN_SET);
  long count[3] = {};
  for (long i = 0; i < 3 * n; ++i) {
    CHECK_KR(mach_msg(&m.h, MACH_RCV_MSG, 0, sizeof m, set, 0), MACH_MSG_SUCCESS);
    int which = -1;
    for (int p = 0; p < 3; ++p)
      if (m.h.msgh_local_port == ports[p]) which = p;
    CHECK(which >= 0 && m.data[0] == uint32_t(which));
    count[which]++;
  }
  CHECK(count[0] == n && count[1] == n && count[2] == n);
  printf("pset-server: %ld messages from each of 3 ports through one set\n", n);
  return 0;
}

int role_pset_client(long n) {
  mach_port_t ports[3] = {ns_lookup("pset0"), ns_lookup("pset1"), ns_lookup("pset2")};
  for (long i = 0; i < n; ++i)
    for (uint32_t p = 0; p < 3; ++p) {
      SimpleMsg m{};
      m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
      m.h.msgh_remote_port = ports[p];
      m.h.msgh_id = 9;
      m.data[0] = p;
      CHECK_KR(mach_msg(&m.h, MACH_SEND_MSG, sizeof m, 0, MACH_PORT_NULL, 0), MACH_MSG_SUCCESS);
    }
  printf("pset-client: sent %ld messages to each port\n", n);
  return 0;
}

int role_malformed();

// sink N: receives N messages (dropping any port right they carry).
int role_sink(long n) {
  mach_port_t port = new_receive_right();
  ns_register("sink", port, MACH_MSG_TYPE_MAKE_SEND);
  PortMsg m{};
  for (long i = 0; i < n; ++i) {
    CHECK_KR(mach_msg(&m.h, MACH_RCV_MSG, 0, sizeof m, port, 0), MACH_MSG_SUCCESS);
    // The right reads MACH_PORT_DEAD when its port died on the way (the
    // sender may have ended before the last message is received).
    if ((m.h.msgh_bits & MACH_MSGH_BITS_COMPLEX) && MACH_PORT_VALID(m.port.name))
      CHECK_KR(mach_port_deallocate(mach_task_self(), m.port.name), KERN_SUCCESS);
  }
  printf("sink: received %ld messages\n", n);
  return 0;
}

// bench-send N: one-way sends to the sink while it waits (the send alone is
// timed; yielding lets the sink wait again), plain and with a port right.
// The sink must be started with 2 * N.
int role_bench_send(long n) {
  mach_port_t sink = ns_lookup("sink");
  mach_port_t carried = new_receive_right();
  static uint64_t samples[2][4096];
  long warmup = n / 4;
  for (int kind = 0; kind < 2; ++kind) {
    for (long i = 0; i < n; ++i) {
      thread_switch();  // the sink runs and waits again
      PortMsg m{};
      m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
      m.h.msgh_remote_port = sink;
      m.h.msgh_id = 10 + kind;
      mach_msg_size_t size = sizeof(SimpleMsg);
      if (kind == 1) {
        m.h.msgh_bits |= MACH_MSGH_BITS_COMPLEX;
        m.body.msgh_descriptor_count = 1;
        m.port = {carried, 0, 0, {}, MACH_MSG_TYPE_MAKE_SEND, MACH_MSG_PORT_DESCRIPTOR};
        size = sizeof m;
      }
      uint64_t t0 = rdtsc();
      mach_msg_return_t mr = mach_msg(&m.h, MACH_SEND_MSG, size, 0, MACH_PORT_NULL, 0);
      uint64_t t1 = rdtsc();
      CHECK_KR(mr, MACH_MSG_SUCCESS);
      if (i >= warmup && i - warmup < 4096) samples[kind][i - warmup] = t1 - t0;
    }
  }
  long count = n - warmup < 4096 ? n - warmup : 4096;
  printf("BENCH name=send_oneway system=this instructions=%lu iterations=%ld\n", median(samples[0], count), count);
  printf("BENCH name=send_port_right system=this instructions=%lu iterations=%ld\n", median(samples[1], count),
         count);
  return 0;
}

// exc-handler: takes two exceptions of exc-victim: a system call with no
// emulation (resumed) and a page fault (refused: the task ends).
int role_exc_handler() {
  mach_port_t port = new_receive_right();
  ns_register("exc", port, MACH_MSG_TYPE_MAKE_SEND);
  // Each answer goes out with the receive of the next exception in one call
  // (as a MIG server loop does), which must not take the fast path into the
  // faulting thread: it waits in the kernel, not in mach_msg.
  union {
    exception_raise_request_t req;
    mig_reply_error_t rep;
    uint8_t raw[256];
  } m{};
  CHECK_KR(mach_msg(&m.req.Head, MACH_RCV_MSG, 0, sizeof m, port, 0), MACH_MSG_SUCCESS);
  for (int round = 0; round < 2; ++round) {
    CHECK(m.req.Head.msgh_id == MACH_EXCEPTION_RAISE_ID);
    CHECK(m.req.Head.msgh_size == 88 && m.req.msgh_body.msgh_descriptor_count == 2 && m.req.codeCnt == 2);
    mach_port_type_t type;
    CHECK_KR(mach_port_type(mach_task_self(), m.req.thread.name, &type), KERN_SUCCESS);
    CHECK(type & MACH_PORT_TYPE_SEND);
    CHECK_KR(mach_port_type(mach_task_self(), m.req.task.name, &type), KERN_SUCCESS);
    CHECK(type & MACH_PORT_TYPE_SEND);
    kern_return_t answer;
    if (round == 0) {
      CHECK(m.req.exception == EXC_SYSCALL && m.req.code[0] == 39);
      printf("exc-handler: EXC_SYSCALL for system call %ld, resuming\n", long(m.req.code[0]));
      answer = KERN_SUCCESS;
    } else {
      CHECK(m.req.exception == EXC_BAD_ACCESS && m.req.code[0] == KERN_INVALID_ADDRESS);
      printf("exc-handler: EXC_BAD_ACCESS at %#lx, refusing\n", long(m.req.code[1]));
      answer = KERN_FAILURE;
    }
    CHECK_KR(mach_port_deallocate(mach_task_self(), m.req.thread.name), KERN_SUCCESS);
    CHECK_KR(mach_port_deallocate(mach_task_self(), m.req.task.name), KERN_SUCCESS);
    mach_port_t reply = m.req.Head.msgh_remote_port;
    m.rep = mig_reply_error_t{};
    m.rep.Head.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0);
    m.rep.Head.msgh_size = sizeof m.rep;
    m.rep.Head.msgh_remote_port = reply;
    m.rep.Head.msgh_id = MACH_EXCEPTION_RAISE_ID + 100;
    m.rep.RetCode = answer;
    mach_msg_option_t opt = round == 0 ? MACH_SEND_MSG | MACH_RCV_MSG : MACH_SEND_MSG;
    CHECK_KR(mach_msg(&m.rep.Head, opt, sizeof m.rep, sizeof m, port, 0), MACH_MSG_SUCCESS);
  }
  return 0;
}

int role_exc_victim() {
  mach_port_t handler = ns_lookup("exc");
  CHECK_KR(task_set_special_port(mach_task_self(), TASK_EXCEPTION_PORT, handler), KERN_SUCCESS);
  long r = linux_syscall6(39);  // getpid, with no emulation entry
  CHECK(r == -38);
  printf("exc-victim: system call resumed by the handler with %ld\n", r);
  *reinterpret_cast<volatile int*>(0) = 1;
  printf("exc-victim: FAILED: survived the fault\n");
  return 1;
}

}  // namespace

int main(int argc, char** argv, char** envp) {
  if (argc < 2) {
    printf("ipc: no role\n");
    return 2;
  }
  g_role = argv[1];
  const char* r = argv[1];
  if (!strcmp(r, "ns")) {
    mach_port_t io_master = MACH_PORT_NULL;
    for (char** e = envp; e && *e; ++e)
      if (!strncmp(*e, "IO_MASTER_PORT=", 15))
        for (const char* p = *e + 15; *p >= '0' && *p <= '9'; ++p) io_master = io_master * 10 + mach_port_t(*p - '0');
    ns::Supervised sup[ns::kMaxSupervised];
    int nsup = argc > 3 ? ns::parse_supervise(argv[3], sup) : 0;
    if (nsup && !MACH_PORT_VALID(io_master)) {
      printf("ns: FAILED: supervise= needs the I/O master port\n");
      return 1;
    }
    return role_ns(arg_num(argc, argv, 2, 0), io_master, sup, nsup);
  }
  if (!strcmp(r, "echo-server")) return role_echo_server(argv[2], arg_num(argc, argv, 3, 1));
  if (!strcmp(r, "echo-client"))
    return role_echo_client(argv[2], arg_num(argc, argv, 3, 1), argc > 4 && !strcmp(argv[4], "bench"));
  if (!strcmp(r, "relay")) return role_relay(argv[2], argv[3]);
  if (!strcmp(r, "mover")) return role_mover();
  if (!strcmp(r, "catcher")) return role_catcher();
  if (!strcmp(r, "dying-server")) return role_dying_server();
  if (!strcmp(r, "dn-client")) return role_dn_client();
  if (!strcmp(r, "nosenders-server")) return role_nosenders_server();
  if (!strcmp(r, "nosenders-client")) return role_nosenders_client();
  if (!strcmp(r, "pset-server")) return role_pset_server(arg_num(argc, argv, 2, 1));
  if (!strcmp(r, "pset-client")) return role_pset_client(arg_num(argc, argv, 2, 1));
  if (!strcmp(r, "malformed")) return role_malformed();
  if (!strcmp(r, "sink")) return role_sink(arg_num(argc, argv, 2, 1));
  if (!strcmp(r, "bench-send")) return role_bench_send(arg_num(argc, argv, 2, 1));
  if (!strcmp(r, "exc-handler")) return role_exc_handler();
  if (!strcmp(r, "exc-victim")) return role_exc_victim();
  printf("ipc: unknown role %s\n", r);
  return 2;
}

namespace {

struct Stats {
  unsigned long ports, port_sets, kmsgs, ool_bytes;
};

Stats stats() {
  mach_ipc_statistics st{};
  CHECK_KR(mach_ipc_stats(&st), KERN_SUCCESS);
  return Stats{st.ports, st.port_sets, st.kmsgs, st.ool_bytes};
}

int g_checks = 0;

// Send `m` (send_size bytes) and expect `want`.
void expect_send(const char* what, mach_msg_header_t* m, mach_msg_size_t size, mach_msg_return_t want) {
  mach_msg_return_t got = mach_msg(m, MACH_SEND_MSG | MACH_SEND_TIMEOUT, size, 0, MACH_PORT_NULL, 0);
  if (got != want) {
    printf("malformed: FAILED: %s: got %#x, want %#x\n", what, got, want);
    task_terminate_self(1);
  }
  printf("malformed: %s -> %#x ok\n", what, got);
  ++g_checks;
}

struct ComplexMsg {
  mach_msg_header_t h;
  mach_msg_body_t body;
  mach_msg_descriptor_t d[2];
  uint32_t data[4];
};

// A message from this task to `dest`, COPY_SEND, complex with n descriptors.
ComplexMsg complex_to(mach_port_t dest, uint32_t n) {
  ComplexMsg m{};
  m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
  m.h.msgh_remote_port = dest;
  m.h.msgh_id = 1;
  m.body.msgh_descriptor_count = n;
  return m;
}

int role_malformed() {
  mach_port_t self = mach_task_self();
  mach_port_t port = new_receive_right();
  mach_port_t other = new_receive_right();
  (void)mig_get_reply_port();  // made before the baseline: it stays
  Stats before = stats();

  SimpleMsg s{};
  auto simple = [&](mach_msg_bits_t bits, mach_port_t dest, mach_port_t reply) {
    s = SimpleMsg{};
    s.h.msgh_bits = bits;
    s.h.msgh_remote_port = dest;
    s.h.msgh_local_port = reply;
    s.h.msgh_id = 5;
    return &s.h;
  };
  const mach_msg_bits_t ms = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0);
  expect_send("unknown header bits", simple(ms | 0x00100000, port, 0), sizeof s, MACH_SEND_INVALID_HEADER);
  expect_send("receive disposition in header", simple(MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_RECEIVE, 0), port, 0),
              sizeof s, MACH_SEND_INVALID_HEADER);
  expect_send("reply name without disposition", simple(ms, port, other), sizeof s, MACH_SEND_INVALID_HEADER);
  expect_send("size below the header", simple(ms, port, 0), 16, MACH_SEND_MSG_TOO_SMALL);
  expect_send("size not a multiple of 4", simple(ms, port, 0), 30, MACH_SEND_MSG_TOO_SMALL);
  expect_send("size above the limit", simple(ms, port, 0), MACH_MSG_SIZE_MAX + 4, MACH_SEND_TOO_LARGE);
  expect_send("null destination", simple(ms, MACH_PORT_NULL, 0), sizeof s, MACH_SEND_INVALID_DEST);
  expect_send("forged destination name", simple(MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0), 0x4242, 0), sizeof s,
              MACH_SEND_INVALID_DEST);
  expect_send("copy-send on a receive-only name", simple(MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0), port, 0),
              sizeof s, MACH_SEND_INVALID_DEST);
  mach_port_t stale = new_receive_right();
  CHECK_KR(mach_port_mod_refs(self, stale, MACH_PORT_RIGHT_RECEIVE, -1), KERN_SUCCESS);
  expect_send("stale name", simple(ms, stale, 0), sizeof s, MACH_SEND_INVALID_DEST);
  mach_port_t dead;
  CHECK_KR(mach_port_allocate(self, MACH_PORT_RIGHT_DEAD_NAME, &dead), KERN_SUCCESS);
  expect_send("dead name destination", simple(MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0), dead, 0), sizeof s,
              MACH_SEND_INVALID_DEST);
  expect_send("forged reply name", simple(MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE), port,
                                          0x777700),
              sizeof s, MACH_SEND_INVALID_REPLY);
  expect_send("bad message pointer", nullptr, sizeof s, MACH_SEND_INVALID_DATA);
  expect_send("kernel message pointer", reinterpret_cast<mach_msg_header_t*>(0xffff800000000000ul), sizeof s,
              MACH_SEND_INVALID_DATA);

  ComplexMsg c = complex_to(port, 1);
  expect_send("descriptors beyond the size", &c.h, sizeof(mach_msg_header_t) + 4 + 8, MACH_SEND_MSG_TOO_SMALL);
  c = complex_to(port, 100);
  expect_send("too many descriptors", &c.h, sizeof c, MACH_SEND_TOO_LARGE);
  c = complex_to(port, 1);
  c.d[0].type.type = 9;
  expect_send("unknown descriptor type", &c.h, sizeof c, MACH_SEND_INVALID_TYPE);
  c = complex_to(port, 1);
  c.d[0].port = {other, 0, 0, {}, 99, MACH_MSG_PORT_DESCRIPTOR};
  expect_send("bad port disposition", &c.h, sizeof c, MACH_SEND_INVALID_TYPE);
  c = complex_to(port, 1);
  c.d[0].port = {0x31337, 0, 0, {}, MACH_MSG_TYPE_COPY_SEND, MACH_MSG_PORT_DESCRIPTOR};
  expect_send("forged name in a descriptor", &c.h, sizeof c, MACH_SEND_INVALID_RIGHT);
  c = complex_to(port, 1);
  c.d[0].port = {port, 0, 0, {}, MACH_MSG_TYPE_MOVE_RECEIVE, MACH_MSG_PORT_DESCRIPTOR};
  expect_send("receive right sent to its own port", &c.h, sizeof c, MACH_SEND_INVALID_RIGHT);
  c = complex_to(port, 1);
  c.d[0].out_of_line = {0x1000, 64, 0, MACH_MSG_PHYSICAL_COPY, 0, MACH_MSG_OOL_DESCRIPTOR};
  expect_send("out-of-line pointer to unmapped memory", &c.h, sizeof c, MACH_SEND_INVALID_MEMORY);
  c = complex_to(port, 1);
  c.d[0].out_of_line = {0xffffffff80000000ul, 64, 0, MACH_MSG_PHYSICAL_COPY, 0, MACH_MSG_OOL_DESCRIPTOR};
  expect_send("out-of-line pointer into the kernel", &c.h, sizeof c, MACH_SEND_INVALID_MEMORY);
  c = complex_to(port, 1);
  c.d[0].out_of_line = {reinterpret_cast<uint64_t>(&c), 0x7fffffff, 0, MACH_MSG_PHYSICAL_COPY, 0,
                        MACH_MSG_OOL_DESCRIPTOR};
  expect_send("out-of-line region too large", &c.h, sizeof c, MACH_SEND_TOO_LARGE);
  c = complex_to(port, 1);
  c.d[0].ool_ports = {0x2000, 4, 0, 0, MACH_MSG_TYPE_COPY_SEND, MACH_MSG_OOL_PORTS_DESCRIPTOR};
  expect_send("out-of-line ports at a bad pointer", &c.h, sizeof c, MACH_SEND_INVALID_MEMORY);
  // A valid first descriptor and a bad second: nothing may be taken.
  c = complex_to(port, 2);
  c.d[0].port = {other, 0, 0, {}, MACH_MSG_TYPE_MAKE_SEND, MACH_MSG_PORT_DESCRIPTOR};
  c.d[1].port = {0x5555, 0, 0, {}, MACH_MSG_TYPE_COPY_SEND, MACH_MSG_PORT_DESCRIPTOR};
  expect_send("good then forged descriptor", &c.h, sizeof c, MACH_SEND_INVALID_RIGHT);
  mach_port_type_t type;
  CHECK_KR(mach_port_type(self, other, &type), KERN_SUCCESS);
  CHECK(type == MACH_PORT_TYPE_RECEIVE);  // no send right was made

  // Circularity: A's receive right queued on B (we keep a send right to A),
  // then B's receive right sent to A would close a loop.
  mach_port_t a = new_receive_right(), b = new_receive_right();
  CHECK_KR(mach_port_insert_right(self, a, a, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
  c = complex_to(b, 1);
  c.d[0].port = {a, 0, 0, {}, MACH_MSG_TYPE_MOVE_RECEIVE, MACH_MSG_PORT_DESCRIPTOR};
  expect_send("receive right queued on another port", &c.h, sizeof c, MACH_MSG_SUCCESS);
  c = complex_to(a, 1);
  c.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
  c.d[0].port = {b, 0, 0, {}, MACH_MSG_TYPE_MOVE_RECEIVE, MACH_MSG_PORT_DESCRIPTOR};
  expect_send("receive right into a circular chain", &c.h, sizeof c, MACH_SEND_INVALID_RIGHT);
  CHECK_KR(mach_port_destroy(self, b), KERN_SUCCESS);  // b dies with the message holding a
  CHECK_KR(mach_port_type(self, a, &type), KERN_SUCCESS);
  CHECK(type == MACH_PORT_TYPE_DEAD_NAME);  // so a died too, and our send right is a dead name
  CHECK_KR(mach_port_deallocate(self, a), KERN_SUCCESS);

  // Receive side.
  SimpleMsg r{};
  CHECK_KR(mach_msg(&r.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof r, 0x4343, 0), MACH_RCV_INVALID_NAME);
  ++g_checks;
  CHECK_KR(mach_msg(&r.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof r, port, 0), MACH_RCV_TIMED_OUT);
  ++g_checks;
  CHECK_KR(mach_msg(&r.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof r, port, 20), MACH_RCV_TIMED_OUT);
  ++g_checks;
  expect_send("a message to receive", simple(ms, port, 0), sizeof s, MACH_MSG_SUCCESS);
  CHECK_KR(mach_msg(&r.h, MACH_RCV_MSG | MACH_RCV_LARGE | MACH_RCV_TIMEOUT, 0, 24, port, 0), MACH_RCV_TOO_LARGE);
  CHECK(r.h.msgh_size == sizeof s);  // told the size, message kept
  CHECK_KR(mach_msg(&r.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, 24, port, 0), MACH_RCV_TOO_LARGE);  // destroyed
  CHECK_KR(mach_msg(&r.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof r, port, 0), MACH_RCV_TIMED_OUT);
  g_checks += 3;

  // Queue limit: a full queue refuses a send with a zero timeout.
  CHECK_KR(mach_port_set_qlimit(self, port, 1), KERN_SUCCESS);
  expect_send("first message into a 1-message queue", simple(ms, port, 0), sizeof s, MACH_MSG_SUCCESS);
  expect_send("second message into the full queue", simple(ms, port, 0), sizeof s, MACH_SEND_TIMED_OUT);
  CHECK_KR(mach_msg(&r.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof r, port, 0), MACH_MSG_SUCCESS);
  ++g_checks;

  // A request with an id the kernel port does not serve (3402 is a skipped
  // slot of task.defs): the reply is MIG_BAD_ID.
  struct {
    mach_msg_header_t h;
    kern_return_t ret;
    uint32_t pad[8];
  } k{};
  k.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
  k.h.msgh_remote_port = self;
  k.h.msgh_local_port = mig_get_reply_port();
  k.h.msgh_id = 3402;
  CHECK_KR(mach_msg(&k.h, MACH_SEND_MSG | MACH_RCV_MSG, sizeof(mach_msg_header_t), sizeof k, k.h.msgh_local_port, 0),
           MACH_MSG_SUCCESS);
  CHECK(k.h.msgh_id == 3502 && k.ret == -303);
  ++g_checks;

  // Port calls with bad arguments.
  CHECK_KR(mach_port_allocate(self, 7, &type), KERN_INVALID_VALUE);
  CHECK_KR(mach_port_deallocate(self, 0x9999), KERN_INVALID_NAME);
  CHECK_KR(mach_port_deallocate(self, port), KERN_INVALID_RIGHT);
  CHECK_KR(mach_port_mod_refs(self, port, MACH_PORT_RIGHT_RECEIVE, 2), KERN_INVALID_VALUE);
  CHECK_KR(mach_port_allocate(0x1234, MACH_PORT_RIGHT_RECEIVE, &type), MACH_SEND_INVALID_DEST);
  CHECK_KR(mach_port_allocate(self, MACH_PORT_RIGHT_RECEIVE, reinterpret_cast<mach_port_t*>(0x10)),
           KERN_INVALID_ADDRESS);
  CHECK_KR(mach_port_set_qlimit(self, port, MACH_PORT_QLIMIT_MAX + 1), KERN_INVALID_VALUE);
  CHECK_KR(mach_port_move_member(self, port, MACH_PORT_NULL), KERN_NOT_IN_SET);
  g_checks += 8;

  CHECK_KR(mach_port_destroy(self, dead), KERN_SUCCESS);
  Stats after = stats();
  printf("malformed: ports %lu->%lu, sets %lu->%lu, messages %lu->%lu, out-of-line bytes %lu->%lu\n", before.ports,
         after.ports, before.port_sets, after.port_sets, before.kmsgs, after.kmsgs, before.ool_bytes, after.ool_bytes);
  CHECK(after.ports == before.ports && after.port_sets == before.port_sets && after.kmsgs == before.kmsgs &&
        after.ool_bytes == before.ool_bytes);
  printf("malformed: all %d checks passed, counts back at baseline\n", g_checks);
  return 0;
}

}  // namespace
