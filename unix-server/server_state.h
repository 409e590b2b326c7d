// What the whole server shares: the name space, the devices, the clock.
#pragma once

#include "boot_fs.h"
#include "dev_fs.h"
#include "process.h"
#include "vfs.h"

namespace ux {

struct ServerState {
  Vfs vfs;
  BootFs* root = nullptr;
  DevFs* dev = nullptr;
  mach_port_t port_set = MACH_PORT_NULL;  // the bootstrap port, process ports, notifications
  mach_port_t notify = MACH_PORT_NULL;    // dead-name notifications of process tasks
  mach_port_t console_input = MACH_PORT_NULL;  // answers to the console reads (DevFs)
  mach_port_t io_master = MACH_PORT_NULL;
  uint64_t boot_epoch = 0;                // seconds since 1970 at tick 0
};

// sync(2): every mounted file system's writes reach its device.
void sync_all();

ServerState& server();

// The task of p ended (exit_group, or killed: wait_status says how);
// main.cpp reports the first process's end and powers off.
void process_ended(Process* p);

// p has a (new) task: its requests are served and its death noticed.
void process_watch(Process* p);

}  // namespace ux
