// The serial console driver: a user task that drives a 16550 UART (COM1:
// ports 0x3f8-0x3ff, IRQ 4) by interrupts and serves chardev.defs on a port
// it registers with the name server as "console". docs/drivers.md.
//
// One thread receives on a port set holding the service port (requests, and
// the no-senders notification that ends the driver) and the interrupt port
// (io_interrupt_notification from the kernel). Input waits in a ring until
// read; a read with nothing to give, and a write that does not fit the output
// ring, keep their reply rights and are answered later (chardev_reply.defs).
//
// Usage: console.elf [name [raw [crash-after=N]]]   (name to register
// under, default "console"; raw: no "\n" to "\r\n" translation, for the
// Unix tty; crash-after=N: fault on purpose in the N-th write, for the
// supervisor's test).
// The I/O master port comes from the name server ("io-master").
#include <chardevServer.h>
#include <chardev_reply.h>
#include <io_rpc.h>
#include <mach/io_types.h>

#include "../../test/user/ipc_util.h"  // the name server's client (ns_lookup, ns_register)
#include "console_buffers.h"
#include "ring_buffer.h"
#include "uart16550.h"

const char* g_role = "console";

namespace {

using console::port_in8;
using console::port_out8;
namespace uart = console::uart;

constexpr uint16_t kBase = 0x3F8;  // COM1
constexpr uint32_t kIrq = 4;

// Request ids of chardev.defs (subsystem 5500) whose replies we may send late.
constexpr mach_msg_id_t kWriteId = 5500, kWriteOolId = 5501, kReadId = 5502, kDrainId = 5504;

// A read waiting for input.
struct PendingRead {
  mach_port_t reply;  // send-once right
  uint32_t max;       // the caller's capacity
};

// A write waiting for room in the output ring: its bytes are kept (inline
// ones copied, an out-of-line region held until done).
struct PendingWrite {
  mach_port_t reply;
  mach_msg_id_t id;  // kWriteId or kWriteOolId: which reply to send
  uint32_t len;
  uint32_t done;
  const uint8_t* ool;  // the region, or nullptr for inline bytes
  uint8_t bytes[CHARDEV_INLINE_MAX];
};

constinit console::ConsoleBuffers g_buffers;
constinit console::RingBuffer<PendingRead, 16> g_readers;
constinit console::RingBuffer<PendingWrite, 8> g_writers;
constinit console::RingBuffer<mach_port_t, 8> g_drainers;  // char_drain reply rights
mach_port_t g_master = MACH_PORT_NULL;
mach_port_t g_service = MACH_PORT_NULL;
uint8_t g_ier = 0;  // what the interrupt enable register holds
uint64_t g_interrupts = 0;
uint64_t g_line_errors = 0;
bool g_closing = false;

uint8_t reg_in(uint16_t reg) { return port_in8(uint16_t(kBase + reg)); }
void reg_out(uint16_t reg, uint8_t v) { port_out8(uint16_t(kBase + reg), v); }

void set_ier(uint8_t ier) {
  if (ier == g_ier) return;
  g_ier = ier;
  reg_out(uart::kIntEnable, ier);
}

// 115200 8N1, FIFOs on and cleared, interrupt at every received byte, OUT2 so
// the UART's interrupt reaches the PIC. Interrupts stay off until set_ier.
void uart_init() {
  reg_out(uart::kIntEnable, 0);
  reg_out(uart::kLineControl, uart::kLcrDlab);
  reg_out(uart::kData, 1);  // divisor 1: 115200 baud
  reg_out(uart::kIntEnable, 0);
  reg_out(uart::kLineControl, uart::kLcr8N1);
  reg_out(uart::kFifoControl, uart::kFcrEnable | uart::kFcrClearRx | uart::kFcrClearTx | uart::kFcrTrigger1);
  reg_out(uart::kModemControl, uart::kMcrDtr | uart::kMcrRts | uart::kMcrOut2);
  (void)reg_in(uart::kLineStatus);
  (void)reg_in(uart::kData);
  (void)reg_in(uart::kIntId);
  (void)reg_in(uart::kModemStatus);
}

void drain_rx() {
  for (int i = 0; i < 4096; ++i) {  // bounded: a babbling line cannot hold the driver
    uint8_t lsr = reg_in(uart::kLineStatus);
    if (lsr & uart::kLsrErrors) ++g_line_errors;
    if (!(lsr & uart::kLsrDataReady)) return;
    (void)g_buffers.receive(reg_in(uart::kData));
  }
}

bool tx_fifo_empty() { return reg_in(uart::kLineStatus) & uart::kLsrTxEmpty; }

// Refill the transmit FIFO when it is empty; keep the transmit-empty
// interrupt on while bytes wait, or while a drain waits for the FIFO to
// empty. The kernel's early log writes the same THR by polling; it only
// writes when the FIFO is empty, as we do.
void pump_tx() {
  if (g_buffers.output_pending() && tx_fifo_empty()) {
    uint8_t burst[uart::kTxFifo];
    uint32_t n = g_buffers.transmit(burst, uart::kTxFifo);
    for (uint32_t i = 0; i < n; ++i) reg_out(uart::kData, burst[i]);
  }
  bool want = g_buffers.output_pending() || (!g_drainers.empty() && !tx_fifo_empty());
  set_ier(want ? uint8_t(g_ier | uart::kIerTxEmpty) : uint8_t(g_ier & ~uart::kIerTxEmpty));
}

void handle_interrupt() {
  ++g_interrupts;
  for (int i = 0; i < 64; ++i) {
    uint8_t iir = reg_in(uart::kIntId);
    if (iir & uart::kIirNonePending) break;
    switch (iir & uart::kIirIdMask) {
      case uart::kIirLineStatus:
        if (reg_in(uart::kLineStatus) & uart::kLsrErrors) ++g_line_errors;
        break;
      case uart::kIirRxData:
      case uart::kIirRxTimeout:
        drain_rx();
        break;
      case uart::kIirTxEmpty:  // reading IIR cleared it; refill below
        break;
      case uart::kIirModemStatus:
        (void)reg_in(uart::kModemStatus);
        break;
      default:
        break;
    }
  }
  drain_rx();
  pump_tx();
  CHECK_KR(rpc_io_interrupt_ack(g_master, kIrq), KERN_SUCCESS);
}

bool reply_right_dead(mach_port_t reply) {
  mach_port_type_t type = 0;
  return mach_port_type(mach_task_self(), reply, &type) != KERN_SUCCESS || (type & MACH_PORT_TYPE_DEAD_NAME);
}

// A failure for a request whose reply we kept: the 28-byte error reply the
// client's stub expects.
void reply_error(mach_port_t reply, mach_msg_id_t request_id, kern_return_t code) {
  mig_reply_error_t r{};
  r.Head.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0);
  r.Head.msgh_size = sizeof r;
  r.Head.msgh_remote_port = reply;
  r.Head.msgh_id = request_id + 100;
  r.RetCode = code;
  if (mach_msg(&r.Head, MACH_SEND_MSG, sizeof r, 0, MACH_PORT_NULL, 0) != MACH_MSG_SUCCESS)
    (void)mach_port_deallocate(mach_task_self(), reply);
}

