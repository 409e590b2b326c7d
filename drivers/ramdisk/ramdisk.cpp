// RAM disk: block.defs over memory the task vm_allocates, served one request
// at a time (everything completes at once). Registers its device port with
// the name server as "ramdisk"; ends when no client holds a send right to it
// any more (a no-senders notification).
//   ramdisk.elf [SECTORS [N [crashable]]]
//                               (default 4096: 2 MiB); registers N times (the
//                               test name server hands each registration to
//                               one client; default 1). crashable: a message
//                               with id RAMDISK_CRASH_ID makes it dereference
//                               null, for the supervisor's test (a driver
//                               killed on purpose; docs/drivers.md)
#include <block_server.h>
#include <request_queue.h>

#include "../../test/user/ipc_util.h"

const char* g_role = "ramdisk";

namespace {

constexpr mach_msg_id_t RAMDISK_CRASH_ID = 5390;  // test only, outside block.defs' ids

uint8_t* g_disk = nullptr;
uint64_t g_sectors = 0;

uint64_t parse(const char* s, uint64_t dflt) {
  if (!s || !*s) return dflt;
  uint64_t v = 0;
  for (; *s >= '0' && *s <= '9'; ++s) v = v * 10 + uint64_t(*s - '0');
  return v;
}

}  // namespace

kern_return_t ds_block_read(mach_port_t, mach_port_t, uint64_t sector, uint32_t count, vm_offset_t* data,
                            mach_msg_type_number_t* dataCnt) {
  kern_return_t kr = blk::check_range(sector, count, g_sectors, BLOCK_MAX_SECTORS);
  if (kr != KERN_SUCCESS) return kr;
  uint64_t bytes = uint64_t(count) * BLOCK_SECTOR_SIZE;
  vm_address_t buf = 0;
  if (rpc_vm_allocate(mach_task_self(), &buf, bytes, VM_FLAGS_ANYWHERE) != KERN_SUCCESS) return D_NO_MEMORY;
  memcpy(reinterpret_cast<void*>(buf), g_disk + sector * BLOCK_SECTOR_SIZE, bytes);
  *data = buf;  // sent with dealloc: the region leaves this task with the reply
  *dataCnt = mach_msg_type_number_t(bytes);
  return KERN_SUCCESS;
}

kern_return_t ds_block_write(mach_port_t, mach_port_t, uint64_t sector, vm_offset_t data,
                             mach_msg_type_number_t dataCnt) {
  uint32_t count = 0;
  kern_return_t kr = blk::check_write(sector, dataCnt, g_sectors, BLOCK_MAX_SECTORS, &count);
  if (kr == KERN_SUCCESS)
    memcpy(g_disk + sector * BLOCK_SECTOR_SIZE, reinterpret_cast<const void*>(data), dataCnt);
  if (dataCnt) (void)vm_deallocate(mach_task_self(), data, dataCnt);
  return kr;
}

kern_return_t ds_block_get_info(mach_port_t, uint32_t* sector_size, uint64_t* sector_count) {
  *sector_size = BLOCK_SECTOR_SIZE;
  *sector_count = g_sectors;
  return KERN_SUCCESS;
}

kern_return_t ds_block_flush(mach_port_t, mach_port_t) { return KERN_SUCCESS; }

int main(int argc, char** argv) {
  g_sectors = parse(argc > 1 ? argv[1] : nullptr, 4096);
  vm_address_t base = 0;
  CHECK_KR(rpc_vm_allocate(mach_task_self(), &base, g_sectors * BLOCK_SECTOR_SIZE, VM_FLAGS_ANYWHERE),
           KERN_SUCCESS);
  g_disk = reinterpret_cast<uint8_t*>(base);
  mach_port_t port;
  CHECK_KR(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &port), KERN_SUCCESS);
  bool crashable = argc > 3 && !strcmp(argv[3], "crashable");
  for (uint64_t i = parse(argc > 2 ? argv[2] : nullptr, 1); i > 0; --i) ns_register("ramdisk", port, MACH_MSG_TYPE_MAKE_SEND);
  mach_port_t previous;
  CHECK_KR(mach_port_request_notification(mach_task_self(), port, MACH_NOTIFY_NO_SENDERS, 1, port, &previous),
           KERN_SUCCESS);
  printf("ramdisk: %lu sectors of %u bytes, serving as \"ramdisk\"\n", (unsigned long)g_sectors, BLOCK_SECTOR_SIZE);
  alignas(8) uint8_t in[block_MAX_REQUEST_SIZE + 64];
  alignas(8) uint8_t out[block_MAX_REPLY_SIZE + 64];
  auto* req = reinterpret_cast<mach_msg_header_t*>(in);
  auto* rep = reinterpret_cast<mach_msg_header_t*>(out);
  unsigned long served = 0;
  for (;;) {
    CHECK_KR(mach_msg(req, MACH_RCV_MSG, 0, sizeof in, port, 0), MACH_MSG_SUCCESS);
    if (req->msgh_id == MACH_NOTIFY_NO_SENDERS) break;
    if (crashable && req->msgh_id == RAMDISK_CRASH_ID) {
      printf("ramdisk: crashing on purpose after %lu requests\n", served);
      volatile uintptr_t zero = 0;  // a real null dereference (a #PF), not a trap the compiler puts in
      *reinterpret_cast<volatile int*>(zero) = 1;
    }
    (void)blk::serve_one(req, rep);
    ++served;
  }
  printf("ramdisk: no clients left after %lu requests\n", served);
  return 0;
}
