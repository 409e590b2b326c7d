// tmpfs's file data (tmp_fs.h): a radix tree of page-sized chunks per
// regular file, grown on demand, holes left unallocated (they read as
// zeros), trimmed on truncation.
#include "libmach/string.h"
#include "linux_abi.h"
#include "tmp_fs.h"

namespace ux {

using namespace linux_abi;
using namespace tmpfs;

namespace {
bool is_dir(const Node& n) { return (n.mode & kS_IFMT) == kS_IFDIR; }
bool is_reg(const Node& n) { return (n.mode & kS_IFMT) == kS_IFREG; }
}  // namespace

// --- file pages ---

void* TmpFs::zeroed_page() {
  void* p = alloc_page_();
  if (p) memset(p, 0, kPageSize);
  return p;
}

// The data page for page number page of n (*out nullptr for a hole unless
// create).
int TmpFs::data_page(Node& n, uint64_t page, bool create, void** out) {
  *out = nullptr;
  auto span = [](uint32_t depth) { return uint64_t(1) << (kFanoutBits * depth); };
  if (page >= span(n.cap)) {
    if (!create) return 0;
    while (page >= span(n.cap)) {  // a new top level holding the old tree as its first child
      if (n.cap == kMaxDepth) return kEFBIG;
      if (n.pages) {
        auto** top = static_cast<void**>(zeroed_page());
        if (!top) return kENOSPC;
        top[0] = n.pages;
        n.pages = top;
      }
      ++n.cap;
    }
  }
  void** slot = &n.pages;
  for (uint32_t level = n.cap; level > 0; --level) {
    if (!*slot) {
      if (!create) return 0;
      if (!(*slot = zeroed_page())) return kENOSPC;
    }
    slot = &static_cast<void**>(*slot)[(page >> (kFanoutBits * (level - 1))) & (kFanout - 1)];
  }
  if (!*slot && create) {
    if (used_pages_ >= kMaxDataPages) return kENOSPC;
    if (!(*slot = zeroed_page())) return kENOSPC;
    ++used_pages_;
    ++n.count;
  }
  *out = *slot;
  return 0;
}

void TmpFs::free_tree(void* p, uint32_t level, Node& n) {
  if (level == 0) {
    --used_pages_;
    --n.count;
  } else {
    for (uint32_t i = 0; i < kFanout; ++i)
      if (void* child = static_cast<void**>(p)[i]) free_tree(child, level - 1, n);
  }
  free_page_(p);
}

// Frees the data pages numbered keep and beyond in the subtree *p (at
// level, its first page numbered base).
void TmpFs::trim(void** p, uint32_t level, uint64_t base, uint64_t keep, Node& n) {
  if (!*p) return;
  uint64_t span = uint64_t(1) << (kFanoutBits * level);
  if (base >= keep) {
    free_tree(*p, level, n);
    *p = nullptr;
    return;
  }
  if (level == 0 || base + span <= keep) return;
  uint64_t sub = span >> kFanoutBits;
  for (uint32_t i = 0; i < kFanout; ++i) trim(&static_cast<void**>(*p)[i], level - 1, base + i * sub, keep, n);
}

// --- the data operations ---

int TmpFs::read(const char* path, const NodeInfo& node, uint64_t offset, char* buf, uint32_t count,
                uint32_t* got) {
  *got = 0;
  uint32_t slot;
  int err = node_of(path, node, &slot);
  if (err) return err;
  Node& n = at(slot);
  if (is_dir(n)) return kEISDIR;
  if (!is_reg(n)) return kEINVAL;
  if (offset >= n.size) return 0;
  if (count > n.size - offset) count = uint32_t(n.size - offset);
  for (uint32_t done = 0; done < count;) {
    uint64_t at_offset = offset + done, in_page = at_offset % kPageSize;
    uint32_t chunk = uint32_t(kPageSize - in_page < count - done ? kPageSize - in_page : count - done);
    void* page;
    data_page(n, at_offset / kPageSize, false, &page);
    if (page)
      memcpy(buf + done, static_cast<char*>(page) + in_page, chunk);
    else
      memset(buf + done, 0, chunk);  // a hole
    done += chunk;
  }
  *got = count;
  n.atime = now_();
  return 0;
}

int TmpFs::write(const char* path, NodeInfo& node, uint64_t offset, const char* buf, uint32_t count,
                 uint32_t* put) {
  *put = 0;
  uint32_t slot;
  int err = node_of(path, node, &slot);
  if (err) return err;
  Node& n = at(slot);
  if (is_dir(n)) return kEISDIR;
  if (!is_reg(n)) return kEINVAL;
  if (offset >= kMaxFileSize) return count ? kEFBIG : 0;
  if (count > kMaxFileSize - offset) count = uint32_t(kMaxFileSize - offset);
  uint32_t done = 0;
  while (done < count) {
    uint64_t at_offset = offset + done, in_page = at_offset % kPageSize;
    uint32_t chunk = uint32_t(kPageSize - in_page < count - done ? kPageSize - in_page : count - done);
    void* page;
    err = data_page(n, at_offset / kPageSize, true, &page);
    if (err) break;  // a short write when something was written
    memcpy(static_cast<char*>(page) + in_page, buf + done, chunk);
    done += chunk;
  }
  if (done) {
    if (offset + done > n.size) n.size = offset + done;
    n.mtime = n.ctime = now_();
  }
  *put = done;
  fill(slot, &node);
  return done || !count ? 0 : err;
}

int TmpFs::truncate(const char* path, NodeInfo& node, uint64_t size) {
  uint32_t slot;
  int err = node_of(path, node, &slot);
  if (err) return err;
  Node& n = at(slot);
  if (is_dir(n)) return kEISDIR;
  if (!is_reg(n)) return kEINVAL;
  if (size > kMaxFileSize) return kEFBIG;
  if (size < n.size) {
    trim(&n.pages, n.cap, 0, (size + kPageSize - 1) / kPageSize, n);
    if (!n.pages) n.cap = 0;
    // The kept part of the last page must read as zeros if the file grows again.
    void* page;
    if (size % kPageSize && (data_page(n, size / kPageSize, false, &page), page))
      memset(static_cast<char*>(page) + size % kPageSize, 0, kPageSize - size % kPageSize);
  }
  n.size = size;
  n.mtime = n.ctime = now_();
  fill(slot, &node);
  return 0;
}

}  // namespace ux
