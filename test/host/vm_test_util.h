// Helpers for the VM core's host tests: a fixture that owns the maps a test
// creates and checks at the end that pages, allocations, objects, entries
// and wirings are back where they started; reading and writing a map's
// memory the way the kernel does (fault the page in, then use the page
// through vm_env_page_address); and consistency checks of a map and of its
// pmap against the objects behind it.
#pragma once

#include <doctest/doctest.h>
#include <string.h>

#include <string>
#include <vector>

#include "vm/pmap.h"
#include "vm/vm_env.h"
#include "vm/vm_fault.h"
#include "vm/vm_map.h"
#include "vm/vm_map_copy.h"
#include "vm/vm_object.h"
#include "vm/vm_page.h"
#include "vm_env_host.h"

namespace vmt {

using namespace mk;

constexpr uint64_t P = kPageSize;
// The kernel's user map bounds (docs/vm.md).
constexpr uint64_t kMin = 0x10000;
constexpr uint64_t kMax = (uint64_t(1) << 47) - 4096;

// Everything that must come back when a test has freed what it made.
struct Snapshot {
  uint64_t pages, allocations, objects, entries, active, wired;
  static Snapshot take() {
    return {host_vm::pages_in_use(), host_vm::allocations_in_use(), g_vm_object_counts.objects,
            g_vm_map_entry_count,    g_vm_page_counts.active,       g_vm_page_counts.wired};
  }
};

inline void check_same(const Snapshot& before, const Snapshot& now) {
  CHECK(now.pages == before.pages);
  CHECK(now.allocations == before.allocations);
  CHECK(now.objects == before.objects);
  CHECK(now.entries == before.entries);
  CHECK(now.active == before.active);
  CHECK(now.wired == before.wired);
}

inline void check_pmap(VmMap* map);

// Every test case holds one: maps made through it are deallocated at the
// end (unless the test did it), then nothing may be left over.
struct VmFixture {
  Snapshot base;
  std::vector<VmMap*> maps;

