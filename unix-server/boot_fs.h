// The boot archive, read-only, through the file pager's fs.defs
// (docs/pagers.md, "File pager"). Symbolic links inside the archive are
// resolved by the file pager.
#pragma once

#include <mach/kern_return.h>

#include "file_system.h"

namespace ux {

class BootFs final : public FileSystem {
 public:
  explicit BootFs(mach_port_t pager) : pager_(pager) {}
  // The file pager died (null: calls fail with EIO) or a new one registered.
  void reconnect(mach_port_t pager) { pager_ = pager; }
  int stat(const char* path, bool follow, NodeInfo* out) override;
  int readlink(const char* path, char* buf, size_t cap, size_t* len) override;
  int read(const char* path, const NodeInfo& node, uint64_t offset, char* buf, uint32_t count,
           uint32_t* got) override;
  int readdir(const char* path, uint64_t index, DirSink& sink, uint64_t* next) override;
  int memory_object(const char* path, mach_port_t* object) override;

 private:
  mach_port_t pager_;
};

// The Linux errno for one of the file pager's answers.
int fs_errno(kern_return_t kr);

}  // namespace ux
