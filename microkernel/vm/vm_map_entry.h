// One region of a task's address space: [start, end) mapped from a memory
// object at an offset, with its protections, inheritance and wiring.
#pragma once

#include <mach/vm_inherit.h>
#include <mach/vm_prot.h>
#include <stdint.h>

#include <boost/intrusive/set.hpp>

namespace mk {

class VmObject;

struct VmMapEntry {
  boost::intrusive::set_member_hook<> tree_link;  // VmMap::entries, by start
  uint64_t start = 0, end = 0;                    // page-aligned, start < end
  VmObject* object = nullptr;  // null: zero-fill memory no one touched yet
  uint64_t offset = 0;         // of start in the object
  vm_prot_t protection = VM_PROT_DEFAULT;
  vm_prot_t max_protection = VM_PROT_ALL;
  vm_inherit_t inheritance = VM_INHERIT_DEFAULT;
  uint32_t wired_count = 0;
  // Copy-on-write pending: the object is shared with a copy and must be
  // shadowed before this entry writes to it.
  bool needs_copy = false;
  // Mapped writable by another map too (inherited with VM_INHERIT_SHARE):
  // a copy of it must be made eagerly, since the other map keeps writing.
  bool is_shared = false;

  uint64_t size() const { return end - start; }
};

struct VmMapEntryKey {
  using type = uint64_t;
  uint64_t operator()(const VmMapEntry& e) const { return e.start; }
};

}  // namespace mk
