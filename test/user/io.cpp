// io.elf: the kernel's device mechanisms (io.defs) from user tasks. Roles
// (argv[1]; cases io-* in test/qemu/cases.py):
//   holder N   module 0: the only task the kernel gives the I/O master port
//              (IO_MASTER_PORT in its environment); answers N lookups of
//              "io-master" on the bootstrap port with a copy of it
//   ports      granted 0x70-0x71 and 0x80 by itself, reads and writes them
//   refused    no capability: every io.defs call gives an error code; then
//              an inb without a grant ends the task with #GP
//   irq        the RTC's periodic interrupt (line 8) as messages, acked
//   mem        device memory (VGA text buffer) mapped; RAM refused; DMA
//              buffers: addresses, zeroes, pages back after deallocation
#include <io_rpc.h>
#include <vm_rpc.h>

#include "ipc_util.h"
#include "libmach/env.h"

const char* g_role = "io";

namespace {

long arg_num(int argc, char** argv, int i, long dflt) {
  if (i >= argc) return dflt;
  long v = 0;
  for (const char* p = argv[i]; *p; ++p) v = v * 10 + (*p - '0');
  return v;
}

inline uint8_t inb(uint16_t port) {
  uint8_t v;
  asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}
inline void outb(uint16_t port, uint8_t v) { asm volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }

// CMOS/RTC registers through the index (0x70) and data (0x71) ports; bit 7
// of the index keeps NMIs disabled, as PC firmware leaves them.
uint8_t cmos_read(uint8_t reg) {
  outb(0x70, uint8_t(0x80 | reg));
  return inb(0x71);
}
void cmos_write(uint8_t reg, uint8_t v) {
  outb(0x70, uint8_t(0x80 | reg));
  outb(0x71, v);
}

mach_port_t new_receive_right() {
  mach_port_t p;
  CHECK_KR(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p), KERN_SUCCESS);
  return p;
}

uint64_t free_pages() {
  vm_statistics_data_t s;
  CHECK_KR(rpc_vm_statistics(mach_task_self(), &s), KERN_SUCCESS);
  return s.free_count;
}

int role_holder(long n) {
  mach_port_t master = libmach::io_master_port();
  CHECK(MACH_PORT_VALID(master));
  printf("holder: the kernel gave module 0 the I/O master port as name %#x\n", master);
  mach_port_t bp = bootstrap_port();
  union {
    PortMsg pm;
    uint8_t raw[256];
  } buf;
  for (long served = 0; served < n; ++served) {
    CHECK_KR(mach_msg(&buf.pm.h, MACH_RCV_MSG, 0, sizeof buf, bp, 0), MACH_MSG_SUCCESS);
    CHECK(buf.pm.h.msgh_id == kNsLookup);
    CHECK(memcmp(buf.raw + sizeof(mach_msg_header_t), "io-master", 10) == 0);
    PortMsg r{};
    r.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0) | MACH_MSGH_BITS_COMPLEX;
    r.h.msgh_remote_port = buf.pm.h.msgh_remote_port;
    r.h.msgh_id = kNsLookup + 100;
    r.body.msgh_descriptor_count = 1;
    r.port.name = master;
    r.port.disposition = MACH_MSG_TYPE_COPY_SEND;
    r.port.type = MACH_MSG_PORT_DESCRIPTOR;
    CHECK_KR(mach_msg(&r.h, MACH_SEND_MSG, sizeof r, 0, MACH_PORT_NULL, 0), MACH_MSG_SUCCESS);
  }
  printf("holder: passed the I/O master port on %ld times\n", n);
  return 0;
}

mach_port_t get_master() {
  CHECK(libmach::io_master_port() == MACH_PORT_NULL);  // the kernel told only module 0
  mach_port_t master = ns_lookup("io-master");
  CHECK(MACH_PORT_VALID(master));
  return master;
}

