// An in-process transport for the generated stubs: mach_msg hands a request
// to the demux function registered for its destination and returns that
// function's reply, converting dispositions into received right types the
// way the kernel does. Port names pass through unchanged; what was sent is
// recorded so that tests can check dispositions, options and timeouts.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include <mig_support.h>

namespace idltest {

using Demux = boolean_t (*)(mach_msg_header_t*, mach_msg_header_t*);

constexpr mach_port_t kReplyPort = 0x5100;

struct SentDescriptor {
  uint8_t type;
  uint8_t disposition;  // as sent (ports and port arrays)
  uint8_t deallocate;
  uint8_t copy;
  uint32_t sizeOrCount;
};

struct Record {
  mach_msg_option_t option = 0;
  mach_msg_timeout_t timeout = 0;
  mach_msg_size_t sendSize = 0, rcvSize = 0;
  mach_port_name_t rcvName = 0;
  mach_msg_type_name_t remoteDisposition = 0, localDisposition = 0;
  mach_port_t remotePort = 0, localPort = 0;
  mach_msg_id_t id = 0;
  std::vector<SentDescriptor> descriptors;  // of the request
  std::vector<SentDescriptor> replyDescriptors;
  bool replied = false;
};

// Clears servers, hooks and records.
void reset();
void serve(mach_port_t port, Demux demux);
// Changes a request after conversion, before the server sees it.
void tamperRequest(std::function<void(mach_msg_header_t*)> f);
// Changes a reply before the client sees it.
void tamperReply(std::function<void(mach_msg_header_t*)> f);

const Record& last();
int sends();
int replyPortDeallocs();

// Byte access to a message for tamper hooks.
inline uint8_t* bytes(mach_msg_header_t* h) { return reinterpret_cast<uint8_t*>(h); }

}  // namespace idltest
