// Copies of regions in flight (vm_map_copy.h): buffered and virtual
// copyin, copyout into another map, snapshots that stay private, destroy,
// errors, overwrite, kernel data and discard.
#include <doctest/doctest.h>
#include <string.h>

#include <string>
#include <vector>

#include "vm_test_util.h"

using namespace vmt;

namespace {

constexpr uint64_t A = 0x30000000;

std::vector<uint8_t> copy_bytes(const VmMapCopy* c) {
  std::vector<uint8_t> v(c->size);
  vm_map_copy_read(c, 0, v.data(), c->size);
  return v;
}

// The entries of a kEntries copy are relative, ordered, page-granular and
// cover the data without a hole.
void check_entries(const VmMapCopy* c) {
  REQUIRE(c->kind == VmMapCopy::Kind::kEntries);
  REQUIRE(c->entry_count >= 1);
  REQUIRE(c->entries);
  CHECK(c->offset < P);
  uint64_t at = 0;
  for (uint32_t i = 0; i < c->entry_count; i++) {
    const VmMapEntry& e = c->entries[i];
    CHECK(e.start == at);
    CHECK(e.start < e.end);
    CHECK(page_aligned(e.end));
    CHECK(page_aligned(e.offset));
    at = e.end;
  }
  CHECK(at == page_round_up(c->offset + c->size));
}

}  // namespace

TEST_CASE("vm_map_copyin: small regions travel as a buffer, large ones as entries") {
  VmFixture f;
  VmMap* m = f.map();
  alloc_fixed(m, A, 8 * P);
  std::vector<uint8_t> data = pattern(8 * P, 11);
  write_vec(m, A, data);

  VmMapCopy* c = nullptr;
  REQUIRE(vm_map_copyin(m, A + 10, 100, false, false, &c) == KERN_SUCCESS);
  REQUIRE(c);
  CHECK(c->kind == VmMapCopy::Kind::kBuffer);
  CHECK(c->size == 100);
  CHECK(copy_bytes(c) == std::vector<uint8_t>(data.begin() + 10, data.begin() + 110));
  vm_map_copy_discard(c);

  REQUIRE(vm_map_copyin(m, A, kVmCopyVirtualMin - 1, false, false, &c) == KERN_SUCCESS);
  CHECK(c->kind == VmMapCopy::Kind::kBuffer);
  CHECK(copy_bytes(c) == std::vector<uint8_t>(data.begin(), data.begin() + kVmCopyVirtualMin - 1));
  vm_map_copy_discard(c);

  uint64_t pages = host_vm::pages_in_use();
  REQUIRE(vm_map_copyin(m, A, kVmCopyVirtualMin, false, false, &c) == KERN_SUCCESS);
  CHECK(c->kind == VmMapCopy::Kind::kEntries);
  CHECK(c->size == kVmCopyVirtualMin);
  CHECK(c->offset == 0);
  check_entries(c);
  CHECK(host_vm::pages_in_use() == pages);  // virtual: no page copied
  CHECK(copy_bytes(c) == std::vector<uint8_t>(data.begin(), data.begin() + kVmCopyVirtualMin));
  // The source lost write access to what it shares with the copy.
  for (uint64_t k = 0; k < kVmCopyVirtualMin / P; k++) {
    Mapping mp = mapping(m, A + k * P);
    if (mp.present) CHECK((mp.prot & VM_PROT_WRITE) == 0);
  }
  check_pmap(m);
  vm_map_copy_discard(c);

  REQUIRE(vm_map_copyin(m, A + 0x123, 5 * P, false, false, &c) == KERN_SUCCESS);
  CHECK(c->kind == VmMapCopy::Kind::kEntries);
  CHECK(c->offset == 0x123);
  CHECK(c->size == 5 * P);
  check_entries(c);
  CHECK(copy_bytes(c) == std::vector<uint8_t>(data.begin() + 0x123, data.begin() + 0x123 + 5 * P));
  // Reads at an offset into the copy.
  std::vector<uint8_t> part(300);
  vm_map_copy_read(c, P - 100, part.data(), part.size());
  CHECK(part == std::vector<uint8_t>(data.begin() + 0x123 + P - 100, data.begin() + 0x123 + P + 200));
  vm_map_copy_discard(c);
  check_map(m);
}

