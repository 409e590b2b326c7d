// Ext2Fs's allocation: the block and inode bitmaps of each group, the group
// descriptors' free counts and used_dirs, and the superblock's totals, all
// kept exact.
#include "ext2_fs.h"
#include "libmach/string.h"
#include "linux_abi.h"

namespace ux {

using namespace linux_abi;
using namespace ext2;

int Ext2Fs::read_group(uint32_t g, GroupDesc* out) {
  uint32_t per = bs_ / sizeof(GroupDesc);
  Buf* b = bget(gdt_block_ + g / per);
  if (!b) return kEIO;
  memcpy(out, b->data + (g % per) * sizeof(GroupDesc), sizeof(GroupDesc));
  bput(b);
  return 0;
}

int Ext2Fs::write_group(uint32_t g, const GroupDesc& gd) {
  uint32_t per = bs_ / sizeof(GroupDesc);
  Buf* b = bget(gdt_block_ + g / per);
  if (!b) return kEIO;
  memcpy(b->data + (g % per) * sizeof(GroupDesc), &gd, sizeof(GroupDesc));
  bdirty(b);
  bput(b);
  return 0;
}

namespace {

bool test_bit(const uint8_t* map, uint32_t i) { return map[i >> 3] & (1u << (i & 7)); }
void set_bit(uint8_t* map, uint32_t i) { map[i >> 3] = uint8_t(map[i >> 3] | (1u << (i & 7))); }
void clear_bit(uint8_t* map, uint32_t i) { map[i >> 3] = uint8_t(map[i >> 3] & ~(1u << (i & 7))); }

// The first clear bit in [from, limit), or limit.
uint32_t find_clear(const uint8_t* map, uint32_t from, uint32_t limit) {
  uint32_t i = from;
  while (i < limit) {
    if ((i & 7) == 0 && i + 8 <= limit && map[i >> 3] == 0xff) {
      i += 8;
      continue;
    }
    if (!test_bit(map, i)) return i;
    ++i;
  }
  return limit;
}

}  // namespace

int Ext2Fs::alloc_block(uint32_t goal, uint32_t* out) {
  if (sb_.free_blocks_count == 0) return kENOSPC;
  if (goal < sb_.first_data_block || goal >= sb_.blocks_count) goal = sb_.first_data_block;
  uint32_t start = (goal - sb_.first_data_block) / sb_.blocks_per_group;
  for (uint32_t n = 0; n <= groups_; ++n) {
    uint32_t g = (start + n) % groups_;
    GroupDesc gd;
    if (int err = read_group(g, &gd)) return err;
    if (gd.free_blocks_count == 0) continue;
    uint32_t first = sb_.first_data_block + g * sb_.blocks_per_group;
    uint32_t count = sb_.blocks_count - first;
    if (count > sb_.blocks_per_group) count = sb_.blocks_per_group;
    Buf* map = bget(gd.block_bitmap);
    if (!map) return kEIO;
    uint32_t from = (n == 0 && goal >= first) ? goal - first : 0;
    uint32_t i = find_clear(map->data, from, count);
    if (i == count && from) i = find_clear(map->data, 0, from);
    if (i >= count) {
      bput(map);
      continue;  // the count said otherwise; look further
    }
    set_bit(map->data, i);
    bdirty(map);
    bput(map);
    --gd.free_blocks_count;
    --sb_.free_blocks_count;
    if (int err = write_group(g, gd)) return err;
    *out = first + i;
    Buf* b = bget(*out, false);  // new blocks start zeroed
    if (!b) return kEIO;
    bdirty(b);
    bput(b);
    return 0;
  }
  return kENOSPC;
}

int Ext2Fs::free_block(uint32_t blk) {
  if (blk < sb_.first_data_block || blk >= sb_.blocks_count) return kEIO;
  uint32_t g = (blk - sb_.first_data_block) / sb_.blocks_per_group;
  uint32_t i = (blk - sb_.first_data_block) % sb_.blocks_per_group;
  GroupDesc gd;
  if (int err = read_group(g, &gd)) return err;
  Buf* map = bget(gd.block_bitmap);
  if (!map) return kEIO;
  bool was = test_bit(map->data, i);
  clear_bit(map->data, i);
  bdirty(map);
  bput(map);
  if (!was) return kEIO;  // freed twice: the map and the counts stay as they are
  ++gd.free_blocks_count;
  ++sb_.free_blocks_count;
  return write_group(g, gd);
}

int Ext2Fs::alloc_inode(uint32_t parent, bool dir, uint32_t* out) {
  if (sb_.free_inodes_count == 0) return kENOSPC;
  uint32_t start = parent ? (parent - 1) / sb_.inodes_per_group : 0;
  if (dir) {
    // Directories spread out: the group with the most free blocks among
    // those with free inodes.
    uint32_t best = groups_, best_free = 0;
    for (uint32_t g = 0; g < groups_; ++g) {
      GroupDesc gd;
      if (int err = read_group(g, &gd)) return err;
      if (gd.free_inodes_count && (best == groups_ || gd.free_blocks_count > best_free)) {
        best = g;
        best_free = gd.free_blocks_count;
      }
    }
    if (best < groups_) start = best;
  }
  for (uint32_t n = 0; n < groups_; ++n) {
    uint32_t g = (start + n) % groups_;
    GroupDesc gd;
    if (int err = read_group(g, &gd)) return err;
    if (gd.free_inodes_count == 0) continue;
    Buf* map = bget(gd.inode_bitmap);
    if (!map) return kEIO;
    uint32_t from = 0;
    uint32_t base = g * sb_.inodes_per_group + 1;  // the inode of bit 0
    if (base < first_ino_) from = first_ino_ - base;
    uint32_t i = find_clear(map->data, from, sb_.inodes_per_group);
    if (i >= sb_.inodes_per_group) {
      bput(map);
      continue;
    }
    set_bit(map->data, i);
    bdirty(map);
    bput(map);
    --gd.free_inodes_count;
    if (dir) ++gd.used_dirs_count;
    --sb_.free_inodes_count;
    if (int err = write_group(g, gd)) return err;
    *out = base + i;
    return 0;
  }
  return kENOSPC;
}

int Ext2Fs::free_inode(uint32_t ino, bool dir) {
  if (ino < 1 || ino > sb_.inodes_count) return kEIO;
  uint32_t g = (ino - 1) / sb_.inodes_per_group, i = (ino - 1) % sb_.inodes_per_group;
  GroupDesc gd;
  if (int err = read_group(g, &gd)) return err;
  Buf* map = bget(gd.inode_bitmap);
  if (!map) return kEIO;
  bool was = test_bit(map->data, i);
  clear_bit(map->data, i);
  bdirty(map);
  bput(map);
  if (!was) return kEIO;
  ++gd.free_inodes_count;
  if (dir && gd.used_dirs_count) --gd.used_dirs_count;
  ++sb_.free_inodes_count;
  return write_group(g, gd);
}

int Ext2Fs::write_super(bool clean) {
  if (clean)
    sb_.state = uint16_t(sb_.state | kStateValid);
  else
    sb_.state = uint16_t(sb_.state & ~kStateValid);
  sb_.wtime = uint32_t(now_());
  // The superblock is sectors 2 and 3 whatever the block size; it is never
  // in the cache (bget refuses block 0 and is never asked for block 1 of a
  // 1 KiB file system).
  return dev_.write(kSuperOffset / BlockDevice::kSectorSize, &sb_, sizeof sb_ / BlockDevice::kSectorSize);
}

int Ext2Fs::modifying() {
  if (!mounted_) return kEROFS;
  if (!clean_) return 0;
  clean_ = false;
  return write_super(false);
}

}  // namespace ux
