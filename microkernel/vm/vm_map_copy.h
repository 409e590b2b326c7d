// A copy of a region in flight (Mach's vm_map_copy): what an out-of-line
// message descriptor, vm_read and vm_write carry. Large regions travel as
// entries over the source's objects, copy-on-write (a virtual copy: no page
// moves until someone writes); small ones as a kernel buffer, because below
// kVmCopyVirtualMin bytes copying is cheaper than the map and fault work.
#pragma once

#include <mach/kern_return.h>
#include <stddef.h>
#include <stdint.h>

#include <boost/intrusive/list.hpp>

#include "vm/vm_map_entry.h"

namespace mk {

class VmMap;
class VmObject;

// Measured with scripts/bench (docs/vm.md): below this, a physical copy wins.
inline constexpr uint64_t kVmCopyVirtualMin = 4 * 4096;

struct VmMapCopy {
  enum class Kind { kEntries, kBuffer };
  Kind kind = Kind::kEntries;
  uint64_t offset = 0;  // where the data starts in its first page (entries)
  uint64_t size = 0;    // bytes of data
  // kEntries: entries with start/end relative to 0, page-granular, in order
  // (allocated like map entries, hooks unused).
  VmMapEntry* entries = nullptr;
  uint32_t entry_count = 0;
  void* buffer = nullptr;  // kBuffer: `size` bytes
};

// Copy [addr, addr+size) of `map`. With `destroy` the region is removed
// from the map afterwards (a sender's deallocate). KERN_INVALID_ADDRESS: a
// hole; KERN_PROTECTION_FAILURE: unreadable; KERN_RESOURCE_SHORTAGE.
// force_physical: copy the pages now even when large.
kern_return_t vm_map_copyin(VmMap* map, uint64_t addr, uint64_t size, bool destroy, bool force_physical,
                            VmMapCopy** out);
// A copy of kernel memory (a buffer).
kern_return_t vm_map_copyin_kernel(const void* data, uint64_t size, VmMapCopy** out);
// A copy of [0, size) of `object` (taking the caller's reference), as
// out-of-line data the kernel sends (data_return). nullptr when out.
VmMapCopy* vm_map_copy_object(VmObject* object, uint64_t size);
// Place the copy at an address the map chooses; consumes it on success.
// *addr is where the data starts: at the source's offset in its page for
// entry copies, page-aligned for buffer copies (as XNU does).
kern_return_t vm_map_copyout(VmMap* map, VmMapCopy* copy, uint64_t* addr);
// Write the copy's bytes over [addr, addr+copy->size), which must be
// mapped writable (vm_write, vm_copy). Does not consume the copy.
kern_return_t vm_map_copy_overwrite(VmMap* map, uint64_t addr, const VmMapCopy* copy);
// Read `len` bytes at `from` of the copy into `dst` (kernel memory).
void vm_map_copy_read(const VmMapCopy* copy, uint64_t from, void* dst, uint64_t len);
void vm_map_copy_discard(VmMapCopy* copy);

// Move `len` bytes between kernel memory and [addr, addr+len) of `map`,
// faulting each page in with the access the transfer needs (to_map: write).
kern_return_t vm_map_copy_bytes(VmMap* map, uint64_t addr, void* kernel_buf, uint64_t len, bool to_map);

}  // namespace mk