int role_ports() {
  mach_port_t master = get_master();
  mach_port_t self = mach_task_self();
  CHECK_KR(rpc_io_port_grant(master, self, 0x80, 0), KERN_INVALID_ARGUMENT);
  CHECK_KR(rpc_io_port_grant(master, self, 0xFFFF, 2), KERN_INVALID_ARGUMENT);
  CHECK_KR(rpc_io_port_grant(master, self, 0x10000, 1), KERN_INVALID_ARGUMENT);
  CHECK_KR(rpc_io_port_grant(master, master, 0x80, 1), KERN_INVALID_ARGUMENT);  // not a task port
  mach_port_t started = MACH_PORT_NULL;  // io_module_start: not the bootstrap, nor a module beyond the last
  CHECK_KR(rpc_io_module_start(master, 0, &started), KERN_INVALID_ARGUMENT);
  CHECK_KR(rpc_io_module_start(master, 2, &started), KERN_INVALID_ARGUMENT);
  CHECK_KR(rpc_io_module_start(master, 0xffffffffu, &started), KERN_INVALID_ARGUMENT);
  CHECK_KR(rpc_io_port_grant(master, self, 0x70, 2), KERN_SUCCESS);
  CHECK_KR(rpc_io_port_grant(master, self, 0x80, 1), KERN_SUCCESS);
  outb(0x80, 0x42);  // the POST port: harmless
  uint8_t a = cmos_read(0x0A), d = cmos_read(0x0D);
  printf("ports: granted 0x70-0x71 and 0x80; CMOS register A %#x, D %#x\n", a, d);
  CHECK((d & 0x80) != 0);  // register D: "valid RAM and time" is set on a working RTC
  // The grant survives switches to other tasks and back.
  for (int i = 0; i < 20; i++) {
    thread_switch();
    CHECK(cmos_read(0x0D) == d);
  }
  printf("ports: PASS: in/out on granted ports\n");
  return 0;
}

int role_refused() {
  mach_port_t self = mach_task_self();
  CHECK(libmach::io_master_port() == MACH_PORT_NULL);
  // The task port is no I/O master port: every call is refused.
  kern_return_t g = rpc_io_port_grant(self, self, 0x80, 1);
  mach_port_t p = new_receive_right();
  kern_return_t i = rpc_io_interrupt_attach(self, 8, p);
  kern_return_t k = rpc_io_interrupt_ack(self, 8);
  kern_return_t d = rpc_io_interrupt_detach(self, 8);
  vm_address_t addr = 0;
  uint64_t phys = 0;
  kern_return_t m = rpc_io_memory_map(self, self, 0xb8000, 4096, &addr);
  kern_return_t a = rpc_io_dma_allocate(self, self, 4096, &addr, &phys);
  printf("refused: without the capability (KERN_INVALID_CAPABILITY is 0x14): grant %#x, attach %#x, ack %#x, detach %#x, map %#x, dma %#x\n", g, i, k, d,
         m, a);
  CHECK(g == KERN_INVALID_CAPABILITY && i == KERN_INVALID_CAPABILITY && k == KERN_INVALID_CAPABILITY &&
        d == KERN_INVALID_CAPABILITY && m == KERN_INVALID_CAPABILITY && a == KERN_INVALID_CAPABILITY);
  mach_port_t started = MACH_PORT_NULL;
  CHECK_KR(rpc_io_module_start(self, 1, &started), KERN_INVALID_CAPABILITY);
  // The right offered to attach went back with the refused request.
  mach_port_urefs_t refs = 9;
  CHECK_KR(mach_port_get_refs(self, p, MACH_PORT_RIGHT_SEND, &refs), KERN_SUCCESS);
  CHECK(refs == 0);
  printf("refused: PASS: io calls without the capability refused; now inb 0x71 without a grant\n");
  (void)inb(0x71);
  printf("refused: FAILED: inb without a grant went through\n");
  return 1;
}

// One notification from `port`, checked.
io_interrupt_notification_t receive_interrupt(mach_port_t port) {
  union {
    io_interrupt_notification_t n;
    uint8_t raw[128];
  } buf;
  CHECK_KR(mach_msg(&buf.n.head, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof buf, port, 5000), MACH_MSG_SUCCESS);
  CHECK(buf.n.head.msgh_id == IO_INTERRUPT_NOTIFICATION_ID);
  CHECK(buf.n.head.msgh_size == sizeof(io_interrupt_notification_t));
  CHECK(!(buf.n.head.msgh_bits & MACH_MSGH_BITS_COMPLEX));
  return buf.n;
}

