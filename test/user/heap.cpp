// heap [check|doublefree|foreign]: exercises libmach's malloc.
//   check (default): random malloc/calloc/realloc/free with contents checked,
//     coalescing back to one free block, exhaustion, new/delete; prints
//     "heap: all checks passed" (exit 0) or "heap: FAILED ..." (exit 1).
//   doublefree / foreign: frees a pointer twice / one malloc never returned;
//     libmach must print "libmach: free(0x...): double free" / "... pointer
//     not from malloc" and end the task with status 134.
#include <stdint.h>

#include "libmach/malloc.h"
#include "libmach/print.h"
#include "libmach/string.h"

namespace {

uint64_t rng = 0x9e3779b97f4a7c15ull;
uint64_t next_random() {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

int fail(const char* what, long detail) {
  printf("heap: FAILED %s (%ld)\n", what, detail);
  return 1;
}

struct Slot {
  unsigned char* p;
  size_t size;
  unsigned char fill;
};

bool intact(const Slot& s) {
  for (size_t i = 0; i < s.size; ++i) {
    if (s.p[i] != s.fill) return false;
  }
  return true;
}

struct Counted {
  static int live;
  int value;
  explicit Counted(int v) : value(v) { ++live; }
  ~Counted() { --live; }
};
int Counted::live = 0;

int check() {
  size_t blocks = 0;
  const size_t all_free = libmach::heap_free_bytes(&blocks);
  if (blocks != 1) return fail("initial free blocks", long(blocks));

  constexpr int kSlots = 64;
  Slot slots[kSlots] = {};
  for (int round = 0; round < 20000; ++round) {
    Slot& s = slots[next_random() % kSlots];
    if (s.p && !intact(s)) return fail("block contents changed, round", round);
    const unsigned op = unsigned(next_random() % 4);
    const size_t size = (next_random() % 4 == 0) ? next_random() % 20000 : next_random() % 200;
    if (op == 0 || s.p == nullptr) {
      free(s.p);
      s.p = static_cast<unsigned char*>(op == 1 ? calloc(1, size) : malloc(size));
      if (s.p == nullptr) return fail("malloc returned null, size", long(size));
      if (reinterpret_cast<uintptr_t>(s.p) % 16 != 0) return fail("misaligned block, round", round);
      if (op == 1) {
        for (size_t i = 0; i < size; ++i) {
          if (s.p[i] != 0) return fail("calloc memory not zero, round", round);
        }
      }
    } else if (op == 2) {
      unsigned char* q = static_cast<unsigned char*>(realloc(s.p, size + 1));
      if (q == nullptr) return fail("realloc returned null, size", long(size));
      const size_t kept = s.size < size + 1 ? s.size : size + 1;
      for (size_t i = 0; i < kept; ++i) {
        if (q[i] != s.fill) return fail("realloc lost contents, round", round);
      }
      s.p = q;
      size_t new_size = size + 1;
      s.size = new_size;
      memset(s.p, s.fill, s.size);
      continue;
    } else {
      free(s.p);
      s.p = nullptr;
      s.size = 0;
      continue;
    }
    s.size = size;
    s.fill = static_cast<unsigned char>(next_random());
    memset(s.p, s.fill, s.size);
  }
  for (Slot& s : slots) {
    if (s.p && !intact(s)) return fail("block contents changed at the end", 0);
    free(s.p);
  }
  if (libmach::heap_free_bytes(&blocks) != all_free || blocks != 1) {
    return fail("free blocks did not coalesce back into one, blocks", long(blocks));
  }

  if (malloc(libmach::kHeapArenaSize) != nullptr) return fail("oversized malloc succeeded", 0);
  if (malloc(~size_t(0) - 8) != nullptr) return fail("huge malloc succeeded", 0);
  if (calloc(~size_t(0) / 2, 4) != nullptr) return fail("overflowing calloc succeeded", 0);
  // Exhaust the arena in 64 KiB pieces, then give it all back.
  void* pieces[32];
  int n = 0;
  while (n < 32 && (pieces[n] = malloc(64 * 1024)) != nullptr) ++n;
  if (n < 14 || n >= 32) return fail("64 KiB pieces that fit", n);
  for (int i = 0; i < n; i += 2) free(pieces[i]);
  for (int i = 1; i < n; i += 2) free(pieces[i]);
  if (libmach::heap_free_bytes(&blocks) != all_free || blocks != 1) return fail("after exhaustion, blocks", long(blocks));

  Counted* c = new Counted(7);
  Counted* arr = static_cast<Counted*>(operator new(sizeof(Counted) * 3));
  if (c->value != 7 || Counted::live != 1) return fail("new", Counted::live);
  delete c;
  operator delete(arr);
  if (Counted::live != 0) return fail("delete", Counted::live);
  if (libmach::heap_free_bytes(&blocks) != all_free || blocks != 1) return fail("after new/delete, blocks", long(blocks));

  printf("heap: all checks passed\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv, char**) {
  const char* mode = argc >= 2 ? argv[1] : "check";
  if (strcmp(mode, "check") == 0) return check();
  if (strcmp(mode, "doublefree") == 0) {
    void* p = malloc(32);
    free(p);
    free(p);
    printf("heap: double free not detected\n");
    return 1;
  }
  if (strcmp(mode, "foreign") == 0) {
    static long not_from_malloc[8];
    free(&not_from_malloc[2]);
    printf("heap: foreign pointer not detected\n");
    return 1;
  }
  printf("heap: usage: heap [check|doublefree|foreign]\n");
  return 2;
}
