/* The message format: what mach_msg sends and receives.
 *
 * A message is a header, then (when MACH_MSGH_BITS_COMPLEX is set) a body
 * with a descriptor count and that many 16-byte descriptors, then inline
 * data. The header is GNU Mach's (with msgh_seqno, the receive sequence
 * number); the body and descriptors follow XNU's complex messages, with every
 * descriptor 16 bytes and its type in the last byte so that a receiver can
 * walk them without knowing their kinds. Sizes are in bytes and multiples of
 * 4; a message is at most MACH_MSG_SIZE_MAX bytes inline. */
#ifndef MACH_MESSAGE_H
#define MACH_MESSAGE_H

#include <stdint.h>

#include <mach/kern_return.h>
#include <mach/port.h>

typedef uint32_t mach_msg_bits_t;
typedef uint32_t mach_msg_size_t;
typedef int32_t mach_msg_id_t;
typedef uint32_t mach_msg_type_name_t;
typedef uint32_t mach_msg_type_number_t;
typedef uint32_t mach_msg_descriptor_type_t;
typedef uint32_t mach_msg_option_t;
typedef uint32_t mach_msg_timeout_t; /* milliseconds */
typedef kern_return_t mach_msg_return_t;
typedef uint8_t mach_msg_copy_options_t;
typedef uint32_t mach_msg_seqno_t;

/* Dispositions: what a send does with a right it names. Received messages
 * carry the resulting right type (PORT_RECEIVE, PORT_SEND, PORT_SEND_ONCE). */
#define MACH_MSG_TYPE_MOVE_RECEIVE 16u
#define MACH_MSG_TYPE_MOVE_SEND 17u
#define MACH_MSG_TYPE_MOVE_SEND_ONCE 18u
#define MACH_MSG_TYPE_COPY_SEND 19u
#define MACH_MSG_TYPE_MAKE_SEND 20u
#define MACH_MSG_TYPE_MAKE_SEND_ONCE 21u
#define MACH_MSG_TYPE_COPY_RECEIVE 22u /* not valid in a send; MIG names it */
#define MACH_MSG_TYPE_PORT_NAME 15u    /* a name as plain data */
#define MACH_MSG_TYPE_PORT_RECEIVE MACH_MSG_TYPE_MOVE_RECEIVE
#define MACH_MSG_TYPE_PORT_SEND MACH_MSG_TYPE_MOVE_SEND
#define MACH_MSG_TYPE_PORT_SEND_ONCE MACH_MSG_TYPE_MOVE_SEND_ONCE
#define MACH_MSG_TYPE_LAST 22u
#define MACH_MSG_TYPE_POLYMORPHIC ((mach_msg_type_name_t)-1)

#define MACH_MSG_TYPE_PORT_ANY(x) ((x) >= MACH_MSG_TYPE_MOVE_RECEIVE && (x) <= MACH_MSG_TYPE_MAKE_SEND_ONCE)
#define MACH_MSG_TYPE_PORT_ANY_SEND(x) ((x) >= MACH_MSG_TYPE_MOVE_SEND && (x) <= MACH_MSG_TYPE_MAKE_SEND_ONCE)
#define MACH_MSG_TYPE_PORT_ANY_RIGHT(x) ((x) >= MACH_MSG_TYPE_MOVE_RECEIVE && (x) <= MACH_MSG_TYPE_MOVE_SEND_ONCE)

/* Header bits: the remote (destination) disposition in bits 0-7, the local
 * (reply) disposition in bits 8-15; COMPLEX says a body follows. */
#define MACH_MSGH_BITS_ZERO 0u
#define MACH_MSGH_BITS_REMOTE_MASK 0x000000ffu
#define MACH_MSGH_BITS_LOCAL_MASK 0x0000ff00u
#define MACH_MSGH_BITS_COMPLEX 0x80000000u
#define MACH_MSGH_BITS_USER 0x8000ffffu /* every bit a sender may set */
#define MACH_MSGH_BITS(remote, local) ((remote) | ((local) << 8))
#define MACH_MSGH_BITS_REMOTE(bits) ((bits)&MACH_MSGH_BITS_REMOTE_MASK)
#define MACH_MSGH_BITS_LOCAL(bits) (((bits)&MACH_MSGH_BITS_LOCAL_MASK) >> 8)

typedef struct mach_msg_header {
  mach_msg_bits_t msgh_bits;
  mach_msg_size_t msgh_size;         /* whole message, header included */
  mach_port_name_t msgh_remote_port; /* send: destination; receive: reply port */
  mach_port_name_t msgh_local_port;  /* send: reply port; receive: the port received on */
  mach_msg_seqno_t msgh_seqno;       /* set on receive */
  mach_msg_id_t msgh_id;
} mach_msg_header_t;

typedef struct mach_msg_body {
  mach_msg_size_t msgh_descriptor_count;
} mach_msg_body_t;

#define MACH_MSG_PORT_DESCRIPTOR 0u
#define MACH_MSG_OOL_DESCRIPTOR 1u
#define MACH_MSG_OOL_PORTS_DESCRIPTOR 2u
#define MACH_MSG_OOL_VOLATILE_DESCRIPTOR 3u

/* Out-of-line copy options (how the sender wants the region passed). */
#define MACH_MSG_PHYSICAL_COPY 0u
#define MACH_MSG_VIRTUAL_COPY 1u
#define MACH_MSG_ALLOCATE 2u

