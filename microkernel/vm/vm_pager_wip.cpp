// TEMPORARY (replaced by vm/vm_pager.cpp within this session): the new
// routines answer KERN_FAILURE so helpers can build against the .defs.
#include "ipc/ipc_kobject.h"
#include <mach/mach_types.h>
#include "ioServer.h"
#include "memory_object_controlServer.h"
#include "vmServer.h"

kern_return_t vm_map(task_t, vm_address_t*, vm_size_t, vm_address_t, int, mach_port_t, memory_object_offset_t,
                     boolean_t, vm_prot_t, vm_prot_t, vm_inherit_t) { return KERN_FAILURE; }
kern_return_t vm_set_default_memory_manager(io_master_t, mach_port_t, mach_port_t*) { return KERN_FAILURE; }
kern_return_t memory_object_data_supply(memory_object_control_t, memory_object_offset_t, vm_offset_t,
                                        mach_msg_type_number_t, vm_prot_t, boolean_t) { return KERN_FAILURE; }
kern_return_t memory_object_data_unavailable(memory_object_control_t, memory_object_offset_t, vm_size_t) { return KERN_FAILURE; }
kern_return_t memory_object_data_error(memory_object_control_t, memory_object_offset_t, vm_size_t, kern_return_t) { return KERN_FAILURE; }
kern_return_t memory_object_lock_request(memory_object_control_t, memory_object_offset_t, vm_size_t, int, boolean_t,
                                         vm_prot_t, mach_port_t) { return KERN_FAILURE; }
kern_return_t memory_object_ready(memory_object_control_t, boolean_t) { return KERN_FAILURE; }
kern_return_t memory_object_get_attributes(memory_object_control_t, boolean_t*, uint64_t*, uint64_t*) { return KERN_FAILURE; }
kern_return_t memory_object_destroy(memory_object_control_t, kern_return_t) { return KERN_FAILURE; }
