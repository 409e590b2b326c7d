#include "transport.h"

#include <cstring>
#include <map>

namespace idltest {
namespace {

std::map<mach_port_t, Demux> servers;
std::function<void(mach_msg_header_t*)> requestHook, replyHook;
Record record;
int sendCount = 0, deallocCount = 0;
mach_msg_seqno_t seqno = 0;

alignas(16) uint8_t requestBuf[MACH_MSG_SIZE_MAX];
alignas(16) uint8_t replyBuf[MACH_MSG_SIZE_MAX];

uint8_t received(uint32_t disposition) {
  switch (disposition) {
    case MACH_MSG_TYPE_MOVE_RECEIVE: return MACH_MSG_TYPE_PORT_RECEIVE;
    case MACH_MSG_TYPE_MOVE_SEND:
    case MACH_MSG_TYPE_COPY_SEND:
    case MACH_MSG_TYPE_MAKE_SEND: return MACH_MSG_TYPE_PORT_SEND;
    case MACH_MSG_TYPE_MOVE_SEND_ONCE:
    case MACH_MSG_TYPE_MAKE_SEND_ONCE: return MACH_MSG_TYPE_PORT_SEND_ONCE;
    default: return 0;
  }
}

// Converts the descriptors of msg in place (dispositions become right
// types) and returns what was sent; false if one is not valid.
bool convert(mach_msg_header_t* msg, std::vector<SentDescriptor>* out) {
  out->clear();
  if (!(msg->msgh_bits & MACH_MSGH_BITS_COMPLEX)) return true;
  uint8_t* b = bytes(msg);
  mach_msg_body_t body;
  memcpy(&body, b + sizeof(mach_msg_header_t), sizeof body);
  if (body.msgh_descriptor_count > MACH_MSG_DESCRIPTORS_MAX) return false;
  for (uint32_t i = 0; i < body.msgh_descriptor_count; ++i) {
    uint8_t* d = b + sizeof(mach_msg_header_t) + sizeof body + 16 * i;
    mach_msg_descriptor_t desc;
    memcpy(&desc, d, 16);
    SentDescriptor s{desc.type.type, 0, 0, 0, 0};
    switch (desc.type.type) {
      case MACH_MSG_PORT_DESCRIPTOR:
        s.disposition = desc.port.disposition;
        if (!received(s.disposition)) return false;
        desc.port.disposition = received(s.disposition);
        break;
      case MACH_MSG_OOL_PORTS_DESCRIPTOR:
        s.disposition = desc.ool_ports.disposition;
        s.deallocate = desc.ool_ports.deallocate;
        s.copy = desc.ool_ports.copy;
        s.sizeOrCount = desc.ool_ports.count;
        if (desc.ool_ports.count && !received(s.disposition)) return false;
        desc.ool_ports.disposition = received(s.disposition);
        break;
      case MACH_MSG_OOL_DESCRIPTOR:
      case MACH_MSG_OOL_VOLATILE_DESCRIPTOR:
        s.deallocate = desc.out_of_line.deallocate;
        s.copy = desc.out_of_line.copy;
        s.sizeOrCount = desc.out_of_line.size;
        break;
      default: return false;
    }
    out->push_back(s);
    memcpy(d, &desc, 16);
  }
  return true;
}

}  // namespace

void reset() {
  servers.clear();
  requestHook = nullptr;
  replyHook = nullptr;
  record = Record{};
  sendCount = deallocCount = 0;
}
void serve(mach_port_t port, Demux demux) { servers[port] = demux; }
void tamperRequest(std::function<void(mach_msg_header_t*)> f) { requestHook = std::move(f); }
void tamperReply(std::function<void(mach_msg_header_t*)> f) { replyHook = std::move(f); }
const Record& last() { return record; }
int sends() { return sendCount; }
int replyPortDeallocs() { return deallocCount; }

}  // namespace idltest

using namespace idltest;

extern "C" mach_port_t mig_get_reply_port(void) { return kReplyPort; }
extern "C" void mig_dealloc_reply_port(mach_port_t) { ++deallocCount; }

extern "C" mach_msg_return_t mach_msg(mach_msg_header_t* msg, mach_msg_option_t option, mach_msg_size_t send_size,
                                      mach_msg_size_t rcv_size, mach_port_name_t rcv_name, mach_msg_timeout_t timeout) {
  record = Record{};
  record.option = option;
  record.timeout = timeout;
  record.sendSize = send_size;
  record.rcvSize = rcv_size;
  record.rcvName = rcv_name;
  if (!(option & MACH_SEND_MSG)) return MACH_RCV_TIMED_OUT;
  ++sendCount;
  if (send_size != msg->msgh_size || send_size < sizeof(mach_msg_header_t) || send_size > MACH_MSG_SIZE_MAX ||
      send_size % 4 != 0)
    return MACH_SEND_MSG_TOO_SMALL;
  record.remoteDisposition = MACH_MSGH_BITS_REMOTE(msg->msgh_bits);
  record.localDisposition = MACH_MSGH_BITS_LOCAL(msg->msgh_bits);
  record.remotePort = msg->msgh_remote_port;
  record.localPort = msg->msgh_local_port;
  record.id = msg->msgh_id;
  auto server = servers.find(msg->msgh_remote_port);
  if (server == servers.end()) return MACH_SEND_INVALID_DEST;
  if (!received(record.remoteDisposition)) return MACH_SEND_INVALID_HEADER;
  if (record.localDisposition && !received(record.localDisposition)) return MACH_SEND_INVALID_REPLY;

  // Receive side of the request, as the kernel would deliver it.
  auto* in = reinterpret_cast<mach_msg_header_t*>(requestBuf);
  memcpy(requestBuf, msg, send_size);
  if (!convert(in, &record.descriptors)) return MACH_SEND_INVALID_TYPE;
  in->msgh_bits = (msg->msgh_bits & MACH_MSGH_BITS_COMPLEX) |
                  MACH_MSGH_BITS(received(record.localDisposition), received(record.remoteDisposition));
  in->msgh_remote_port = msg->msgh_local_port;
  in->msgh_local_port = msg->msgh_remote_port;
  in->msgh_seqno = seqno++;
  if (requestHook) requestHook(in);

  auto* out = reinterpret_cast<mach_msg_header_t*>(replyBuf);
  memset(replyBuf, 0xa5, 256);  // stale bytes the server must not leak
  server->second(in, out);
  if (!(option & MACH_RCV_MSG)) return MACH_MSG_SUCCESS;

  // No reply: the server kept the reply port, or there was none to use.
  if (mig_reply_code(out) == MIG_NO_REPLY || out->msgh_remote_port == MACH_PORT_NULL ||
      out->msgh_remote_port != rcv_name)
    return MACH_RCV_TIMED_OUT;
  record.replied = true;
  mach_msg_type_name_t replyDisp = MACH_MSGH_BITS_REMOTE(out->msgh_bits);
  if (out->msgh_size > rcv_size) return MACH_RCV_TOO_LARGE;
  std::vector<SentDescriptor> rd;
  if (!convert(out, &rd)) return MACH_RCV_INVALID_DATA;
  record.replyDescriptors = rd;
  memcpy(msg, out, out->msgh_size);
  msg->msgh_bits = (out->msgh_bits & MACH_MSGH_BITS_COMPLEX) | MACH_MSGH_BITS(0, received(replyDisp));
  msg->msgh_remote_port = MACH_PORT_NULL;
  msg->msgh_local_port = rcv_name;
  msg->msgh_seqno = 0;
  if (replyHook) replyHook(msg);
  return MACH_MSG_SUCCESS;
}
