// Ext2Fs's inodes: the inode table, block maps (12 direct blocks, then
// indirect, double and triple indirect ones), file data, truncation, and
// freeing an inode whose last link (and last open file) is gone.
#include "ext2_fs.h"
#include "libmach/string.h"
#include "linux_abi.h"

namespace ux {

using namespace linux_abi;
using namespace ext2;

namespace {
bool is_reg(const Inode& in) { return (in.mode & kS_IFMT) == kS_IFREG; }
bool is_dir(const Inode& in) { return (in.mode & kS_IFMT) == kS_IFDIR; }
}  // namespace

int Ext2Fs::read_inode(uint32_t ino, Inode* out) {
  if (ino < 1 || ino > sb_.inodes_count) return kEIO;
  uint32_t g = (ino - 1) / sb_.inodes_per_group, idx = (ino - 1) % sb_.inodes_per_group;
  GroupDesc gd;
  if (int err = read_group(g, &gd)) return err;
  uint64_t byte = uint64_t(idx) * inode_size_;
  Buf* b = bget(gd.inode_table + uint32_t(byte / bs_));
  if (!b) return kEIO;
  memcpy(out, b->data + byte % bs_, sizeof(Inode));
  bput(b);
  return 0;
}

int Ext2Fs::write_inode(uint32_t ino, const Inode& in) {
  if (ino < 1 || ino > sb_.inodes_count) return kEIO;
  uint32_t g = (ino - 1) / sb_.inodes_per_group, idx = (ino - 1) % sb_.inodes_per_group;
  GroupDesc gd;
  if (int err = read_group(g, &gd)) return err;
  uint64_t byte = uint64_t(idx) * inode_size_;
  Buf* b = bget(gd.inode_table + uint32_t(byte / bs_));
  if (!b) return kEIO;
  memcpy(b->data + byte % bs_, &in, sizeof(Inode));
  bdirty(b);
  bput(b);
  return 0;
}

int Ext2Fs::init_inode(uint32_t ino, const Inode& in) {
  uint32_t g = (ino - 1) / sb_.inodes_per_group, idx = (ino - 1) % sb_.inodes_per_group;
  GroupDesc gd;
  if (int err = read_group(g, &gd)) return err;
  uint64_t byte = uint64_t(idx) * inode_size_;
  Buf* b = bget(gd.inode_table + uint32_t(byte / bs_));
  if (!b) return kEIO;
  uint8_t* p = b->data + byte % bs_;
  memset(p, 0, inode_size_);
  memcpy(p, &in, sizeof(Inode));
  if (inode_size_ >= kGoodOldInodeSize + kWantExtraIsize) {
    InodeExtra extra{};
    extra.extra_isize = kWantExtraIsize;
    extra.crtime = in.ctime;
    memcpy(p + kGoodOldInodeSize, &extra, sizeof extra);
  }
  bdirty(b);
  bput(b);
  return 0;
}

uint64_t Ext2Fs::inode_size(const Inode& in) const {
  uint64_t size = in.size;
  if (is_reg(in)) size |= uint64_t(in.size_high) << 32;
  return size;
}

void Ext2Fs::set_inode_size(Inode& in, uint64_t size) {
  in.size = uint32_t(size);
  if (is_reg(in)) in.size_high = uint32_t(size >> 32);
  if (size > 0x7fffffffu && !(sb_.feature_ro_compat & kRoCompatLargeFile)) {
    sb_.feature_ro_compat |= kRoCompatLargeFile;  // max_file_size allows this only for revision 1
    (void)write_super(false);
  }
}

uint64_t Ext2Fs::max_file_size() const {
  uint64_t p = ptrs_;
  uint64_t blocks = kNDirBlocks + p + p * p + p * p * p;
  uint64_t limit = blocks * bs_;
  // i_blocks counts 512-byte units in 32 bits, the data's and the map's.
  uint64_t units = (uint64_t(1) << 32) - 1;
  uint64_t by_units = (units / sectors_per_block_) * bs_ / 2;  // leaves room for the map's own blocks
  if (by_units < limit) limit = by_units;
  if (sb_.rev_level == kRevGoodOld && limit > 0x7fffffffu) limit = 0x7fffffffu;
  return limit;
}

bool Ext2Fs::fast_symlink(const Inode& in) const {
  return (in.mode & kS_IFMT) == kS_IFLNK && in.size < sizeof in.block && in.size_high == 0;
}

int Ext2Fs::bmap(Inode& in, uint32_t ino, uint64_t lblk, bool create, uint32_t* out) {
  *out = 0;
  uint32_t goal = sb_.first_data_block + ((ino - 1) / sb_.inodes_per_group) * sb_.blocks_per_group;
  if (lblk < kNDirBlocks) {
    uint32_t& slot = in.block[lblk];
    if (!slot && create) {
      if (lblk > 0 && in.block[lblk - 1]) goal = in.block[lblk - 1] + 1;
      if (int err = alloc_block(goal, &slot)) return err;
      in.blocks += sectors_per_block_;
    }
    *out = slot;
    return 0;
  }
  uint64_t p = ptrs_, l = lblk - kNDirBlocks;
  int depth;
  if (l < p) {
    depth = 1;
  } else if ((l -= p) < p * p) {
    depth = 2;
  } else if ((l -= p * p) < p * p * p) {
    depth = 3;
  } else {
    return kEFBIG;
  }
  uint32_t idx[3];
  for (int k = depth - 1; k >= 0; --k) {
    idx[k] = uint32_t(l % p);
    l /= p;
  }
  uint32_t& root = in.block[kIndBlock + depth - 1];
  if (!root) {
    if (!create) return 0;
    if (in.block[kNDirBlocks - 1]) goal = in.block[kNDirBlocks - 1] + 1;
    if (int err = alloc_block(goal, &root)) return err;
    in.blocks += sectors_per_block_;
  }
  uint32_t blk = root;
  for (int k = 0; k < depth; ++k) {
    Buf* b = bget(blk);
    if (!b) return kEIO;
    auto* ptr = reinterpret_cast<uint32_t*>(b->data);
    uint32_t next = ptr[idx[k]];
    if (!next) {
      if (!create) {
        bput(b);
        return 0;
      }
      uint32_t g = idx[k] > 0 && ptr[idx[k] - 1] ? ptr[idx[k] - 1] + 1 : blk + 1;
      int err = alloc_block(g, &next);
      if (err) {
        bput(b);
        return err;
      }
      ptr[idx[k]] = next;
      bdirty(b);
      in.blocks += sectors_per_block_;
    }
    bput(b);
    blk = next;
  }
  *out = blk;
  return 0;
}

int Ext2Fs::free_tree(uint32_t* slot, int depth, uint64_t base, uint64_t from, Inode& in) {
  uint32_t blk = *slot;
  if (!blk) return 0;
  uint64_t span = 1;
  for (int k = 1; k < depth; ++k) span *= ptrs_;
  Buf* b = bget(blk);
  if (!b) return kEIO;
  auto* ptr = reinterpret_cast<uint32_t*>(b->data);
  uint32_t first = from <= base ? 0 : uint32_t((from - base) / span);
  int err = 0;
  for (uint32_t i = first; i < ptrs_ && !err; ++i) {
    if (!ptr[i]) continue;
    if (depth == 1) {
      err = free_block(ptr[i]);
      ptr[i] = 0;
      in.blocks -= sectors_per_block_;
    } else {
      err = free_tree(&ptr[i], depth - 1, base + i * span, from, in);
    }
    bdirty(b);
  }
  bool empty = true;
  for (uint32_t i = 0; i < ptrs_ && empty; ++i) empty = ptr[i] == 0;
  bput(b);
  if (!err && empty) {
    err = free_block(blk);
    *slot = 0;
    in.blocks -= sectors_per_block_;
  }
  return err;
}

int Ext2Fs::free_blocks_from(Inode& in, uint64_t from) {
  for (uint64_t i = from; i < kNDirBlocks; ++i) {
    if (!in.block[i]) continue;
    if (int err = free_block(in.block[i])) return err;
    in.block[i] = 0;
    in.blocks -= sectors_per_block_;
  }
  uint64_t base = kNDirBlocks, span = ptrs_;
  for (int depth = 1; depth <= 3; ++depth) {
    if (from < base + span)
      if (int err = free_tree(&in.block[kIndBlock + depth - 1], depth, base, from, in)) return err;
    base += span;
    span *= ptrs_;
  }
  return 0;
}

int Ext2Fs::zero_tail(Inode& in, uint32_t ino, uint64_t size) {
  uint32_t off = uint32_t(size % bs_);
  if (off == 0) return 0;
  uint32_t blk;
  if (int err = bmap(in, ino, size / bs_, false, &blk)) return err == kEFBIG ? 0 : err;
  if (!blk) return 0;
  Buf* b = bget(blk);
  if (!b) return kEIO;
  memset(b->data + off, 0, bs_ - off);
  bdirty(b);
  bput(b);
  return 0;
}

int Ext2Fs::read_data(Inode& in, uint32_t ino, uint64_t offset, char* buf, uint32_t count, uint32_t* got) {
  *got = 0;
  uint64_t size = inode_size(in);
  if (offset >= size) return 0;
  if (count > size - offset) count = uint32_t(size - offset);
  while (*got < count) {
    uint64_t pos = offset + *got;
    uint32_t off = uint32_t(pos % bs_), n = bs_ - off;
    if (n > count - *got) n = count - *got;
    uint32_t blk;
    if (int err = bmap(in, ino, pos / bs_, false, &blk)) return *got ? 0 : err;
    if (!blk) {
      memset(buf + *got, 0, n);
    } else {
      Buf* b = bget(blk);
      if (!b) return *got ? 0 : kEIO;
      memcpy(buf + *got, b->data + off, n);
      bput(b);
    }
    *got += n;
  }
  return 0;
}

int Ext2Fs::write_data(Inode& in, uint32_t ino, uint64_t offset, const char* buf, uint32_t count,
                       uint32_t* put) {
  *put = 0;
  uint64_t limit = max_file_size();
  if (offset >= limit) return count ? kEFBIG : 0;
  if (count > limit - offset) count = uint32_t(limit - offset);
  uint64_t size = inode_size(in);
  int err = 0;
  if (offset > size) err = zero_tail(in, ino, size);
  while (!err && *put < count) {
    uint64_t pos = offset + *put;
    uint32_t off = uint32_t(pos % bs_), n = bs_ - off;
    if (n > count - *put) n = count - *put;
    uint32_t blk;
    if ((err = bmap(in, ino, pos / bs_, true, &blk)) != 0) break;
    Buf* b = bget(blk, !(off == 0 && n == bs_));
    if (!b) {
      err = kEIO;
      break;
    }
    memcpy(b->data + off, buf + *put, n);
    bdirty(b);
    bput(b);
    *put += n;
  }
  if (offset + *put > size) set_inode_size(in, offset + *put);
  if (*put) {
    in.mtime = in.ctime = uint32_t(now_());
    err = 0;
  }
  int werr = write_inode(ino, in);
  return err ? err : werr;
}

int Ext2Fs::set_size(Inode& in, uint32_t ino, uint64_t size) {
  uint64_t old = inode_size(in);
  if (size > max_file_size()) return kEFBIG;
  int err = 0;
  if (size < old) {
    err = free_blocks_from(in, (size + bs_ - 1) / bs_);
    if (!err) err = zero_tail(in, ino, size);
  } else if (size > old) {
    err = zero_tail(in, ino, old);
  }
  set_inode_size(in, size);
  in.mtime = in.ctime = uint32_t(now_());
  int werr = write_inode(ino, in);
  return err ? err : werr;
}

int Ext2Fs::drop_inode(uint32_t ino, Inode& in) {
  if (in.links_count > 0) return write_inode(ino, in);
  if (Open* o = find_open(ino)) {
    o->orphan = true;
    return write_inode(ino, in);
  }
  if (int err = write_inode(ino, in)) return err;
  return destroy_inode(ino);
}

int Ext2Fs::destroy_inode(uint32_t ino) {
  Inode in;
  if (int err = read_inode(ino, &in)) return err;
  int err = 0;
  bool has_blocks = is_reg(in) || is_dir(in) || ((in.mode & kS_IFMT) == kS_IFLNK && !fast_symlink(in));
  if (has_blocks) err = free_blocks_from(in, 0);  // devices keep their numbers in i_block
  if (!err && in.file_acl) {
    Buf* b = bget(in.file_acl);
    if (!b) return kEIO;
    XattrHeader h;
    memcpy(&h, b->data, sizeof h);
    bool last = h.magic != kXattrMagic || h.refcount <= 1;
    if (!last) {
      --h.refcount;
      memcpy(b->data, &h, sizeof h);
      bdirty(b);
    }
    bput(b);
    if (last) err = free_block(in.file_acl);
    in.file_acl = 0;
    in.blocks -= sectors_per_block_;
  }
  bool dir = is_dir(in);
  in.links_count = 0;
  in.dtime = uint32_t(now_());
  in.size = in.size_high = 0;
  if (int werr = write_inode(ino, in)) return werr;
  int ferr = free_inode(ino, dir);
  return err ? err : ferr;
}

void Ext2Fs::fill_node(uint32_t ino, const Inode& in, NodeInfo* out) const {
  *out = NodeInfo{};
  out->mode = in.mode;
  out->size = inode_size(in);
  out->ino = ino;
  out->atime = in.atime;
  out->mtime = in.mtime;
  out->ctime = in.ctime;
  out->nlink = in.links_count;
  out->uid = uint32_t(in.uid) | uint32_t(in.uid_high) << 16;
  out->gid = uint32_t(in.gid) | uint32_t(in.gid_high) << 16;
  out->blocks = in.blocks;
  uint32_t type = in.mode & kS_IFMT;
  if (type == kS_IFCHR || type == 0060000) {
    uint64_t major, minor;
    if (in.block[0]) {  // the old 16-bit encoding
      major = (in.block[0] >> 8) & 0xff;
      minor = in.block[0] & 0xff;
    } else {
      major = (in.block[1] & 0xfff00) >> 8;
      minor = (in.block[1] & 0xff) | ((in.block[1] >> 12) & 0xfff00);
    }
    out->rdev = ((major & 0xfffff000) << 32) | ((major & 0xfff) << 8) | ((minor & 0xffffff00) << 12) | (minor & 0xff);
  }
}

}  // namespace ux
