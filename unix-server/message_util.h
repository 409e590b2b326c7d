// Releasing what a refused request still holds.
#pragma once

#include <mach/message.h>

#include "libmach/mach_ipc.h"

namespace ux {

// Drops the port rights and out-of-line regions a request carries in its
// body (a refused request's; its reply right still takes the error
// reply). Reads only inside msgh_size.
inline void release_descriptors(mach_msg_header_t* req) {
  if (!(req->msgh_bits & MACH_MSGH_BITS_COMPLEX) || req->msgh_size < sizeof(mach_msg_header_t) + 4) return;
  auto* body = reinterpret_cast<mach_msg_body_t*>(req + 1);
  mach_msg_size_t room = (req->msgh_size - mach_msg_size_t(sizeof(mach_msg_header_t)) - 4) / 16;
  mach_msg_size_t n = body->msgh_descriptor_count < room ? body->msgh_descriptor_count : room;
  auto* d = reinterpret_cast<mach_msg_descriptor_t*>(body + 1);
  for (mach_msg_size_t i = 0; i < n; ++i, ++d) {
    if (d->type.type == MACH_MSG_PORT_DESCRIPTOR && MACH_PORT_VALID(d->port.name))
      (void)mach_port_deallocate(mach_task_self(), d->port.name);
    if ((d->type.type == MACH_MSG_OOL_DESCRIPTOR || d->type.type == MACH_MSG_OOL_VOLATILE_DESCRIPTOR) &&
        d->out_of_line.size)
      (void)vm_deallocate(mach_task_self(), d->out_of_line.address, d->out_of_line.size);
  }
}

// A request that gets no answer at all: its body's rights and regions and
// its reply right.
inline void destroy_request(mach_msg_header_t* req) {
  release_descriptors(req);
  if (MACH_PORT_VALID(req->msgh_remote_port)) (void)mach_port_deallocate(mach_task_self(), req->msgh_remote_port);
  req->msgh_remote_port = MACH_PORT_NULL;
}

}  // namespace ux
