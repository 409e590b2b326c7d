// Constants of the external memory manager interface
// (memory_object*.defs, docs/pagers.md).
#pragma once

// memory_object_lock_request's should_return.
#define MEMORY_OBJECT_RETURN_NONE 0   // return nothing
#define MEMORY_OBJECT_RETURN_DIRTY 1  // pages modified since supplied
#define MEMORY_OBJECT_RETURN_ALL 2    // dirty or precious pages

// The ids of the messages a pager receives (memory_object.defs and
// memory_object_default.defs), for pagers that demultiplex by hand.
#define MEMORY_OBJECT_INIT_ID 2200
#define MEMORY_OBJECT_TERMINATE_ID 2201
#define MEMORY_OBJECT_DATA_REQUEST_ID 2203
#define MEMORY_OBJECT_DATA_UNLOCK_ID 2204
#define MEMORY_OBJECT_LOCK_COMPLETED_ID 2206
#define MEMORY_OBJECT_DATA_RETURN_ID 2208
#define MEMORY_OBJECT_CREATE_ID 2250
