/* Port names and rights as a task sees them. Values follow Mach 3
 * (osfmk/mach/port.h) so that programs and MIG-generated code agree.
 *
 * A name is a small integer meaningful only inside its task's IPC space: the
 * low byte is a generation number, the rest an index into the space's table,
 * so a stale name (its entry freed and reused) is refused, not misused. */
#ifndef MACH_PORT_H
#define MACH_PORT_H

#include <stdint.h>

typedef uint32_t mach_port_name_t;
typedef mach_port_name_t mach_port_t; /* user side: a name */
typedef uint32_t mach_port_right_t;
typedef uint32_t mach_port_type_t;
typedef int32_t mach_port_delta_t;
typedef uint32_t mach_port_urefs_t;
typedef uint32_t mach_port_seqno_t;
typedef uint32_t mach_port_mscount_t;
typedef uint32_t mach_port_msgcount_t;
typedef uint32_t mach_port_rights_t;
typedef int32_t mach_port_flavor_t;

#define MACH_PORT_NULL 0u
#define MACH_PORT_DEAD 0xffffffffu
#define MACH_PORT_VALID(name) ((name) != MACH_PORT_NULL && (name) != MACH_PORT_DEAD)

#define MACH_PORT_INDEX(name) ((name) >> 8)
#define MACH_PORT_GEN(name) ((name)&0xffu)
#define MACH_PORT_MAKE(index, gen) (((index) << 8) | ((gen)&0xffu))

#define MACH_PORT_RIGHT_SEND 0u
#define MACH_PORT_RIGHT_RECEIVE 1u
#define MACH_PORT_RIGHT_SEND_ONCE 2u
#define MACH_PORT_RIGHT_PORT_SET 3u
#define MACH_PORT_RIGHT_DEAD_NAME 4u
#define MACH_PORT_RIGHT_NUMBER 5u

#define MACH_PORT_TYPE(right) (1u << ((right) + 16u))
#define MACH_PORT_TYPE_NONE 0u
#define MACH_PORT_TYPE_SEND MACH_PORT_TYPE(MACH_PORT_RIGHT_SEND)
#define MACH_PORT_TYPE_RECEIVE MACH_PORT_TYPE(MACH_PORT_RIGHT_RECEIVE)
#define MACH_PORT_TYPE_SEND_ONCE MACH_PORT_TYPE(MACH_PORT_RIGHT_SEND_ONCE)
#define MACH_PORT_TYPE_PORT_SET MACH_PORT_TYPE(MACH_PORT_RIGHT_PORT_SET)
#define MACH_PORT_TYPE_DEAD_NAME MACH_PORT_TYPE(MACH_PORT_RIGHT_DEAD_NAME)
#define MACH_PORT_TYPE_SEND_RECEIVE (MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_RECEIVE)
#define MACH_PORT_TYPE_SEND_RIGHTS (MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_SEND_ONCE)
#define MACH_PORT_TYPE_PORT_RIGHTS (MACH_PORT_TYPE_SEND_RIGHTS | MACH_PORT_TYPE_RECEIVE)
#define MACH_PORT_TYPE_PORT_OR_DEAD (MACH_PORT_TYPE_PORT_RIGHTS | MACH_PORT_TYPE_DEAD_NAME)
#define MACH_PORT_TYPE_ALL_RIGHTS (MACH_PORT_TYPE_PORT_OR_DEAD | MACH_PORT_TYPE_PORT_SET)
/* Not rights: a registered dead-name request on the name. */
#define MACH_PORT_TYPE_DNREQUEST 0x80000000u

#define MACH_PORT_UREFS_MAX 0xffffu

#define MACH_PORT_QLIMIT_ZERO 0u
#define MACH_PORT_QLIMIT_DEFAULT 5u
#define MACH_PORT_QLIMIT_MAX 1024u

/* mach_port_get_attributes / set_attributes flavors. */
#define MACH_PORT_LIMITS_INFO 1
#define MACH_PORT_RECEIVE_STATUS 2

typedef struct mach_port_status {
  mach_port_name_t mps_pset;     /* containing port set, or MACH_PORT_NULL */
  mach_port_seqno_t mps_seqno;   /* sequence number of the next message */
  mach_port_mscount_t mps_mscount; /* make-send count */
  mach_port_msgcount_t mps_qlimit; /* queue limit */
  mach_port_msgcount_t mps_msgcount; /* messages queued */
  mach_port_rights_t mps_sorights; /* send-once rights outstanding */
  uint32_t mps_srights;            /* nonzero: send rights exist */
  uint32_t mps_pdrequest;          /* nonzero: port-destroyed request (unused) */
  uint32_t mps_nsrequest;          /* nonzero: no-senders request */
  uint32_t mps_flags;
} mach_port_status_t;

typedef struct mach_port_limits {
  mach_port_msgcount_t mpl_qlimit;
} mach_port_limits_t;

#endif
