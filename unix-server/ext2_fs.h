// ext2 over a BlockDevice (docs/unix.md, "Files"): revisions 0 and 1
// (128- or 256-byte inodes), 1, 2 and 4 KiB blocks, block maps with
// indirect, double and triple indirect blocks, linear directories with
// rec_len/file_type entries, fast and slow symbolic links, hard links.
// No journal and no ext3/ext4 on-disk features: mount() refuses a file
// system whose incompatible features go beyond FILETYPE or whose read-only
// compatible ones go beyond SPARSE_SUPER and LARGE_FILE (EOPNOTSUPP).
//
// Metadata and data go through a write-back cache of whole blocks whose
// memory the caller gives (cache_bytes / block size buffers, at most
// kMaxBuffers); sync() writes every dirty block and flushes the device.
// While mounted and modified, the superblock's state says "not clean";
// sync() and unmount() mark it clean again.
//
// Files: ext2_cache.cpp (the block cache), ext2_alloc.cpp (bitmaps, group
// descriptors, superblock counts), ext2_inode.cpp (inodes, block maps,
// file data, truncation), ext2_dir.cpp (directory entries and path
// lookup), ext2_fs.cpp (mounting and the FileSystem operations).
#pragma once

#include "block_device.h"
#include "ext2_format.h"
#include "file_system.h"

namespace ux {

class Ext2Fs final : public FileSystem {
 public:
  static constexpr uint32_t kMaxBuffers = 256;
  static constexpr size_t kCacheBytes = size_t(kMaxBuffers) * 4096;  // enough for any block size
  static constexpr int kEOPNOTSUPP = 95;

  // cache: at least 16 blocks' worth of memory the file system may use
  // until it is destroyed. now: seconds since 1970.
  Ext2Fs(BlockDevice& dev, uint64_t (*now)(), void* cache, size_t cache_bytes)
      : dev_(dev), now_(now), cache_mem_(static_cast<uint8_t*>(cache)), cache_bytes_(cache_bytes) {}
  ~Ext2Fs();

  // Reads and checks the superblock: 0, EINVAL (not ext2, or geometry that
  // makes no sense), EOPNOTSUPP (features it does not implement), ENOMEM
  // (too little cache memory), EIO.
  int mount();
  // Frees unlinked files still open, writes everything and marks the file
  // system clean; no call may follow but mount().
  int unmount();

  int stat(const char* path, bool follow, NodeInfo* out) override;
  int readlink(const char* path, char* buf, size_t cap, size_t* len) override;
  int read(const char* path, const NodeInfo& node, uint64_t offset, char* buf, uint32_t count,
           uint32_t* got) override;
  int readdir(const char* path, uint64_t index, DirSink& sink, uint64_t* next) override;
  int statfs(FsStats* out) override;

  bool writable() const override { return mounted_; }
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
  int sync() override;

  void retain(const NodeInfo& node) override;
  void release(const NodeInfo& node) override;

  uint32_t block_size() const { return bs_; }

 private:
  // --- the block cache (ext2_cache.cpp) ---
  struct Buf {
    uint32_t blk = 0;
    uint32_t refs = 0;
    uint64_t used = 0;  // LRU stamp
    bool valid = false, dirty = false;
    uint8_t* data = nullptr;
  };
  // The block, read from the device unless read is false (then zeroed);
  // held until bput. nullptr: EIO, or every buffer held.
  Buf* bget(uint32_t blk, bool read = true);
  void bput(Buf* b) { --b->refs; }
  void bdirty(Buf* b) { b->dirty = true; }
  int bwrite(Buf* b);
  int flush_all();
  void cache_reset();

  // --- allocation (ext2_alloc.cpp) ---
  int read_group(uint32_t g, ext2::GroupDesc* out);
  int write_group(uint32_t g, const ext2::GroupDesc& gd);
  // A free block, near goal when it can be; zeroed in the cache if zero.
  int alloc_block(uint32_t goal, uint32_t* out);
  int free_block(uint32_t blk);
  int alloc_inode(uint32_t parent, bool dir, uint32_t* out);
  int free_inode(uint32_t ino, bool dir);
  int write_super(bool clean);
  // Called before a change: the first after a sync marks the disk not clean.
  int modifying();

