#include "process.h"

#include "libmach/mach_ipc.h"
#include "libmach/malloc.h"
#include "libmach/string.h"
#include "waiters.h"

namespace ux {
namespace {

Process g_processes[kMaxProcesses];
int g_next_pid = 1;
Process* g_last = nullptr;  // the last process found by its port: most requests come from the same one

}  // namespace

int Process::install(OpenFile* f, bool close_on_exec) {
  for (int fd = 0; fd < kMaxFds; ++fd)
    if (!fds[fd]) {
      fds[fd] = f;
      cloexec[fd] = close_on_exec;
      return fd;
    }
  return -1;
}

bool Process::close(int fd) {
  OpenFile* f = file(fd);
  if (!f) return false;
  fds[fd] = nullptr;
  cloexec[fd] = false;
  open_file_release(f);
  return true;
}

void Process::close_all() {
  for (int fd = 0; fd < kMaxFds; ++fd) close(fd);
}

Process* process_create(int ppid) {
  for (Process& p : g_processes)
    if (!p.in_use) {
      p = Process{};
      p.in_use = true;
      p.pid = g_next_pid++;
      p.ppid = ppid;
      p.pgrp = p.sid = p.pid;
      return &p;
    }
  return nullptr;
}

Process* process_by_port(mach_port_t port) {
  if (g_last && g_last->port == port) return g_last;
  for (Process& p : g_processes)
    if (p.in_use && p.port == port) return g_last = &p;
  return nullptr;
}

Process* process_by_task(mach_port_t task) {
  for (Process& p : g_processes)
    if (p.in_use && p.task == task) return &p;
  return nullptr;
}

Process* process_by_pid(int pid) {
  for (Process& p : g_processes)
    if (p.in_use && !p.reaped && p.pid == pid) return &p;
  return nullptr;
}

Process* process_next(int pid) {
  Process* best = nullptr;
  for (Process& p : g_processes)
    if (p.in_use && !p.reaped && p.pid >= pid && (!best || p.pid < best->pid)) best = &p;
  return best;
}

void process_release(Process* p) {
  p->close_all();
  if (MACH_PORT_VALID(p->port)) (void)mach_port_mod_refs(mach_task_self(), p->port, MACH_PORT_RIGHT_RECEIVE, -1);
  if (MACH_PORT_VALID(p->task)) (void)mach_port_deallocate(mach_task_self(), p->task);
  if (g_last == p) g_last = nullptr;
  *p = Process{};
}

OpenFile* open_file_new() {
  void* mem = malloc(sizeof(OpenFile));
  if (!mem) return nullptr;
  auto* f = static_cast<OpenFile*>(mem);
  *f = OpenFile{};
  f->path[0] = f->abs[0] = '\0';
  return f;
}

void open_file_release(OpenFile* f) {
  if (--f->refs) return;
  if (f->pipe) {
    f->pipe->drop_end(f->pipe_writer);
    waiters_run_later();  // the other end's waiting reads see EOF, writes EPIPE
  }
  if (f->fs) f->fs->release(f->node);
  free(f);
}

}  // namespace ux