TEST_CASE("vm_map_copyin: force_physical copies the pages now") {
  VmFixture f;
  VmMap* m = f.map();
  alloc_fixed(m, A, 6 * P);
  std::vector<uint8_t> data = pattern(6 * P, 12);
  write_vec(m, A, data);
  uint64_t pages = host_vm::pages_in_use();
  uint64_t copied = g_vm_object_counts.pages_copied;
  VmMapCopy* c = nullptr;
  REQUIRE(vm_map_copyin(m, A, 6 * P, false, true, &c) == KERN_SUCCESS);
  CHECK(c->size == 6 * P);
  CHECK(host_vm::pages_in_use() == pages + 6);
  CHECK(g_vm_object_counts.pages_copied == copied + 6);
  CHECK(copy_bytes(c) == data);
  // The source writes in place (nothing to copy on its side).
  uint64_t cow = g_vm_fault_counts.cow_copies;
  write_str(m, A, "changed");
  CHECK(g_vm_fault_counts.cow_copies == cow);
  CHECK(host_vm::pages_in_use() == pages + 6);
  CHECK(copy_bytes(c) == data);
  VmMap* dst = f.map();
  uint64_t at = 0;
  REQUIRE(vm_map_copyout(dst, c, &at) == KERN_SUCCESS);
  CHECK(read_vec(dst, at, 6 * P) == data);
  check_pmap(m);
  check_pmap(dst);
}

TEST_CASE("vm_map_copyout: into another map, same bytes at the same offset in page") {
  VmFixture f;
  VmMap* src = f.map();
  VmMap* dst = f.map();
  alloc_fixed(src, A, 8 * P);
  std::vector<uint8_t> data = pattern(8 * P, 13);
  write_vec(src, A, data);
  alloc_fixed(dst, kMin, 3 * P);  // something already there

  for (uint64_t off : {uint64_t(0), uint64_t(0x10), uint64_t(P - 1)}) {
    for (uint64_t len : {uint64_t(1), uint64_t(700), kVmCopyVirtualMin, 5 * P + 77}) {
      CAPTURE(off);
      CAPTURE(len);
      VmMapCopy* c = nullptr;
      REQUIRE(vm_map_copyin(src, A + off, len, false, false, &c) == KERN_SUCCESS);
      bool entries = c->kind == VmMapCopy::Kind::kEntries;
      uint64_t at = 0;
      REQUIRE(vm_map_copyout(dst, c, &at) == KERN_SUCCESS);  // consumes c
      CHECK(at >= kMin + 3 * P);
      if (entries) CHECK((at & kPageMask) == off);
      CHECK(read_vec(dst, at, len) == std::vector<uint8_t>(data.begin() + off, data.begin() + off + len));
      VmMapEntry* e = vm_map_lookup_entry(dst, at);
      REQUIRE(e);
      CHECK(e->protection == VM_PROT_DEFAULT);
      CHECK(e->max_protection == VM_PROT_ALL);
      CHECK(e->inheritance == VM_INHERIT_COPY);
      REQUIRE(vm_map_remove(dst, at, at + len) == KERN_SUCCESS);
    }
  }
  CHECK(read_vec(src, A, 8 * P) == data);
  check_map(dst);
  check_pmap(src);
  check_pmap(dst);
}

TEST_CASE("vm_map_copy: a snapshot; later writes stay private on every side") {
  VmFixture f;
  VmMap* src = f.map();
  VmMap* dst = f.map();
  alloc_fixed(src, A, 8 * P);
  std::vector<uint8_t> data = pattern(8 * P, 14);
  write_vec(src, A, data);

  for (uint64_t len : {uint64_t(3000), 6 * P}) {
    CAPTURE(len);
    std::vector<uint8_t> expect(data.begin() + 0x40, data.begin() + 0x40 + len);
    VmMapCopy* c = nullptr;
    REQUIRE(vm_map_copyin(src, A + 0x40, len, false, false, &c) == KERN_SUCCESS);
    // The source writes between copyin and copyout: the copy keeps the old bytes.
    write_str(src, A + 0x40, "after copyin");
    write_str(src, A + 3 * P, "page three");
    CHECK(copy_bytes(c) == expect);
    uint64_t at = 0;
    REQUIRE(vm_map_copyout(dst, c, &at) == KERN_SUCCESS);
    CHECK(read_vec(dst, at, len) == expect);
    // Both write afterwards.
    write_str(dst, at, "receiver");
    write_str(src, A + 0x40 + P, "sender");
    CHECK(read_str(src, A + 0x40, 12) == "after copyin");
    CHECK(read_str(src, A + 0x40 + P, 6) == "sender");
    CHECK(read_str(dst, at, 8) == "receiver");
    std::vector<uint8_t> got = read_vec(dst, at, len);
    CHECK(std::vector<uint8_t>(got.begin() + 8, got.end()) == std::vector<uint8_t>(expect.begin() + 8, expect.end()));
    check_pmap(src);
    check_pmap(dst);
    write_vec(src, A, data);  // the source as it was, for the next round
  }
}

