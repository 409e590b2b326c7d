/* vm_statistics (vm.defs): the kernel's page and object accounting. All
 * counts are 64-bit; pages are 4 KiB. */
#ifndef MACH_VM_STATISTICS_H
#define MACH_VM_STATISTICS_H

#include <stdint.h>

typedef struct vm_statistics_data {  /* not "vm_statistics": that is the call (vm.defs) */
  uint64_t page_size;
  uint64_t total_count;      /* pages of RAM the kernel manages */
  uint64_t free_count;       /* pages not in use by anything */
  uint64_t active_count;     /* pages resident in memory objects */
  uint64_t wired_count;      /* resident pages wired by vm_wire */
  uint64_t object_count;     /* live memory objects */
  uint64_t map_entry_count;  /* entries in all task maps */
  uint64_t max_shadow_depth; /* longest shadow chain seen by a fault */
  uint64_t faults;           /* page faults resolved */
  uint64_t zero_fill_count;  /* of which zero-filled */
  uint64_t cow_faults;       /* of which copy-on-write copies */
  uint64_t collapses;        /* shadow objects merged into their shadower */
  uint64_t pages_copied;     /* pages copied eagerly (small or shared regions) */
  uint64_t pageins;          /* pages asked of pagers (data_request, data_unlock) */
  uint64_t pageouts;         /* pages sent back to pagers (data_return) */
  uint64_t pager_objects;    /* objects with a pager (external or paged out) */
} vm_statistics_data_t;

#define VM_STATISTICS_COUNT ((unsigned)(sizeof(vm_statistics_data_t) / sizeof(uint64_t)))

#endif