  // --- inodes and their blocks (ext2_inode.cpp) ---
  int read_inode(uint32_t ino, ext2::Inode* out);
  int write_inode(uint32_t ino, const ext2::Inode& in);
  // Writes a new inode (its extra fields too, with larger inodes).
  int init_inode(uint32_t ino, const ext2::Inode& in);
  uint64_t inode_size(const ext2::Inode& in) const;
  void set_inode_size(ext2::Inode& in, uint64_t size);
  // The physical block of a file's logical block lblk (0: a hole); with
  // create, one is allocated (zeroed) along with the indirect blocks the
  // way needs, and in.blocks counts them.
  int bmap(ext2::Inode& in, uint32_t ino, uint64_t lblk, bool create, uint32_t* out);
  // Frees every block from logical block `from` on (indirect blocks that
  // become empty too).
  int free_blocks_from(ext2::Inode& in, uint64_t from);
  // The tree of depth levels under *slot maps the blocks from base on;
  // the ones from `from` on are freed, and *slot becomes 0 when nothing is
  // left under it.
  int free_tree(uint32_t* slot, int depth, uint64_t base, uint64_t from, ext2::Inode& in);
  // Zeros the rest of the block holding byte size (so growing shows zeros).
  int zero_tail(ext2::Inode& in, uint32_t ino, uint64_t size);
  bool fast_symlink(const ext2::Inode& in) const;
  int read_data(ext2::Inode& in, uint32_t ino, uint64_t offset, char* buf, uint32_t count, uint32_t* got);
  int write_data(ext2::Inode& in, uint32_t ino, uint64_t offset, const char* buf, uint32_t count,
                 uint32_t* put);
  int set_size(ext2::Inode& in, uint32_t ino, uint64_t size);
  // links_count reached 0: frees it now, or at its last release.
  int drop_inode(uint32_t ino, ext2::Inode& in);
  int destroy_inode(uint32_t ino);
  void fill_node(uint32_t ino, const ext2::Inode& in, NodeInfo* out) const;
  uint64_t max_file_size() const;

  // --- directories and paths (ext2_dir.cpp) ---
  int dir_lookup(uint32_t dir, const char* name, size_t len, uint32_t* ino, uint8_t* type = nullptr);
  int dir_add(uint32_t dir, const char* name, size_t len, uint32_t ino, uint8_t type);
  int dir_remove(uint32_t dir, const char* name, size_t len);
  // Points an existing entry at another inode.
  int dir_retarget(uint32_t dir, const char* name, size_t len, uint32_t ino, uint8_t type);
  int dir_is_empty(uint32_t dir, bool* empty);
  int dir_set_parent(uint32_t dir, uint32_t parent);
  // The inode for path (symbolic links followed, the last only if follow).
  int lookup(const char* path, bool follow, uint32_t* ino);
  // The directory holding path's last component and that component (a
  // pointer into path). ENOENT for the root itself.
  int lookup_parent(const char* path, uint32_t* dir, const char** name, size_t* len);
  int walk(const char* path, size_t len, bool follow, uint32_t* ino);
  int readlink_ino(uint32_t ino, const ext2::Inode& in, char* buf, size_t cap, size_t* len);
  uint8_t file_type(uint16_t mode) const;
  // A new regular file, directory or symbolic link (target) at path, with
  // its directory entry.
  int new_node(const char* path, uint16_t mode, const char* target, uint32_t* ino_out);
  // An adjustment of a directory's link count.
  int add_links(uint32_t ino, int delta);

  // --- open files ---
  struct Open {
    uint32_t ino, count;
    bool orphan;  // unlinked while open: freed at the last release
  };
  Open* find_open(uint32_t ino);

  BlockDevice& dev_;
  uint64_t (*now_)();
  uint8_t* cache_mem_;
  size_t cache_bytes_;
  Buf bufs_[kMaxBuffers];
  uint32_t nbufs_ = 0;
  uint64_t clock_ = 0;

  bool mounted_ = false, clean_ = true;
  ext2::Superblock sb_{};
  uint32_t bs_ = 1024, sectors_per_block_ = 2, groups_ = 0, inode_size_ = 128, first_ino_ = 11;
  uint32_t ptrs_ = 256;  // block numbers per indirect block
  uint32_t gdt_block_ = 2;
  Open* open_ = nullptr;
  uint32_t open_count_ = 0, open_cap_ = 0;
};

}  // namespace ux
