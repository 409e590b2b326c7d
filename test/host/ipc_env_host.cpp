#include "ipc_env_host.h"

#include <stdlib.h>
#include <string.h>

#include <map>

#include "ipc/ipc_env.h"
#include "ipc/ipc_space.h"

namespace hostipc {

std::vector<mk::IpcWaiter*> woken;
namespace {
std::map<uintptr_t, size_t> g_ranges;   // start -> length
std::map<uintptr_t, size_t> g_regions;  // ipc_user_allocate'd
long g_fail_after = -1;

bool accessible(uint64_t addr, size_t len) {
  if (len == 0) return true;
  auto it = g_ranges.upper_bound(uintptr_t(addr));
  if (it == g_ranges.begin()) return false;
  --it;
  return addr >= it->first && addr + len <= it->first + it->second && addr + len >= addr;
}
}  // namespace

void allow_user_range(const void* p, size_t len) { g_ranges[reinterpret_cast<uintptr_t>(p)] = len; }

void reset() {
  woken.clear();
  g_ranges.clear();
  for (auto& [a, n] : g_regions) free(reinterpret_cast<void*>(a));
  g_regions.clear();
  g_fail_after = -1;
}

size_t live_user_regions() { return g_regions.size(); }
void fail_allocs_after(long n) { g_fail_after = n; }

}  // namespace hostipc

namespace mk {

void* ipc_alloc(size_t size) {
  if (hostipc::g_fail_after == 0) return nullptr;
  if (hostipc::g_fail_after > 0) hostipc::g_fail_after--;
  return malloc(size ? size : 1);
}
void ipc_free(void* p) { free(p); }

kern_return_t ipc_copyin_user(void* dst, uint64_t user_src, size_t len) {
  if (!hostipc::accessible(user_src, len)) return KERN_INVALID_ADDRESS;
  memcpy(dst, reinterpret_cast<void*>(user_src), len);
  return KERN_SUCCESS;
}

kern_return_t ipc_copyout_user(uint64_t user_dst, const void* src, size_t len) {
  if (!hostipc::accessible(user_dst, len)) return KERN_INVALID_ADDRESS;
  memcpy(reinterpret_cast<void*>(user_dst), src, len);
  return KERN_SUCCESS;
}

kern_return_t ipc_user_allocate(void*, size_t size, uint64_t* addr) {
  void* p = malloc(size ? size : 1);
  if (!p) return KERN_RESOURCE_SHORTAGE;
  hostipc::g_regions[reinterpret_cast<uintptr_t>(p)] = size;
  hostipc::allow_user_range(p, size);
  *addr = reinterpret_cast<uint64_t>(p);
  return KERN_SUCCESS;
}

kern_return_t ipc_user_deallocate(void*, uint64_t addr, size_t) {
  auto it = hostipc::g_regions.find(uintptr_t(addr));
  if (it != hostipc::g_regions.end()) {
    free(reinterpret_cast<void*>(addr));
    hostipc::g_regions.erase(it);
  }
  return KERN_SUCCESS;
}

// Out-of-line copies are plain heap buffers here.
kern_return_t ipc_ool_copyin(IpcSpace*, uint64_t addr, uint64_t size, bool, bool kernel_data, void** copy) {
  if (kernel_data) {
    *copy = reinterpret_cast<void*>(addr);
    return KERN_SUCCESS;
  }
  if (!hostipc::accessible(addr, size)) return KERN_INVALID_ADDRESS;
  void* buf = ipc_alloc(size);
  if (!buf) return KERN_RESOURCE_SHORTAGE;
  memcpy(buf, reinterpret_cast<void*>(addr), size);
  *copy = buf;
  return KERN_SUCCESS;
}

kern_return_t ipc_ool_copyout(IpcSpace* space, void* copy, uint64_t size, uint64_t* addr) {
  kern_return_t kr = ipc_user_allocate(space->owner, size, addr);
  if (kr != KERN_SUCCESS) return kr;
  memcpy(reinterpret_cast<void*>(*addr), copy, size);
  free(copy);
  return KERN_SUCCESS;
}

void ipc_ool_discard(void* copy) { free(copy); }

void ipc_waiter_wakeup(IpcWaiter* w) { hostipc::woken.push_back(w); }
void ipc_env_memory_object_died(IpcPort*) {}  // no pagers on the host

}  // namespace mk
