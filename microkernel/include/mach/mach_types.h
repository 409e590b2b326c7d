/* C types behind mach_types.defs (the MIG interfaces of the kernel:
 * mach_port.defs, task.defs, thread.defs, exc.defs). User programs see
 * tasks, threads and spaces as ports; the kernel's server stubs see its
 * own objects (microkernel/ipc/ipc_kobject.h defines those first and sets
 * MACH_KERNEL_OBJECT_TYPES). */
#ifndef MACH_MACH_TYPES_H
#define MACH_MACH_TYPES_H

#include <stdint.h>

#include <mach/exception.h>
#include <mach/message.h>
#include <mach/port.h>

typedef int32_t integer_t;
typedef uint32_t natural_t;

#ifndef MACH_KERNEL_OBJECT_TYPES
typedef mach_port_t task_t;
typedef mach_port_t thread_t;
typedef mach_port_t ipc_space_t;
#endif

typedef mach_port_name_t* mach_port_name_array_t;
typedef mach_port_type_t* mach_port_type_array_t;
typedef integer_t* mach_port_info_t; /* MACH_PORT_LIMITS_INFO, MACH_PORT_RECEIVE_STATUS */
typedef natural_t task_flavor_t;
typedef integer_t* task_info_t;
typedef int64_t exception_data_type_t;
typedef exception_data_type_t* exception_data_t;

#define MACH_PORT_INFO_MAX 17u
#define TASK_INFO_MAX 32u

/* task_info flavors. */
#define TASK_BASIC_INFO 5
typedef struct task_basic_info {
  uint32_t task_id;      /* the kernel's task number (as in its log lines) */
  uint32_t thread_count; /* live threads */
  uint32_t port_names;   /* names in the task's IPC space */
  uint32_t reserved;
} task_basic_info_data_t;
#define TASK_BASIC_INFO_COUNT ((mach_msg_type_number_t)(sizeof(task_basic_info_data_t) / sizeof(integer_t)))

#endif