void finish_write(PendingWrite& w) {
  kern_return_t kr = w.id == kWriteId ? char_write_reply(w.reply, KERN_SUCCESS, w.len)
                                  : char_write_ool_reply(w.reply, KERN_SUCCESS, w.len);
  if (kr != MACH_MSG_SUCCESS) (void)mach_port_deallocate(mach_task_self(), w.reply);  // the client is gone
  if (w.ool) (void)vm_deallocate(mach_task_self(), reinterpret_cast<unsigned long>(w.ool), w.len);
}

// Answer what can be answered now: readers while input is buffered, writers
// while their bytes fit; then start the transmitter.
void serve_waiting() {
  while (!g_readers.empty() && g_buffers.input_pending()) {
    PendingRead r;
    (void)g_readers.pop(&r);
    if (reply_right_dead(r.reply)) {  // the client died waiting: keep the input for the next
      (void)mach_port_deallocate(mach_task_self(), r.reply);
      continue;
    }
    char data[CHARDEV_INLINE_MAX];
    uint32_t n = g_buffers.read(reinterpret_cast<uint8_t*>(data), r.max);
    if (char_read_reply(r.reply, KERN_SUCCESS, data, n) != MACH_MSG_SUCCESS)
      (void)mach_port_deallocate(mach_task_self(), r.reply);
  }
  while (!g_writers.empty()) {
    PendingWrite& w = g_writers.front();
    const uint8_t* src = w.ool ? w.ool : w.bytes;
    w.done += g_buffers.write(src + w.done, w.len - w.done);
    if (w.done < w.len) break;
    finish_write(w);
    g_writers.drop_front();
  }
  pump_tx();
  if (!g_drainers.empty() && !g_buffers.output_pending() && g_writers.empty() && tx_fifo_empty()) {
    mach_port_t reply;
    while (g_drainers.pop(&reply))
      if (char_drain_reply(reply, KERN_SUCCESS) != MACH_MSG_SUCCESS) (void)mach_port_deallocate(mach_task_self(), reply);
    pump_tx();  // the transmit-empty interrupt may go off now
  }
}