TEST_CASE("vm_map_copyin: memory never touched copies as zeros") {
  VmFixture f;
  VmMap* src = f.map();
  VmMap* dst = f.map();
  alloc_fixed(src, A, 6 * P);
  write_str(src, A + 2 * P, "mid");
  VmMapCopy* c = nullptr;
  REQUIRE(vm_map_copyin(src, A, 6 * P, false, false, &c) == KERN_SUCCESS);
  write_str(src, A, "late");
  uint64_t at = 0;
  REQUIRE(vm_map_copyout(dst, c, &at) == KERN_SUCCESS);
  std::vector<uint8_t> expect(6 * P, 0);
  memcpy(expect.data() + 2 * P, "mid", 3);
  CHECK(read_vec(dst, at, 6 * P) == expect);
}

TEST_CASE("vm_map_copyin: a region made of several entries") {
  VmFixture f;
  VmMap* src = f.map();
  VmMap* dst = f.map();
  alloc_fixed(src, A, 4 * P);
  alloc_fixed(src, A + 4 * P, 4 * P);
  std::vector<uint8_t> data = pattern(8 * P, 15);
  write_vec(src, A, data);
  REQUIRE(vm_map_protect(src, A + 2 * P, A + 3 * P, VM_PROT_READ, false) == KERN_SUCCESS);
  REQUIRE(vm_map_protect(src, A + 6 * P, A + 7 * P, VM_PROT_READ | VM_PROT_EXECUTE, false) == KERN_SUCCESS);
  REQUIRE(entry_count(src) >= 4);
  VmMapCopy* c = nullptr;
  REQUIRE(vm_map_copyin(src, A + P + 9, 6 * P, false, false, &c) == KERN_SUCCESS);
  check_entries(c);
  CHECK(c->entry_count >= 3);
  CHECK(copy_bytes(c) == std::vector<uint8_t>(data.begin() + P + 9, data.begin() + 7 * P + 9));
  uint64_t at = 0;
  REQUIRE(vm_map_copyout(dst, c, &at) == KERN_SUCCESS);
  CHECK((at & kPageMask) == 9);
  CHECK(read_vec(dst, at, 6 * P) == std::vector<uint8_t>(data.begin() + P + 9, data.begin() + 7 * P + 9));
  // The receiver gets the whole copy writable.
  write_str(dst, at + P, "writable");
  CHECK(read_str(src, A + 2 * P + 9, 8) == std::string(data.begin() + 2 * P + 9, data.begin() + 2 * P + 17));
  check_map(src);
  check_map(dst);
  check_pmap(src);
  check_pmap(dst);
}

