// tmpfs, mounted at /tmp: directories, regular files, symbolic links and
// hard links held in memory (docs/unix.md, "Files"). File data lives in
// page-sized chunks from the page allocator the server hands over
// (vm_allocate; malloc in the host tests), node records in page slabs, and
// only names and directory tables in the malloc arena. Limits: 64 MiB of
// file data and 4096 nodes (ENOSPC beyond). Symbolic links are resolved
// here, component by component; absolute targets resolve inside only when
// they lie under the mount point (others: ENOENT, as links across mounts
// are not followed yet).
#pragma once

#include "file_system.h"
#include "tmp_fs_node.h"
#include "vfs.h"

namespace ux {

class TmpFs final : public FileSystem {
 public:
  using Clock = uint64_t (*)();     // seconds since 1970
  using AllocPage = void* (*)();    // one page (kPageSize bytes, aligned), nullptr when out
  using FreePage = void (*)(void*);

  // mount: where the VFS mounts it (absolute, normalized, e.g. "/tmp").
  TmpFs(const char* mount, Clock now, AllocPage alloc_page, FreePage free_page);
  ~TmpFs();
  TmpFs(const TmpFs&) = delete;
  TmpFs& operator=(const TmpFs&) = delete;
  // False when the root could not be made (no page for the node table).
  bool ready() const { return used_nodes_ > 0; }

  int stat(const char* path, bool follow, NodeInfo* out) override;
  int readlink(const char* path, char* buf, size_t cap, size_t* len) override;
  int read(const char* path, const NodeInfo& node, uint64_t offset, char* buf, uint32_t count,
           uint32_t* got) override;
  int readdir(const char* path, uint64_t index, DirSink& sink, uint64_t* next) override;
  int statfs(FsStats* out) override;

  bool writable() const override { return true; }
  int write(const char* path, NodeInfo& node, uint64_t offset, const char* buf, uint32_t count,
            uint32_t* put) override;
  int create(const char* path, uint32_t mode, NodeInfo* out) override;
  int mkdir(const char* path, uint32_t mode) override;
  int symlink(const char* target, const char* path) override;
  int link(const char* existing, const char* path) override;
  int unlink(const char* path) override;
  int rmdir(const char* path) override;
  int rename(const char* from, const char* to) override;
  int truncate(const char* path, NodeInfo& node, uint64_t size) override;
  int chmod(const char* path, uint32_t mode) override;
  int chown(const char* path, uint32_t uid, uint32_t gid, bool follow) override;
  int utimes(const char* path, uint64_t atime, uint64_t mtime, bool follow) override;

  void retain(const NodeInfo& node) override;
  void release(const NodeInfo& node) override;

 private:
  static constexpr size_t kWorkMax = 1024;  // a path while links are expanded
  static constexpr uint32_t kRoot = 0;       // the root's slot (ino 1)

  tmpfs::Node& at(uint32_t slot) const;
  uint64_t ino_of(uint32_t slot) const;
  tmpfs::Node* by_ino(uint64_t ino) const;
  void fill(uint32_t slot, NodeInfo* out) const;

  int new_node(uint32_t mode, uint32_t* slot);
  void free_contents(tmpfs::Node& n);
  void free_node(uint32_t slot);
  void drop_link(uint32_t slot);

  int resolve(const char* path, bool follow, uint32_t* out) const;
  int reenter(const char* abs, char* work) const;
  const char* under_mount(const char* abs) const;
  int parent_of(const char* path, uint32_t* dir, const char** name, size_t* len) const;
  int node_of(const char* path, const NodeInfo& info, uint32_t* slot) const;

  int find(const tmpfs::Node& dir, const char* name, size_t len) const;
  int reserve(tmpfs::Node& dir);
  int add_entry(tmpfs::Node& dir, const char* name, size_t len, uint32_t slot);
  void remove_entry(tmpfs::Node& dir, int index);

  void* zeroed_page();
  int data_page(tmpfs::Node& n, uint64_t page, bool create, void** out);
  void free_tree(void* p, uint32_t level, tmpfs::Node& n);
  void trim(void** p, uint32_t level, uint64_t base, uint64_t keep, tmpfs::Node& n);

  char mount_[kPathMax];
  size_t mount_len_;  // 0 when mounted at "/"
  Clock now_;
  AllocPage alloc_page_;
  FreePage free_page_;
  tmpfs::Node* node_pages_[tmpfs::kNodePages] = {};
  uint32_t high_water_ = 0;  // slots below it have been handed out once
  uint32_t free_head_ = tmpfs::kMaxNodes;
  uint32_t used_nodes_ = 0;
  uint64_t used_pages_ = 0;  // file data pages (index pages are not counted)
};

}  // namespace ux
