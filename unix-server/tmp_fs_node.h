// tmpfs's node records (tmp_fs.h). They live in page-sized slabs outside
// the 1 MiB malloc arena, so 4096 nodes cost no heap; a node's ino is its
// slot plus the slot's generation, so a slot reused never repeats an ino.
#pragma once

#include <stdint.h>

namespace ux::tmpfs {

constexpr uint64_t kPageSize = 4096;
constexpr uint32_t kMaxNodes = 4096;
constexpr uint64_t kMaxDataPages = (64ull << 20) / kPageSize;
constexpr uint32_t kNameMax = 255;
constexpr uint32_t kTargetMax = 4095;  // symbolic link targets, as Linux's PATH_MAX - 1
constexpr int kMaxLinks = 8;           // symbolic links followed in one lookup
// A file's pages hang from a radix tree of index pages, kFanout pointers
// each, kMaxDepth levels at most: files up to 256 TiB (sparse).
constexpr uint32_t kFanout = kPageSize / sizeof(void*);
constexpr uint32_t kFanoutBits = 9;
constexpr uint32_t kMaxDepth = 4;
constexpr uint64_t kMaxFileSize = kPageSize << (kFanoutBits * kMaxDepth);

// One name in a directory. seq is its readdir index: it only grows, so
// removing other entries never moves a reader's position.
struct Entry {
  char* name;  // malloc'd, NUL-terminated
  uint32_t slot;
  uint32_t seq;
};

struct Node {
  uint64_t size;  // regular file: bytes; symbolic link: target length
  uint64_t atime, mtime, ctime;
  union {
    void* pages;         // regular file: root of the page tree
    Entry* entries;      // directory: in insertion order
    char* target;        // symbolic link (malloc'd, not NUL-terminated)
    uint32_t next_free;  // free slot: the next free one
  };
  uint32_t mode;  // 0: a free slot
  uint32_t gen;   // how many times the slot was freed
  uint32_t nlink, uid, gid;
  uint32_t opens;     // open file descriptions (retain/release)
  uint32_t parent;    // directory: slot of the directory holding it
  uint32_t count;     // directory: entries; regular file: data pages
  uint32_t cap;       // directory: room for entries; regular file: depth of the page tree
  uint32_t next_seq;  // directory: seq of the next entry added
};

constexpr uint32_t kNodesPerPage = uint32_t(kPageSize / sizeof(Node));
constexpr uint32_t kNodePages = (kMaxNodes + kNodesPerPage - 1) / kNodesPerPage;

}  // namespace ux::tmpfs
