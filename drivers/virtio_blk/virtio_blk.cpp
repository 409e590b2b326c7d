// virtio-blk driver (legacy virtio 0.9.5 over PCI, I/O-port BAR0): finds
// vendor 0x1af4 device 0x1001 through PCI configuration ports, negotiates
// features, sets up one virtqueue in io_dma_allocate'd memory and serves
// block.defs, registered with the name server as "blk". Requests wait in a
// blk::RequestQueue; each runs in a slot (a header/data/status descriptor
// chain over the slot's own DMA buffers) and is answered when the device's
// interrupt (a message from io_interrupt_attach) shows it in the used ring.
// The task ends when no client holds a send right to its port any more.
//   virtio_blk.elf [N [SLOTS]]
//       registers N times (the test name server hands each registration to
//       one client; default 1); at most SLOTS requests in the device at once
//       (default and limit 8, and a third of the queue)
#include <block_server.h>
#include <io_rpc.h>
#include <mach/io_types.h>
#include <pci_ports.h>
#include <request_queue.h>

#include "libmach/vm_wire.h"
#include "../../test/user/ipc_util.h"
#include "virtqueue.h"

const char* g_role = "virtio-blk";

namespace {

// Legacy virtio registers, offsets in BAR0 (no MSI-X).
constexpr uint16_t kHostFeatures = 0x00, kGuestFeatures = 0x04, kQueueAddress = 0x08, kQueueSize = 0x0c,
                   kQueueSelect = 0x0e, kQueueNotify = 0x10, kDeviceStatus = 0x12, kIsrStatus = 0x13,
                   kConfig = 0x14;
constexpr uint8_t kStatusAcknowledge = 1, kStatusDriver = 2, kStatusDriverOk = 4, kStatusFailed = 128;
constexpr uint32_t kFeatureRo = 1u << 5, kFeatureFlush = 1u << 9;
constexpr uint32_t kTypeIn = 0, kTypeOut = 1, kTypeFlush = 4;
constexpr uint32_t kMaxSlots = 8;
constexpr size_t kSlotBytes = size_t(BLOCK_MAX_SECTORS) * BLOCK_SECTOR_SIZE;

struct ReqHeader {
  uint32_t type;
  uint32_t reserved;
  uint64_t sector;
};

struct Slot {
  uint8_t* data;  // kSlotBytes of DMA memory
  uint64_t data_phys;
};

mach_port_t g_master = MACH_PORT_NULL;
uint16_t g_io = 0;  // BAR0
uint32_t g_irq = 0;
uint32_t g_features = 0;
bool g_done = false;
virtio::Virtqueue g_vq;
blk::RequestQueue g_queue;
Slot g_slots[kMaxSlots];
uint8_t* g_meta = nullptr;  // per slot: header at 32 * s, status byte at 32 * s + 16
uint64_t g_meta_phys = 0;
unsigned long g_interrupts = 0, g_completed = 0;
uint32_t g_max_in_flight = 0, g_max_waiting = 0;

void* dma_allocate(uint64_t size, uint64_t* phys) {
  vm_address_t va = 0;
  kern_return_t kr = rpc_io_dma_allocate(g_master, mach_task_self(), size, &va, phys);
  if (kr != KERN_SUCCESS) {
    printf("virtio-blk: io_dma_allocate(%lu) failed: %#x\n", (unsigned long)size, kr);
    task_terminate_self(1);
  }
  return reinterpret_cast<void*>(va);
}

void submit(blk::Request* r) {
  uint32_t s = r->slot;
  auto* h = reinterpret_cast<ReqHeader*>(g_meta + 32 * s);
  volatile uint8_t* status = g_meta + 32 * s + 16;
  h->type = r->op == blk::Op::kRead ? kTypeIn : r->op == blk::Op::kWrite ? kTypeOut : kTypeFlush;
  h->reserved = 0;
  h->sector = r->op == blk::Op::kFlush ? 0 : r->sector;
  *status = 0xff;
  if (r->op == blk::Op::kWrite) {
    memcpy(g_slots[s].data, reinterpret_cast<const void*>(r->data), r->data_size);
    (void)vm_deallocate(mach_task_self(), r->data, r->data_size);
    r->data = 0;
  }
  uint16_t head = uint16_t(3 * s);
  virtio::Desc& d0 = g_vq.desc(head);
  virtio::Desc& d1 = g_vq.desc(uint16_t(head + 1));
  virtio::Desc& d2 = g_vq.desc(uint16_t(head + 2));
  d0 = {g_meta_phys + 32 * s, sizeof(ReqHeader), virtio::kDescNext, uint16_t(head + 1)};
  d1 = {g_slots[s].data_phys, r->count * BLOCK_SECTOR_SIZE,
        uint16_t(virtio::kDescNext | (r->op == blk::Op::kRead ? virtio::kDescWrite : 0)), uint16_t(head + 2)};
  d2 = {g_meta_phys + 32 * s + 16, 1, virtio::kDescWrite, 0};
  if (r->op == blk::Op::kFlush) d0.next = uint16_t(head + 2);
  g_vq.push(head);
  pci::outw(uint16_t(g_io + kQueueNotify), 0);
}

void kick() {
  while (blk::Request* r = g_queue.start_next()) submit(r);
  if (g_queue.in_flight() > g_max_in_flight) g_max_in_flight = g_queue.in_flight();
  if (g_queue.waiting() > g_max_waiting) g_max_waiting = g_queue.waiting();
}

// Answers a finished request (its slot's status byte says how it went).
void finish(const blk::Request& r) {
  uint8_t status = g_meta[32 * r.slot + 16];
  kern_return_t code = status == 0 ? KERN_SUCCESS : D_IO_ERROR;
  ++g_completed;
  if (status != 0) printf("virtio-blk: request at sector %lu: device status %u\n", (unsigned long)r.sector, status);
  switch (r.op) {
    case blk::Op::kRead: {
      if (code != KERN_SUCCESS) return blk::reply_error(r.reply, 5300, code);
      uint64_t bytes = uint64_t(r.count) * BLOCK_SECTOR_SIZE;
      vm_address_t buf = 0;
      if (rpc_vm_allocate(mach_task_self(), &buf, bytes, VM_FLAGS_ANYWHERE) != KERN_SUCCESS)
        return blk::reply_error(r.reply, 5300, D_NO_MEMORY);
      memcpy(reinterpret_cast<void*>(buf), g_slots[r.slot].data, bytes);
      // A client gone meanwhile: the reply is not sent and the region stays here.
      kern_return_t kr = block_read_reply(r.reply, KERN_SUCCESS, buf, mach_msg_type_number_t(bytes));
      if (kr != MACH_MSG_SUCCESS) {
        printf("virtio-blk: the reader of sector %lu is gone (%#x): answer dropped\n", (unsigned long)r.sector, kr);
        (void)vm_deallocate(mach_task_self(), buf, bytes);
      }
      return;
    }
    case blk::Op::kWrite:
      if (code != KERN_SUCCESS) return blk::reply_error(r.reply, 5301, code);
      (void)block_write_reply(r.reply, KERN_SUCCESS);
      return;
    case blk::Op::kFlush:
      if (code != KERN_SUCCESS) return blk::reply_error(r.reply, 5303, code);
      (void)block_flush_reply(r.reply, KERN_SUCCESS);
      return;
  }
}

// Takes every finished chain off the used ring and answers its request.
void drain_used() {
  uint16_t head;
  uint32_t len;
  while (g_vq.pop_used(&head, &len)) {
    blk::Request done;
    if (head % 3 != 0 || !g_queue.complete(head / 3u, &done)) {
      printf("virtio-blk: completion of unknown chain %u ignored\n", head);
      continue;
    }
    finish(done);
  }
  kick();
}

}  // namespace