TEST_CASE("vm_map_copyin with destroy removes the source region") {
  VmFixture f;
  VmMap* src = f.map();
  VmMap* dst = f.map();
  alloc_fixed(src, A, 8 * P);
  std::vector<uint8_t> data = pattern(8 * P, 16);
  write_vec(src, A, data);

  SUBCASE("large: the copy is the only user, so the receiver writes without copying") {
    VmMapCopy* c = nullptr;
    REQUIRE(vm_map_copyin(src, A + P, 4 * P, true, false, &c) == KERN_SUCCESS);
    CHECK(c->kind == VmMapCopy::Kind::kEntries);
    auto es = entries_of(src);
    REQUIRE(es.size() == 2);
    CHECK(es[0]->start == A);
    CHECK(es[0]->end == A + P);
    CHECK(es[1]->start == A + 5 * P);
    paddr_t pa;
    CHECK(vm_fault(src, A + 2 * P, VM_PROT_READ, &pa) == KERN_INVALID_ADDRESS);
    CHECK_FALSE(mapping(src, A + 2 * P).present);
    CHECK(copy_bytes(c) == std::vector<uint8_t>(data.begin() + P, data.begin() + 5 * P));
    f.drop(src);  // the copy keeps what it needs
    uint64_t at = 0;
    REQUIRE(vm_map_copyout(dst, c, &at) == KERN_SUCCESS);
    CHECK(read_vec(dst, at, 4 * P) == std::vector<uint8_t>(data.begin() + P, data.begin() + 5 * P));
    uint64_t cow = g_vm_fault_counts.cow_copies;
    write_str(dst, at, "mine");
    CHECK(g_vm_fault_counts.cow_copies == cow);
    CHECK(read_str(dst, at, 4) == "mine");
    check_pmap(dst);
  }
  SUBCASE("small, at an unaligned address: whole pages go") {
    VmMapCopy* c = nullptr;
    REQUIRE(vm_map_copyin(src, A + 3 * P + 100, 200, true, false, &c) == KERN_SUCCESS);
    CHECK(c->kind == VmMapCopy::Kind::kBuffer);
    CHECK(vm_map_lookup_entry(src, A + 3 * P) == nullptr);
    CHECK(vm_map_lookup_entry(src, A + 3 * P - 1) != nullptr);
    CHECK(vm_map_lookup_entry(src, A + 4 * P) != nullptr);
    CHECK(copy_bytes(c) == std::vector<uint8_t>(data.begin() + 3 * P + 100, data.begin() + 3 * P + 300));
    vm_map_copy_discard(c);
    check_map(src);
  }
}

TEST_CASE("vm_map_copyin: holes and bad ranges are KERN_INVALID_ADDRESS") {
  VmFixture f;
  VmMap* m = f.map();
  alloc_fixed(m, A, 4 * P);
  alloc_fixed(m, A + 6 * P, 4 * P);
  write_str(m, A, "x");
  Snapshot before = Snapshot::take();
  VmMapCopy* c = reinterpret_cast<VmMapCopy*>(0x1);
  for (auto [addr, len] : std::vector<std::pair<uint64_t, uint64_t>>{
           {A + 3 * P, 2 * P},        // runs into the hole (small)
           {A + 2 * P, 6 * P},        // across the hole (large)
           {A + 4 * P, P},            // inside the hole
           {A + 9 * P, 5 * P},        // off the end
           {A - P, 2 * P},            // before the start
           {kMax - P, 2 * P},         // leaves the map
           {~uint64_t(0) - 10, 100},  // wraps
       }) {
    CAPTURE(addr);
    CAPTURE(len);
    for (bool destroy : {false, true}) {
      CHECK(vm_map_copyin(m, addr, len, destroy, false, &c) == KERN_INVALID_ADDRESS);
      CHECK(vm_map_copyin(m, addr, len, destroy, true, &c) == KERN_INVALID_ADDRESS);
    }
  }
  CHECK(c == reinterpret_cast<VmMapCopy*>(0x1));
  check_same(before, Snapshot::take());
  CHECK(entry_count(m) == 2);
  CHECK(read_str(m, A, 1) == "x");
}

TEST_CASE("vm_map_copyin: unreadable memory is KERN_PROTECTION_FAILURE") {
  VmFixture f;
  VmMap* m = f.map();
  alloc_fixed(m, A, 8 * P);
  write_str(m, A + 4 * P, "secret");
  REQUIRE(vm_map_protect(m, A + 4 * P, A + 5 * P, VM_PROT_NONE, false) == KERN_SUCCESS);
  REQUIRE(vm_map_protect(m, A + 7 * P, A + 8 * P, VM_PROT_WRITE, false) == KERN_SUCCESS);
  Snapshot before = Snapshot::take();
  VmMapCopy* c = nullptr;
  CHECK(vm_map_copyin(m, A + 4 * P, 10, false, false, &c) == KERN_PROTECTION_FAILURE);
  CHECK(vm_map_copyin(m, A + 3 * P, 2 * P, false, false, &c) == KERN_PROTECTION_FAILURE);
  CHECK(vm_map_copyin(m, A, 6 * P, false, false, &c) == KERN_PROTECTION_FAILURE);
  CHECK(vm_map_copyin(m, A, 6 * P, true, true, &c) == KERN_PROTECTION_FAILURE);
  CHECK(vm_map_copyin(m, A + 7 * P, 100, false, false, &c) == KERN_PROTECTION_FAILURE);
  CHECK(c == nullptr);
  check_same(before, Snapshot::take());
  CHECK(vm_map_lookup_entry(m, A) != nullptr);  // destroy did nothing
  // The readable part is fine.
  REQUIRE(vm_map_copyin(m, A, 4 * P, false, false, &c) == KERN_SUCCESS);
  vm_map_copy_discard(c);
}