int role_irq(long n) {
  mach_port_t master = get_master();
  mach_port_t self = mach_task_self();
  CHECK_KR(rpc_io_port_grant(master, self, 0x70, 2), KERN_SUCCESS);
  mach_port_t port = new_receive_right();
  CHECK_KR(rpc_io_interrupt_attach(master, 0, port), KERN_INVALID_ARGUMENT);   // the timer's
  CHECK_KR(rpc_io_interrupt_attach(master, 2, port), KERN_INVALID_ARGUMENT);   // the cascade
  CHECK_KR(rpc_io_interrupt_attach(master, 16, port), KERN_INVALID_ARGUMENT);
  CHECK_KR(rpc_io_interrupt_ack(master, 8), KERN_INVALID_ARGUMENT);            // not attached
  CHECK_KR(rpc_io_interrupt_detach(master, 8), KERN_INVALID_ARGUMENT);
  CHECK_KR(rpc_io_interrupt_attach(master, 8, port), KERN_SUCCESS);
  CHECK_KR(rpc_io_interrupt_attach(master, 8, port), KERN_NO_SPACE);

  // RTC: 64 Hz periodic interrupt (rate 10), then enable it (register B, PIE).
  cmos_write(0x0A, uint8_t((cmos_read(0x0A) & 0xF0) | 10));
  (void)cmos_read(0x0C);
  cmos_write(0x0B, uint8_t(cmos_read(0x0B) | 0x40));
  uint64_t last = 0;
  for (long i = 0; i < n; i++) {
    io_interrupt_notification_t note = receive_interrupt(port);
    CHECK(note.irq == 8 && note.count > last);
    last = note.count;
    CHECK((cmos_read(0x0C) & 0xC0) == 0xC0);  // IRQF and PF: the RTC raised it; reading C clears it
    CHECK_KR(rpc_io_interrupt_ack(master, 8), KERN_SUCCESS);
  }
  printf("irq: %ld RTC interrupts on line 8 arrived as messages (count %lu)\n", n, (unsigned long)last);

  // Acked before the notification was received: the next interrupt is
  // counted but not sent while the first is still queued.
  (void)receive_interrupt(port);
  (void)cmos_read(0x0C);
  CHECK_KR(rpc_io_interrupt_ack(master, 8), KERN_SUCCESS);
  mach_port_t idle = new_receive_right();
  for (int i = 0; i < 3; i++) {
    // Wait for one to be queued (and ack it unreceived, clearing the RTC).
    mach_port_status_t st;
    do {
      thread_switch();
      unsigned cnt = sizeof st / 4;
      CHECK_KR(mach_port_get_attributes(self, port, MACH_PORT_RECEIVE_STATUS, &st, &cnt), KERN_SUCCESS);
    } while (st.mps_msgcount == 0);
    (void)cmos_read(0x0C);
    CHECK_KR(rpc_io_interrupt_ack(master, 8), KERN_SUCCESS);
    // 50 ms (three RTC periods): an interrupt surely comes meanwhile.
    mach_msg_header_t h;
    CHECK_KR(mach_msg(&h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof h, idle, 50), MACH_RCV_TIMED_OUT);
  }
  io_interrupt_notification_t first = receive_interrupt(port);
  mach_port_status_t st;
  unsigned cnt = sizeof st / 4;
  CHECK_KR(mach_port_get_attributes(self, port, MACH_PORT_RECEIVE_STATUS, &st, &cnt), KERN_SUCCESS);
  CHECK(st.mps_msgcount == 0);
  (void)cmos_read(0x0C);
  CHECK_KR(rpc_io_interrupt_ack(master, 8), KERN_SUCCESS);
  io_interrupt_notification_t next = receive_interrupt(port);
  CHECK(next.count >= first.count + 2);  // the ones in between were counted
  printf("irq: interrupts while a notification was queued were counted, not sent (queued %lu, next %lu)\n",
         (unsigned long)first.count, (unsigned long)next.count);
  (void)cmos_read(0x0C);

  CHECK_KR(rpc_io_interrupt_detach(master, 8), KERN_SUCCESS);
  CHECK_KR(rpc_io_interrupt_ack(master, 8), KERN_INVALID_ARGUMENT);
  // A port that dies gives its line back: the next attach takes it over.
  mach_port_t doomed = new_receive_right();
  CHECK_KR(rpc_io_interrupt_attach(master, 8, doomed), KERN_SUCCESS);
  CHECK_KR(mach_port_destroy(self, doomed), KERN_SUCCESS);
  CHECK_KR(rpc_io_interrupt_attach(master, 8, port), KERN_SUCCESS);
  (void)cmos_read(0x0C);
  io_interrupt_notification_t again = receive_interrupt(port);
  CHECK(again.irq == 8 && again.count >= 1);
  CHECK_KR(rpc_io_interrupt_detach(master, 8), KERN_SUCCESS);
  cmos_write(0x0B, uint8_t(cmos_read(0x0B) & ~0x40));
  (void)cmos_read(0x0C);
  printf("irq: PASS: attach, ack, detach, refusals, dead port taken over\n");
  return 0;
}