// Both writes: take what fits now; the rest waits with the reply right.
kern_return_t start_write(mach_port_t reply, mach_msg_id_t id, const uint8_t* data, uint32_t len, bool ool,
                          uint32_t* written) {
  if (g_closing) return KERN_ABORTED;
  uint32_t done = 0;
  if (g_writers.empty()) {
    if (g_writers.full()) return KERN_RESOURCE_SHORTAGE;
    done = g_buffers.write(data, len);
    pump_tx();
    if (done == len) {
      *written = len;
      if (ool) (void)vm_deallocate(mach_task_self(), reinterpret_cast<unsigned long>(data), len);
      return KERN_SUCCESS;
    }
  } else if (g_writers.full()) {
    return KERN_RESOURCE_SHORTAGE;
  }
  PendingWrite w;
  w.reply = reply;
  w.id = id;
  w.len = len;
  w.done = done;
  w.ool = ool ? data : nullptr;
  if (!ool) memcpy(w.bytes, data, len);
  (void)g_writers.push(w);
  return MIG_NO_REPLY;
}

void end_waiting_requests(kern_return_t code) {
  PendingRead r;
  while (g_readers.pop(&r)) reply_error(r.reply, kReadId, code);
  while (!g_writers.empty()) {
    PendingWrite& w = g_writers.front();
    reply_error(w.reply, w.id, code);
    if (w.ool) (void)vm_deallocate(mach_task_self(), reinterpret_cast<unsigned long>(w.ool), w.len);
    g_writers.drop_front();
  }
  mach_port_t reply;
  while (g_drainers.pop(&reply)) reply_error(reply, kDrainId, code);
}

// A request the server stub or routine refused: what it carried is ours to
// release (the out-of-line region of char_write_ool).
void destroy_request(mach_msg_header_t* req) {
  if (!(req->msgh_bits & MACH_MSGH_BITS_COMPLEX)) return;
  auto* body = reinterpret_cast<mach_msg_body_t*>(req + 1);
  auto* d = reinterpret_cast<uint8_t*>(body + 1);
  for (uint32_t i = 0; i < body->msgh_descriptor_count && i < 4; ++i, d += 16) {
    auto* port = reinterpret_cast<mach_msg_port_descriptor_t*>(d);
    if (port->type == MACH_MSG_PORT_DESCRIPTOR) {
      if (MACH_PORT_VALID(port->name)) (void)mach_port_deallocate(mach_task_self(), port->name);
    } else if (port->type == MACH_MSG_OOL_DESCRIPTOR) {
      auto* ool = reinterpret_cast<mach_msg_ool_descriptor_t*>(d);
      if (ool->address && ool->size)
        (void)vm_deallocate(mach_task_self(), reinterpret_cast<unsigned long>(ool->address), ool->size);
    }
  }
}

}  // namespace