TEST_CASE("vm_map_copy_overwrite: bytes replaced in place, the rest kept, copy not consumed") {
  VmFixture f;
  VmMap* src = f.map();
  VmMap* dst = f.map();
  alloc_fixed(src, A, 8 * P);
  alloc_fixed(dst, A, 8 * P);
  std::vector<uint8_t> s = pattern(8 * P, 17), d = pattern(8 * P, 18);
  write_vec(src, A, s);
  write_vec(dst, A, d);

  for (uint64_t len : {uint64_t(1000), 5 * P + 3}) {
    CAPTURE(len);
    VmMapCopy* c = nullptr;
    REQUIRE(vm_map_copyin(src, A + 5, len, false, false, &c) == KERN_SUCCESS);
    REQUIRE(vm_map_copy_overwrite(dst, A + P + 7, c) == KERN_SUCCESS);
    std::vector<uint8_t> expect = d;
    memcpy(expect.data() + P + 7, s.data() + 5, len);
    CHECK(read_vec(dst, A, 8 * P) == expect);
    // Still a valid copy.
    CHECK(copy_bytes(c) == std::vector<uint8_t>(s.begin() + 5, s.begin() + 5 + len));
    // The destination's writes do not reach the source, nor the copy.
    write_str(dst, A + P + 7, "dst");
    CHECK(read_vec(src, A, 8 * P) == s);
    CHECK(copy_bytes(c)[0] == s[5]);
    vm_map_copy_discard(c);
    write_vec(dst, A, d);
    check_pmap(src);
    check_pmap(dst);
  }
}

TEST_CASE("vm_map_copy_overwrite: within one map, overlapping, the copy is a snapshot") {
  VmFixture f;
  VmMap* m = f.map();
  alloc_fixed(m, A, 10 * P);
  std::vector<uint8_t> data = pattern(10 * P, 19);
  write_vec(m, A, data);
  VmMapCopy* c = nullptr;
  REQUIRE(vm_map_copyin(m, A, 6 * P, false, false, &c) == KERN_SUCCESS);
  REQUIRE(c->kind == VmMapCopy::Kind::kEntries);
  REQUIRE(vm_map_copy_overwrite(m, A + P + 50, c) == KERN_SUCCESS);  // like memmove forward
  std::vector<uint8_t> expect = data;
  memmove(expect.data() + P + 50, data.data(), 6 * P);
  CHECK(read_vec(m, A, 10 * P) == expect);
  vm_map_copy_discard(c);
  check_pmap(m);
}

TEST_CASE("vm_map_copy_overwrite: the destination must be mapped and writable") {
  VmFixture f;
  VmMap* m = f.map();
  alloc_fixed(m, A, 4 * P);
  alloc_fixed(m, A + 6 * P, 2 * P);
  write_str(m, A, "keep");
  REQUIRE(vm_map_protect(m, A + 6 * P, A + 8 * P, VM_PROT_READ, false) == KERN_SUCCESS);
  std::vector<uint8_t> bytes = pattern(2 * P, 20);
  VmMapCopy* c = nullptr;
  REQUIRE(vm_map_copyin_kernel(bytes.data(), bytes.size(), &c) == KERN_SUCCESS);
  CHECK(vm_map_copy_overwrite(m, A + 3 * P, c) == KERN_INVALID_ADDRESS);  // into the hole
  CHECK(vm_map_copy_overwrite(m, A + 4 * P, c) == KERN_INVALID_ADDRESS);
  CHECK(vm_map_copy_overwrite(m, A + 6 * P, c) == KERN_PROTECTION_FAILURE);
  CHECK(vm_map_copy_overwrite(m, kMax - P, c) == KERN_INVALID_ADDRESS);
  CHECK(read_str(m, A, 4) == "keep");
  CHECK(read_vec(m, A + 6 * P, 2 * P) == std::vector<uint8_t>(2 * P, 0));
  REQUIRE(vm_map_copy_overwrite(m, A + 2 * P, c) == KERN_SUCCESS);
  CHECK(read_vec(m, A + 2 * P, 2 * P) == bytes);
  vm_map_copy_discard(c);
}

