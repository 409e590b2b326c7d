// What the files serving unix.defs share.
#pragma once

#include "linux_abi.h"
#include "process.h"

// The calling process, found by the port the request came to (unix.defs);
// ESRCH when it is gone.
#define PROCESS()                     \
  Process* p = process_by_port(proc); \
  if (!p || !p->live) return linux_abi::kESRCH

namespace ux {

bool is_dir(const NodeInfo& n);
bool is_reg(const NodeInfo& n);
bool can_read(const OpenFile* f);
bool can_write(const OpenFile* f);
// Where path (from dirfd, or the working directory) leads: its absolute
// form (kPathMax bytes) and file system.
int resolve(Process* p, int dirfd, const char* path, char* abs, Location* loc);
// stat of what loc names; ENOTDIR when a trailing '/' names a non-directory.
int lookup(const Location& loc, bool follow, NodeInfo* node);

}  // namespace ux
