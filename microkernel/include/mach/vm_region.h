/* vm_region flavors (XNU's numbers and layouts). */
#ifndef MACH_VM_REGION_H
#define MACH_VM_REGION_H

#include <stdint.h>

#include <mach/vm_inherit.h>
#include <mach/vm_prot.h>

typedef int vm_region_flavor_t;
typedef int* vm_region_info_t;

#define VM_REGION_BASIC_INFO_64 9
#pragma pack(push, 4)
typedef struct vm_region_basic_info_64 {
  vm_prot_t protection;
  vm_prot_t max_protection;
  vm_inherit_t inheritance;
  uint32_t shared;          /* the memory object is mapped elsewhere too */
  uint32_t reserved;
  uint64_t offset;          /* into the memory object */
  int32_t behavior;
  uint16_t user_wired_count;
} vm_region_basic_info_data_64_t;
#pragma pack(pop)
#define VM_REGION_BASIC_INFO_COUNT_64 ((unsigned)(sizeof(vm_region_basic_info_data_64_t) / sizeof(int)))
#define VM_REGION_INFO_MAX 16u

#endif