int role_mem() {
  mach_port_t master = get_master();
  mach_port_t self = mach_task_self();
  vm_address_t addr = 0;
  // Refusals: RAM (the kernel's image at 1 MiB, low memory), the kernel's
  // local APIC, bad sizes.
  CHECK_KR(rpc_io_memory_map(master, self, 0x100000, 4096, &addr), KERN_INVALID_ADDRESS);
  CHECK_KR(rpc_io_memory_map(master, self, 0x1000, 4096, &addr), KERN_INVALID_ADDRESS);
  CHECK_KR(rpc_io_memory_map(master, self, 0xfee00000, 4096, &addr), KERN_INVALID_ADDRESS);
  CHECK_KR(rpc_io_memory_map(master, self, 1ull << 62, 4096, &addr), KERN_INVALID_ADDRESS);
  CHECK_KR(rpc_io_memory_map(master, self, 0xb8000, 0, &addr), KERN_INVALID_ARGUMENT);
  CHECK_KR(rpc_io_memory_map(master, self, ~0ull - 100, 4096, &addr), KERN_INVALID_ARGUMENT);
  CHECK_KR(rpc_io_memory_map(master, self, 0xb8000, 1ull << 40, &addr), KERN_INVALID_ARGUMENT);
  CHECK_KR(rpc_io_memory_map(master, master, 0xb8000, 4096, &addr), KERN_INVALID_ARGUMENT);

  // The VGA text buffer: write the last cell of the screen and read it back.
  CHECK_KR(rpc_io_memory_map(master, self, 0xb8000 + 2 * 80, 4000 - 160, &addr), KERN_SUCCESS);
  CHECK((addr & 0xFFF) == 160);
  volatile uint16_t* cell = reinterpret_cast<volatile uint16_t*>(addr + 4000 - 160 - 2);
  uint16_t old = *cell;
  *cell = 0x1f21;
  CHECK(*cell == 0x1f21);
  *cell = old;
  // Never copied: vm_read of device memory is refused.
  vm_offset_t data;
  mach_msg_type_number_t count;
  CHECK_KR(rpc_vm_read(self, addr & ~0xFFFul, 4096, &data, &count), KERN_PROTECTION_FAILURE);
  CHECK_KR(rpc_vm_deallocate(self, addr & ~0xFFFul, 4096), KERN_SUCCESS);
  printf("mem: PASS: VGA text memory mapped and read back; RAM and kernel registers refused\n");

  // DMA buffers. A first round warms up page tables and heap.
  vm_address_t a = 0, b = 0;
  uint64_t pa = 0, pb = 0;
  CHECK_KR(rpc_io_dma_allocate(master, self, 0, &a, &pa), KERN_INVALID_ARGUMENT);
  CHECK_KR(rpc_io_dma_allocate(master, self, 1ull << 40, &a, &pa), KERN_INVALID_ARGUMENT);
  CHECK_KR(rpc_io_dma_allocate(master, self, 3 * 4096, &a, &pa), KERN_SUCCESS);
  CHECK_KR(rpc_vm_deallocate(self, a, 3 * 4096), KERN_SUCCESS);
  uint64_t before = free_pages();
  CHECK_KR(rpc_io_dma_allocate(master, self, 3 * 4096 - 100, &a, &pa), KERN_SUCCESS);
  CHECK_KR(rpc_io_dma_allocate(master, self, 4096, &b, &pb), KERN_SUCCESS);
  CHECK(pa != 0 && pb != 0 && (pa & 0xFFF) == 0 && (pb & 0xFFF) == 0 && pa != pb);
  CHECK(pb >= pa + 3 * 4096 || pb + 4096 <= pa);
  auto* pa_bytes = reinterpret_cast<volatile uint8_t*>(a);
  for (uint64_t i = 0; i < 3 * 4096; i++) CHECK(pa_bytes[i] == 0);
  for (uint64_t i = 0; i < 3 * 4096; i++) pa_bytes[i] = uint8_t(i * 7);
  for (uint64_t i = 0; i < 3 * 4096; i++) CHECK(pa_bytes[i] == uint8_t(i * 7));
  uint64_t during = free_pages();
  // RAM is not device memory: the buffer's own frames are refused.
  CHECK_KR(rpc_io_memory_map(master, self, pa, 4096, &addr), KERN_INVALID_ADDRESS);
  CHECK_KR(rpc_vm_deallocate(self, a, 3 * 4096), KERN_SUCCESS);
  CHECK_KR(rpc_vm_deallocate(self, b, 4096), KERN_SUCCESS);
  uint64_t after = free_pages();
  printf("mem: DMA buffers at %#lx (3 pages) and %#lx; free pages %lu -> %lu -> %lu\n", (unsigned long)pa,
         (unsigned long)pb, (unsigned long)before, (unsigned long)during, (unsigned long)after);
  CHECK(during + 4 <= before);
  CHECK(after == before);
  printf("mem: PASS: DMA buffers contiguous, zeroed, distinct, pages back after deallocation\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    printf("io: no role\n");
    return 2;
  }
  g_role = argv[1];
  const char* r = argv[1];
  if (!strcmp(r, "holder")) return role_holder(arg_num(argc, argv, 2, 1));
  if (!strcmp(r, "ports")) return role_ports();
  if (!strcmp(r, "refused")) return role_refused();
  if (!strcmp(r, "irq")) return role_irq(arg_num(argc, argv, 2, 5));
  if (!strcmp(r, "mem")) return role_mem();
  printf("io: unknown role %s\n", r);
  return 2;
}