TEST_CASE("vm_map_copy_overwrite: a copy-on-write sibling keeps the old bytes") {
  VmFixture f;
  VmMap* m = f.map();
  alloc_fixed(m, A, 2 * P);
  write_str(m, A, "original");
  VmMap* child = f.fork(m);
  VmMapCopy* c = nullptr;
  REQUIRE(vm_map_copyin_kernel("replaced", 8, &c) == KERN_SUCCESS);
  REQUIRE(vm_map_copy_overwrite(m, A, c) == KERN_SUCCESS);
  vm_map_copy_discard(c);
  CHECK(read_str(m, A, 8) == "replaced");
  CHECK(read_str(child, A, 8) == "original");
  check_pmap(m);
  check_pmap(child);
}

TEST_CASE("vm_map_copyin_kernel: kernel bytes into a map") {
  VmFixture f;
  VmMap* m = f.map();
  std::vector<uint8_t> bytes = pattern(3 * P + 5, 21);
  VmMapCopy* c = nullptr;
  REQUIRE(vm_map_copyin_kernel(bytes.data(), bytes.size(), &c) == KERN_SUCCESS);
  CHECK(c->kind == VmMapCopy::Kind::kBuffer);
  CHECK(c->size == bytes.size());
  bytes[0] ^= 0xff;  // the copy owns its bytes
  std::vector<uint8_t> expect = bytes;
  expect[0] ^= 0xff;
  CHECK(copy_bytes(c) == expect);
  uint64_t at = 0;
  REQUIRE(vm_map_copyout(m, c, &at) == KERN_SUCCESS);
  CHECK(at >= kMin);
  CHECK(read_vec(m, at, expect.size()) == expect);
  VmMapEntry* e = vm_map_lookup_entry(m, at);
  REQUIRE(e);
  CHECK(e->protection == VM_PROT_DEFAULT);
  CHECK(m->size == 4 * P);

  // Empty copies are fine too.
  REQUIRE(vm_map_copyin_kernel(nullptr, 0, &c) == KERN_SUCCESS);
  CHECK(c->size == 0);
  vm_map_copy_discard(c);
  REQUIRE(vm_map_copyin_kernel(nullptr, 0, &c) == KERN_SUCCESS);
  REQUIRE(vm_map_copyout(m, c, &at) == KERN_SUCCESS);
  CHECK(m->size == 4 * P);
}

TEST_CASE("vm_map_copyout: no room leaves the copy with the caller") {
  VmFixture f;
  VmMap* src = f.map();
  alloc_fixed(src, A, 8 * P);
  std::vector<uint8_t> data = pattern(8 * P, 22);
  write_vec(src, A, data);
  VmMap* tiny = f.map(kMin, kMin + 4 * P);
  for (uint64_t len : {uint64_t(100), 6 * P}) {
    CAPTURE(len);
    VmMapCopy* c = nullptr;
    REQUIRE(vm_map_copyin(src, A, len, false, false, &c) == KERN_SUCCESS);
    uint64_t at = 0;
    if (len < P) alloc_fixed(tiny, kMin, 4 * P);  // full
    CHECK(vm_map_copyout(tiny, c, &at) == KERN_NO_SPACE);
    CHECK(copy_bytes(c) == std::vector<uint8_t>(data.begin(), data.begin() + len));
    vm_map_copy_discard(c);
    REQUIRE(vm_map_remove(tiny, kMin, kMin + 4 * P) == KERN_SUCCESS);
  }
  CHECK(entry_count(tiny) == 0);
}