kern_return_t ds_block_read(mach_port_t, mach_port_t reply, uint64_t sector, uint32_t count, vm_offset_t*,
                            mach_msg_type_number_t*) {
  blk::Request r;
  r.op = blk::Op::kRead;
  r.sector = sector;
  r.count = count;
  r.reply = reply;
  kern_return_t kr = g_queue.add(r);
  if (kr != KERN_SUCCESS) return kr;
  kick();
  return MIG_NO_REPLY;  // answered by finish()
}

kern_return_t ds_block_write(mach_port_t, mach_port_t reply, uint64_t sector, vm_offset_t data,
                             mach_msg_type_number_t dataCnt) {
  if (g_features & kFeatureRo) {
    if (dataCnt) (void)vm_deallocate(mach_task_self(), data, dataCnt);
    return D_READ_ONLY;
  }
  blk::Request r;
  r.op = blk::Op::kWrite;
  r.sector = sector;
  r.reply = reply;
  r.data = data;
  r.data_size = dataCnt;
  kern_return_t kr = g_queue.add(r);
  if (kr != KERN_SUCCESS) {
    if (dataCnt) (void)vm_deallocate(mach_task_self(), data, dataCnt);
    return kr;
  }
  kick();
  return MIG_NO_REPLY;
}

kern_return_t ds_block_get_info(mach_port_t, uint32_t* sector_size, uint64_t* sector_count) {
  *sector_size = BLOCK_SECTOR_SIZE;
  *sector_count = g_queue.capacity();
  return KERN_SUCCESS;
}

