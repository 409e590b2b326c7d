// The boot name service. The Unix server is the first boot task, so it
// holds the bootstrap port's receive right: boot servers (the file pager,
// the console driver) register their service ports there by name and look
// up others ("io-master" is the I/O master port the kernel gave this task).
// The message shapes are the ones of test/user/ipc_util.h (ns_register,
// ns_lookup); a lookup of a name not registered yet waits for it.
//
// Supervision (--supervise=NAME:MODULE,...): the registered right of a
// supervised name is watched (a dead-name notification to the server's
// notify port, which only the server can name); when its server dies, boot
// module MODULE is started again (io_module_start) and the new instance's
// registration replaces the dead one. Users of the name hear of both
// (on_change).
#pragma once

#include <mach/message.h>

namespace ux {

class NameService {
 public:
  // What a supervised name's user does when its server dies (port null)
  // and when the new one registers.
  using Change = void (*)(const char* name, mach_port_t port);

  void init(mach_port_t bootstrap, mach_port_t io_master);
  // Parses "NAME:MODULE[,NAME:MODULE...]"; notify: where dead-name
  // notifications of the registered rights go.
  void supervise(const char* list, mach_port_t notify, Change on_change);
  // A dead-name notification for name: true when it was a supervised
  // service's right (then handled: the module is started again).
  bool died(mach_port_t name);
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
  struct Supervised {
    char name[32];
    uint32_t module;
  };
  const Supervised* supervised(const char* name) const;
  void watch(mach_port_t right);

  Entry registered_[kMax] = {};
  Entry waiting_[kMax] = {};
  Supervised supervised_[8] = {};
  int supervised_count_ = 0;
  mach_port_t io_master_ = MACH_PORT_NULL;
  mach_port_t notify_ = MACH_PORT_NULL;
  Change on_change_ = nullptr;
};

}  // namespace ux