TEST_CASE("vm_map_copyout: a shortage while copying out a buffer frees what it placed") {
  VmFixture f;
  VmMap* m = f.map();
  std::vector<uint8_t> bytes = pattern(3 * P, 23);
  VmMapCopy* c = nullptr;
  REQUIRE(vm_map_copyin_kernel(bytes.data(), bytes.size(), &c) == KERN_SUCCESS);
  host_vm::fail_page_grabs_after(1);
  uint64_t at = 0;
  CHECK(vm_map_copyout(m, c, &at) == KERN_RESOURCE_SHORTAGE);
  host_vm::fail_page_grabs_after(-1);
  CHECK(entry_count(m) == 0);
  CHECK(m->size == 0);
  CHECK(host_vm::pages_in_use() == f.base.pages);
  CHECK(copy_bytes(c) == bytes);  // still the caller's
  REQUIRE(vm_map_copyout(m, c, &at) == KERN_SUCCESS);
  CHECK(read_vec(m, at, bytes.size()) == bytes);
}

TEST_CASE("vm_map_copyin: a copy of shared memory does not see the other sharer's later writes") {
  VmFixture f;
  VmMap* m = f.map();
  VmMap* dst = f.map();
  alloc_fixed(m, A, 6 * P);
  std::vector<uint8_t> data = pattern(6 * P, 24);
  write_vec(m, A, data);
  REQUIRE(vm_map_inherit(m, A, A + 6 * P, VM_INHERIT_SHARE) == KERN_SUCCESS);
  VmMap* sharer = f.fork(m);
  VmMapCopy* c = nullptr;
  REQUIRE(vm_map_copyin(m, A, 6 * P, false, false, &c) == KERN_SUCCESS);
  write_str(sharer, A, "sharer wrote");
  write_str(m, A + P, "owner wrote");
  CHECK(read_str(m, A, 12) == "sharer wrote");
  CHECK(read_str(sharer, A + P, 11) == "owner wrote");
  CHECK(copy_bytes(c) == data);
  uint64_t at = 0;
  REQUIRE(vm_map_copyout(dst, c, &at) == KERN_SUCCESS);
  CHECK(read_vec(dst, at, 6 * P) == data);
  check_pmap(m);
  check_pmap(sharer);
  check_pmap(dst);
}

TEST_CASE("vm_map_copy_discard: nothing leaks, whatever the source did meanwhile") {
  VmFixture f;
  VmMap* m = f.map();
  alloc_fixed(m, A, 8 * P);
  write_vec(m, A, pattern(8 * P, 25));
  Snapshot before = Snapshot::take();

  VmMapCopy* small = nullptr;
  VmMapCopy* large = nullptr;
  VmMapCopy* physical = nullptr;
  REQUIRE(vm_map_copyin(m, A + 1, 2000, false, false, &small) == KERN_SUCCESS);
  REQUIRE(vm_map_copyin(m, A + 1, 7 * P, false, false, &large) == KERN_SUCCESS);
  REQUIRE(vm_map_copyin(m, A, 5 * P, false, true, &physical) == KERN_SUCCESS);
  vm_map_copy_discard(small);
  vm_map_copy_discard(physical);
  vm_map_copy_discard(large);
  CHECK(host_vm::allocations_in_use() == before.allocations);
  CHECK(host_vm::pages_in_use() == before.pages);
  CHECK(g_vm_object_counts.objects == before.objects);

  // The source writes, then goes, while a copy is out: the copy alone keeps the pages.
  REQUIRE(vm_map_copyin(m, A, 8 * P, false, false, &large) == KERN_SUCCESS);
  write_str(m, A + 2 * P, "diverge");
  f.drop(m);
  CHECK(host_vm::pages_in_use() == f.base.pages + 8);
  vm_map_copy_discard(large);
  vm_map_copy_discard(nullptr);  // allowed
}

