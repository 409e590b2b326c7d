// The ext2 on-disk format (little-endian, as x86-64 is): the superblock,
// the block group descriptors, inodes and directory entries, with the
// constants Ext2Fs uses. Layouts follow the Linux kernel's
// Documentation/filesystems/ext2.rst and e2fsprogs' ext2_fs.h.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace ux::ext2 {

constexpr uint16_t kMagic = 0xef53;
constexpr uint32_t kSuperOffset = 1024;  // bytes from the start of the device
constexpr uint32_t kRootIno = 2;
constexpr uint32_t kGoodOldFirstIno = 11;
constexpr uint16_t kGoodOldInodeSize = 128;
constexpr uint32_t kLinkMax = 32000;
constexpr uint32_t kNameMax = 255;

// s_state
constexpr uint16_t kStateValid = 1, kStateError = 2;
// s_rev_level
constexpr uint32_t kRevGoodOld = 0, kRevDynamic = 1;

// Features
constexpr uint32_t kCompatDirIndex = 0x20;
constexpr uint32_t kIncompatFiletype = 0x2;
constexpr uint32_t kRoCompatSparseSuper = 0x1, kRoCompatLargeFile = 0x2;
constexpr uint32_t kIncompatSupported = kIncompatFiletype;
constexpr uint32_t kRoCompatSupported = kRoCompatSparseSuper | kRoCompatLargeFile;

struct Superblock {
  uint32_t inodes_count, blocks_count, r_blocks_count, free_blocks_count, free_inodes_count;
  uint32_t first_data_block, log_block_size, log_frag_size;
  uint32_t blocks_per_group, frags_per_group, inodes_per_group;
  uint32_t mtime, wtime;
  uint16_t mnt_count;
  int16_t max_mnt_count;
  uint16_t magic, state, errors, minor_rev_level;
  uint32_t lastcheck, checkinterval, creator_os, rev_level;
  uint16_t def_resuid, def_resgid;
  // Revision 1 (dynamic) from here on.
  uint32_t first_ino;
  uint16_t inode_size, block_group_nr;
  uint32_t feature_compat, feature_incompat, feature_ro_compat;
  uint8_t uuid[16];
  char volume_name[16];
  char last_mounted[64];
  uint32_t algo_usage_bitmap;
  uint8_t rest[1024 - 204];
};
static_assert(sizeof(Superblock) == 1024);
static_assert(offsetof(Superblock, magic) == 56);
static_assert(offsetof(Superblock, first_ino) == 84);
static_assert(offsetof(Superblock, feature_ro_compat) == 100);

struct GroupDesc {
  uint32_t block_bitmap, inode_bitmap, inode_table;
  uint16_t free_blocks_count, free_inodes_count, used_dirs_count, flags;
  uint32_t reserved[3];
};
static_assert(sizeof(GroupDesc) == 32);

constexpr int kNDirBlocks = 12, kIndBlock = 12, kDindBlock = 13, kTindBlock = 14, kNBlocks = 15;

// i_flags
constexpr uint32_t kIndexFl = 0x1000;  // a hashed (htree) directory: ext2 keeps it linear and drops the flag

// The first 128 bytes of every inode; with larger inodes, extra fields
// follow (InodeExtra).
struct Inode {
  uint16_t mode, uid;
  uint32_t size, atime, ctime, mtime, dtime;
  uint16_t gid, links_count;
  uint32_t blocks;  // 512-byte units, indirect blocks included
  uint32_t flags, osd1;
  uint32_t block[kNBlocks];
  uint32_t generation, file_acl, size_high, faddr;
  uint16_t blocks_high, file_acl_high, uid_high, gid_high, checksum_lo, reserved;
};
static_assert(sizeof(Inode) == 128);
static_assert(offsetof(Inode, block) == 40);
static_assert(offsetof(Inode, size_high) == 108);

struct InodeExtra {  // at byte 128 of an inode larger than 128 bytes
  uint16_t extra_isize, checksum_hi;
  uint32_t ctime_extra, mtime_extra, atime_extra, crtime, crtime_extra;
};
constexpr uint16_t kWantExtraIsize = 32;

// A directory entry; name_len bytes of name follow (no NUL), the record is
// rec_len bytes, a multiple of 4.
struct DirEntry {
  uint32_t inode;
  uint16_t rec_len;
  uint8_t name_len, file_type;  // file_type only with INCOMPAT_FILETYPE (else the name length's high byte)
};
static_assert(sizeof(DirEntry) == 8);
constexpr uint32_t dir_rec_len(uint32_t name_len) { return (8 + name_len + 3) & ~3u; }

// file_type
constexpr uint8_t kFtUnknown = 0, kFtRegFile = 1, kFtDir = 2, kFtChrdev = 3, kFtBlkdev = 4, kFtFifo = 5,
                  kFtSock = 6, kFtSymlink = 7;

// The extended-attribute block's header (only its reference count is used:
// freeing an inode drops its reference).
constexpr uint32_t kXattrMagic = 0xea020000;
struct XattrHeader {
  uint32_t magic, refcount, blocks, hash;
};

}  // namespace ux::ext2
