// kvstore server (docs/idl-example.md): registers its port with the test
// name server as "kvstore" and serves kvstore.defs through the generated
// demux kvstore_server until a shutdown message.
#include <kvstoreServer.h>

#include "../ipc_util.h"

const char* g_role = "kv-server";

namespace {

struct Entry {
  char key[32];
  int value;
  mach_port_t port;  // a send right, or MACH_PORT_NULL
};
Entry g_entries[16];
int g_count = 0;
bool g_done = false;

Entry* find(const char* key, bool create) {
  for (int i = 0; i < g_count; i++)
    if (!strcmp(g_entries[i].key, key)) return &g_entries[i];
  if (!create || g_count == 16) return nullptr;
  Entry* e = &g_entries[g_count++];
  memcpy(e->key, key, strlen(key) + 1);
  return e;
}

}  // namespace

// The implementation functions the generated server stubs call.
kern_return_t do_put(mach_port_t, char* key, int value) {
  Entry* e = find(key, true);
  if (!e) return KERN_NO_SPACE;
  e->value = value;
  return KERN_SUCCESS;
}

kern_return_t do_get(mach_port_t, char* key, int* value) {
  Entry* e = find(key, false);
  if (!e) return KERN_INVALID_NAME;
  *value = e->value;
  return KERN_SUCCESS;
}

kern_return_t do_sum(mach_port_t, int* values, mach_msg_type_number_t valuesCnt, int64_t* total, int* keys) {
  *total = 0;
  for (mach_msg_type_number_t i = 0; i < valuesCnt; i++) *total += values[i];
  *keys = g_count;
  return KERN_SUCCESS;
}

kern_return_t do_put_port(mach_port_t, char* key, mach_port_t port) {
  Entry* e = find(key, true);
  if (!e) return KERN_NO_SPACE;  // the stub's caller destroys the request: the right goes
  if (MACH_PORT_VALID(e->port)) (void)mach_port_deallocate(mach_task_self(), e->port);
  e->port = port;  // the right received is ours now
  return KERN_SUCCESS;
}

kern_return_t do_get_port(mach_port_t, char* key, mach_port_t* port) {
  Entry* e = find(key, false);
  if (!e || !MACH_PORT_VALID(e->port)) return KERN_INVALID_NAME;
  *port = e->port;  // sent with COPY_SEND: we keep ours
  return KERN_SUCCESS;
}

kern_return_t do_shutdown(mach_port_t) {
  g_done = true;
  return KERN_SUCCESS;
}

int main() {
  mach_port_t port;
  CHECK_KR(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &port), KERN_SUCCESS);
  ns_register("kvstore", port, MACH_MSG_TYPE_MAKE_SEND);
  printf("kv-server: serving kvstore (request ids %d..%d)\n", 5000, 5005);
  alignas(8) uint8_t in[kvstore_MAX_REQUEST_SIZE + 64];
  alignas(8) uint8_t out[kvstore_MAX_REPLY_SIZE];
  auto* req = reinterpret_cast<mach_msg_header_t*>(in);
  auto* rep = reinterpret_cast<mach_msg_header_t*>(out);
  long served = 0;
  while (!g_done) {
    CHECK_KR(mach_msg(req, MACH_RCV_MSG, 0, sizeof in, port, 0), MACH_MSG_SUCCESS);
    (void)kvstore_server(req, rep);
    ++served;
    kern_return_t code = mig_reply_code(rep);
    if (code != KERN_SUCCESS && (req->msgh_bits & MACH_MSGH_BITS_COMPLEX)) {
      // Refused: release the rights the request carried (here: put_port's).
      auto* d = reinterpret_cast<mach_msg_port_descriptor_t*>(in + sizeof(mach_msg_header_t) + 4);
      if (d->type == MACH_MSG_PORT_DESCRIPTOR && MACH_PORT_VALID(d->name))
        (void)mach_port_deallocate(mach_task_self(), d->name);
    }
    if (code == MIG_NO_REPLY || !MACH_PORT_VALID(rep->msgh_remote_port)) continue;
    CHECK_KR(mach_msg(rep, MACH_SEND_MSG, rep->msgh_size, 0, MACH_PORT_NULL, 0), MACH_MSG_SUCCESS);
  }
  printf("kv-server: shut down after %ld requests\n", served);
  return 0;
}
