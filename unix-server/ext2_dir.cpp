// Ext2Fs's directories: linear lists of entries (inode, rec_len, name_len,
// file_type, name) that tile each block. Inserting takes an unused entry or
// the slack after a live one, else a new block; removing merges the entry
// into the one before it in its block. Also path lookup, with symbolic
// links inside this file system followed (at most 40 of them).
#include "ext2_fs.h"
#include "libmach/string.h"
#include "linux_abi.h"

namespace ux {

using namespace linux_abi;
using namespace ext2;

namespace {

constexpr int kMaxFollow = 40;
constexpr size_t kWalkMax = 1024;

// The entry at off in a block of bs bytes, or nullptr when it is malformed.
DirEntry* entry_at(uint8_t* block, uint32_t off, uint32_t bs) {
  if (off + 8 > bs) return nullptr;
  auto* de = reinterpret_cast<DirEntry*>(block + off);
  if (de->rec_len < 8 || (de->rec_len & 3) || off + de->rec_len > bs || 8u + de->name_len > de->rec_len)
    return nullptr;
  return de;
}

const char* entry_name(const DirEntry* de) { return reinterpret_cast<const char*>(de + 1); }

bool same(const DirEntry* de, const char* name, size_t len) {
  return de->inode && de->name_len == len && memcmp(entry_name(de), name, len) == 0;
}

// Lexical normalization in place: no empty, "." or ".." components, no
// leading or trailing '/'. ".." of the root stays the root.
void normalize(char* path) {
  size_t out = 0;
  const char* p = path;
  while (*p) {
    while (*p == '/') ++p;
    const char* start = p;
    while (*p && *p != '/') ++p;
    size_t n = size_t(p - start);
    if (n == 0 || (n == 1 && start[0] == '.')) continue;
    if (n == 2 && start[0] == '.' && start[1] == '.') {
      while (out > 0 && path[out - 1] != '/') --out;
      if (out > 0) --out;
      continue;
    }
    if (out) path[out++] = '/';
    memmove(path + out, start, n);
    out += n;
  }
  path[out] = '\0';
}

}  // namespace

uint8_t Ext2Fs::file_type(uint16_t mode) const {
  if (!(sb_.feature_incompat & kIncompatFiletype)) return kFtUnknown;
  switch (mode & kS_IFMT) {
    case kS_IFREG: return kFtRegFile;
    case kS_IFDIR: return kFtDir;
    case kS_IFLNK: return kFtSymlink;
    case kS_IFCHR: return kFtChrdev;
    case 0060000: return kFtBlkdev;
    case 0010000: return kFtFifo;
    case 0140000: return kFtSock;
    default: return kFtUnknown;
  }
}

int Ext2Fs::dir_lookup(uint32_t dir, const char* name, size_t len, uint32_t* ino, uint8_t* type) {
  Inode in;
  if (int err = read_inode(dir, &in)) return err;
  if ((in.mode & kS_IFMT) != kS_IFDIR) return kENOTDIR;
  uint64_t nblocks = inode_size(in) / bs_;
  for (uint64_t lb = 0; lb < nblocks; ++lb) {
    uint32_t blk;
    if (int err = bmap(in, dir, lb, false, &blk)) return err;
    if (!blk) continue;
    Buf* b = bget(blk);
    if (!b) return kEIO;
    for (uint32_t off = 0; off < bs_;) {
      DirEntry* de = entry_at(b->data, off, bs_);
      if (!de) break;
      if (same(de, name, len)) {
        *ino = de->inode;
        if (type) *type = de->file_type;
        bput(b);
        return 0;
      }
      off += de->rec_len;
    }
    bput(b);
  }
  return kENOENT;
}

int Ext2Fs::dir_add(uint32_t dir, const char* name, size_t len, uint32_t ino, uint8_t type) {
  if (len > kNameMax) return kENAMETOOLONG;
  Inode in;
  if (int err = read_inode(dir, &in)) return err;
  uint32_t need = dir_rec_len(uint32_t(len));
  uint64_t nblocks = inode_size(in) / bs_;
  Buf* hit = nullptr;
  DirEntry* de = nullptr;
  for (uint64_t lb = 0; lb < nblocks && !hit; ++lb) {
    uint32_t blk;
    if (int err = bmap(in, dir, lb, false, &blk)) return err;
    if (!blk) continue;
    Buf* b = bget(blk);
    if (!b) return kEIO;
    for (uint32_t off = 0; off < bs_;) {
      DirEntry* cur = entry_at(b->data, off, bs_);
      if (!cur) break;
      if (!cur->inode && cur->rec_len >= need) {
        de = cur;
      } else if (cur->inode) {
        uint32_t used = dir_rec_len(cur->name_len);
        if (cur->rec_len >= used + need) {
          de = reinterpret_cast<DirEntry*>(b->data + off + used);
          de->rec_len = uint16_t(cur->rec_len - used);
          cur->rec_len = uint16_t(used);
        }
      }
      if (de) {
        hit = b;
        break;
      }
      off += cur->rec_len;
    }
    if (!hit) bput(b);
  }
  if (!hit) {  // a new block at the end
    uint32_t blk;
    if (int err = bmap(in, dir, nblocks, true, &blk)) {
      (void)write_inode(dir, in);  // indirect blocks it may have taken
      return err;
    }
    hit = bget(blk);
    if (!hit) return kEIO;
    de = reinterpret_cast<DirEntry*>(hit->data);
    de->rec_len = uint16_t(bs_);
    set_inode_size(in, (nblocks + 1) * bs_);
  }
  de->inode = ino;
  de->name_len = uint8_t(len);
  de->file_type = type;
  memcpy(de + 1, name, len);
  bdirty(hit);
  bput(hit);
  in.mtime = in.ctime = uint32_t(now_());
  in.flags &= ~kIndexFl;  // the hash index (if any) no longer describes it
  return write_inode(dir, in);
}

int Ext2Fs::dir_remove(uint32_t dir, const char* name, size_t len) {
  Inode in;
  if (int err = read_inode(dir, &in)) return err;
  uint64_t nblocks = inode_size(in) / bs_;
  for (uint64_t lb = 0; lb < nblocks; ++lb) {
    uint32_t blk;
    if (int err = bmap(in, dir, lb, false, &blk)) return err;
    if (!blk) continue;
    Buf* b = bget(blk);
    if (!b) return kEIO;
    DirEntry* prev = nullptr;
    for (uint32_t off = 0; off < bs_;) {
      DirEntry* de = entry_at(b->data, off, bs_);
      if (!de) break;
      if (same(de, name, len)) {
        if (prev)
          prev->rec_len = uint16_t(prev->rec_len + de->rec_len);
        else
          de->inode = 0;
        bdirty(b);
        bput(b);
        in.mtime = in.ctime = uint32_t(now_());
        in.flags &= ~kIndexFl;
        return write_inode(dir, in);
      }
      prev = de;
      off += de->rec_len;
    }
    bput(b);
  }
  return kENOENT;
}

int Ext2Fs::dir_retarget(uint32_t dir, const char* name, size_t len, uint32_t ino, uint8_t type) {
  Inode in;
  if (int err = read_inode(dir, &in)) return err;
  uint64_t nblocks = inode_size(in) / bs_;
  for (uint64_t lb = 0; lb < nblocks; ++lb) {
    uint32_t blk;
    if (int err = bmap(in, dir, lb, false, &blk)) return err;
    if (!blk) continue;
    Buf* b = bget(blk);
    if (!b) return kEIO;
    for (uint32_t off = 0; off < bs_;) {
      DirEntry* de = entry_at(b->data, off, bs_);
      if (!de) break;
      if (same(de, name, len)) {
        de->inode = ino;
        de->file_type = type;
        bdirty(b);
        bput(b);
        in.mtime = in.ctime = uint32_t(now_());
        in.flags &= ~kIndexFl;
        return write_inode(dir, in);
      }
      off += de->rec_len;
    }
    bput(b);
  }
  return kENOENT;
}

int Ext2Fs::dir_is_empty(uint32_t dir, bool* empty) {
  *empty = false;
  Inode in;
  if (int err = read_inode(dir, &in)) return err;
  uint64_t nblocks = inode_size(in) / bs_;
  for (uint64_t lb = 0; lb < nblocks; ++lb) {
    uint32_t blk;
    if (int err = bmap(in, dir, lb, false, &blk)) return err;
    if (!blk) continue;
    Buf* b = bget(blk);
    if (!b) return kEIO;
    for (uint32_t off = 0; off < bs_;) {
      DirEntry* de = entry_at(b->data, off, bs_);
      if (!de) break;
      bool dot = (de->name_len == 1 && entry_name(de)[0] == '.') ||
                 (de->name_len == 2 && entry_name(de)[0] == '.' && entry_name(de)[1] == '.');
      if (de->inode && !dot) {
        bput(b);
        return 0;
      }
      off += de->rec_len;
    }
    bput(b);
  }
  *empty = true;
  return 0;
}

int Ext2Fs::dir_set_parent(uint32_t dir, uint32_t parent) {
  return dir_retarget(dir, "..", 2, parent, file_type(kS_IFDIR));
}

int Ext2Fs::readlink_ino(uint32_t ino, const Inode& in, char* buf, size_t cap, size_t* len) {
  if ((in.mode & kS_IFMT) != kS_IFLNK) return kEINVAL;
  size_t n = in.size;
  if (n > cap) n = cap;
  if (fast_symlink(in)) {
    memcpy(buf, in.block, n);
  } else {
    if (n > bs_) n = bs_;
    Inode copy = in;
    uint32_t blk;
    if (int err = bmap(copy, ino, 0, false, &blk)) return err;
    if (!blk) return kEIO;
    Buf* b = bget(blk);
    if (!b) return kEIO;
    memcpy(buf, b->data, n);
    bput(b);
  }
  *len = n;
  return 0;
}

int Ext2Fs::walk(const char* path, size_t len, bool follow, uint32_t* ino) {
  char work[kWalkMax], next[kWalkMax];
  if (len >= kWalkMax) return kENAMETOOLONG;
  memcpy(work, path, len);
  work[len] = '\0';
  int follows = 0;
restart:
  uint32_t cur = kRootIno;
  size_t pos = 0;
  while (work[pos]) {
    size_t start = pos;
    while (work[pos] && work[pos] != '/') ++pos;
    size_t n = pos - start;
    while (work[pos] == '/') ++pos;
    if (n == 0) continue;
    if (n > kNameMax) return kENAMETOOLONG;
    uint32_t child;
    if (int err = dir_lookup(cur, work + start, n, &child)) return err;
    const char* rest = work + pos;
    Inode in;
    if (int err = read_inode(child, &in)) return err;
    if ((in.mode & kS_IFMT) == kS_IFLNK && (*rest || follow)) {
      if (++follows > kMaxFollow) return kELOOP;
      size_t restlen = strlen(rest);
      // A relative target continues from the link's directory; an absolute
      // one from this file system's root.
      size_t at = start;
      memcpy(next, work, at);
      size_t room = kWalkMax - at - restlen - 2;
      if (in.size > room) return kENAMETOOLONG;
      size_t tlen;
      if (int err = readlink_ino(child, in, next + at, room, &tlen)) return err;
      if (tlen == 0) return kENOENT;
      if (next[at] == '/') {
        memmove(next, next + at, tlen);
        at = 0;
      }
      at += tlen;
      next[at++] = '/';
      memcpy(next + at, rest, restlen + 1);
      normalize(next);
      memcpy(work, next, strlen(next) + 1);
      goto restart;
    }
    if (*rest && (in.mode & kS_IFMT) != kS_IFDIR) return kENOTDIR;
    cur = child;
  }
  *ino = cur;
  return 0;
}

int Ext2Fs::lookup(const char* path, bool follow, uint32_t* ino) { return walk(path, strlen(path), follow, ino); }

int Ext2Fs::lookup_parent(const char* path, uint32_t* dir, const char** name, size_t* len) {
  size_t n = strlen(path);
  if (n == 0) return kEBUSY;  // the root has no parent here
  size_t slash = n;
  while (slash > 0 && path[slash - 1] != '/') --slash;
  *name = path + slash;
  *len = n - slash;
  if (*len > kNameMax) return kENAMETOOLONG;
  if (int err = walk(path, slash ? slash - 1 : 0, true, dir)) return err;
  Inode in;
  if (int err = read_inode(*dir, &in)) return err;
  if ((in.mode & kS_IFMT) != kS_IFDIR) return kENOTDIR;
  return 0;
}

}  // namespace ux
