/* Device access for user-level drivers (io.defs, subsystem 5000): the types
 * the stubs use and the interrupt notification the kernel sends. */
#ifndef MACH_IO_TYPES_H
#define MACH_IO_TYPES_H

#include <stdint.h>

#include <mach/message.h>
#include <mach/port.h>

/* The I/O master port: a send right to it is the privilege to reach
 * devices. Module 0 finds its name in its environment as
 * IO_MASTER_PORT=<decimal name> (libmach::io_master_port()). */
#ifndef MACH_KERNEL_OBJECT_TYPES
typedef mach_port_t io_master_t;
#endif

/* Legacy interrupt lines (PIC) a driver may attach: 1 and 3..15 (0 is the
 * timer's, 2 the cascade). */
#define IO_IRQ_LINES 16

/* Each interrupt on an attached line: one message to the notify port
 * (msgh_id IO_INTERRUPT_NOTIFICATION_ID, not complex, no reply port). The
 * line stays masked until io_interrupt_ack. count: interrupts on the line
 * since io_interrupt_attach, this one included (interrupts that arrived
 * while a notification was still queued are counted, not sent). */
#define IO_INTERRUPT_NOTIFICATION_ID 5090

typedef struct io_interrupt_notification {
  mach_msg_header_t head;
  uint32_t irq;
  uint32_t pad;
  uint64_t count;
} io_interrupt_notification_t;

#ifdef __cplusplus
static_assert(sizeof(io_interrupt_notification_t) == 40, "io_interrupt_notification: 24 + 4 + 4 + 8 bytes");
#endif

#endif /* MACH_IO_TYPES_H */