TEST_CASE("vm_map_copy_bytes: kernel buffer to and from a map across pages") {
  VmFixture f;
  VmMap* m = f.map();
  alloc_fixed(m, A, 4 * P);
  std::vector<uint8_t> bytes = pattern(2 * P + 100, 26);
  REQUIRE(vm_map_copy_bytes(m, A + P - 50, bytes.data(), bytes.size(), true) == KERN_SUCCESS);
  std::vector<uint8_t> back(bytes.size());
  REQUIRE(vm_map_copy_bytes(m, A + P - 50, back.data(), back.size(), false) == KERN_SUCCESS);
  CHECK(back == bytes);
  CHECK(read_vec(m, A + P - 50, bytes.size()) == bytes);
  CHECK(vm_map_copy_bytes(m, A + 4 * P - 10, back.data(), 20, false) == KERN_INVALID_ADDRESS);
  REQUIRE(vm_map_protect(m, A, A + P, VM_PROT_READ, false) == KERN_SUCCESS);
  CHECK(vm_map_copy_bytes(m, A, bytes.data(), 10, true) == KERN_PROTECTION_FAILURE);
}

TEST_CASE("vm_map_copyin: wired memory is copied now and its pages do not move") {
  VmFixture f;
  VmMap* m = f.map();
  alloc_fixed(m, A, 6 * P);
  std::vector<uint8_t> data = pattern(6 * P, 27);
  write_vec(m, A, data);
  REQUIRE(vm_map_wire(m, A, A + 6 * P, VM_PROT_READ | VM_PROT_WRITE) == KERN_SUCCESS);
  Mapping before = mapping(m, A);
  uint64_t pages = host_vm::pages_in_use();
  VmMapCopy* c = nullptr;
  REQUIRE(vm_map_copyin(m, A, 6 * P, false, false, &c) == KERN_SUCCESS);
  CHECK(host_vm::pages_in_use() == pages + 6);
  Mapping after = mapping(m, A);
  CHECK(after.present);
  CHECK(after.pa == before.pa);
  CHECK((after.prot & VM_PROT_WRITE) != 0);
  uint64_t cow = g_vm_fault_counts.cow_copies;
  write_str(m, A, "in place");
  CHECK(g_vm_fault_counts.cow_copies == cow);
  CHECK(mapping(m, A).pa == before.pa);
  CHECK(copy_bytes(c) == data);
  vm_map_copy_discard(c);
  check_pmap(m);
}

TEST_CASE("vm_map_copyin: a shortage during a physical copy returns it and leaks nothing") {
  VmFixture f;
  VmMap* m = f.map();
  alloc_fixed(m, A, 8 * P);
  std::vector<uint8_t> data = pattern(8 * P, 28);
  write_vec(m, A, data);
  REQUIRE(vm_map_protect(m, A + 4 * P, A + 5 * P, VM_PROT_READ, false) == KERN_SUCCESS);  // two entries+
  Snapshot before = Snapshot::take();
  for (int64_t n : {0, 3, 6}) {
    CAPTURE(n);
    VmMapCopy* c = nullptr;
    host_vm::fail_page_grabs_after(n);
    CHECK(vm_map_copyin(m, A, 8 * P, false, true, &c) == KERN_RESOURCE_SHORTAGE);
    host_vm::fail_page_grabs_after(-1);
    CHECK(c == nullptr);
    check_same(before, Snapshot::take());
  }
  CHECK(read_vec(m, A, 8 * P) == data);
  VmMapCopy* c = nullptr;
  REQUIRE(vm_map_copyin(m, A, 8 * P, false, true, &c) == KERN_SUCCESS);
  CHECK(copy_bytes(c) == data);
  vm_map_copy_discard(c);
}

TEST_CASE("vm_map_copyin: a read-only source made writable later still copies on write") {
  VmFixture f;
  VmMap* m = f.map();
  alloc_fixed(m, A, 4 * P);
  std::vector<uint8_t> data = pattern(4 * P, 29);
  write_vec(m, A, data);
  REQUIRE(vm_map_protect(m, A, A + 4 * P, VM_PROT_READ, false) == KERN_SUCCESS);
  VmMapCopy* c = nullptr;
  REQUIRE(vm_map_copyin(m, A, 4 * P, false, false, &c) == KERN_SUCCESS);
  CHECK(c->kind == VmMapCopy::Kind::kEntries);
  REQUIRE(vm_map_protect(m, A, A + 4 * P, VM_PROT_DEFAULT, false) == KERN_SUCCESS);
  write_str(m, A + P, "later");
  CHECK(copy_bytes(c) == data);
  vm_map_copy_discard(c);
  check_pmap(m);
}