/* Descriptors follow the 4-byte body directly (offset 28 for the first), so
 * they are packed to 4-byte alignment as in XNU. */
#pragma pack(push, 4)

typedef struct mach_msg_type_descriptor {
  uint64_t pad1;
  uint32_t pad2;
  uint8_t pad3[3];
  uint8_t type;
} mach_msg_type_descriptor_t;

typedef struct mach_msg_port_descriptor {
  mach_port_name_t name;
  uint32_t pad1;
  uint32_t pad2;
  uint8_t pad3[2];
  uint8_t disposition; /* send: a MACH_MSG_TYPE_MOVE/COPY/MAKE_*; receive: PORT_* */
  uint8_t type;        /* MACH_MSG_PORT_DESCRIPTOR */
} mach_msg_port_descriptor_t;

typedef struct mach_msg_ool_descriptor {
  uint64_t address; /* send: the sender's region; receive: where it now is */
  mach_msg_size_t size;
  uint8_t deallocate; /* send: remove the region from the sender */
  uint8_t copy;       /* MACH_MSG_PHYSICAL_COPY / VIRTUAL_COPY */
  uint8_t pad1;
  uint8_t type; /* MACH_MSG_OOL_DESCRIPTOR or OOL_VOLATILE */
} mach_msg_ool_descriptor_t;

typedef struct mach_msg_ool_ports_descriptor {
  uint64_t address; /* an array of `count` names */
  mach_msg_size_t count;
  uint8_t deallocate;
  uint8_t copy;
  uint8_t disposition; /* applies to every name in the array */
  uint8_t type;        /* MACH_MSG_OOL_PORTS_DESCRIPTOR */
} mach_msg_ool_ports_descriptor_t;

typedef union mach_msg_descriptor {
  mach_msg_type_descriptor_t type;
  mach_msg_port_descriptor_t port;
  mach_msg_ool_descriptor_t out_of_line;
  mach_msg_ool_ports_descriptor_t ool_ports;
} mach_msg_descriptor_t;

#pragma pack(pop)

#define MACH_MSG_DESCRIPTOR_SIZE 16u
#define MACH_MSG_SIZE_MAX (64u * 1024u)            /* inline bytes, header included */
#define MACH_MSG_OOL_SIZE_MAX (64u * 1024u * 1024u) /* one out-of-line region */
#define MACH_MSG_OOL_PORTS_MAX 1024u
#define MACH_MSG_DESCRIPTORS_MAX 64u

/* mach_msg options. */
#define MACH_MSG_OPTION_NONE 0u
#define MACH_SEND_MSG 0x00000001u
#define MACH_RCV_MSG 0x00000002u
#define MACH_RCV_LARGE 0x00000004u      /* too large: leave it queued, report the size */
#define MACH_SEND_TIMEOUT 0x00000010u
#define MACH_SEND_INTERRUPT 0x00000040u
#define MACH_RCV_TIMEOUT 0x00000100u
#define MACH_RCV_INTERRUPT 0x00000400u
#define MACH_MSG_OPTION_USER 0x00000557u

#define MACH_MSG_TIMEOUT_NONE 0u

/* mach_msg return codes (osfmk/mach/message.h values). */
#define MACH_MSG_SUCCESS 0x00000000
#define MACH_MSG_MASK 0x00003e00
#define MACH_MSG_IPC_SPACE 0x00002000
#define MACH_MSG_VM_SPACE 0x00001000
#define MACH_MSG_IPC_KERNEL 0x00000800
#define MACH_MSG_VM_KERNEL 0x00000400

#define MACH_SEND_IN_PROGRESS 0x10000001
#define MACH_SEND_INVALID_DATA 0x10000002
#define MACH_SEND_INVALID_DEST 0x10000003
#define MACH_SEND_TIMED_OUT 0x10000004
#define MACH_SEND_INTERRUPTED 0x10000007
#define MACH_SEND_MSG_TOO_SMALL 0x10000008
#define MACH_SEND_INVALID_REPLY 0x10000009
#define MACH_SEND_INVALID_RIGHT 0x1000000a
#define MACH_SEND_INVALID_NOTIFY 0x1000000b
#define MACH_SEND_INVALID_MEMORY 0x1000000c
#define MACH_SEND_NO_BUFFER 0x1000000d
#define MACH_SEND_TOO_LARGE 0x1000000e
#define MACH_SEND_INVALID_TYPE 0x1000000f
#define MACH_SEND_INVALID_HEADER 0x10000010

#define MACH_RCV_IN_PROGRESS 0x10004001
#define MACH_RCV_INVALID_NAME 0x10004002
#define MACH_RCV_TIMED_OUT 0x10004003
#define MACH_RCV_TOO_LARGE 0x10004004
#define MACH_RCV_INTERRUPTED 0x10004005
#define MACH_RCV_PORT_CHANGED 0x10004006
#define MACH_RCV_INVALID_NOTIFY 0x10004007
#define MACH_RCV_INVALID_DATA 0x10004008
#define MACH_RCV_PORT_DIED 0x10004009
#define MACH_RCV_IN_SET 0x1000400a
#define MACH_RCV_HEADER_ERROR 0x1000400b
#define MACH_RCV_BODY_ERROR 0x1000400c

#endif
