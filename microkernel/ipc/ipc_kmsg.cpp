#include "ipc/ipc_kmsg.h"

#include <new>

#include "ipc/ipc_env.h"
#include "ipc/ipc_port.h"
#include "ipc/ipc_right.h"
#include "ipc/ipc_space.h"
#include "ipc/ipc_stats.h"

namespace mk {
namespace {

constexpr mach_msg_size_t kHeaderSize = sizeof(mach_msg_header_t);
constexpr mach_msg_size_t kBodyOffset = kHeaderSize + sizeof(mach_msg_body_t);

// Messages waiting to be destroyed, and whether a destroy loop is running:
// destroying a message can destroy ports whose queues hold more messages.
IpcKmsg* g_reap_head = nullptr;
bool g_reaping = false;

void free_ool(void* buf, mach_msg_size_t size) {
  if (!buf) return;
  ipc_free(buf);
  g_ipc_stats.ool_bytes -= size;
}

void* alloc_ool(mach_msg_size_t size) {
  void* buf = ipc_alloc(size);
  if (buf) g_ipc_stats.ool_bytes += size;
  return buf;
}

bool is_ool_data(const mach_msg_descriptor_t& d) {
  return d.type.type == MACH_MSG_OOL_DESCRIPTOR || d.type.type == MACH_MSG_OOL_VOLATILE_DESCRIPTOR;
}

void discard_ool_copy(mach_msg_ool_descriptor_t& o) {
  if (!o.address) return;
  ipc_ool_discard(reinterpret_cast<void*>(o.address));
  g_ipc_stats.ool_bytes -= o.size;
  o.address = 0;
}

// Release what one kernel-form descriptor holds.
void clean_descriptor(mach_msg_descriptor_t& d) {
  switch (d.type.type) {
    case MACH_MSG_PORT_DESCRIPTOR:
      ipc_right_release(ipc_desc_port(d.port), d.port.disposition);
      ipc_desc_set_port(d.port, nullptr);
      break;
    case MACH_MSG_OOL_DESCRIPTOR:
    case MACH_MSG_OOL_VOLATILE_DESCRIPTOR:
      discard_ool_copy(d.out_of_line);
      break;
    case MACH_MSG_OOL_PORTS_DESCRIPTOR: {
      auto* ports = reinterpret_cast<void*>(d.ool_ports.address);
      if (!ports) break;
      for (mach_msg_size_t i = 0; i < d.ool_ports.count; i++)
        ipc_right_release(ipc_ool_port(ports, i), d.ool_ports.disposition);
      free_ool(ports, d.ool_ports.count * sizeof(IpcPort*));
      d.ool_ports.address = 0;
      break;
    }
  }
}

void clean(IpcKmsg* kmsg) {
  IpcPort* dest = kmsg->dest;
  IpcPort* reply = kmsg->reply;
  kmsg->dest = kmsg->reply = nullptr;
  ipc_right_release(reply, kmsg->reply_type);
  ipc_right_release(dest, kmsg->dest_type);
  if (kmsg->complex()) {
    mach_msg_descriptor_t* d = kmsg->descriptors();
    for (mach_msg_size_t i = 0; i < kmsg->descriptor_count(); i++) clean_descriptor(d[i]);
  }
}

// Undo pass 1 of a body copyin: only the kernel copies exist.
void free_pass1(mach_msg_descriptor_t* d, mach_msg_size_t count) {
  for (mach_msg_size_t i = 0; i < count; i++) {
    if (is_ool_data(d[i])) {
      discard_ool_copy(d[i].out_of_line);
    } else if (d[i].type.type == MACH_MSG_OOL_PORTS_DESCRIPTOR) {
      free_ool(reinterpret_cast<void*>(d[i].ool_ports.address), d[i].ool_ports.count * sizeof(IpcPort*));
      d[i].ool_ports.address = 0;
    }
  }
}

mach_msg_return_t check_port_right(IpcSpace* space, mach_port_name_t name, mach_msg_type_name_t disp,
                                   IpcPort* dest) {
  if (!MACH_MSG_TYPE_PORT_ANY(disp)) return MACH_SEND_INVALID_TYPE;
  if (ipc_right_copyin_check(space, name, disp) != KERN_SUCCESS) return MACH_SEND_INVALID_RIGHT;
  if (disp == MACH_MSG_TYPE_MOVE_RECEIVE && MACH_PORT_VALID(name)) {
    // A receive right may not travel to its own port, nor into a chain of
    // messages that ends there.
    IpcPort* port = space->lookup(name)->port();
    if (port == dest || ipc_port_check_circularity(port, dest)) return MACH_SEND_INVALID_RIGHT;
    if (port->kotype != IpcKObjectType::kNone) return MACH_SEND_INVALID_RIGHT;
  }
  return MACH_MSG_SUCCESS;
}

// The port a header check found as destination (no rights taken).
IpcPort* header_dest(IpcSpace* space, mach_msg_header_t* h) {
  IpcEntry* e = space->lookup(h->msgh_remote_port);
  return e ? e->port() : nullptr;
}

mach_msg_return_t check_header(IpcSpace* space, mach_msg_header_t* h) {
  mach_msg_bits_t bits = h->msgh_bits;
  if (bits & ~MACH_MSGH_BITS_USER) return MACH_SEND_INVALID_HEADER;
  mach_msg_type_name_t rd = MACH_MSGH_BITS_REMOTE(bits);
  mach_msg_type_name_t ld = MACH_MSGH_BITS_LOCAL(bits);
  if (!MACH_MSG_TYPE_PORT_ANY_SEND(rd)) return MACH_SEND_INVALID_HEADER;
  if (ld != 0 && !MACH_MSG_TYPE_PORT_ANY_SEND(ld)) return MACH_SEND_INVALID_HEADER;
  if (ld == 0 && h->msgh_local_port != MACH_PORT_NULL) return MACH_SEND_INVALID_HEADER;

  mach_port_name_t dest = h->msgh_remote_port;
  mach_port_name_t reply = h->msgh_local_port;
  if (!MACH_PORT_VALID(dest)) return MACH_SEND_INVALID_DEST;
  IpcEntry* de = space->lookup(dest);
  if (!de || (de->type & MACH_PORT_TYPE_DEAD_NAME)) return MACH_SEND_INVALID_DEST;
  if (ipc_right_copyin_check(space, dest, rd) != KERN_SUCCESS) return MACH_SEND_INVALID_DEST;
  if (ld == 0 || !MACH_PORT_VALID(reply)) return MACH_MSG_SUCCESS;
  if (ipc_right_copyin_check(space, reply, ld) != KERN_SUCCESS) return MACH_SEND_INVALID_REPLY;
  if (reply == dest) {
    // Both rights come from one name: it must have enough to give.
    if (rd == MACH_MSG_TYPE_MOVE_SEND_ONCE || ld == MACH_MSG_TYPE_MOVE_SEND_ONCE) return MACH_SEND_INVALID_REPLY;
    unsigned moves = (rd == MACH_MSG_TYPE_MOVE_SEND) + (ld == MACH_MSG_TYPE_MOVE_SEND);
    unsigned need = moves + (rd == MACH_MSG_TYPE_MOVE_SEND && ld == MACH_MSG_TYPE_COPY_SEND);
    if (need > de->urefs && (de->type & MACH_PORT_TYPE_SEND)) return MACH_SEND_INVALID_REPLY;
  }
  return MACH_MSG_SUCCESS;
}

// Pass 1 over the body: check every descriptor and take copies of
// out-of-line data; nothing in the space changes.
// With kernel_data (a message the kernel built in its own space) port
// arrays are kernel memory, copied directly, and out-of-line data are
// copies the kernel made: the message takes them all, even when it fails.
kern_return_t copy_ool_in(void* dst, uint64_t src, size_t len, bool kernel_data) {
  if (!kernel_data) return ipc_copyin_user(dst, src, len);
  __builtin_memcpy(dst, reinterpret_cast<const void*>(src), len);
  return KERN_SUCCESS;
}

// A kernel-built message failed at descriptor i: the copies it would have
// taken from there on are dropped (the kernel handed them over).
void discard_kernel_ool(mach_msg_descriptor_t* d, mach_msg_size_t i, mach_msg_size_t count, uint64_t at_i) {
  if (is_ool_data(d[i]) && !d[i].out_of_line.address && at_i) ipc_ool_discard(reinterpret_cast<void*>(at_i));
  for (mach_msg_size_t j = i + 1; j < count; j++)
    if (is_ool_data(d[j]) && d[j].out_of_line.address) ipc_ool_discard(reinterpret_cast<void*>(d[j].out_of_line.address));
}

mach_msg_return_t check_body(IpcSpace* space, IpcKmsg* kmsg, mach_msg_size_t send_size, IpcPort* dest,
                             uint64_t* user_addrs, bool kernel_data) {
  if (send_size < kBodyOffset) return MACH_SEND_MSG_TOO_SMALL;
  mach_msg_size_t count = kmsg->descriptor_count();
  if (count > MACH_MSG_DESCRIPTORS_MAX) return MACH_SEND_TOO_LARGE;
  if (kBodyOffset + count * MACH_MSG_DESCRIPTOR_SIZE > send_size) return MACH_SEND_MSG_TOO_SMALL;
  mach_msg_descriptor_t* d = kmsg->descriptors();
  for (mach_msg_size_t i = 0; i < count; i++) {
    mach_msg_return_t mr = MACH_MSG_SUCCESS;
    user_addrs[i] = 0;
    switch (d[i].type.type) {
      case MACH_MSG_PORT_DESCRIPTOR:
        mr = check_port_right(space, d[i].port.name, d[i].port.disposition, dest);
        break;
      case MACH_MSG_OOL_DESCRIPTOR:
      case MACH_MSG_OOL_VOLATILE_DESCRIPTOR: {
        mach_msg_ool_descriptor_t& o = d[i].out_of_line;
        user_addrs[i] = o.address;
        o.address = 0;
        if (o.copy > MACH_MSG_ALLOCATE) mr = MACH_SEND_INVALID_TYPE;
        else if (o.size > MACH_MSG_OOL_SIZE_MAX) mr = MACH_SEND_TOO_LARGE;
        else if (o.size == 0 && kernel_data && user_addrs[i]) {
          ipc_ool_discard(reinterpret_cast<void*>(user_addrs[i]));  // a kernel copy with nothing in it
          user_addrs[i] = 0;
        } else if (o.size > 0) {
          void* copy = nullptr;
          kern_return_t kr =
              ipc_ool_copyin(space, user_addrs[i], o.size, o.copy == MACH_MSG_PHYSICAL_COPY, kernel_data, &copy);
          if (kr == KERN_SUCCESS) {
            o.address = reinterpret_cast<uint64_t>(copy);
            g_ipc_stats.ool_bytes += o.size;
          } else {
            mr = kr == KERN_RESOURCE_SHORTAGE ? MACH_SEND_NO_BUFFER : MACH_SEND_INVALID_MEMORY;
          }
        }
        break;
      }
      case MACH_MSG_OOL_PORTS_DESCRIPTOR: {
        mach_msg_ool_ports_descriptor_t& o = d[i].ool_ports;
        user_addrs[i] = o.address;
        o.address = 0;
        if (!MACH_MSG_TYPE_PORT_ANY(o.disposition)) mr = MACH_SEND_INVALID_TYPE;
        else if (o.count > MACH_MSG_OOL_PORTS_MAX) mr = MACH_SEND_TOO_LARGE;
        else if (o.count > 0) {
          // Room for the kernel form (pointers); the names land in the front.
          void* buf = alloc_ool(o.count * sizeof(IpcPort*));
          if (!buf) mr = MACH_SEND_NO_BUFFER;
          else {
            o.address = reinterpret_cast<uint64_t>(buf);
            if (copy_ool_in(buf, user_addrs[i], o.count * sizeof(uint32_t), kernel_data) != KERN_SUCCESS)
              mr = MACH_SEND_INVALID_MEMORY;
            for (mach_msg_size_t k = 0; mr == MACH_MSG_SUCCESS && k < o.count; k++)
              mr = check_port_right(space, ipc_ool_name(buf, k), o.disposition, dest);
          }
        }
        break;
      }
      default:
        mr = MACH_SEND_INVALID_TYPE;
        break;
    }
    if (mr != MACH_MSG_SUCCESS) {
      free_pass1(d, i + 1);
      if (kernel_data) discard_kernel_ool(d, i, count, user_addrs[i]);
      return mr;
    }
  }
  return MACH_MSG_SUCCESS;
}

// Pass 2: take the rights. Fails only when two descriptors draw on the same
// name for more than it holds; then the message is destroyed up to there.
mach_msg_return_t copyin_body(IpcSpace* space, IpcKmsg* kmsg, const uint64_t* user_addrs, bool kernel_data) {
  mach_msg_size_t count = kmsg->descriptor_count();
  mach_msg_descriptor_t* d = kmsg->descriptors();
  mach_msg_return_t mr = MACH_MSG_SUCCESS;
  for (mach_msg_size_t i = 0; i < count; i++) {
    switch (d[i].type.type) {
      case MACH_MSG_PORT_DESCRIPTOR: {
        IpcPort* port = nullptr;
        mach_msg_type_name_t type = 0;
        mach_port_name_t name = d[i].port.name;
        if (mr == MACH_MSG_SUCCESS && ipc_right_copyin(space, name, d[i].port.disposition, &port, &type) != KERN_SUCCESS)
          mr = MACH_SEND_INVALID_RIGHT;
        ipc_desc_set_port(d[i].port, mr == MACH_MSG_SUCCESS ? port : nullptr);
        d[i].port.pad2 = 0;
        d[i].port.disposition = uint8_t(ipc_right_result_type(d[i].port.disposition));
        break;
      }
      case MACH_MSG_OOL_DESCRIPTOR:
      case MACH_MSG_OOL_VOLATILE_DESCRIPTOR:
        if (mr == MACH_MSG_SUCCESS && !kernel_data && d[i].out_of_line.deallocate && d[i].out_of_line.size)
          (void)ipc_user_deallocate(space->owner, user_addrs[i], d[i].out_of_line.size);
        break;
      case MACH_MSG_OOL_PORTS_DESCRIPTOR: {
        mach_msg_ool_ports_descriptor_t& o = d[i].ool_ports;
        void* array = reinterpret_cast<void*>(o.address);
        mach_msg_type_name_t type = 0;
        // Backwards: pointer k lands at or beyond name k, on names done already.
        for (mach_msg_size_t k = o.count; k-- > 0;) {
          IpcPort* port = nullptr;
          mach_port_name_t name = ipc_ool_name(array, k);
          if (mr == MACH_MSG_SUCCESS && ipc_right_copyin(space, name, o.disposition, &port, &type) != KERN_SUCCESS) {
            mr = MACH_SEND_INVALID_RIGHT;
            port = nullptr;
          }
          ipc_ool_set_port(array, k, mr == MACH_MSG_SUCCESS ? port : nullptr);
        }
        if (mr == MACH_MSG_SUCCESS && !kernel_data && o.deallocate && o.count)
          (void)ipc_user_deallocate(space->owner, user_addrs[i], o.count * sizeof(uint32_t));
        (void)type;
        o.disposition = uint8_t(ipc_right_result_type(o.disposition));
        break;
      }
    }
  }
  return mr;
}

}  // namespace

IpcKmsg* ipc_kmsg_alloc(mach_msg_size_t size) {
  void* mem = ipc_alloc(sizeof(IpcKmsg) + size);
  if (!mem) return nullptr;
  g_ipc_stats.kmsgs++;
  auto* kmsg = new (mem) IpcKmsg();
  kmsg->capacity = size;
  return kmsg;
}

void ipc_kmsg_free(IpcKmsg* kmsg) {
  kmsg->~IpcKmsg();
  ipc_free(kmsg);
  g_ipc_stats.kmsgs--;
}

void ipc_kmsg_destroy(IpcKmsg* kmsg) {
  kmsg->reap_next = g_reap_head;
  g_reap_head = kmsg;
  if (g_reaping) return;  // the loop below, further up the stack, takes it
  g_reaping = true;
  while (IpcKmsg* k = g_reap_head) {
    g_reap_head = k->reap_next;
    clean(k);
    ipc_kmsg_free(k);
  }
  g_reaping = false;
}

void ipc_kmsg_consume_dest(IpcKmsg* kmsg) {
  IpcPort* dest = kmsg->dest;
  kmsg->dest = nullptr;
  if (!ipc_port_valid(dest)) return;
  if (kmsg->dest_type == MACH_MSG_TYPE_PORT_SEND_ONCE)
    ipc_port_consume_send_once(dest);
  else
    ipc_port_release_send(dest);
}

mach_msg_return_t ipc_kmsg_copyin_header(IpcSpace* space, IpcKmsg* kmsg) {
  mach_msg_header_t* h = kmsg->header();
  mach_msg_return_t mr = check_header(space, h);
  if (mr != MACH_MSG_SUCCESS) return mr;
  mach_msg_type_name_t rd = MACH_MSGH_BITS_REMOTE(h->msgh_bits);
  mach_msg_type_name_t ld = MACH_MSGH_BITS_LOCAL(h->msgh_bits);
  // Checked above: neither can fail.
  (void)ipc_right_copyin(space, h->msgh_remote_port, rd, &kmsg->dest, &kmsg->dest_type);
  if (ld != 0) {
    (void)ipc_right_copyin(space, h->msgh_local_port, ld, &kmsg->reply, &kmsg->reply_type);
  } else {
    kmsg->reply = nullptr;
    kmsg->reply_type = 0;
  }
  return MACH_MSG_SUCCESS;
}

mach_msg_return_t ipc_kmsg_copyin(IpcSpace* space, IpcKmsg* kmsg, mach_msg_size_t send_size, bool kernel_data) {
  if (send_size < kHeaderSize || (send_size & 3)) return MACH_SEND_MSG_TOO_SMALL;
  if (send_size > MACH_MSG_SIZE_MAX || send_size > kmsg->capacity) return MACH_SEND_TOO_LARGE;
  mach_msg_header_t* h = kmsg->header();
  h->msgh_size = send_size;
  mach_msg_return_t mr = check_header(space, h);
  if (mr != MACH_MSG_SUCCESS) return mr;
  if (!(h->msgh_bits & MACH_MSGH_BITS_COMPLEX)) return ipc_kmsg_copyin_header(space, kmsg);

  uint64_t user_addrs[MACH_MSG_DESCRIPTORS_MAX];
  mr = check_body(space, kmsg, send_size, header_dest(space, h), user_addrs, kernel_data);
  if (mr != MACH_MSG_SUCCESS) return mr;
  (void)ipc_kmsg_copyin_header(space, kmsg);
  mr = copyin_body(space, kmsg, user_addrs, kernel_data);
  if (mr != MACH_MSG_SUCCESS) {
    // Mach's rule for a body that fails late: the message is destroyed with
    // what it took so far.
    clean(kmsg);
    return mr;
  }
  return MACH_MSG_SUCCESS;
}

mach_msg_return_t ipc_kmsg_copyout(IpcSpace* space, IpcKmsg* kmsg) {
  mach_msg_header_t* h = kmsg->header();
  mach_msg_return_t mr = MACH_MSG_SUCCESS;

  IpcPort* dest = kmsg->dest;
  mach_port_name_t dest_name = MACH_PORT_NULL;
  if (ipc_port_valid(dest) && dest->receiver == space) dest_name = dest->receiver_name;
  mach_port_name_t reply_name;
  mach_msg_type_name_t reply_type = kmsg->reply ? kmsg->reply_type : 0;
  if (ipc_right_copyout(space, kmsg->reply, kmsg->reply_type, &reply_name) != KERN_SUCCESS)
    mr = MACH_RCV_HEADER_ERROR;
  kmsg->reply = nullptr;
  // The right the message held on its destination is used up by delivery.
  mach_msg_type_name_t dest_type = kmsg->dest_type;
  ipc_kmsg_consume_dest(kmsg);

  h->msgh_bits = (h->msgh_bits & MACH_MSGH_BITS_COMPLEX) | MACH_MSGH_BITS(reply_type, dest_type);
  h->msgh_remote_port = reply_name;
  h->msgh_local_port = dest_name;

  if (!kmsg->complex()) return mr;
  mach_msg_descriptor_t* d = kmsg->descriptors();
  for (mach_msg_size_t i = 0; i < kmsg->descriptor_count(); i++) {
    switch (d[i].type.type) {
      case MACH_MSG_PORT_DESCRIPTOR: {
        IpcPort* port = ipc_desc_port(d[i].port);
        ipc_desc_set_port(d[i].port, nullptr);
        mach_port_name_t name;
        if (ipc_right_copyout(space, port, d[i].port.disposition, &name) != KERN_SUCCESS) mr = MACH_RCV_BODY_ERROR;
        d[i].port.name = name;
        break;
      }
      case MACH_MSG_OOL_DESCRIPTOR:
      case MACH_MSG_OOL_VOLATILE_DESCRIPTOR: {
        mach_msg_ool_descriptor_t& o = d[i].out_of_line;
        void* copy = reinterpret_cast<void*>(o.address);
        o.address = 0;
        o.deallocate = 0;
        if (!copy) break;
        g_ipc_stats.ool_bytes -= o.size;
        uint64_t addr = 0;
        if (ipc_ool_copyout(space, copy, o.size, &addr) == KERN_SUCCESS) {
          o.address = addr;
        } else {
          ipc_ool_discard(copy);
          mr = MACH_RCV_BODY_ERROR;
        }
        break;
      }
      case MACH_MSG_OOL_PORTS_DESCRIPTOR: {
        mach_msg_ool_ports_descriptor_t& o = d[i].ool_ports;
        void* array = reinterpret_cast<void*>(o.address);
        o.address = 0;
        o.deallocate = 0;
        if (!array) break;
        // Forwards: name k overwrites bytes of pointers already read.
        for (mach_msg_size_t k = 0; k < o.count; k++) {
          IpcPort* port = ipc_ool_port(array, k);
          mach_port_name_t name;
          if (ipc_right_copyout(space, port, o.disposition, &name) != KERN_SUCCESS) mr = MACH_RCV_BODY_ERROR;
          ipc_ool_set_name(array, k, name);
        }
        uint64_t addr = 0;
        size_t bytes = o.count * sizeof(uint32_t);
        if (ipc_user_allocate(space->owner, bytes, &addr) == KERN_SUCCESS &&
            ipc_copyout_user(addr, array, bytes) == KERN_SUCCESS) {
          o.address = addr;
        } else {
          // The rights have names already; the caller cannot learn them.
          if (addr) (void)ipc_user_deallocate(space->owner, addr, bytes);
          mr = MACH_RCV_BODY_ERROR;
        }
        free_ool(array, o.count * sizeof(IpcPort*));
        break;
      }
    }
  }
  return mr;
}

}  // namespace mk