// --- chardev.defs -------------------------------------------------------

// crash-after=N (fault injection, docs/robustness.md): the driver faults
// in the middle of its N-th write request, holding the writer's reply right.
unsigned long g_crash_after = 0, g_writes = 0;

kern_return_t S_char_write(mach_port_t, mach_port_t reply, chardev_data_t data, mach_msg_type_number_t dataCnt,
                           uint32_t* written) {
  if (g_crash_after && ++g_writes == g_crash_after) {
    printf("console: crashing on purpose in write request %lu\n", g_writes);
    *reinterpret_cast<volatile int*>(0) = 0;
  }
  return start_write(reply, kWriteId, reinterpret_cast<const uint8_t*>(data), dataCnt, false, written);
}

kern_return_t S_char_write_ool(mach_port_t, mach_port_t reply, chardev_ool_data_t data,
                               mach_msg_type_number_t dataCnt, uint32_t* written) {
  if (dataCnt > CHARDEV_OOL_MAX) return KERN_INVALID_ARGUMENT;  // the loop frees the region
  if (dataCnt == 0) {
    *written = 0;
    return KERN_SUCCESS;
  }
  return start_write(reply, kWriteOolId, reinterpret_cast<const uint8_t*>(data), dataCnt, true, written);
}

kern_return_t S_char_read(mach_port_t, mach_port_t reply, uint32_t flags, chardev_data_t data,
                          mach_msg_type_number_t* dataCnt) {
  if (g_closing) return KERN_ABORTED;
  if (flags & ~CHARDEV_READ_NOWAIT) return KERN_INVALID_ARGUMENT;
  if ((g_readers.empty() && g_buffers.input_pending()) || (flags & CHARDEV_READ_NOWAIT) || *dataCnt == 0) {
    // Earlier waiting readers come first: a NOWAIT read behind them gets nothing.
    uint32_t max = g_readers.empty() ? *dataCnt : 0;
    *dataCnt = g_buffers.read(reinterpret_cast<uint8_t*>(data), max);
    return KERN_SUCCESS;
  }
  if (!g_readers.push({reply, *dataCnt})) return KERN_RESOURCE_SHORTAGE;
  return MIG_NO_REPLY;
}

kern_return_t S_char_get_status(mach_port_t, chardev_status_t* status) {
  const console::ConsoleCounters& c = g_buffers.counters();
  status->input_pending = g_buffers.input_pending();
  status->output_pending = g_buffers.output_pending();
  status->rx_bytes = c.rx_bytes;
  status->rx_dropped = c.rx_dropped;
  status->line_errors = g_line_errors;
  status->tx_bytes = c.tx_bytes;
  status->interrupts = g_interrupts;
  status->waiting = uint64_t(g_readers.size()) | (uint64_t(g_writers.size() + g_drainers.size()) << 32);
  return KERN_SUCCESS;
}

kern_return_t S_char_drain(mach_port_t, mach_port_t reply) {
  if (g_buffers.output_pending() == 0 && g_writers.empty() && tx_fifo_empty()) return KERN_SUCCESS;
  if (!g_drainers.push(reply)) return KERN_RESOURCE_SHORTAGE;
  pump_tx();
  return MIG_NO_REPLY;
}

// --- the loop -----------------------------------------------------------

