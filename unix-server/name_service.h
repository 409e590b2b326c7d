// The boot name service. The Unix server is the first boot task, so it
// holds the bootstrap port's receive right: boot servers (the file pager,
// the console driver) register their service ports there by name and look
// up others ("io-master" is the I/O master port the kernel gave this task).
// The message shapes are the ones of test/user/ipc_util.h (ns_register,
// ns_lookup); a lookup of a name not registered yet waits for it.
#pragma once

#include <mach/message.h>

namespace ux {

class NameService {
 public:
  void init(mach_port_t bootstrap, mach_port_t io_master);
  // A request that arrived on the bootstrap port; answers it (or keeps a
  // lookup waiting). Malformed requests are dropped with a log line.
  void handle(mach_msg_header_t* msg, mach_msg_size_t size);
  // The registered send right for name, or MACH_PORT_NULL.
  mach_port_t find(const char* name) const;

 private:
  static constexpr int kMax = 32;
  struct Entry {
    char name[32];
    mach_port_t port;  // a registered send right, or a waiting lookup's reply right
  };
  void answer(mach_port_t reply, mach_port_t right);
  Entry registered_[kMax] = {};
  Entry waiting_[kMax] = {};
  mach_port_t io_master_ = MACH_PORT_NULL;
};

}  // namespace ux
