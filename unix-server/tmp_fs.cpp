#include "tmp_fs.h"

#include "libmach/malloc.h"
#include "libmach/string.h"
#include "linux_abi.h"

namespace ux {

using namespace linux_abi;
using namespace tmpfs;

namespace {

bool is_dir(const Node& n) { return (n.mode & kS_IFMT) == kS_IFDIR; }
bool is_reg(const Node& n) { return (n.mode & kS_IFMT) == kS_IFREG; }
bool is_link(const Node& n) { return (n.mode & kS_IFMT) == kS_IFLNK; }
bool is_dot_or_dotdot(const char* name, size_t len) {
  return (len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.');
}
constexpr uint64_t kKeep = ~uint64_t(0);  // utimes: leave this time as it is
constexpr uint32_t kKeepId = ~uint32_t(0);  // chown: leave this id as it is

}  // namespace

TmpFs::TmpFs(const char* mount, Clock now, AllocPage alloc_page, FreePage free_page)
    : now_(now), alloc_page_(alloc_page), free_page_(free_page) {
  size_t len = strlen(mount);
  if (len >= sizeof mount_) len = 0;
  memcpy(mount_, mount, len);
  while (len && mount_[len - 1] == '/') --len;  // "/" becomes "": everything absolute is inside
  mount_[len] = '\0';
  mount_len_ = len;
  uint32_t root;
  if (new_node(kS_IFDIR | 01777, &root) == 0) at(root).parent = root;
}

TmpFs::~TmpFs() {
  for (uint32_t s = 0; s < high_water_; ++s)
    if (at(s).mode) free_contents(at(s));
  for (Node* page : node_pages_)
    if (page) free_page_(page);
}

// --- nodes ---

Node& TmpFs::at(uint32_t slot) const { return node_pages_[slot / kNodesPerPage][slot % kNodesPerPage]; }

uint64_t TmpFs::ino_of(uint32_t slot) const { return uint64_t(at(slot).gen) * kMaxNodes + slot + 1; }

Node* TmpFs::by_ino(uint64_t ino) const {
  if (ino == 0) return nullptr;
  uint32_t slot = uint32_t((ino - 1) % kMaxNodes);
  if (slot >= high_water_) return nullptr;
  Node& n = at(slot);
  return n.mode && n.gen == (ino - 1) / kMaxNodes ? &n : nullptr;
}

void TmpFs::fill(uint32_t slot, NodeInfo* out) const {
  const Node& n = at(slot);
  *out = NodeInfo{};
  out->mode = n.mode;
  out->ino = ino_of(slot);
  // Directories: Linux tmpfs's 20 bytes an entry, "." and ".." included.
  out->size = is_dir(n) ? (uint64_t(n.count) + 2) * 20 : n.size;
  out->atime = n.atime;
  out->mtime = n.mtime;
  out->ctime = n.ctime;
  out->nlink = n.nlink;
  out->uid = n.uid;
  out->gid = n.gid;
  out->blocks = is_reg(n) ? uint64_t(n.count) * (kPageSize / 512) : 0;
}

int TmpFs::new_node(uint32_t mode, uint32_t* slot) {
  if (used_nodes_ == kMaxNodes) return kENOSPC;
  uint32_t s = free_head_;
  if (s != kMaxNodes) {
    free_head_ = at(s).next_free;
  } else {
    s = high_water_;
    Node*& page = node_pages_[s / kNodesPerPage];
    if (!page) {
      page = static_cast<Node*>(alloc_page_());
      if (!page) return kENOSPC;
      memset(page, 0, kPageSize);
    }
    ++high_water_;
  }
  Node& n = at(s);
  uint32_t gen = n.gen;
  memset(&n, 0, sizeof n);
  n.gen = gen;
  n.mode = mode;
  n.nlink = is_dir(n) ? 2 : 1;
  n.atime = n.mtime = n.ctime = now_();
  ++used_nodes_;
  *slot = s;
  return 0;
}

void TmpFs::free_contents(Node& n) {
  if (is_reg(n) && n.pages) {
    free_tree(n.pages, n.cap, n);
  } else if (is_dir(n)) {
    for (uint32_t i = 0; i < n.count; ++i) free(n.entries[i].name);
    free(n.entries);
  } else if (is_link(n)) {
    free(n.target);
  }
  n.pages = nullptr;
}

void TmpFs::free_node(uint32_t slot) {
  Node& n = at(slot);
  free_contents(n);
  n.mode = 0;
  ++n.gen;  // the slot's next node gets another ino
  n.next_free = free_head_;
  free_head_ = slot;
  --used_nodes_;
}

// One name fewer: the node goes with its last name unless a file
// description still holds it (then at its last release).
void TmpFs::drop_link(uint32_t slot) {
  Node& n = at(slot);
  n.nlink = is_dir(n) || n.nlink == 0 ? 0 : n.nlink - 1;
  n.ctime = now_();
  if (n.nlink == 0 && n.opens == 0) free_node(slot);
}

// --- lookups ---

const char* TmpFs::under_mount(const char* abs) const {
  if (strncmp(abs, mount_, mount_len_) != 0) return nullptr;
  return abs[mount_len_] == '/' || !abs[mount_len_] ? abs + mount_len_ : nullptr;
}

// work becomes the part of abs (an absolute path) under the mount point,
// to be walked from the root. Taken as written first (so ".." after a
// link inside stays physical), else lexically normalized as the VFS does.
int TmpFs::reenter(const char* abs, char* work) const {
  const char* rest = under_mount(abs);
  char norm[kPathMax];
  if (!rest) {
    bool slash = false;
    int err = Vfs::absolute("/", abs, norm, &slash);
    if (err) return err;
    rest = under_mount(norm);
    if (!rest) return kENOENT;  // another file system's: not followed across mounts
  }
  size_t len = strlen(rest);
  if (len >= kWorkMax) return kENAMETOOLONG;
  memmove(work, rest, len + 1);
  return 0;
}

int TmpFs::resolve(const char* path, bool follow, uint32_t* out) const {
  char work[kWorkMax];
  size_t plen = strlen(path);
  if (plen >= kWorkMax) return kENAMETOOLONG;
  memcpy(work, path, plen + 1);
  uint32_t cur = kRoot;
  int links = 0;
  size_t pos = 0;
  for (;;) {
    while (work[pos] == '/') ++pos;
    if (!work[pos]) break;
    const char* name = work + pos;
    size_t len = 0;
    while (name[len] && name[len] != '/') ++len;
    size_t after = pos + len, k = after;
    while (work[k] == '/') ++k;
    bool last = !work[k], trailing = last && work[after] == '/';
    const Node& dir = at(cur);
    if (!is_dir(dir)) return kENOTDIR;
    if (len > kNameMax) return kENAMETOOLONG;
    if (len == 1 && name[0] == '.') {
      pos = after;
      continue;
    }
    if (len == 2 && name[0] == '.' && name[1] == '.') {
      if (cur != kRoot || mount_len_ == 0) {  // the root's parent is itself at "/"
        cur = dir.parent;
        pos = after;
        continue;
      }
      // Out of the file system, maybe back in ("../tmp/x" from /tmp).
      char abs[kWorkMax];
      size_t up = mount_len_;
      while (mount_[up - 1] != '/') --up;
      --up;  // the mount point's parent, "" for "/"
      size_t rest = strlen(work + after);
      if (up + rest + 2 > kWorkMax) return kENAMETOOLONG;
      memcpy(abs, mount_, up);
      abs[up] = '/';
      memcpy(abs + up + 1, work + after, rest + 1);
      int err = reenter(abs, work);
      if (err) return err;
      cur = kRoot;
      pos = 0;
      continue;
    }
    int i = find(dir, name, len);
    if (i < 0) return kENOENT;
    uint32_t child = dir.entries[i].slot;
    const Node& c = at(child);
    if (is_link(c) && (!last || follow || trailing)) {
      if (++links > kMaxLinks) return kELOOP;
      char expanded[kWorkMax];
      size_t rest = strlen(work + after);
      if (c.size + rest + 1 > kWorkMax) return kENAMETOOLONG;
      memcpy(expanded, c.target, c.size);
      memcpy(expanded + c.size, work + after, rest + 1);
      if (expanded[0] == '/') {
        int err = reenter(expanded, work);
        if (err) return err;
        cur = kRoot;
      } else {
        memcpy(work, expanded, c.size + rest + 1);  // relative: from the link's directory
      }
      pos = 0;
      continue;
    }
    if (trailing && !is_dir(c)) return kENOTDIR;
    cur = child;
    pos = after;
  }
  *out = cur;
  return 0;
}

// The directory holding path's last component (links followed on the
// way), and that component.
int TmpFs::parent_of(const char* path, uint32_t* dir, const char** name, size_t* len) const {
  size_t plen = strlen(path), cut = plen;
  while (cut && path[cut - 1] != '/') --cut;
  *name = path + cut;
  *len = plen - cut;
  if (*len > kNameMax) return kENAMETOOLONG;
  if (*len == 0 || is_dot_or_dotdot(*name, *len)) return kEINVAL;  // not in a normalized path
  *dir = kRoot;
  if (cut) {
    char head[kWorkMax];
    if (cut >= kWorkMax) return kENAMETOOLONG;
    memcpy(head, path, cut - 1);
    head[cut - 1] = '\0';
    int err = resolve(head, true, dir);
    if (err) return err;
  }
  return is_dir(at(*dir)) ? 0 : kENOTDIR;
}

// The node a data operation is about: by ino while it lives (renamed and
// unlinked files included), else by path.
int TmpFs::node_of(const char* path, const NodeInfo& info, uint32_t* slot) const {
  if (by_ino(info.ino)) {
    *slot = uint32_t((info.ino - 1) % kMaxNodes);
    return 0;
  }
  return resolve(path, true, slot);
}

// --- directories ---

int TmpFs::find(const Node& dir, const char* name, size_t len) const {
  for (uint32_t i = 0; i < dir.count; ++i) {
    const char* e = dir.entries[i].name;
    if (strncmp(e, name, len) == 0 && e[len] == '\0') return int(i);  // strncmp stops at e's end
  }
  return -1;
}

int TmpFs::reserve(Node& dir) {
  if (dir.count < dir.cap) return 0;
  uint32_t cap = dir.cap ? dir.cap * 2 : 4;
  auto* grown = static_cast<Entry*>(realloc(dir.entries, cap * sizeof(Entry)));
  if (!grown) return kENOMEM;
  dir.entries = grown;
  dir.cap = cap;
  return 0;
}

int TmpFs::add_entry(Node& dir, const char* name, size_t len, uint32_t slot) {
  int err = reserve(dir);
  if (err) return err;
  char* copy = static_cast<char*>(malloc(len + 1));
  if (!copy) return kENOMEM;
  memcpy(copy, name, len);
  copy[len] = '\0';
  // readdir positions must stay below the VFS's mount positions (2^32).
  if (dir.next_seq >= 0xfffffff0u) {
    for (uint32_t i = 0; i < dir.count; ++i) dir.entries[i].seq = i;
    dir.next_seq = dir.count;
  }
  dir.entries[dir.count++] = Entry{copy, slot, dir.next_seq++};
  dir.mtime = dir.ctime = now_();
  return 0;
}

void TmpFs::remove_entry(Node& dir, int index) {
  free(dir.entries[index].name);
  memmove(&dir.entries[index], &dir.entries[index + 1], (dir.count - uint32_t(index) - 1) * sizeof(Entry));
  --dir.count;
  dir.mtime = dir.ctime = now_();
}

// --- reading ---

int TmpFs::stat(const char* path, bool follow, NodeInfo* out) {
  uint32_t slot;
  int err = resolve(path, follow, &slot);
  if (!err) fill(slot, out);
  return err;
}

int TmpFs::readlink(const char* path, char* buf, size_t cap, size_t* len) {
  uint32_t slot;
  int err = resolve(path, false, &slot);
  if (err) return err;
  const Node& n = at(slot);
  if (!is_link(n)) return kEINVAL;
  size_t count = n.size < cap ? size_t(n.size) : cap;
  memcpy(buf, n.target, count);
  *len = count;
  return 0;
}

int TmpFs::readdir(const char* path, uint64_t index, DirSink& sink, uint64_t* next) {
  uint32_t slot;
  int err = resolve(path, true, &slot);
  if (err) return err;
  const Node& dir = at(slot);
  if (!is_dir(dir)) return kENOTDIR;
  for (uint32_t i = 0; i < dir.count; ++i) {
    const Entry& e = dir.entries[i];
    if (e.seq < index) continue;
    const Node& c = at(e.slot);
    uint8_t type = is_dir(c) ? kDT_DIR : is_link(c) ? kDT_LNK : kDT_REG;
    if (!sink.add(e.name, type, ino_of(e.slot))) {
      *next = e.seq;
      return 0;
    }
  }
  *next = dir.next_seq > index ? dir.next_seq : index;
  return 0;
}

int TmpFs::statfs(FsStats* out) {
  *out = FsStats{};
  out->type = 0x01021994;  // TMPFS_MAGIC
  out->block_size = kPageSize;
  out->blocks = kMaxDataPages;
  out->blocks_free = out->blocks_available = kMaxDataPages - used_pages_;
  out->files = kMaxNodes;
  out->files_free = kMaxNodes - used_nodes_;
  out->name_max = kNameMax;
  return 0;
}

// --- writing ---

int TmpFs::create(const char* path, uint32_t mode, NodeInfo* out) {
  if (!*path) return kEEXIST;
  uint32_t dir, slot;
  const char* name;
  size_t len;
  int err = parent_of(path, &dir, &name, &len);
  if (err) return err;
  if (find(at(dir), name, len) >= 0) return kEEXIST;
  if ((err = new_node(kS_IFREG | (mode & 07777), &slot))) return err;
  if ((err = add_entry(at(dir), name, len, slot))) {
    free_node(slot);
    return err;
  }
  fill(slot, out);
  return 0;
}

int TmpFs::mkdir(const char* path, uint32_t mode) {
  if (!*path) return kEEXIST;
  uint32_t dir, slot;
  const char* name;
  size_t len;
  int err = parent_of(path, &dir, &name, &len);
  if (err) return err;
  if (find(at(dir), name, len) >= 0) return kEEXIST;
  if ((err = new_node(kS_IFDIR | (mode & 07777), &slot))) return err;
  if ((err = add_entry(at(dir), name, len, slot))) {
    free_node(slot);
    return err;
  }
  at(slot).parent = dir;
  ++at(dir).nlink;  // the new directory's ".."
  return 0;
}

int TmpFs::symlink(const char* target, const char* path) {
  size_t tlen = strlen(target);
  if (tlen == 0) return kENOENT;
  if (tlen > kTargetMax) return kENAMETOOLONG;
  if (!*path) return kEEXIST;
  uint32_t dir, slot;
  const char* name;
  size_t len;
  int err = parent_of(path, &dir, &name, &len);
  if (err) return err;
  if (find(at(dir), name, len) >= 0) return kEEXIST;
  char* copy = static_cast<char*>(malloc(tlen));
  if (!copy) return kENOMEM;
  memcpy(copy, target, tlen);
  if ((err = new_node(kS_IFLNK | 0777, &slot))) {
    free(copy);
    return err;
  }
  at(slot).target = copy;
  at(slot).size = tlen;
  if ((err = add_entry(at(dir), name, len, slot))) free_node(slot);
  return err;
}

int TmpFs::link(const char* existing, const char* path) {
  uint32_t slot, dir;
  int err = resolve(existing, false, &slot);  // as linkat without AT_SYMLINK_FOLLOW
  if (err) return err;
  if (is_dir(at(slot))) return kEPERM;
  if (!*path) return kEEXIST;
  const char* name;
  size_t len;
  if ((err = parent_of(path, &dir, &name, &len))) return err;
  if (find(at(dir), name, len) >= 0) return kEEXIST;
  if ((err = add_entry(at(dir), name, len, slot))) return err;
  ++at(slot).nlink;
  at(slot).ctime = now_();
  return 0;
}

int TmpFs::unlink(const char* path) {
  if (!*path) return kEISDIR;
  uint32_t dir;
  const char* name;
  size_t len;
  int err = parent_of(path, &dir, &name, &len);
  if (err) return err;
  int i = find(at(dir), name, len);
  if (i < 0) return kENOENT;
  uint32_t slot = at(dir).entries[i].slot;
  if (is_dir(at(slot))) return kEISDIR;
  remove_entry(at(dir), i);
  drop_link(slot);
  return 0;
}

int TmpFs::rmdir(const char* path) {
  if (!*path) return kEBUSY;
  uint32_t dir;
  const char* name;
  size_t len;
  int err = parent_of(path, &dir, &name, &len);
  if (err) return err;
  int i = find(at(dir), name, len);
  if (i < 0) return kENOENT;
  uint32_t slot = at(dir).entries[i].slot;
  if (!is_dir(at(slot))) return kENOTDIR;
  if (at(slot).count) return kENOTEMPTY;
  remove_entry(at(dir), i);
  --at(dir).nlink;
  drop_link(slot);
  return 0;
}

int TmpFs::rename(const char* from, const char* to) {
  if (!*from || !*to) return kEBUSY;
  uint32_t fdir, tdir;
  const char *fname, *tname;
  size_t flen, tlen;
  int err = parent_of(from, &fdir, &fname, &flen);
  if (err) return err;
  int fi = find(at(fdir), fname, flen);
  if (fi < 0) return kENOENT;
  if ((err = parent_of(to, &tdir, &tname, &tlen))) return err;
  uint32_t src = at(fdir).entries[fi].slot;
  int ti = find(at(tdir), tname, tlen);
  if (ti >= 0 && at(tdir).entries[ti].slot == src) return 0;  // the same file: nothing to do
  bool dir = is_dir(at(src));
  if (dir)  // not into its own subtree
    for (uint32_t d = tdir;; d = at(d).parent) {
      if (d == src) return kEINVAL;
      if (d == kRoot) break;
    }
  uint32_t victim = 0;
  if (ti >= 0) {
    victim = at(tdir).entries[ti].slot;
    const Node& v = at(victim);
    if (dir && !is_dir(v)) return kENOTDIR;
    if (!dir && is_dir(v)) return kEISDIR;
    if (is_dir(v) && v.count) return kENOTEMPTY;
  }
  // Everything that can fail before anything changes.
  char* copy = static_cast<char*>(malloc(tlen + 1));
  if (!copy) return kENOMEM;
  memcpy(copy, tname, tlen);
  copy[tlen] = '\0';
  if (fdir != tdir && (err = reserve(at(tdir)))) {
    free(copy);
    return err;
  }
  if (ti >= 0) {
    remove_entry(at(tdir), ti);
    if (is_dir(at(victim))) --at(tdir).nlink;
    drop_link(victim);
    fi = find(at(fdir), fname, flen);  // may have moved down
  }
  Node& fd = at(fdir);
  if (fdir == tdir) {  // renamed in place: its readdir position stays
    free(fd.entries[fi].name);
    fd.entries[fi].name = copy;
    fd.mtime = fd.ctime = now_();
  } else {
    remove_entry(fd, fi);
    Node& td = at(tdir);
    td.entries[td.count++] = Entry{copy, src, td.next_seq++};
    td.mtime = td.ctime = now_();
    if (dir) {
      --fd.nlink;
      ++td.nlink;
      at(src).parent = tdir;
    }
  }
  at(src).ctime = now_();
  return 0;
}

int TmpFs::chmod(const char* path, uint32_t mode) {
  uint32_t slot;
  int err = resolve(path, true, &slot);
  if (err) return err;
  Node& n = at(slot);
  n.mode = (n.mode & kS_IFMT) | (mode & 07777);
  n.ctime = now_();
  return 0;
}

int TmpFs::chown(const char* path, uint32_t uid, uint32_t gid, bool follow) {
  uint32_t slot;
  int err = resolve(path, follow, &slot);
  if (err) return err;
  Node& n = at(slot);
  if (uid != kKeepId) n.uid = uid;
  if (gid != kKeepId) n.gid = gid;
  n.ctime = now_();
  return 0;
}

int TmpFs::utimes(const char* path, uint64_t atime, uint64_t mtime, bool follow) {
  uint32_t slot;
  int err = resolve(path, follow, &slot);
  if (err) return err;
  Node& n = at(slot);
  if (atime != kKeep) n.atime = atime;
  if (mtime != kKeep) n.mtime = mtime;
  n.ctime = now_();
  return 0;
}

// --- open files ---

void TmpFs::retain(const NodeInfo& node) {
  if (Node* n = by_ino(node.ino)) ++n->opens;
}

void TmpFs::release(const NodeInfo& node) {
  Node* n = by_ino(node.ino);
  if (!n || n->opens == 0) return;
  if (--n->opens == 0 && n->nlink == 0) free_node(uint32_t((node.ino - 1) % kMaxNodes));
}

}  // namespace ux