  VmFixture() {
    host_vm::fail_page_grabs_after(-1);
    host_vm::fail_records_after(-1);
    REQUIRE(vm_page_init(1024) == KERN_SUCCESS);  // idempotent: the first test allocates the hash
    base = Snapshot::take();
  }
  // A user-sized map over a fresh pmap.
  VmMap* map(uint64_t min = kMin, uint64_t max = kMax) {
    Pmap* pmap = pmap_create();
    REQUIRE(pmap);
    VmMap* m = vm_map_create(pmap, min, max);
    REQUIRE(m);
    maps.push_back(m);
    return m;
  }
  // The child of a fork, also released at the end.
  VmMap* fork(VmMap* parent) {
    Pmap* pmap = pmap_create();
    REQUIRE(pmap);
    VmMap* child = vm_map_fork(parent, pmap);
    REQUIRE(child);
    CHECK(child->pmap == pmap);
    maps.push_back(child);
    return child;
  }
  // Deallocate one map now.
  void drop(VmMap* m) {
    for (auto it = maps.begin(); it != maps.end(); ++it)
      if (*it == m) {
        maps.erase(it);
        vm_map_deallocate(m);
        return;
      }
    FAIL("drop of a map the fixture does not hold");
  }
  ~VmFixture() {
    host_vm::fail_page_grabs_after(-1);
    host_vm::fail_records_after(-1);
    for (VmMap* m : maps) {
      check_pmap(m);  // defined below
      vm_map_deallocate(m);
    }
    check_same(base, Snapshot::take());
    CHECK(host_vm::pv_problems() == 0);
  }
};

// Fault in each page of [addr, addr+len) for write and copy `data` in.
inline kern_return_t write_bytes(VmMap* map, uint64_t addr, const void* data, uint64_t len) {
  auto* src = static_cast<const uint8_t*>(data);
  while (len) {
    uint64_t in_page = addr & kPageMask;
    uint64_t n = P - in_page < len ? P - in_page : len;
    paddr_t pa = 0;
    kern_return_t kr = vm_fault(map, addr, VM_PROT_WRITE, &pa);
    if (kr != KERN_SUCCESS) return kr;
    memcpy(static_cast<uint8_t*>(vm_env_page_address(pa)) + in_page, src, n);
    addr += n, src += n, len -= n;
  }
  return KERN_SUCCESS;
}

inline kern_return_t read_bytes(VmMap* map, uint64_t addr, void* data, uint64_t len) {
  auto* dst = static_cast<uint8_t*>(data);
  while (len) {
    uint64_t in_page = addr & kPageMask;
    uint64_t n = P - in_page < len ? P - in_page : len;
    paddr_t pa = 0;
    kern_return_t kr = vm_fault(map, addr, VM_PROT_READ, &pa);
    if (kr != KERN_SUCCESS) return kr;
    memcpy(dst, static_cast<const uint8_t*>(vm_env_page_address(pa)) + in_page, n);
    addr += n, dst += n, len -= n;
  }
  return KERN_SUCCESS;
}

// vm_map_allocate at exactly `addr`.
inline void alloc_fixed(VmMap* map, uint64_t addr, uint64_t size) {
  uint64_t at = addr;
  REQUIRE(vm_map_allocate(map, &at, size, false) == KERN_SUCCESS);
  REQUIRE(at == addr);
}

// Write one distinct byte at the start of each page of [addr, addr+pages*P).
inline void stamp(VmMap* map, uint64_t addr, uint64_t pages, uint8_t base) {
  for (uint64_t k = 0; k < pages; k++) {
    uint8_t v = uint8_t(base + k);
    REQUIRE(write_bytes(map, addr + k * P, &v, 1) == KERN_SUCCESS);
  }
}

inline uint8_t byte_at(VmMap* map, uint64_t addr) {
  uint8_t v = 0;
  REQUIRE(read_bytes(map, addr, &v, 1) == KERN_SUCCESS);
  return v;
}

inline void write_str(VmMap* map, uint64_t addr, const std::string& s) {
  REQUIRE(write_bytes(map, addr, s.data(), s.size()) == KERN_SUCCESS);
}

inline std::string read_str(VmMap* map, uint64_t addr, uint64_t len) {
  std::string s(len, '\0');
  REQUIRE(read_bytes(map, addr, s.data(), len) == KERN_SUCCESS);
  return s;
}

// A recognisable pattern: byte i of the stream that starts at `seed`.
inline std::vector<uint8_t> pattern(uint64_t len, uint32_t seed) {
  std::vector<uint8_t> v(len);
  uint32_t x = seed * 2654435761u + 1;
  for (uint64_t i = 0; i < len; i++) {
    x = x * 1103515245u + 12345u;
    v[i] = uint8_t(x >> 16);
  }
  return v;
}

inline void write_vec(VmMap* map, uint64_t addr, const std::vector<uint8_t>& v) {
  REQUIRE(write_bytes(map, addr, v.data(), v.size()) == KERN_SUCCESS);
}

inline std::vector<uint8_t> read_vec(VmMap* map, uint64_t addr, uint64_t len) {
  std::vector<uint8_t> v(len);
  REQUIRE(read_bytes(map, addr, v.data(), len) == KERN_SUCCESS);
  return v;
}

inline size_t entry_count(const VmMap* map) { return map->entries.size(); }

inline std::vector<VmMapEntry*> entries_of(VmMap* map) {
  std::vector<VmMapEntry*> v;
  for (VmMapEntry& e : map->entries) v.push_back(&e);
  return v;
}

// What the pmap says about va.
struct Mapping {
  bool present = false;
  paddr_t pa = 0;
  vm_prot_t prot = VM_PROT_NONE;
};
inline Mapping mapping(const VmMap* map, uint64_t va) {
  Mapping m;
  m.present = pmap_extract(map->pmap, va, &m.pa, &m.prot);
  return m;
}

// The tree is ordered, entries do not overlap, are page-aligned, inside the
// map's bounds, and add up to map->size.
inline void check_map(VmMap* map) {
  uint64_t prev_end = map->min_address, total = 0;
  for (const VmMapEntry& e : map->entries) {
    INFO("entry [", e.start, ", ", e.end, ")");
    CHECK(page_aligned(e.start));
    CHECK(page_aligned(e.end));
    CHECK(page_aligned(e.offset));
    CHECK(e.start < e.end);
    CHECK(e.start >= prev_end);
    CHECK(e.end <= map->max_address);
    CHECK((e.protection & ~e.max_protection) == 0);
    if (e.object) CHECK(e.object->ref_count >= 1);
    prev_end = e.end;
    total += e.size();
  }
  CHECK(total == map->size);
}

// The pmap is a cache of the map: every translation it holds lies inside
// an entry, points at the page the entry sees at that address, never
// grants more than the entry allows, and grants write only to a page of
// the entry's own object that no copy-on-write is pending on. Each
// translation of a resident page has exactly one reverse-mapping record,
// and no pmap has records of mappings it lacks (pv_problems).
inline void check_pmap(VmMap* map) {
  REQUIRE(map->pmap);
  uint64_t mapped = 0;
  for (VmMapEntry& e : map->entries) {
    if (e.size() > 4096 * P) continue;  // tests keep mapped regions small
    for (uint64_t va = e.start; va < e.end; va += P) {
      if (e.object && e.object->physical) {
        // Physical objects map their own frames (uncached ones are not
        // reported by pmap_extract: look at the fake's table).
        paddr_t pa;
        vm_prot_t prot;
        bool uncached;
        if (!host_vm::pmap_lookup(map->pmap, va, &pa, &prot, &uncached)) continue;
        mapped++;
        CHECK(pa == e.object->phys_base + e.offset + (va - e.start));
        CHECK(uncached == e.object->uncached);
        CHECK((prot & ~e.protection) == 0);
        continue;
      }
      Mapping m = mapping(map, va);
      if (!m.present) continue;
      mapped++;
      INFO("va ", va, " in entry [", e.start, ", ", e.end, ")");
      CHECK((m.prot & ~e.protection) == 0);
      REQUIRE(e.object != nullptr);
      VmObject* holder = nullptr;
      VmPage* page = vm_object_page_find(e.object, e.offset + (va - e.start), &holder);
      REQUIRE(page != nullptr);
      CHECK(page->phys == m.pa);
      CHECK(host_vm::pv_record_count(map->pmap, va, m.pa) == 1);
      if (m.prot & VM_PROT_WRITE) {
        CHECK(holder == e.object);
        CHECK_FALSE(e.needs_copy);
      }
    }
  }
  CHECK(host_vm::pmap_mapping_count(map->pmap) == mapped);
  CHECK(host_vm::pv_problems() == 0);
}

}  // namespace vmt
