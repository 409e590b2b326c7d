/* C types of the character-device interface (chardev.defs, chardev_reply.defs),
 * served by the serial console driver (drivers/console). */
#ifndef CHARDEV_TYPES_H
#define CHARDEV_TYPES_H

#include <stdint.h>

/* Bytes inline in one request or reply (chardev_data_t). */
#define CHARDEV_INLINE_MAX 1024u
/* Bytes in one out-of-line write (chardev_ool_data_t). */
#define CHARDEV_OOL_MAX (64u * 1024u)

/* char_read flags. */
#define CHARDEV_READ_NOWAIT 0x1u /* answer at once, with 0 bytes when none is buffered */

typedef char* chardev_data_t;     /* inline, up to CHARDEV_INLINE_MAX bytes */
typedef char* chardev_ool_data_t; /* out of line */

/* char_get_status: counters since the driver started, and its buffers now. */
typedef struct chardev_status {
  uint64_t input_pending;   /* bytes received, not read yet */
  uint64_t output_pending;  /* bytes written, not transmitted yet */
  uint64_t rx_bytes;        /* bytes received into the input buffer */
  uint64_t rx_dropped;      /* bytes received while the input buffer was full (lost) */
  uint64_t line_errors;     /* overrun, parity, framing and break conditions the UART reported */
  uint64_t tx_bytes;        /* bytes handed to the transmitter (a "\n" counts as "\r\n") */
  uint64_t interrupts;      /* interrupt messages handled */
  uint64_t waiting;         /* requests waiting: reads in the low 32 bits, writes and drains in the high */
} chardev_status_t;
#define CHARDEV_STATUS_COUNT ((unsigned)(sizeof(chardev_status_t) / sizeof(uint64_t)))

#endif /* CHARDEV_TYPES_H */
