#include "ipc/ipc_notify.h"

#include <mach/notify.h>

#include "ipc/ipc_kmsg.h"
#include "ipc/ipc_mqueue.h"
#include "ipc/ipc_port.h"

namespace mk {
namespace {

// Send a notification of `size` bytes whose body follows the header; the
// message carries `notify`'s send-once right as its destination.
void send_notification(IpcPort* notify, mach_msg_id_t id, mach_msg_size_t size, const void* body,
                       mach_msg_size_t body_size) {
  if (!ipc_port_valid(notify)) return;
  IpcKmsg* kmsg = ipc_kmsg_alloc(size);
  if (!kmsg) {
    ipc_port_consume_send_once(notify);  // lost: nothing else can be done without memory
    return;
  }
  mach_msg_header_t* h = kmsg->header();
  h->msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_PORT_SEND_ONCE, 0);
  h->msgh_size = size;
  h->msgh_remote_port = MACH_PORT_NULL;
  h->msgh_local_port = MACH_PORT_NULL;
  h->msgh_seqno = 0;
  h->msgh_id = id;
  if (body_size) __builtin_memcpy(kmsg->bytes() + sizeof(mach_msg_header_t), body, body_size);
  kmsg->dest = notify;
  kmsg->dest_type = MACH_MSG_TYPE_PORT_SEND_ONCE;
  kmsg->kernel_sent = true;
  ipc_mqueue_send(kmsg);
}

void send_name(IpcPort* notify, mach_msg_id_t id, uint32_t value) {
  uint32_t body[2] = {value, 0};
  send_notification(notify, id, sizeof(mach_dead_name_notification_t), body, sizeof body);
}

}  // namespace

void ipc_notify_dead_name(IpcPort* notify, mach_port_name_t name) {
  send_name(notify, MACH_NOTIFY_DEAD_NAME, name);
}

void ipc_notify_port_deleted(IpcPort* notify, mach_port_name_t name) {
  send_name(notify, MACH_NOTIFY_PORT_DELETED, name);
}

void ipc_notify_no_senders(IpcPort* notify, mach_port_mscount_t mscount) {
  send_name(notify, MACH_NOTIFY_NO_SENDERS, mscount);
}

void ipc_notify_send_once(IpcPort* port) {
  send_notification(port, MACH_NOTIFY_SEND_ONCE, sizeof(mach_send_once_notification_t), nullptr, 0);
}

}  // namespace mk