int main(int argc, char** argv) {
  const char* name = argc > 1 ? argv[1] : "console";
  // "raw": bytes go out as written (the Unix server's tty turns "\n" into
  // "\r\n" itself, only while the terminal's settings say so).
  if (argc > 2 && strcmp(argv[2], "raw") == 0) g_buffers.set_crlf(false);
  if (argc > 3 && strncmp(argv[3], "crash-after=", 12) == 0)
    for (const char* c = argv[3] + 12; *c >= '0' && *c <= '9'; ++c) g_crash_after = g_crash_after * 10 + unsigned(*c - '0');
  g_master = ns_lookup("io-master");
  CHECK_KR(rpc_io_port_grant(g_master, mach_task_self(), kBase, uart::kPortCount), KERN_SUCCESS);
  uart_init();

  mach_port_t irq_port, set;
  CHECK_KR(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &g_service), KERN_SUCCESS);
  CHECK_KR(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &irq_port), KERN_SUCCESS);
  CHECK_KR(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_PORT_SET, &set), KERN_SUCCESS);
  CHECK_KR(mach_port_move_member(mach_task_self(), g_service, set), KERN_SUCCESS);
  CHECK_KR(mach_port_move_member(mach_task_self(), irq_port, set), KERN_SUCCESS);
  CHECK_KR(rpc_io_interrupt_attach(g_master, kIrq, irq_port), KERN_SUCCESS);
  set_ier(uart::kIerRxData | uart::kIerLineStatus);

  // The name server gets the one send right we make; when it and every copy
  // of it are gone nobody can reach us, and the driver ends.
  ns_register(name, g_service, MACH_MSG_TYPE_MAKE_SEND);
  mach_port_t previous = MACH_PORT_NULL;
  CHECK_KR(mach_port_request_notification(mach_task_self(), g_service, MACH_NOTIFY_NO_SENDERS, 1, g_service,
                                          &previous),
           KERN_SUCCESS);
  printf("console: 16550 at %#x, irq %u, serving chardev as \"%s\"\n", kBase, kIrq, name);

  alignas(8) uint8_t in[chardev_MAX_REQUEST_SIZE + 256];
  alignas(8) uint8_t out[chardev_MAX_REPLY_SIZE + 64];
  auto* req = reinterpret_cast<mach_msg_header_t*>(in);
  auto* rep = reinterpret_cast<mach_msg_header_t*>(out);
  while (!g_closing || g_buffers.output_pending() || !g_writers.empty()) {
    mach_msg_return_t mr = mach_msg(req, MACH_RCV_MSG, 0, sizeof in, set, 0);
    if (mr != MACH_MSG_SUCCESS) {
      printf("console: receive failed: %#x\n", mr);
      continue;
    }
    if (req->msgh_local_port == irq_port) {
      if (req->msgh_id == IO_INTERRUPT_NOTIFICATION_ID) handle_interrupt();
      serve_waiting();
      continue;
    }
    if (req->msgh_id == MACH_NOTIFY_NO_SENDERS && !MACH_PORT_VALID(req->msgh_remote_port)) {
      // We make one send right only (the registration), so this is final.
      g_closing = true;  // finish the output, then go
      continue;
    }
    (void)chardev_server(req, rep);
    kern_return_t code = mig_reply_code(rep);
    if (code != KERN_SUCCESS && code != MIG_NO_REPLY) destroy_request(req);
    if (code != MIG_NO_REPLY && MACH_PORT_VALID(rep->msgh_remote_port))
      (void)mach_msg(rep, MACH_SEND_MSG, rep->msgh_size, 0, MACH_PORT_NULL, 0);  // a client gone is no matter
    serve_waiting();
  }
  end_waiting_requests(KERN_ABORTED);
  set_ier(0);
  CHECK_KR(rpc_io_interrupt_detach(g_master, kIrq), KERN_SUCCESS);
  const console::ConsoleCounters& c = g_buffers.counters();
  printf("console: no more clients; %lu bytes in, %lu out, %lu interrupts\n", (unsigned long)c.rx_bytes,
         (unsigned long)c.tx_bytes, (unsigned long)g_interrupts);
  return 0;
}
