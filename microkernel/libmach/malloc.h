// The user heap: malloc/free/calloc/realloc over a fixed 1 MiB arena in .bss.
// There is no vm_allocate yet, so the heap cannot grow: malloc returns
// nullptr when the arena is exhausted. Blocks are 16-byte aligned. free and
// realloc of a pointer malloc did not return, or one already freed, print a
// message and end the task with status 134 (as abort() would).
// Not thread-safe (user tasks are single-threaded for now).
#pragma once

#include <stddef.h>

extern "C" {
void* malloc(size_t size);
void free(void* p);
void* calloc(size_t count, size_t size);
void* realloc(void* p, size_t size);
}

namespace libmach {

inline constexpr size_t kHeapArenaSize = 1 << 20;

// Called by libmach_start before main; malloc also initializes on first use.
void malloc_init();

// Bytes in free blocks (headers included) and their number: for tests.
size_t heap_free_bytes(size_t* free_blocks = nullptr);

}  // namespace libmach
