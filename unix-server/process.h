// Unix processes: each is a Mach task running one program with the
// emulation library, plus what Unix keeps for it here: pid, parent,
// credentials, working directory, file descriptors, exit status. The
// library reaches the server through the process's own port (in the
// server's port set), so a request names its process by where it arrives.
#pragma once

#include <mach/port.h>

#include "file_system.h"
#include "pipe.h"
#include "vfs.h"

namespace ux {

constexpr int kMaxFds = 256;
constexpr int kMaxProcesses = 64;

// An open file description (what dup and fork share): a file of a file
// system, or one end of a pipe.
struct OpenFile {
  int refs = 1;
  FileSystem* fs = nullptr;
  Pipe* pipe = nullptr;
  bool pipe_writer = false;
  NodeInfo node;
  int flags = 0;        // open(2) flags: access mode, O_APPEND, O_NONBLOCK...
  uint64_t offset = 0;  // the file position; for directories getdents' position
  char path[kPathMax];  // in fs
  char abs[kPathMax];   // absolute, for openat of a directory descriptor
};

struct Process {
  bool in_use = false;
  bool live = false;         // its task runs; a zombie (ended, not yet waited for) otherwise
  bool reaped = false;       // waited for: the slot goes once the task's death is seen
  bool stopped = false;      // by SIGSTOP/SIGTSTP/SIGTTIN/SIGTTOU (its task suspended)
  bool stop_reported = true; // wait4(WUNTRACED) has seen the last stop
  bool continued = false;    // SIGCONT since the last wait4(WCONTINUED)
  int stop_signal = 0;       // the signal that stopped it (wait4 reports it)
  int pid = 0, ppid = 0, pgrp = 0, sid = 0;
  // Signals (the library keeps the handlers; the server what it must know
  // to act): pending, blocked, caught (a handler), ignored; bit n-1 is
  // signal n.
  uint64_t pending = 0, blocked = 0, caught = 0, ignored = 0;
  mach_port_t task = MACH_PORT_NULL;  // send right to its task port
  mach_port_t port = MACH_PORT_NULL;  // receive right: its requests
  mach_port_t port_name = MACH_PORT_NULL;  // the name of its send right in the task (EmulationInfo)
  uint32_t uid = 0, euid = 0, gid = 0, egid = 0;
  int wait_status = 0;       // as wait4 reports it: exit code << 8, or the signal
  char cwd[kPathMax] = "/";
  char exe[kPathMax] = "";   // the program's path (/proc/self/exe)
  OpenFile* fds[kMaxFds] = {};
  bool cloexec[kMaxFds] = {};

  // The open file behind fd, or null (EBADF).
  OpenFile* file(int fd) const { return fd >= 0 && fd < kMaxFds ? fds[fd] : nullptr; }
  // The lowest free descriptor, or -1 (EMFILE).
  int install(OpenFile* f, bool close_on_exec);
  // Drops fd; false when it was not open.
  bool close(int fd);
  void close_all();
};

// A new process slot with the next pid; null when the table is full.
Process* process_create(int ppid);
Process* process_by_port(mach_port_t port);
Process* process_by_task(mach_port_t task);
Process* process_by_pid(int pid);  // not a reaped one
// The process with the smallest pid >= pid (reaped ones left out), or null:
// for walking the table in pid order.
Process* process_next(int pid);
// Frees the slot and its ports (after the task ended).
void process_release(Process* p);

OpenFile* open_file_new();
void open_file_release(OpenFile* f);

}  // namespace ux
