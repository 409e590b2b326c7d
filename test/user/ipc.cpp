// IPC test roles, one per task (argv[1] picks it; see test/qemu/cases.py):
// a name server, an echo RPC pair with a relay, a moved receive right,
// dead-name and no-senders notifications, a port set, and a battery of
// malformed messages with leak counts.
#include "ipc_util.h"

const char* g_role = "ipc";

namespace {

long arg_num(int argc, char** argv, int i, long dflt) {
  if (i >= argc) return dflt;
  long v = 0;
  for (const char* p = argv[i]; *p; ++p) v = v * 10 + (*p - '0');
  return v;
}

// ns N: serve N requests on the bootstrap port, then exit. A lookup for a
// name not registered yet waits for its registration.
int role_ns(long n) {
  struct Entry {
    char name[32];
    mach_port_t port;      // registered right (send), or pending reply (send-once)
    bool pending_lookup;
  } table[32] = {};
  int used = 0;
  mach_port_t bp = bootstrap_port();
  union {
    PortMsg pm;
    uint8_t raw[256];
  } buf;
  for (long served = 0; served < n; ++served) {
    CHECK_KR(mach_msg(&buf.pm.h, MACH_RCV_MSG, 0, sizeof buf, bp, 0), MACH_MSG_SUCCESS);
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
    PortMsg r{};
    r.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0) | MACH_MSGH_BITS_COMPLEX;
    r.h.msgh_remote_port = reply;
    r.h.msgh_id = kNsLookup + 100;
    r.body.msgh_descriptor_count = 1;
    r.port.name = given;
    r.port.disposition = MACH_MSG_TYPE_MOVE_SEND;  // handed out once: the server keeps nothing
    r.port.type = MACH_MSG_PORT_DESCRIPTOR;
    CHECK_KR(mach_msg(&r.h, MACH_SEND_MSG, sizeof r, 0, MACH_PORT_NULL, 0), MACH_MSG_SUCCESS);
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

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    printf("ipc: no role\n");
    return 2;
  }
  g_role = argv[1];
  const char* r = argv[1];
  if (!strcmp(r, "ns")) return role_ns(arg_num(argc, argv, 2, 0));
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
  printf("ipc: unknown role %s\n", r);
  return 2;
}

namespace {
int role_malformed() { return 0; }
}  // namespace
