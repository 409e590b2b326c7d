// Ext2Fs's block cache: nbufs_ whole blocks, write-back, least recently
// used first out among the buffers nobody holds (bget/bput).
#include "ext2_fs.h"
#include "libmach/string.h"
#include "linux_abi.h"

namespace ux {

using namespace linux_abi;

void Ext2Fs::cache_reset() {
  nbufs_ = uint32_t(cache_bytes_ / bs_);
  if (nbufs_ > kMaxBuffers) nbufs_ = kMaxBuffers;
  for (uint32_t i = 0; i < nbufs_; ++i) bufs_[i] = Buf{0, 0, 0, false, false, cache_mem_ + size_t(i) * bs_};
}

Ext2Fs::Buf* Ext2Fs::bget(uint32_t blk, bool read) {
  if (blk == 0 || blk >= sb_.blocks_count) return nullptr;  // a corrupt pointer: never the boot block
  Buf* victim = nullptr;
  for (uint32_t i = 0; i < nbufs_; ++i) {
    Buf* b = &bufs_[i];
    if (b->valid && b->blk == blk) {
      ++b->refs;
      b->used = ++clock_;
      if (!read) memset(b->data, 0, bs_);
      return b;
    }
    if (b->refs == 0 && (!victim || !b->valid || (victim->valid && b->used < victim->used))) victim = b;
  }
  if (!victim) return nullptr;
  if (victim->valid && victim->dirty && bwrite(victim) != 0) return nullptr;
  victim->valid = false;
  if (read) {
    if (dev_.read(uint64_t(blk) * sectors_per_block_, victim->data, sectors_per_block_) != 0) return nullptr;
  } else {
    memset(victim->data, 0, bs_);
  }
  victim->blk = blk;
  victim->valid = true;
  victim->dirty = false;
  victim->refs = 1;
  victim->used = ++clock_;
  return victim;
}

int Ext2Fs::bwrite(Buf* b) {
  if (dev_.write(uint64_t(b->blk) * sectors_per_block_, b->data, sectors_per_block_) != 0) return kEIO;
  b->dirty = false;
  return 0;
}

int Ext2Fs::flush_all() {
  int err = 0;
  // In block order: the device sees one sweep.
  uint32_t last = 0;
  for (;;) {
    Buf* next = nullptr;
    for (uint32_t i = 0; i < nbufs_; ++i) {
      Buf* b = &bufs_[i];
      if (b->valid && b->dirty && b->blk > last && (!next || b->blk < next->blk)) next = b;
    }
    if (!next) break;
    if (bwrite(next) != 0) err = kEIO;
    last = next->blk;
  }
  return err;
}

}  // namespace ux
