// The default pager's backing store, pure C++ (host-tested): SwapMap is the
// allocation map of 4 KiB slots on the block device, PageTable an object's
// sparse map from page index to slot. Neither touches libmach: memory comes
// from dp::mem_alloc_zeroed / dp::mem_free, which the pager and the host
// tests each define.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace dp {

// One slot = one page of backing store = 8 sectors of 512 bytes.
inline constexpr uint64_t kSlotSize = 4096;
using Slot = uint32_t;
inline constexpr Slot kNoSlot = 0xffffffffu;    // the page has never been stored
inline constexpr Slot kLostSlot = 0xfffffffeu;  // stored once, then lost (no slot, or an I/O error)
inline constexpr uint64_t kMaxSlots = kLostSlot;

// Zeroed memory (nullptr when there is none) and its release; `bytes` is the
// size asked for, so an implementation can use whole pages for big blocks.
void* mem_alloc_zeroed(size_t bytes);
void mem_free(void* p, size_t bytes);

enum class Status { kOk, kNoSpace, kNoMemory, kInvalid };

// Which slots are in use: one bit per slot, set = allocated.
class SwapMap {
 public:
  SwapMap() = default;
  SwapMap(const SwapMap&) = delete;
  SwapMap& operator=(const SwapMap&) = delete;
  ~SwapMap() { release(); }

  // Covers `slots` slots (at most kMaxSlots), all free. kNoMemory: no room
  // for the bitmap. Calling it again starts over.
  Status init(uint64_t slots);
  void release();

  // A free slot, searched from the one after `hint` (so pages returned
  // together land on neighbouring slots and go to the disk in one request).
  // kNoSpace when every slot is taken.
  Status allocate(Slot* out, Slot hint = kNoSlot);
  // false for a slot out of range or not allocated (a broken caller: the
  // map stays as it was).
  bool free(Slot s);
  bool allocated(Slot s) const;

  uint64_t total() const { return slots_; }
  uint64_t used() const { return used_; }
  uint64_t available() const { return slots_ - used_; }

 private:
  uint64_t* words_ = nullptr;
  uint64_t slots_ = 0;
  uint64_t used_ = 0;
  uint64_t cursor_ = 0;  // where the next search without a hint starts
};

// Page index -> slot for one memory object, sparse: a directory of leaves
// of 1024 slots (4 KiB each, covering 4 MiB of the object) made on first
// store. A 1 GiB object costs a 2 KiB directory plus the leaves it uses.
class PageTable {
 public:
  static constexpr uint64_t kLeafEntries = 1024;

  PageTable() = default;
  PageTable(const PageTable&) = delete;
  PageTable& operator=(const PageTable&) = delete;
  ~PageTable() { release(); }

  // An object of `pages` pages (the directory is made at once). kInvalid:
  // 0 pages or more than 2^40 (4 PiB); kNoMemory: no room for the directory.
  Status init(uint64_t pages);
  // Frees every slot still held into `map` (when given) and all memory.
  void release(SwapMap* map = nullptr);

  uint64_t pages() const { return pages_; }
  // kNoSlot for a page never stored (or beyond the object).
  Slot lookup(uint64_t page) const;
  // Sets the page's entry (kNoSlot clears it). kInvalid: page beyond the
  // object; kNoMemory: no room for its leaf.
  Status set(uint64_t page, Slot s);
  // Entries that hold a real slot.
  uint64_t stored() const { return stored_; }

  // Calls fn(page, slot) for each page holding a real slot, in page order.
  template <class Fn>
  void for_each(Fn fn) const {
    for (uint64_t l = 0; l < leaves_; ++l) {
      if (!dir_[l]) continue;
      for (uint64_t i = 0; i < kLeafEntries; ++i)
        if (is_slot(decode(dir_[l][i]))) fn(l * kLeafEntries + i, decode(dir_[l][i]));
    }
  }

  static bool is_slot(Slot s) { return s != kNoSlot && s != kLostSlot; }

 private:
  // Leaves come zeroed: an entry holds slot + 1, so 0 is kNoSlot.
  static Slot decode(uint32_t e) { return e == 0 ? kNoSlot : e - 1; }
  static uint32_t encode(Slot s) { return s == kNoSlot ? 0 : s + 1; }

  uint32_t** dir_ = nullptr;
  uint64_t leaves_ = 0;
  uint64_t pages_ = 0;
  uint64_t stored_ = 0;
};

}  // namespace dp
