// What the block servers share around the generated demux (block_server):
// the receive loop's buffers and reply, and answering a deferred request.
#pragma once

#include <blockServer.h>
#include <block_reply.h>
#include <mach/mig_errors.h>
#include <vm_rpc.h>

#include "libmach/mach_ipc.h"

namespace blk {

// Answers a request kept with sreplyport (reply: its send-once right) with
// an error: a mig_reply_error_t with id request + 100, as the client's stub
// expects failures.
inline void reply_error(mach_port_t reply, mach_msg_id_t request_id, kern_return_t code) {
  mig_reply_error_t r{};
  r.Head.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0);
  r.Head.msgh_size = sizeof r;
  r.Head.msgh_remote_port = reply;
  r.Head.msgh_id = request_id + 100;
  r.RetCode = code;
  (void)mach_msg(&r.Head, MACH_SEND_MSG, sizeof r, 0, MACH_PORT_NULL, 0);
}

// Frees what a request refused before its routine ran (MIG_BAD_ARGUMENTS,
// MIG_BAD_ID) still holds: out-of-line regions and port rights, for as many
// descriptors as the message really has room for.
inline void destroy_request(mach_msg_header_t* req) {
  if (!(req->msgh_bits & MACH_MSGH_BITS_COMPLEX) || req->msgh_size < sizeof(mach_msg_header_t) + 4) return;
  auto* body = reinterpret_cast<mach_msg_body_t*>(req + 1);
  mach_msg_size_t room = (req->msgh_size - mach_msg_size_t(sizeof(mach_msg_header_t)) - 4) / 16;
  mach_msg_size_t n = body->msgh_descriptor_count < room ? body->msgh_descriptor_count : room;
  auto* d = reinterpret_cast<mach_msg_descriptor_t*>(body + 1);
  for (mach_msg_size_t i = 0; i < n; ++i, ++d) {
    switch (d->type.type) {
      case MACH_MSG_PORT_DESCRIPTOR:
        if (MACH_PORT_VALID(d->port.name)) (void)mach_port_deallocate(mach_task_self(), d->port.name);
        break;
      case MACH_MSG_OOL_DESCRIPTOR:
      case MACH_MSG_OOL_VOLATILE_DESCRIPTOR:
        if (d->out_of_line.size) (void)vm_deallocate(mach_task_self(), d->out_of_line.address, d->out_of_line.size);
        break;
      case MACH_MSG_OOL_PORTS_DESCRIPTOR: {
        auto* names = reinterpret_cast<mach_port_t*>(d->ool_ports.address);
        for (mach_msg_size_t k = 0; names && k < d->ool_ports.count; ++k)
          if (MACH_PORT_VALID(names[k])) (void)mach_port_deallocate(mach_task_self(), names[k]);
        if (d->ool_ports.count)
          (void)vm_deallocate(mach_task_self(), d->ool_ports.address, d->ool_ports.count * sizeof(mach_port_t));
        break;
      }
      default: break;
    }
  }
}

// Serves one received request through block_server and sends the reply
// unless the routine kept it (MIG_NO_REPLY). Returns the reply code.
inline kern_return_t serve_one(mach_msg_header_t* req, mach_msg_header_t* rep) {
  (void)block_server(req, rep);
  kern_return_t code = mig_reply_code(rep);
  if (code == MIG_BAD_ARGUMENTS || code == MIG_BAD_ID) destroy_request(req);
  if (code == MIG_NO_REPLY || !MACH_PORT_VALID(rep->msgh_remote_port)) return code;
  (void)mach_msg(rep, MACH_SEND_MSG, rep->msgh_size, 0, MACH_PORT_NULL, 0);
  return code;
}

}  // namespace blk
