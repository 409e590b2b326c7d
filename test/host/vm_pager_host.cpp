// The VM core's pager hooks (vm_env.h) on the host: requests are recorded
// for the tests to answer, and an unreferenced object with a pager is
// ended at once.
#include "vm_pager_host.h"

#include "vm/vm_env.h"
#include "vm/vm_object.h"

namespace mk::host_vm {
std::vector<PagerRequest> pager_requests;
uint64_t objects_unreferenced = 0;
}  // namespace mk::host_vm

namespace mk {

void vm_env_pager_request(VmObject* object, uint64_t offset, vm_prot_t access, bool unlock) {
  host_vm::pager_requests.push_back({object, offset, access, unlock});
}

void vm_env_object_unreferenced(VmObject* object) {
  host_vm::objects_unreferenced++;
  object->pager = nullptr;
  vm_object_terminate(object);
}

}  // namespace mk
