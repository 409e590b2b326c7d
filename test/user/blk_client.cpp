// Block-device client (block.defs) for the booted tests blk-* (cases.py):
// finds the device through the name server and checks it through the
// generated stubs.
//   blk_client.elf NAME write    the pattern on sectors 1..8, the last one and
//                                BLOCK_MAX_SECTORS from 64, each read back;
//                                bad requests refused with their codes; flush
//   blk_client.elf NAME verify   (a later boot of the same image) the pattern
//                                is still there, sector 40 still zero
//   blk_client.elf NAME all      write, then verify
//   blk_client.elf NAME ioerror  (a device failing sector 100's reads and
//                                sector 200's writes) D_IO_ERROR for those,
//                                and the device still works afterwards
//   blk_client.elf NAME abandon  sends a 256-sector read (block_read's
//                                request, written out) and ends without
//                                waiting for the answer
//   blk_client.elf NAME stress ID ROUNDS
//                                (several clients at once) ROUNDS times: 16
//                                sectors of this client's own area written
//                                with a pattern of the round, read back
//   blk_client.elf NAME restart  (a crashable RAM disk, supervised by the
//                                name server) writes and reads, kills the
//                                driver on purpose, sees the dead name, looks
//                                NAME up again and is served by the new one
#include <block.h>
#include <vm_rpc.h>

#include "ipc_util.h"

const char* g_role = "blk-client";

