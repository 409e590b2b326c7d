// The host's pager hooks (vm_pager_host.cpp): what the VM core asked of
// pagers, for tests to answer by hand.
#pragma once

#include <stdint.h>

#include <vector>

#include <mach/vm_prot.h>

namespace mk {
class VmObject;
}

namespace mk::host_vm {

struct PagerRequest {
  VmObject* object;
  uint64_t offset;
  vm_prot_t access;
  bool unlock;
};
extern std::vector<PagerRequest> pager_requests;
extern uint64_t objects_unreferenced;  // objects with a pager that lost their last reference

}  // namespace mk::host_vm
