// The default pager's allocation map and page tables (swap_map.h).
#include "swap_map.h"

#include "lib/bitmap.h"

namespace dp {

namespace bm = mk::bitmap;

Status SwapMap::init(uint64_t slots) {
  release();
  if (slots > kMaxSlots) slots = kMaxSlots;  // a bigger disk: the rest goes unused
  size_t bytes = bm::words_for(slots) * sizeof(uint64_t);
  if (slots) {
    words_ = static_cast<uint64_t*>(mem_alloc_zeroed(bytes));
    if (!words_) return Status::kNoMemory;
  }
  slots_ = slots;
  return Status::kOk;
}

void SwapMap::release() {
  if (words_) mem_free(words_, bm::words_for(slots_) * sizeof(uint64_t));
  words_ = nullptr;
  slots_ = used_ = cursor_ = 0;
}

Status SwapMap::allocate(Slot* out, Slot hint) {
  if (used_ == slots_) return Status::kNoSpace;
  uint64_t start = hint != kNoSlot && hint < slots_ ? uint64_t(hint) + 1 : cursor_;
  if (start >= slots_) start = 0;
  size_t i = bm::find_first_clear(words_, start, slots_);
  if (i == slots_) i = bm::find_first_clear(words_, 0, start);  // wrap around
  if (i >= start && bm::test(words_, i)) return Status::kNoSpace;  // used_ out of step: never
  bm::set(words_, i);
  ++used_;
  cursor_ = i + 1;
  *out = Slot(i);
  return Status::kOk;
}

bool SwapMap::free(Slot s) {
  if (s >= slots_ || !bm::test(words_, s)) return false;
  bm::clear(words_, s);
  --used_;
  return true;
}

bool SwapMap::allocated(Slot s) const { return s < slots_ && bm::test(words_, s); }

Status PageTable::init(uint64_t pages) {
  release();
  if (pages == 0 || pages > (uint64_t(1) << 40)) return Status::kInvalid;
  uint64_t leaves = (pages + kLeafEntries - 1) / kLeafEntries;
  dir_ = static_cast<uint32_t**>(mem_alloc_zeroed(leaves * sizeof(uint32_t*)));
  if (!dir_) return Status::kNoMemory;
  leaves_ = leaves;
  pages_ = pages;
  return Status::kOk;
}

void PageTable::release(SwapMap* map) {
  if (!dir_) return;
  for (uint64_t l = 0; l < leaves_; ++l) {
    if (!dir_[l]) continue;
    if (map)
      for (uint64_t i = 0; i < kLeafEntries; ++i)
        if (is_slot(decode(dir_[l][i]))) (void)map->free(decode(dir_[l][i]));
    mem_free(dir_[l], kLeafEntries * sizeof(uint32_t));
  }
  mem_free(dir_, leaves_ * sizeof(uint32_t*));
  dir_ = nullptr;
  leaves_ = pages_ = stored_ = 0;
}

Slot PageTable::lookup(uint64_t page) const {
  if (page >= pages_) return kNoSlot;
  const uint32_t* leaf = dir_[page / kLeafEntries];
  return leaf ? decode(leaf[page % kLeafEntries]) : kNoSlot;
}

Status PageTable::set(uint64_t page, Slot s) {
  if (page >= pages_) return Status::kInvalid;
  uint32_t*& leaf = dir_[page / kLeafEntries];
  if (!leaf) {
    if (s == kNoSlot) return Status::kOk;  // nothing to clear
    leaf = static_cast<uint32_t*>(mem_alloc_zeroed(kLeafEntries * sizeof(uint32_t)));
    if (!leaf) return Status::kNoMemory;
  }
  uint32_t& e = leaf[page % kLeafEntries];
  stored_ -= is_slot(decode(e)) ? 1 : 0;
  stored_ += is_slot(s) ? 1 : 0;
  e = encode(s);
  return Status::kOk;
}

}  // namespace dp