namespace {

mach_port_t g_dev;
uint64_t g_sectors;

uint32_t g_seed = 0;

uint8_t pattern(uint64_t sector, uint32_t i) { return uint8_t(sector * 131 + i * 7 + (i >> 8) + 0x5a + g_seed); }

vm_address_t make_pattern(uint64_t sector, uint32_t count) {
  vm_address_t buf = 0;
  CHECK_KR(rpc_vm_allocate(mach_task_self(), &buf, uint64_t(count) * BLOCK_SECTOR_SIZE, VM_FLAGS_ANYWHERE),
           KERN_SUCCESS);
  auto* p = reinterpret_cast<uint8_t*>(buf);
  for (uint32_t s = 0; s < count; ++s)
    for (uint32_t i = 0; i < BLOCK_SECTOR_SIZE; ++i) p[s * BLOCK_SECTOR_SIZE + i] = pattern(sector + s, i);
  return buf;
}

void write_pattern(uint64_t sector, uint32_t count) {
  vm_address_t buf = make_pattern(sector, count);
  CHECK_KR(block_write(g_dev, sector, buf, count * BLOCK_SECTOR_SIZE), KERN_SUCCESS);
  CHECK_KR(vm_deallocate(mach_task_self(), buf, uint64_t(count) * BLOCK_SECTOR_SIZE), KERN_SUCCESS);
}

// Reads count sectors from sector; each must hold the pattern (or zeros).
void check_sectors(uint64_t sector, uint32_t count, bool zero) {
  vm_offset_t data = 0;
  mach_msg_type_number_t size = 0;
  CHECK_KR(block_read(g_dev, sector, count, &data, &size), KERN_SUCCESS);
  CHECK(size == count * BLOCK_SECTOR_SIZE);
  auto* p = reinterpret_cast<const uint8_t*>(data);
  for (uint32_t s = 0; s < count; ++s)
    for (uint32_t i = 0; i < BLOCK_SECTOR_SIZE; ++i)
      if (p[s * BLOCK_SECTOR_SIZE + i] != (zero ? 0 : pattern(sector + s, i))) {
        printf("blk-client: FAILED: sector %lu byte %u is %#x\n", (unsigned long)(sector + s), i,
               p[s * BLOCK_SECTOR_SIZE + i]);
        task_terminate_self(1);
      }
  CHECK_KR(vm_deallocate(mach_task_self(), data, size), KERN_SUCCESS);
}

// A request written out by hand: its reply's RetCode.
kern_return_t raw_call(mach_msg_id_t id, mach_port_t port = MACH_PORT_NULL) {
  union {
    PortMsg pm;  // header, body, one port descriptor, 32 bytes
    uint8_t raw[128];
  } m{};
  mach_port_t reply = mig_get_reply_port();
  m.pm.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
  m.pm.h.msgh_remote_port = g_dev;
  m.pm.h.msgh_local_port = reply;
  m.pm.h.msgh_id = id;
  mach_msg_size_t size = sizeof(mach_msg_header_t) + 12;
  if (MACH_PORT_VALID(port)) {  // a send right made from port, where no right belongs
    m.pm.h.msgh_bits |= MACH_MSGH_BITS_COMPLEX;
    m.pm.body.msgh_descriptor_count = 1;
    m.pm.port.name = port;
    m.pm.port.disposition = MACH_MSG_TYPE_MAKE_SEND;
    m.pm.port.type = MACH_MSG_PORT_DESCRIPTOR;
    size = sizeof(mach_msg_header_t) + 4 + 16 + 8;
  }
  CHECK_KR(mach_msg(&m.pm.h, MACH_SEND_MSG | MACH_RCV_MSG, size, sizeof m, reply, 0), MACH_MSG_SUCCESS);
  CHECK(m.pm.h.msgh_id == id + 100);
  CHECK(m.pm.h.msgh_size == sizeof(mig_reply_error_t));
  return reinterpret_cast<mig_reply_error_t*>(&m)->RetCode;
}

void check_errors() {
  vm_offset_t data = 0;
  mach_msg_type_number_t size = 0;
  CHECK_KR(block_read(g_dev, 0, 0, &data, &size), D_INVALID_SIZE);
  CHECK_KR(block_read(g_dev, 0, BLOCK_MAX_SECTORS + 1, &data, &size), D_INVALID_SIZE);
  CHECK_KR(block_read(g_dev, 0, 0xffffffffu, &data, &size), D_INVALID_SIZE);
  CHECK_KR(block_read(g_dev, g_sectors, 1, &data, &size), D_INVALID_RECNUM);
  CHECK_KR(block_read(g_dev, g_sectors - 1, 2, &data, &size), D_INVALID_RECNUM);
  CHECK_KR(block_read(g_dev, ~0ull, 2, &data, &size), D_INVALID_RECNUM);
  vm_address_t buf = make_pattern(0, BLOCK_MAX_SECTORS + 1);
  CHECK_KR(block_write(g_dev, 0, buf, 100), D_INVALID_SIZE);
  CHECK_KR(block_write(g_dev, 0, buf, BLOCK_SECTOR_SIZE + 1), D_INVALID_SIZE);
  CHECK_KR(block_write(g_dev, 0, buf, (BLOCK_MAX_SECTORS + 1) * BLOCK_SECTOR_SIZE), D_INVALID_SIZE);
  CHECK_KR(block_write(g_dev, g_sectors, buf, BLOCK_SECTOR_SIZE), D_INVALID_RECNUM);
  CHECK_KR(block_write(g_dev, g_sectors - 1, buf, 2 * BLOCK_SECTOR_SIZE), D_INVALID_RECNUM);
  CHECK_KR(vm_deallocate(mach_task_self(), buf, uint64_t(BLOCK_MAX_SECTORS + 1) * BLOCK_SECTOR_SIZE),
           KERN_SUCCESS);
  printf("blk-client: bad requests refused (D_INVALID_SIZE, D_INVALID_RECNUM)\n");
  // The rights in refused requests are let go: a no-senders notification
  // for the port they were made from.
  mach_port_t port, notify, previous;
  CHECK_KR(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &port), KERN_SUCCESS);
  CHECK_KR(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &notify), KERN_SUCCESS);
  CHECK_KR(raw_call(5304), MIG_BAD_ID);
  CHECK_KR(raw_call(5301), MIG_BAD_ARGUMENTS);        // block_write without its data
  CHECK_KR(raw_call(5301, port), MIG_BAD_ARGUMENTS);  // a port right instead
  CHECK_KR(raw_call(5300, port), MIG_BAD_ARGUMENTS);  // block_read with a descriptor
  CHECK_KR(mach_port_request_notification(mach_task_self(), port, MACH_NOTIFY_NO_SENDERS, 2, notify, &previous),
           KERN_SUCCESS);
  SimpleMsg n{};
  CHECK_KR(mach_msg(&n.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof n, notify, 2000), MACH_MSG_SUCCESS);
  CHECK(n.h.msgh_id == MACH_NOTIFY_NO_SENDERS);
  CHECK_KR(mach_port_destroy(mach_task_self(), port), KERN_SUCCESS);
  CHECK_KR(mach_port_destroy(mach_task_self(), notify), KERN_SUCCESS);
  printf("blk-client: malformed requests refused (MIG_BAD_ID, MIG_BAD_ARGUMENTS)\n");
}

