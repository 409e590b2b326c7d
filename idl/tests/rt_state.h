// What the roundtrip fixture's server implementations saw, for the tests.
#pragma once

#include <cstdint>

#include <mig_support.h>

namespace idltest {

constexpr mach_port_t kServerPort = 0x700;

struct RtState {
  mach_port_t ports[8] = {};
  mach_msg_type_name_t poly = 0;
  uint32_t seqno = 0;
  mach_port_t replyPort = 0;
  mach_port_t target = 0;
  int notified = 0;
  int calls = 0;
  int destroyed = 0;
  boolean_t serverCopy = 0;
  mach_msg_type_number_t count = 0;
  int lastValue = 0;
};

extern RtState rt;

}  // namespace idltest
