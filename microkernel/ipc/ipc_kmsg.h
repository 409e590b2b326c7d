// IpcKmsg: a message inside the kernel, between copyin from the sender and
// copyout to the receiver.
//
// It holds the message bytes as the sender wrote them (header, body,
// descriptors, inline data) with every name translated to the right it
// denotes: the header's ports are in `dest`/`reply`, a port descriptor holds
// an IpcPort* in its first 8 bytes, an out-of-line descriptor the address of
// a kernel copy, an out-of-line ports descriptor a kernel array of IpcPort*.
// The kmsg owns all of those rights and copies; destroying it releases them.
#pragma once

#include <mach/message.h>
#include <stddef.h>
#include <stdint.h>

#include <boost/intrusive/list.hpp>

namespace mk {

static_assert(sizeof(mach_msg_header_t) == 24 && sizeof(mach_msg_body_t) == 4);
static_assert(sizeof(mach_msg_descriptor_t) == MACH_MSG_DESCRIPTOR_SIZE && alignof(mach_msg_descriptor_t) == 4);

class IpcPort;
class IpcSpace;

// A right that names a port that died while the right was in a message.
inline IpcPort* const kIpcPortDead = reinterpret_cast<IpcPort*>(~uintptr_t(0));
inline bool ipc_port_valid(const IpcPort* p) { return p != nullptr && p != kIpcPortDead; }

struct IpcKmsg {
  boost::intrusive::list_member_hook<> link;  // a port's queue, or the reap list
  IpcPort* dest = nullptr;
  mach_msg_type_name_t dest_type = 0;   // PORT_SEND or PORT_SEND_ONCE held on dest
  IpcPort* reply = nullptr;
  mach_msg_type_name_t reply_type = 0;  // 0, PORT_SEND or PORT_SEND_ONCE
  mach_msg_size_t capacity = 0;         // bytes allocated after this struct
  bool kernel_sent = false;             // a notification: not counted against qlimit
  IpcKmsg* reap_next = nullptr;         // ipc_kmsg_destroy's worklist

  mach_msg_header_t* header() { return reinterpret_cast<mach_msg_header_t*>(this + 1); }
  uint8_t* bytes() { return reinterpret_cast<uint8_t*>(this + 1); }
  mach_msg_size_t size() { return header()->msgh_size; }
  bool complex() { return (header()->msgh_bits & MACH_MSGH_BITS_COMPLEX) != 0; }
  // Descriptors; valid only for a complex message whose body was checked.
  mach_msg_descriptor_t* descriptors() {
    return reinterpret_cast<mach_msg_descriptor_t*>(bytes() + sizeof(mach_msg_header_t) + sizeof(mach_msg_body_t));
  }
  mach_msg_size_t descriptor_count() {
    return reinterpret_cast<mach_msg_body_t*>(bytes() + sizeof(mach_msg_header_t))->msgh_descriptor_count;
  }
};

using IpcKmsgQueue = boost::intrusive::list<
    IpcKmsg, boost::intrusive::member_hook<IpcKmsg, boost::intrusive::list_member_hook<>, &IpcKmsg::link>>;

// A kmsg with room for `size` message bytes; nullptr when memory runs out.
IpcKmsg* ipc_kmsg_alloc(mach_msg_size_t size);
// Free the storage only (rights and copies already dealt with).
void ipc_kmsg_free(IpcKmsg* kmsg);
// Release every right and copy the message holds, then free it. Ports that
// die as a result are destroyed after this returns to the outermost caller
// (a worklist, not recursion: nested messages cannot overflow the stack).
void ipc_kmsg_destroy(IpcKmsg* kmsg);

// The message was delivered (or taken by the kernel itself): the right it
// held on its destination is used up, not released (a released send-once
// right would come back as a send-once notification).
void ipc_kmsg_consume_dest(IpcKmsg* kmsg);

// Port descriptors in kernel form: the pointer fills name and pad1. Byte
// copies, since the same bytes are a name in user form.
inline IpcPort* ipc_desc_port(const mach_msg_port_descriptor_t& d) {
  IpcPort* p;
  __builtin_memcpy(&p, &d.name, sizeof p);
  return p;
}
inline void ipc_desc_set_port(mach_msg_port_descriptor_t& d, IpcPort* p) { __builtin_memcpy(&d.name, &p, sizeof p); }

// Out-of-line port arrays hold 32-bit names in user form and pointers in
// kernel form, converted in place; byte copies again.
inline IpcPort* ipc_ool_port(const void* array, size_t k) {
  IpcPort* p;
  __builtin_memcpy(&p, static_cast<const uint8_t*>(array) + k * sizeof p, sizeof p);
  return p;
}
inline void ipc_ool_set_port(void* array, size_t k, IpcPort* p) {
  __builtin_memcpy(static_cast<uint8_t*>(array) + k * sizeof p, &p, sizeof p);
}
inline uint32_t ipc_ool_name(const void* array, size_t k) {
  uint32_t n;
  __builtin_memcpy(&n, static_cast<const uint8_t*>(array) + k * sizeof n, sizeof n);
  return n;
}
inline void ipc_ool_set_name(void* array, size_t k, uint32_t n) {
  __builtin_memcpy(static_cast<uint8_t*>(array) + k * sizeof n, &n, sizeof n);
}

// Copy in a message the caller has placed in kmsg->bytes() (send_size bytes,
// read from the sender): check the header and body, turn the sender's names
// into rights by their dispositions, copy out-of-line regions. On error
// nothing in the sender's space has changed and the kmsg holds no rights
// (the caller frees it). Codes: MACH_SEND_MSG_TOO_SMALL, MACH_SEND_TOO_LARGE,
// MACH_SEND_INVALID_HEADER, MACH_SEND_INVALID_DEST, MACH_SEND_INVALID_REPLY,
// MACH_SEND_INVALID_TYPE, MACH_SEND_INVALID_RIGHT, MACH_SEND_INVALID_MEMORY,
// MACH_SEND_NO_BUFFER.
// kernel_data: a message the kernel built in its own space (a reply of its
// MIG servers): out-of-line addresses are kernel memory, copied with memcpy
// and left to the caller to free (`deallocate` is not acted on).
mach_msg_return_t ipc_kmsg_copyin(IpcSpace* space, IpcKmsg* kmsg, mach_msg_size_t send_size,
                                  bool kernel_data = false);

// Copy the header's names in only (a message without a body): the part of
// ipc_kmsg_copyin that checks and moves header rights.
mach_msg_return_t ipc_kmsg_copyin_header(IpcSpace* space, IpcKmsg* kmsg);

// Turn the kmsg's rights into names in the receiver's space and its
// out-of-line copies into regions of the receiver's memory; the bytes are
// then ready to copy to the receiver's buffer. `rcv_port_name` names the
// port or set received on (for msgh_local_port when the space has no name).
// A right that cannot get a name (space full) is destroyed and reads
// MACH_PORT_DEAD; a region that cannot be placed reads address 0. Returns
// MACH_MSG_SUCCESS, or MACH_RCV_HEADER_ERROR / MACH_RCV_BODY_ERROR (with the
// message still delivered as far as it went).
mach_msg_return_t ipc_kmsg_copyout(IpcSpace* space, IpcKmsg* kmsg);

}  // namespace mk
