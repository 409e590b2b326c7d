// kvstore client (docs/idl-example.md): finds the server through the test
// name server and calls it through the generated user stubs (kv_*).
#include <kvstore.h>

#include "../ipc_util.h"

const char* g_role = "kv-client";

int main() {
  mach_port_t server = ns_lookup("kvstore");
  CHECK_KR(kv_put(server, "alpha", 1), KERN_SUCCESS);
  CHECK_KR(kv_put(server, "beta", 41), KERN_SUCCESS);
  int value = 0;
  CHECK_KR(kv_get(server, "beta", &value), KERN_SUCCESS);
  CHECK(value == 41);
  CHECK_KR(kv_get(server, "gamma", &value), KERN_INVALID_NAME);
  printf("kv-client: get beta = %d, get gamma -> KERN_INVALID_NAME\n", value);

  int numbers[10];
  for (int i = 0; i < 10; i++) numbers[i] = i + 1;
  int64_t total = 0;
  int keys = 0;
  CHECK_KR(kv_sum(server, numbers, 10, &total, &keys), KERN_SUCCESS);
  CHECK(total == 55 && keys == 2);
  int too_many[17] = {};
  CHECK_KR(kv_sum(server, too_many, 17, &total, &keys), MIG_ARRAY_TOO_LARGE);  // refused before sending
  printf("kv-client: sum 1..10 = %ld over %d keys\n", long(total), keys);

  // A port right through the store: ours goes in, a copy comes back under
  // the same name (one more user reference).
  mach_port_t mine;
  CHECK_KR(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &mine), KERN_SUCCESS);
  CHECK_KR(mach_port_insert_right(mach_task_self(), mine, mine, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
  CHECK_KR(kv_put_port(server, "mine", mine), KERN_SUCCESS);
  mach_port_t back = MACH_PORT_NULL;
  CHECK_KR(kv_get_port(server, "mine", &back), KERN_SUCCESS);
  CHECK(back == mine);
  mach_port_urefs_t refs = 0;
  CHECK_KR(mach_port_get_refs(mach_task_self(), mine, MACH_PORT_RIGHT_SEND, &refs), KERN_SUCCESS);
  CHECK(refs == 2);
  CHECK_KR(kv_get_port(server, "alpha", &back), KERN_INVALID_NAME);
  printf("kv-client: a send right stored and fetched back under name %#x\n", mine);

  CHECK_KR(kv_shutdown(server), KERN_SUCCESS);
  printf("kv-client: done\n");
  return 0;
}