kern_return_t ds_block_flush(mach_port_t, mach_port_t reply) {
  if (!(g_features & kFeatureFlush)) return KERN_SUCCESS;  // no volatile cache: writes are done when answered
  blk::Request r;
  r.op = blk::Op::kFlush;
  r.reply = reply;
  kern_return_t kr = g_queue.add(r);
  if (kr != KERN_SUCCESS) return kr;
  kick();
  return MIG_NO_REPLY;
}

long number(const char* s, long dflt) {
  if (!s) return dflt;
  long v = 0;
  for (; *s >= '0' && *s <= '9'; ++s) v = v * 10 + (*s - '0');
  return v;
}

int main(int argc, char** argv) {
  g_master = ns_lookup("io-master");
  CHECK_KR(rpc_io_port_grant(g_master, mach_task_self(), pci::kConfigAddress, 8), KERN_SUCCESS);
  pci::PortConfig cfg;
  pci::Device dev;
  if (!pci::find(cfg, 0x1af4, 0x1001, &dev)) {
    printf("virtio-blk: no legacy virtio-blk device (1af4:1001) on the PCI bus\n");
    return 1;
  }
  const pci::Bar& bar0 = dev.bars[0];
  if (!bar0.present || !bar0.io) {
    printf("virtio-blk: BAR0 of %02x:%02x.%x is not an I/O range\n", dev.bus, dev.dev, dev.fn);
    return 1;
  }
  g_io = uint16_t(bar0.base);
  g_irq = dev.irq_line;
  printf("virtio-blk: device at %02x:%02x.%x, I/O ports %#x+%#lx, IRQ %u\n", dev.bus, dev.dev, dev.fn, g_io,
         (unsigned long)bar0.size, g_irq);
  CHECK_KR(rpc_io_port_grant(g_master, mach_task_self(), g_io, uint32_t(bar0.size)), KERN_SUCCESS);
  pci::update_command(cfg, dev, pci::kCommandIo | pci::kCommandBusMaster, pci::kCommandIntxDisable);

  // Reset, then acknowledge and take the features we use.
  pci::outb(uint16_t(g_io + kDeviceStatus), 0);
  pci::outb(uint16_t(g_io + kDeviceStatus), kStatusAcknowledge);
  pci::outb(uint16_t(g_io + kDeviceStatus), kStatusAcknowledge | kStatusDriver);
  uint32_t offered = pci::inl(uint16_t(g_io + kHostFeatures));
  g_features = offered & (kFeatureFlush | kFeatureRo);
  pci::outl(uint16_t(g_io + kGuestFeatures), g_features);
  uint64_t capacity = pci::inl(uint16_t(g_io + kConfig)) | uint64_t(pci::inl(uint16_t(g_io + kConfig + 4))) << 32;

  pci::outw(uint16_t(g_io + kQueueSelect), 0);
  uint16_t qsize = pci::inw(uint16_t(g_io + kQueueSize));
  if (qsize < 3) {
    printf("virtio-blk: queue 0 has %u entries\n", qsize);
    pci::outb(uint16_t(g_io + kDeviceStatus), kStatusFailed);
    return 1;
  }
  uint64_t ring_phys = 0;
  void* ring = dma_allocate(virtio::vring_bytes(qsize), &ring_phys);
  g_vq.init(ring, qsize);
  uint32_t slots = qsize / 3 < kMaxSlots ? qsize / 3 : kMaxSlots;
  long want = number(argc > 2 ? argv[2] : nullptr, slots);
  if (want >= 1 && uint32_t(want) < slots) slots = uint32_t(want);
  g_meta = static_cast<uint8_t*>(dma_allocate(4096, &g_meta_phys));
  for (uint32_t s = 0; s < slots; ++s) g_slots[s].data = static_cast<uint8_t*>(dma_allocate(kSlotBytes, &g_slots[s].data_phys));
  g_queue.init(slots, capacity, BLOCK_MAX_SECTORS);
  pci::outl(uint16_t(g_io + kQueueAddress), uint32_t(ring_phys >> 12));

  // Interrupts arrive on their own port; both ports are served through a set.
  mach_port_t service, notify, set;
  CHECK_KR(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &service), KERN_SUCCESS);
  CHECK_KR(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &notify), KERN_SUCCESS);
  CHECK_KR(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_PORT_SET, &set), KERN_SUCCESS);
  CHECK_KR(mach_port_move_member(mach_task_self(), service, set), KERN_SUCCESS);
  CHECK_KR(mach_port_move_member(mach_task_self(), notify, set), KERN_SUCCESS);
  CHECK_KR(rpc_io_interrupt_attach(g_master, g_irq, notify), KERN_SUCCESS);
  pci::outb(uint16_t(g_io + kDeviceStatus), kStatusAcknowledge | kStatusDriver | kStatusDriverOk);
  printf("virtio-blk: %lu sectors, queue of %u, %u slots, features %#x%s\n", (unsigned long)capacity, qsize, slots,
         g_features, g_features & kFeatureRo ? " (read-only)" : "");

  // The default pager's disk may be this one: none of the driver's memory
  // may ever wait for that pager.
  libmach::vm_wire_all();
  for (long i = number(argc > 1 ? argv[1] : nullptr, 1); i > 0; --i) ns_register("blk", service, MACH_MSG_TYPE_MAKE_SEND);
  mach_port_t previous;
  CHECK_KR(mach_port_request_notification(mach_task_self(), service, MACH_NOTIFY_NO_SENDERS, 1, service, &previous),
           KERN_SUCCESS);

  alignas(8) uint8_t in[block_MAX_REQUEST_SIZE + 64];
  alignas(8) uint8_t out[block_MAX_REPLY_SIZE + 64];
  auto* req = reinterpret_cast<mach_msg_header_t*>(in);
  auto* rep = reinterpret_cast<mach_msg_header_t*>(out);
  while (!g_done || g_queue.in_flight() || g_queue.waiting()) {
    bool busy = g_queue.in_flight() != 0;
    mach_msg_return_t mr = mach_msg(req, MACH_RCV_MSG | (busy ? MACH_RCV_TIMEOUT : 0), 0, sizeof in, set,
                                    busy ? 5000 : 0);
    if (mr == MACH_RCV_TIMED_OUT) {
      printf("virtio-blk: no interrupt for 5 s with %u requests in flight: polling\n", g_queue.in_flight());
      drain_used();
      continue;
    }
    CHECK_KR(mr, MACH_MSG_SUCCESS);
    if (req->msgh_local_port == notify) {
      CHECK(req->msgh_id == IO_INTERRUPT_NOTIFICATION_ID);
      ++g_interrupts;
      (void)pci::inb(uint16_t(g_io + kIsrStatus));  // reading it lowers the line
      drain_used();
      CHECK_KR(rpc_io_interrupt_ack(g_master, g_irq), KERN_SUCCESS);
      continue;
    }
    if (req->msgh_id == MACH_NOTIFY_NO_SENDERS) {
      g_done = true;
      continue;
    }
    (void)blk::serve_one(req, rep);
  }
  CHECK_KR(rpc_io_interrupt_detach(g_master, g_irq), KERN_SUCCESS);
  pci::outb(uint16_t(g_io + kDeviceStatus), 0);
  printf("virtio-blk: no clients left; %lu requests completed, %lu interrupts, at most %u in flight, %u waiting\n",
         g_completed, g_interrupts, g_max_in_flight, g_max_waiting);
  return 0;
}
