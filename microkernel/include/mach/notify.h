/* Kernel notifications: messages the kernel sends to a port named in a
 * request (mach_port_request_notification), with these ids (Mach 3 values). */
#ifndef MACH_NOTIFY_H
#define MACH_NOTIFY_H

#include <mach/message.h>

#define MACH_NOTIFY_FIRST 0100
#define MACH_NOTIFY_PORT_DELETED (MACH_NOTIFY_FIRST + 001)   /* a right a request watched was deallocated */
#define MACH_NOTIFY_PORT_DESTROYED (MACH_NOTIFY_FIRST + 005) /* receive right returned (not supported) */
#define MACH_NOTIFY_NO_SENDERS (MACH_NOTIFY_FIRST + 006)
#define MACH_NOTIFY_SEND_ONCE (MACH_NOTIFY_FIRST + 007)
#define MACH_NOTIFY_DEAD_NAME (MACH_NOTIFY_FIRST + 010)
#define MACH_NOTIFY_LAST (MACH_NOTIFY_FIRST + 015)

/* mach_port_request_notification variants */
#define MACH_NOTIFY_VARIANT_PORT_DELETED MACH_NOTIFY_PORT_DELETED
#define MACH_NOTIFY_VARIANT_NO_SENDERS MACH_NOTIFY_NO_SENDERS
#define MACH_NOTIFY_VARIANT_DEAD_NAME MACH_NOTIFY_DEAD_NAME

typedef struct {
  mach_msg_header_t not_header;
  mach_port_name_t not_port; /* the name the notification is about */
  uint32_t pad;
} mach_port_deleted_notification_t, mach_dead_name_notification_t;

typedef struct {
  mach_msg_header_t not_header;
  mach_port_mscount_t not_count; /* make-send count when the last send right went */
  uint32_t pad;
} mach_no_senders_notification_t;

typedef struct {
  mach_msg_header_t not_header;
} mach_send_once_notification_t;

#endif
