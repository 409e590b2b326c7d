#include "libmach/vm_wire.h"

#include <mach/mach_types.h>
#include <vm_rpc.h>

#include "libmach/mach_ipc.h"

namespace libmach {

uint64_t vm_wire_all() {
  uint64_t wired = 0;
  vm_address_t at = 0;
  for (;;) {
    vm_size_t size = 0;
    vm_region_basic_info_data_64_t info;
    mach_msg_type_number_t count = VM_REGION_BASIC_INFO_COUNT_64;
    mach_port_t object = MACH_PORT_NULL;
    if (rpc_vm_region(mach_task_self(), &at, &size, VM_REGION_BASIC_INFO_64, reinterpret_cast<int*>(&info),
                      &count, &object) != KERN_SUCCESS)
      return wired;
    vm_prot_t access = info.protection & (VM_PROT_READ | VM_PROT_WRITE);
    if (access && rpc_vm_wire(mach_task_self(), at, size, access) == KERN_SUCCESS) wired += size;
    at += size;
  }
}

}  // namespace libmach
