/* C types behind mach_types.defs (the MIG interfaces of the kernel:
 * mach_port.defs, task.defs, thread.defs, host.defs, vm.defs, exc.defs). User programs see
 * tasks, threads and spaces as ports; the kernel's server stubs see its
 * own objects (microkernel/ipc/ipc_kobject.h defines those first and sets
 * MACH_KERNEL_OBJECT_TYPES). */
#ifndef MACH_MACH_TYPES_H
#define MACH_MACH_TYPES_H

#include <stdint.h>

#include <mach/exception.h>
#include <mach/message.h>
#include <mach/port.h>
#include <mach/thread_status.h>
#include <mach/vm_inherit.h>
#include <mach/vm_prot.h>
#include <mach/vm_region.h>
#include <mach/vm_statistics.h>

typedef int32_t integer_t;
typedef uint32_t natural_t;

#ifndef MACH_KERNEL_OBJECT_TYPES
typedef mach_port_t task_t;
typedef mach_port_t thread_t;
typedef mach_port_t ipc_space_t;
typedef mach_port_t host_t;
typedef mach_port_t memory_object_control_t;
#endif
/* memory_object*.defs: the object is a port a pager serves. */
typedef mach_port_t memory_object_t;
typedef uint64_t memory_object_offset_t;

typedef mach_port_name_t* mach_port_name_array_t;
typedef mach_port_type_t* mach_port_type_array_t;
typedef integer_t* mach_port_info_t; /* MACH_PORT_LIMITS_INFO, MACH_PORT_RECEIVE_STATUS */
typedef natural_t task_flavor_t;
typedef integer_t* task_info_t;
typedef int64_t exception_data_type_t;
typedef uint64_t vm_address_t;
typedef uint64_t vm_size_t;
typedef uint64_t vm_offset_t;   /* vm.defs' pointer_t: out-of-line bytes */
typedef exception_data_type_t* exception_data_t;

typedef integer_t host_flavor_t;
typedef integer_t* host_info_t;
typedef char* kernel_version_t; /* up to 256 bytes with the terminating 0 */

/* vm_allocate flags (XNU's). */
#define VM_FLAGS_FIXED 0x0
#define VM_FLAGS_ANYWHERE 0x1

#define MACH_PORT_INFO_MAX 17u
#define HOST_INFO_MAX 16u
#define TASK_INFO_MAX 32u

/* task_info flavors. */
#define TASK_BASIC_INFO 5
typedef struct task_basic_info {
  uint32_t task_id;      /* the kernel's task number (as in its log lines) */
  uint32_t thread_count; /* live threads */
  uint32_t port_names;   /* names in the task's IPC space */
  uint32_t reserved;
} task_basic_info_data_t;
/* host_info flavors (XNU's numbers and layout, 4-byte aligned). */
#define HOST_BASIC_INFO 1
#pragma pack(push, 4)
typedef struct host_basic_info {
  integer_t max_cpus;
  integer_t avail_cpus;
  natural_t memory_size; /* bytes, at most 2 GiB (max_mem has it all) */
  integer_t cpu_type;    /* CPU_TYPE_X86_64 */
  integer_t cpu_subtype; /* CPU_SUBTYPE_X86_64_ALL */
  integer_t cpu_threadtype;
  integer_t physical_cpu;
  integer_t physical_cpu_max;
  integer_t logical_cpu;
  integer_t logical_cpu_max;
  uint64_t max_mem;      /* usable memory, bytes */
} host_basic_info_data_t;
#pragma pack(pop)
#define HOST_BASIC_INFO_COUNT ((mach_msg_type_number_t)(sizeof(host_basic_info_data_t) / sizeof(integer_t)))
#define CPU_TYPE_X86_64 (7 | 0x01000000)
#define CPU_SUBTYPE_X86_64_ALL 3

#define TASK_BASIC_INFO_COUNT ((mach_msg_type_number_t)(sizeof(task_basic_info_data_t) / sizeof(integer_t)))

#endif
