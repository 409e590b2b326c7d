// Kernel memory: the general heap (kalloc/kfree, Mach's names) and the page
// source that typed zones draw from. Both take pages from vm_resident and
// reach them through the direct map.
#pragma once

#include <stddef.h>

#include "lib/page_source.h"

namespace mk {

void kalloc_init();

// nullptr when memory is exhausted.
void* kalloc(size_t size);
// Freeing a pointer kalloc did not hand out, or twice, panics.
void kfree(void* p);
size_t kalloc_bytes_in_use();

// For TypedZone/Zone::init: pages for slabs.
PageSource* kernel_page_source();

}  // namespace mk