void do_write() {
  check_sectors(40, 1, true);  // a fresh image
  write_pattern(1, 8);
  check_sectors(1, 8, false);
  write_pattern(g_sectors - 1, 1);
  check_sectors(g_sectors - 1, 1, false);
  write_pattern(64, BLOCK_MAX_SECTORS);
  check_sectors(64, BLOCK_MAX_SECTORS, false);
  check_sectors(1, 8, false);
  printf("blk-client: wrote and read back sectors 1-8, %lu and %u-%u\n", (unsigned long)(g_sectors - 1), 64u,
         64u + BLOCK_MAX_SECTORS - 1);
  check_errors();
  CHECK_KR(block_flush(g_dev), KERN_SUCCESS);
  printf("blk-client: flushed\n");
}

void do_verify() {
  check_sectors(1, 8, false);
  check_sectors(g_sectors - 1, 1, false);
  check_sectors(64, BLOCK_MAX_SECTORS, false);
  check_sectors(40, 1, true);
  printf("blk-client: the pattern is on the device\n");
}

void do_stress(long id, long rounds) {
  uint64_t area = 400 + uint64_t(id) * 64;
  CHECK(area + 16 <= g_sectors);
  for (long r = 0; r < rounds; ++r) {
    g_seed = uint32_t(id * 1000 + r);
    write_pattern(area, 16);
    check_sectors(area, 16, false);
  }
  printf("blk-client %ld: %ld rounds of 16 sectors written and read back\n", id, rounds);
}

void do_ioerror() {
  vm_offset_t data = 0;
  mach_msg_type_number_t size = 0;
  CHECK_KR(block_read(g_dev, 100, 1, &data, &size), D_IO_ERROR);
  CHECK_KR(block_read(g_dev, 96, 8, &data, &size), D_IO_ERROR);
  vm_address_t buf = make_pattern(200, 1);
  CHECK_KR(block_write(g_dev, 200, buf, BLOCK_SECTOR_SIZE), D_IO_ERROR);
  CHECK_KR(vm_deallocate(mach_task_self(), buf, BLOCK_SECTOR_SIZE), KERN_SUCCESS);
  check_sectors(101, 4, true);
  write_pattern(300, 2);
  printf("blk-client: device errors reported as D_IO_ERROR, other sectors still served\n");
}

void do_abandon() {
#pragma pack(push, 4)
  struct {
    mach_msg_header_t h;
    uint64_t sector;
    uint32_t count;
  } m{};
#pragma pack(pop)
  static_assert(sizeof m == 36, "block_read's request: header, sector, count");
  mach_port_t reply;
  CHECK_KR(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &reply), KERN_SUCCESS);
  m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
  m.h.msgh_size = sizeof m;
  m.h.msgh_remote_port = g_dev;
  m.h.msgh_local_port = reply;
  m.h.msgh_id = 5300;  // block_read
  m.sector = 0;
  m.count = BLOCK_MAX_SECTORS;
  CHECK_KR(mach_msg(&m.h, MACH_SEND_MSG, sizeof m, 0, MACH_PORT_NULL, 0), MACH_MSG_SUCCESS);
  printf("blk-client: a read sent, leaving without its answer\n");
}

