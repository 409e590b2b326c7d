// First-fit allocator over a fixed arena, with a free list kept in address
// order so that freeing coalesces with both neighbours in one walk.
//
// Every block starts with a 16-byte header: its whole size (header included,
// a multiple of 16) and a magic word that says "in use" or "free" and is
// mixed with the block's address, so a pointer into the middle of a block or
// into someone else's memory is unlikely to pass. A free block keeps the
// next free block's address in its first payload word.
#include "libmach/malloc.h"

#include <stdint.h>

#include "libmach/print.h"
#include "libmach/string.h"
#include "libmach/traps.h"

namespace libmach {
namespace {

constexpr size_t kAlign = 16;
constexpr uint64_t kUsedMagic = 0x6d616c6c6f632b2bull;  // "malloc++"
constexpr uint64_t kFreeMagic = 0x667265656672656full;  // "freefreo"

struct Header {
  size_t size;     // whole block, header included
  uint64_t magic;  // kUsedMagic or kFreeMagic, xor the header's address
};
static_assert(sizeof(Header) == kAlign);

struct FreeBlock {
  Header header;
  FreeBlock* next;  // next free block, higher address
};
constexpr size_t kMinBlock = 2 * kAlign;  // room for FreeBlock
static_assert(sizeof(FreeBlock) <= kMinBlock);

// No vm_allocate yet: the whole heap is this array in .bss.
alignas(kAlign) unsigned char arena[kHeapArenaSize];
FreeBlock* free_list;
bool initialized;

uint64_t magic_for(const Header* h, uint64_t kind) { return kind ^ reinterpret_cast<uintptr_t>(h); }

void mark(Header* h, size_t size, uint64_t kind) {
  h->size = size;
  h->magic = magic_for(h, kind);
}

void ensure_init() {
  if (initialized) return;
  initialized = true;
  free_list = reinterpret_cast<FreeBlock*>(arena);
  mark(&free_list->header, sizeof arena, kFreeMagic);
  free_list->next = nullptr;
}

// The in-use block whose payload is p, or the task ends.
Header* block_of(void* p, const char* caller) {
  const auto addr = reinterpret_cast<uintptr_t>(p);
  const auto lo = reinterpret_cast<uintptr_t>(arena) + sizeof(Header);
  const auto hi = reinterpret_cast<uintptr_t>(arena) + sizeof arena;
  if (!initialized || addr < lo || addr >= hi || addr % kAlign != 0) {
    printf("libmach: %s(%p): pointer not from malloc\n", caller, p);
    task_terminate_self(134);
  }
  Header* h = reinterpret_cast<Header*>(addr - sizeof(Header));
  if (h->magic == magic_for(h, kFreeMagic)) {
    printf("libmach: %s(%p): double free\n", caller, p);
    task_terminate_self(134);
  }
  if (h->magic != magic_for(h, kUsedMagic) || h->size < kMinBlock || h->size % kAlign != 0 ||
      h->size > hi - reinterpret_cast<uintptr_t>(h)) {
    printf("libmach: %s(%p): pointer not from malloc (or heap corrupted)\n", caller, p);
    task_terminate_self(134);
  }
  return h;
}

// Block size for a request of n bytes, or 0 if it cannot fit the arena.
size_t block_size_for(size_t n) {
  if (n > kHeapArenaSize) return 0;
  size_t size = (n + kAlign - 1) / kAlign * kAlign + sizeof(Header);
  return size < kMinBlock ? kMinBlock : size;
}

// Puts block h (of h->size bytes) on the free list, merging with neighbours.
void release(Header* h) {
  auto* block = reinterpret_cast<FreeBlock*>(h);
  mark(h, h->size, kFreeMagic);
  FreeBlock* prev = nullptr;
  FreeBlock* next = free_list;
  while (next != nullptr && next < block) {
    prev = next;
    next = next->next;
  }
  block->next = next;
  if (prev) {
    prev->next = block;
  } else {
    free_list = block;
  }
  auto end_of = [](FreeBlock* b) { return reinterpret_cast<unsigned char*>(b) + b->header.size; };
  if (next && end_of(block) == reinterpret_cast<unsigned char*>(next)) {
    block->header.size += next->header.size;
    block->next = next->next;
  }
  // The absorbed headers keep their "free" magic: a second free of them is
  // still reported as a double free while that memory stays free.
  if (prev && end_of(prev) == reinterpret_cast<unsigned char*>(block)) {
    prev->header.size += block->header.size;
    prev->next = block->next;
  }
}

}  // namespace

void malloc_init() { ensure_init(); }

size_t heap_free_bytes(size_t* free_blocks) {
  ensure_init();
  size_t bytes = 0, blocks = 0;
  for (FreeBlock* b = free_list; b; b = b->next) {
    bytes += b->header.size;
    ++blocks;
  }
  if (free_blocks) *free_blocks = blocks;
  return bytes;
}

}  // namespace libmach

using namespace libmach;

extern "C" void* malloc(size_t n) {
  ensure_init();
  const size_t need = block_size_for(n == 0 ? 1 : n);
  if (need == 0) return nullptr;
  FreeBlock* prev = nullptr;
  for (FreeBlock* b = free_list; b; prev = b, b = b->next) {
    if (b->header.size < need) continue;
    FreeBlock* rest = b->next;
    if (b->header.size - need >= kMinBlock) {  // split: the tail stays free, in b's place
      auto* tail = reinterpret_cast<FreeBlock*>(reinterpret_cast<unsigned char*>(b) + need);
      mark(&tail->header, b->header.size - need, kFreeMagic);
      tail->next = b->next;
      rest = tail;
      b->header.size = need;
    }
    if (prev) {
      prev->next = rest;
    } else {
      free_list = rest;
    }
    mark(&b->header, b->header.size, kUsedMagic);
    return reinterpret_cast<unsigned char*>(b) + sizeof(Header);
  }
  return nullptr;
}

extern "C" void free(void* p) {
  if (p == nullptr) return;
  release(block_of(p, "free"));
}

extern "C" void* calloc(size_t count, size_t size) {
  size_t total = 0;
  if (__builtin_mul_overflow(count, size, &total)) return nullptr;
  void* p = malloc(total);
  if (p) memset(p, 0, total);
  return p;
}

extern "C" void* realloc(void* p, size_t n) {
  if (p == nullptr) return malloc(n);
  Header* h = block_of(p, "realloc");
  if (n == 0) {
    release(h);
    return nullptr;
  }
  const size_t need = block_size_for(n);
  if (need == 0) return nullptr;
  if (need <= h->size) {
    // Shrink in place, giving back a tail big enough to be a block.
    if (h->size - need >= kMinBlock) {
      auto* tail = reinterpret_cast<Header*>(reinterpret_cast<unsigned char*>(h) + need);
      tail->size = h->size - need;
      h->size = need;
      release(tail);
    }
    return p;
  }
  void* q = malloc(n);
  if (q == nullptr) return nullptr;  // p stays valid, as C says
  memcpy(q, p, h->size - sizeof(Header));
  release(h);
  return q;
}
