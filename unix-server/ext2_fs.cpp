// Ext2Fs: mounting, syncing, and the FileSystem operations over the pieces
// in ext2_cache.cpp, ext2_alloc.cpp, ext2_inode.cpp and ext2_dir.cpp.
#include "ext2_fs.h"

#include "libmach/malloc.h"
#include "libmach/string.h"
#include "linux_abi.h"

namespace ux {

using namespace linux_abi;
using namespace ext2;

namespace {
bool is_dir(const Inode& in) { return (in.mode & kS_IFMT) == kS_IFDIR; }
bool is_reg(const Inode& in) { return (in.mode & kS_IFMT) == kS_IFREG; }
bool is_pow2(uint32_t v) { return v && !(v & (v - 1)); }

uint8_t dtype_of_mode(uint32_t mode) { return uint8_t((mode & kS_IFMT) >> 12); }

uint8_t dtype_of_ft(uint8_t ft) {
  static const uint8_t map[] = {0, kDT_REG, kDT_DIR, kDT_CHR, 6, 1, 12, kDT_LNK};
  return ft < sizeof map ? map[ft] : 0;
}
}  // namespace

Ext2Fs::~Ext2Fs() { free(open_); }

int Ext2Fs::mount() {
  if (mounted_) return kEBUSY;
  if (dev_.read(kSuperOffset / BlockDevice::kSectorSize, &sb_, sizeof sb_ / BlockDevice::kSectorSize) != 0)
    return kEIO;
  if (sb_.magic != kMagic) return kEINVAL;
  if (sb_.rev_level > kRevDynamic) return kEOPNOTSUPP;
  if (sb_.log_block_size > 2) return kEOPNOTSUPP;
  bs_ = 1024u << sb_.log_block_size;
  if (sb_.rev_level == kRevDynamic) {
    if ((sb_.feature_incompat & ~kIncompatSupported) || (sb_.feature_ro_compat & ~kRoCompatSupported))
      return kEOPNOTSUPP;
    inode_size_ = sb_.inode_size;
    first_ino_ = sb_.first_ino;
    if (inode_size_ < kGoodOldInodeSize || !is_pow2(inode_size_) || inode_size_ > bs_) return kEINVAL;
  } else {
    inode_size_ = kGoodOldInodeSize;
    first_ino_ = kGoodOldFirstIno;
  }
  sectors_per_block_ = bs_ / BlockDevice::kSectorSize;
  ptrs_ = bs_ / 4;
  if (sb_.blocks_per_group == 0 || sb_.blocks_per_group > 8 * bs_ || sb_.inodes_per_group == 0 ||
      sb_.inodes_per_group > 8 * bs_ || sb_.first_data_block != (bs_ == 1024 ? 1u : 0u) ||
      sb_.blocks_count <= sb_.first_data_block)
    return kEINVAL;
  groups_ = (sb_.blocks_count - sb_.first_data_block + sb_.blocks_per_group - 1) / sb_.blocks_per_group;
  if (uint64_t(groups_) * sb_.inodes_per_group < sb_.inodes_count) return kEINVAL;
  if (uint64_t(sb_.blocks_count) * sectors_per_block_ > dev_.sectors()) return kEINVAL;
  gdt_block_ = sb_.first_data_block + 1;
  if (!cache_mem_ || cache_bytes_ / bs_ < 16) return kENOMEM;
  cache_reset();
  mounted_ = true;
  clean_ = false;
  sb_.mtime = uint32_t(now_());
  ++sb_.mnt_count;
  if (int err = write_super(false)) {
    mounted_ = false;
    return err;
  }
  return 0;
}

int Ext2Fs::sync() {
  if (!mounted_) return 0;
  int err = flush_all();
  if (!err) err = write_super(true);
  if (!err) err = dev_.flush();
  if (!err) clean_ = true;
  return err;
}

int Ext2Fs::unmount() {
  if (!mounted_) return kEINVAL;
  int err = 0;
  for (uint32_t i = 0; i < open_count_; ++i)
    if (open_[i].orphan) {
      (void)modifying();
      if (int e = destroy_inode(open_[i].ino)) err = e;
    }
  open_count_ = 0;
  if (int e = sync()) err = e;
  mounted_ = false;
  return err;
}

// --- open files ---

Ext2Fs::Open* Ext2Fs::find_open(uint32_t ino) {
  for (uint32_t i = 0; i < open_count_; ++i)
    if (open_[i].ino == ino) return &open_[i];
  return nullptr;
}

void Ext2Fs::retain(const NodeInfo& node) {
  uint32_t ino = uint32_t(node.ino);
  if (Open* o = find_open(ino)) {
    ++o->count;
    return;
  }
  if (open_count_ == open_cap_) {
    uint32_t cap = open_cap_ ? open_cap_ * 2 : 16;
    auto* bigger = static_cast<Open*>(realloc(open_, cap * sizeof(Open)));
    if (!bigger) return;  // not tracked: an unlink frees it at once
    open_ = bigger;
    open_cap_ = cap;
  }
  open_[open_count_++] = Open{ino, 1, false};
}

void Ext2Fs::release(const NodeInfo& node) {
  Open* o = find_open(uint32_t(node.ino));
  if (!o || --o->count > 0) return;
  bool orphan = o->orphan;
  *o = open_[--open_count_];
  if (orphan && mounted_ && modifying() == 0) (void)destroy_inode(uint32_t(node.ino));
}

// --- reading ---

int Ext2Fs::stat(const char* path, bool follow, NodeInfo* out) {
  if (!mounted_) return kEIO;
  uint32_t ino;
  if (int err = lookup(path, follow, &ino)) return err;
  Inode in;
  if (int err = read_inode(ino, &in)) return err;
  fill_node(ino, in, out);
  return 0;
}

int Ext2Fs::readlink(const char* path, char* buf, size_t cap, size_t* len) {
  if (!mounted_) return kEIO;
  uint32_t ino;
  if (int err = lookup(path, false, &ino)) return err;
  Inode in;
  if (int err = read_inode(ino, &in)) return err;
  return readlink_ino(ino, in, buf, cap, len);
}

int Ext2Fs::read(const char* path, const NodeInfo& node, uint64_t offset, char* buf, uint32_t count,
                 uint32_t* got) {
  *got = 0;
  if (!mounted_) return kEIO;
  uint32_t ino = uint32_t(node.ino);
  if (!ino)
    if (int err = lookup(path, true, &ino)) return err;
  Inode in;
  if (int err = read_inode(ino, &in)) return err;
  if (is_dir(in)) return kEISDIR;
  if (!is_reg(in)) return kEINVAL;
  return read_data(in, ino, offset, buf, count, got);
}

int Ext2Fs::readdir(const char* path, uint64_t index, DirSink& sink, uint64_t* next) {
  if (!mounted_) return kEIO;
  uint32_t dir;
  if (int err = lookup(path, true, &dir)) return err;
  Inode in;
  if (int err = read_inode(dir, &in)) return err;
  if (!is_dir(in)) return kENOTDIR;
  uint64_t i = 0, nblocks = inode_size(in) / bs_;
  char name[kNameMax + 1];
  for (uint64_t lb = 0; lb < nblocks; ++lb) {
    uint32_t blk;
    if (int err = bmap(in, dir, lb, false, &blk)) return err;
    if (!blk) continue;
    Buf* b = bget(blk);
    if (!b) return kEIO;
    for (uint32_t off = 0; off + 8 <= bs_;) {
      auto* de = reinterpret_cast<DirEntry*>(b->data + off);
      if (de->rec_len < 8 || off + de->rec_len > bs_ || 8u + de->name_len > de->rec_len) break;
      off += de->rec_len;
      const char* n = reinterpret_cast<const char*>(de + 1);
      if (!de->inode || (de->name_len == 1 && n[0] == '.') || (de->name_len == 2 && n[0] == '.' && n[1] == '.'))
        continue;
      if (i++ < index) continue;
      memcpy(name, n, de->name_len);
      name[de->name_len] = '\0';
      uint8_t type = dtype_of_ft(de->file_type);
      if (!(sb_.feature_incompat & kIncompatFiletype)) {
        Inode child;
        type = read_inode(de->inode, &child) == 0 ? dtype_of_mode(child.mode) : 0;
      }
      if (!sink.add(name, type, de->inode)) {
        bput(b);
        *next = i - 1;
        return 0;
      }
    }
    bput(b);
  }
  *next = i;
  return 0;
}

int Ext2Fs::statfs(FsStats* out) {
  *out = FsStats{};
  out->type = kMagic;
  out->block_size = bs_;
  out->blocks = sb_.blocks_count;
  out->blocks_free = sb_.free_blocks_count;
  out->blocks_available = sb_.free_blocks_count > sb_.r_blocks_count ? sb_.free_blocks_count - sb_.r_blocks_count : 0;
  out->files = sb_.inodes_count;
  out->files_free = sb_.free_inodes_count;
  out->name_max = kNameMax;
  return 0;
}

// --- writing ---

int Ext2Fs::write(const char* path, NodeInfo& node, uint64_t offset, const char* buf, uint32_t count,
                  uint32_t* put) {
  *put = 0;
  if (int err = modifying()) return err;
  uint32_t ino = uint32_t(node.ino);
  if (!ino)
    if (int err = lookup(path, true, &ino)) return err;
  Inode in;
  if (int err = read_inode(ino, &in)) return err;
  if (is_dir(in)) return kEISDIR;
  if (!is_reg(in)) return kEINVAL;
  int err = write_data(in, ino, offset, buf, count, put);
  fill_node(ino, in, &node);
  return err;
}

int Ext2Fs::add_links(uint32_t ino, int delta) {
  Inode in;
  if (int err = read_inode(ino, &in)) return err;
  in.links_count = uint16_t(in.links_count + delta);
  in.ctime = uint32_t(now_());
  return write_inode(ino, in);
}

int Ext2Fs::new_node(const char* path, uint16_t mode, const char* target, uint32_t* ino_out) {
  if (int err = modifying()) return err;
  if (!*path) return kEEXIST;
  uint32_t parent;
  const char* name;
  size_t len;
  if (int err = lookup_parent(path, &parent, &name, &len)) return err;
  uint32_t existing;
  int err = dir_lookup(parent, name, len, &existing);
  if (err == 0) return kEEXIST;
  if (err != kENOENT) return err;
  err = 0;
  bool dir = (mode & kS_IFMT) == kS_IFDIR;
  Inode pin;
  if (int e = read_inode(parent, &pin)) return e;
  if (dir && pin.links_count >= kLinkMax) return kEMLINK;
  size_t tlen = target ? strlen(target) : 0;
  if (target && tlen == 0) return kENOENT;
  if (tlen >= bs_) return kENAMETOOLONG;
  uint32_t ino;
  if (int e = alloc_inode(parent, dir, &ino)) return e;
  Inode in{};
  in.mode = mode;
  in.atime = in.ctime = in.mtime = uint32_t(now_());
  in.links_count = dir ? 2 : 1;
  if (int e = init_inode(ino, in)) return e;
  if (dir) {
    uint32_t blk;
    err = bmap(in, ino, 0, true, &blk);
    if (!err) {
      Buf* b = bget(blk);
      if (!b) {
        err = kEIO;
      } else {
        auto* dot = reinterpret_cast<DirEntry*>(b->data);
        *dot = DirEntry{ino, 12, 1, file_type(kS_IFDIR)};
        memcpy(dot + 1, ".", 1);
        auto* dotdot = reinterpret_cast<DirEntry*>(b->data + 12);
        *dotdot = DirEntry{parent, uint16_t(bs_ - 12), 2, file_type(kS_IFDIR)};
        memcpy(dotdot + 1, "..", 2);
        bdirty(b);
        bput(b);
        set_inode_size(in, bs_);
      }
    }
  } else if (target && tlen < sizeof in.block) {
    memcpy(in.block, target, tlen);  // a fast symbolic link: the target in i_block
    in.size = uint32_t(tlen);
  } else if (target) {
    uint32_t blk;
    err = bmap(in, ino, 0, true, &blk);
    if (!err) {
      Buf* b = bget(blk);
      if (!b) {
        err = kEIO;
      } else {
        memcpy(b->data, target, tlen);
        bdirty(b);
        bput(b);
        in.size = uint32_t(tlen);
      }
    }
  }
  if (!err) err = write_inode(ino, in);
  if (!err) err = dir_add(parent, name, len, ino, file_type(mode));
  if (!err && dir) err = add_links(parent, 1);
  if (err) {
    (void)write_inode(ino, in);  // the blocks it holds, for destroy_inode to free
    (void)destroy_inode(ino);
    return err;
  }
  *ino_out = ino;
  return 0;
}

int Ext2Fs::create(const char* path, uint32_t mode, NodeInfo* out) {
  uint32_t ino;
  if (int err = new_node(path, uint16_t(kS_IFREG | (mode & 07777)), nullptr, &ino)) return err;
  Inode in;
  if (int err = read_inode(ino, &in)) return err;
  fill_node(ino, in, out);
  return 0;
}

int Ext2Fs::mkdir(const char* path, uint32_t mode) {
  uint32_t ino;
  return new_node(path, uint16_t(kS_IFDIR | (mode & 07777)), nullptr, &ino);
}

int Ext2Fs::symlink(const char* target, const char* path) {
  uint32_t ino;
  return new_node(path, uint16_t(kS_IFLNK | 0777), target, &ino);
}

int Ext2Fs::link(const char* existing, const char* path) {
  if (int err = modifying()) return err;
  uint32_t ino;
  if (int err = lookup(existing, false, &ino)) return err;
  Inode in;
  if (int err = read_inode(ino, &in)) return err;
  if (is_dir(in)) return kEPERM;
  if (in.links_count >= kLinkMax) return kEMLINK;
  if (!*path) return kEEXIST;
  uint32_t parent, other;
  const char* name;
  size_t len;
  if (int err = lookup_parent(path, &parent, &name, &len)) return err;
  int err = dir_lookup(parent, name, len, &other);
  if (err == 0) return kEEXIST;
  if (err != kENOENT) return err;
  if ((err = dir_add(parent, name, len, ino, file_type(in.mode))) != 0) return err;
  return add_links(ino, 1);
}

int Ext2Fs::unlink(const char* path) {
  if (int err = modifying()) return err;
  if (!*path) return kEISDIR;
  uint32_t parent, ino;
  const char* name;
  size_t len;
  if (int err = lookup_parent(path, &parent, &name, &len)) return err;
  if (int err = dir_lookup(parent, name, len, &ino)) return err;
  Inode in;
  if (int err = read_inode(ino, &in)) return err;
  if (is_dir(in)) return kEISDIR;
  if (int err = dir_remove(parent, name, len)) return err;
  if (in.links_count) --in.links_count;
  in.ctime = uint32_t(now_());
  return drop_inode(ino, in);
}

int Ext2Fs::rmdir(const char* path) {
  if (int err = modifying()) return err;
  if (!*path) return kEBUSY;
  uint32_t parent, ino;
  const char* name;
  size_t len;
  if (int err = lookup_parent(path, &parent, &name, &len)) return err;
  if (int err = dir_lookup(parent, name, len, &ino)) return err;
  Inode in;
  if (int err = read_inode(ino, &in)) return err;
  if (!is_dir(in)) return kENOTDIR;
  bool empty;
  if (int err = dir_is_empty(ino, &empty)) return err;
  if (!empty) return kENOTEMPTY;
  if (int err = dir_remove(parent, name, len)) return err;
  if (int err = add_links(parent, -1)) return err;
  in.links_count = 0;
  in.ctime = uint32_t(now_());
  return drop_inode(ino, in);
}

int Ext2Fs::rename(const char* from, const char* to) {
  if (int err = modifying()) return err;
  if (!*from || !*to) return kEBUSY;
  uint32_t fdir, tdir, fino, tino = 0;
  const char *fname, *tname;
  size_t flen, tlen;
  if (int err = lookup_parent(from, &fdir, &fname, &flen)) return err;
  if (int err = dir_lookup(fdir, fname, flen, &fino)) return err;
  if (int err = lookup_parent(to, &tdir, &tname, &tlen)) return err;
  int err = dir_lookup(tdir, tname, tlen, &tino);
  if (err && err != kENOENT) return err;
  bool exists = err == 0;
  if (exists && tino == fino) return 0;  // two names of one file: nothing happens
  Inode fin, tin{};
  if ((err = read_inode(fino, &fin)) != 0) return err;
  bool fisdir = is_dir(fin), tisdir = false;
  if (fisdir) {
    // Not into itself: no directory on the way up from the new parent is it.
    for (uint32_t d = tdir; d != kRootIno;) {
      if (d == fino) return kEINVAL;
      uint32_t up;
      if ((err = dir_lookup(d, "..", 2, &up)) != 0) return err;
      if (up == d) break;
      d = up;
    }
  }
  if (exists) {
    if ((err = read_inode(tino, &tin)) != 0) return err;
    tisdir = is_dir(tin);
    if (fisdir && !tisdir) return kENOTDIR;
    if (!fisdir && tisdir) return kEISDIR;
    if (tisdir) {
      bool empty;
      if ((err = dir_is_empty(tino, &empty)) != 0) return err;
      if (!empty) return kENOTEMPTY;
    }
  } else if (fisdir && fdir != tdir) {
    Inode tp;
    if ((err = read_inode(tdir, &tp)) != 0) return err;
    if (tp.links_count >= kLinkMax) return kEMLINK;
  }
  if (exists)
    err = dir_retarget(tdir, tname, tlen, fino, file_type(fin.mode));
  else
    err = dir_add(tdir, tname, tlen, fino, file_type(fin.mode));
  if (err) return err;
  if ((err = dir_remove(fdir, fname, flen)) != 0) return err;
  int tdelta = 0;
  if (fisdir && fdir != tdir) {
    if ((err = dir_set_parent(fino, tdir)) != 0) return err;
    if ((err = add_links(fdir, -1)) != 0) return err;
    ++tdelta;
  }
  if (exists) {
    if (tisdir) {
      --tdelta;  // the replaced directory's ".."
      tin.links_count = 0;
    } else if (tin.links_count) {
      --tin.links_count;
    }
    tin.ctime = uint32_t(now_());
    if ((err = drop_inode(tino, tin)) != 0) return err;
  }
  if (tdelta && (err = add_links(tdir, tdelta)) != 0) return err;
  return add_links(fino, 0);  // its ctime
}

int Ext2Fs::truncate(const char* path, NodeInfo& node, uint64_t size) {
  if (int err = modifying()) return err;
  uint32_t ino = uint32_t(node.ino);
  if (!ino)
    if (int err = lookup(path, true, &ino)) return err;
  Inode in;
  if (int err = read_inode(ino, &in)) return err;
  if (is_dir(in)) return kEISDIR;
  if (!is_reg(in)) return kEINVAL;
  int err = set_size(in, ino, size);
  fill_node(ino, in, &node);
  return err;
}

int Ext2Fs::chmod(const char* path, uint32_t mode) {
  if (int err = modifying()) return err;
  uint32_t ino;
  if (int err = lookup(path, true, &ino)) return err;
  Inode in;
  if (int err = read_inode(ino, &in)) return err;
  in.mode = uint16_t((in.mode & kS_IFMT) | (mode & 07777));
  in.ctime = uint32_t(now_());
  return write_inode(ino, in);
}

int Ext2Fs::chown(const char* path, uint32_t uid, uint32_t gid, bool follow) {
  if (int err = modifying()) return err;
  uint32_t ino;
  if (int err = lookup(path, follow, &ino)) return err;
  Inode in;
  if (int err = read_inode(ino, &in)) return err;
  if (uid != 0xffffffffu) {
    in.uid = uint16_t(uid);
    in.uid_high = uint16_t(uid >> 16);
  }
  if (gid != 0xffffffffu) {
    in.gid = uint16_t(gid);
    in.gid_high = uint16_t(gid >> 16);
  }
  in.ctime = uint32_t(now_());
  return write_inode(ino, in);
}

int Ext2Fs::utimes(const char* path, uint64_t atime, uint64_t mtime, bool follow) {
  if (int err = modifying()) return err;
  uint32_t ino;
  if (int err = lookup(path, follow, &ino)) return err;
  Inode in;
  if (int err = read_inode(ino, &in)) return err;
  if (atime != UINT64_MAX) in.atime = uint32_t(atime);
  if (mtime != UINT64_MAX) in.mtime = uint32_t(mtime);
  in.ctime = uint32_t(now_());
  return write_inode(ino, in);
}

}  // namespace ux