// The supervisor (docs/drivers.md): the driver dies, the client's right
// becomes a dead name, a new lookup gives the restarted driver's port.
void do_restart(const char* name) {
  write_pattern(1, 8);
  check_sectors(1, 8, false);
  mach_port_t notify, previous;
  CHECK_KR(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &notify), KERN_SUCCESS);
  CHECK_KR(mach_port_request_notification(mach_task_self(), g_dev, MACH_NOTIFY_DEAD_NAME, 0, notify, &previous),
           KERN_SUCCESS);
  SimpleMsg m{};
  m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
  m.h.msgh_remote_port = g_dev;
  m.h.msgh_id = 5390;  // the crashable RAM disk's RAMDISK_CRASH_ID
  CHECK_KR(mach_msg(&m.h, MACH_SEND_MSG, sizeof m, 0, MACH_PORT_NULL, 0), MACH_MSG_SUCCESS);
  union {
    mach_dead_name_notification_t dn;
    uint8_t raw[128];
  } n{};
  CHECK_KR(mach_msg(&n.dn.not_header, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof n, notify, 5000), MACH_MSG_SUCCESS);
  CHECK(n.dn.not_header.msgh_id == MACH_NOTIFY_DEAD_NAME && n.dn.not_port == g_dev);
  uint32_t sector_size = 0;
  CHECK_KR(block_get_info(g_dev, &sector_size, &g_sectors), MACH_SEND_INVALID_DEST);
  printf("blk-client: %s died; a request to it: MACH_SEND_INVALID_DEST\n", name);
  CHECK_KR(mach_port_destroy(mach_task_self(), g_dev), KERN_SUCCESS);
  CHECK_KR(mach_port_destroy(mach_task_self(), notify), KERN_SUCCESS);
  g_dev = ns_lookup(name);  // waits for the new instance's registration
  CHECK_KR(block_get_info(g_dev, &sector_size, &g_sectors), KERN_SUCCESS);
  check_sectors(1, 8, true);  // a new RAM disk: what was written went with the old one
  write_pattern(1, 8);
  check_sectors(1, 8, false);
  printf("supervise: PASS: %s restarted, the next request after reconnecting succeeded\n", name);
}

long number(const char* s) {
  long v = 0;
  for (; s && *s >= '0' && *s <= '9'; ++s) v = v * 10 + (*s - '0');
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    printf("blk-client: usage: blk_client.elf NAME write|verify|all\n");
    return 2;
  }
  g_dev = ns_lookup(argv[1]);
  uint32_t sector_size = 0;
  CHECK_KR(block_get_info(g_dev, &sector_size, &g_sectors), KERN_SUCCESS);
  CHECK(sector_size == BLOCK_SECTOR_SIZE && g_sectors >= 64 + BLOCK_MAX_SECTORS + 1);
  printf("blk-client: %s has %lu sectors of %u bytes\n", argv[1], (unsigned long)g_sectors, sector_size);
  bool all = !strcmp(argv[2], "all");
  if (all || !strcmp(argv[2], "write")) do_write();
  if (all || !strcmp(argv[2], "verify")) do_verify();
  if (!strcmp(argv[2], "ioerror")) do_ioerror();
  if (!strcmp(argv[2], "abandon")) do_abandon();
  if (!strcmp(argv[2], "restart")) do_restart(argv[1]);
  if (!strcmp(argv[2], "stress")) do_stress(number(argc > 3 ? argv[3] : nullptr), number(argc > 4 ? argv[4] : nullptr));
  printf("blk-client: done\n");
  return 0;
}
