// Types and codes of the block-device interface (block.defs): shared by the
// drivers that serve it, its clients and the host tests.
#pragma once

#include <mach/kern_return.h>
#include <mach/mach_types.h>
#include <mach/message.h>
#include <stdint.h>

#define BLOCK_SECTOR_SIZE 512u
// The most sectors one block_read or block_write moves (128 KiB).
#define BLOCK_MAX_SECTORS 256u

// GNU Mach's device error codes (device/device_types.h), for block.defs.
#define D_IO_ERROR 2500          // the device reported a failure
#define D_WOULD_BLOCK 2501
#define D_NO_SUCH_DEVICE 2502
#define D_ALREADY_OPEN 2503
#define D_DEVICE_DOWN 2504       // the driver is shutting down
#define D_INVALID_OPERATION 2505
#define D_INVALID_RECNUM 2506    // sectors beyond the end of the device
#define D_INVALID_SIZE 2507      // zero, too many, or not whole sectors
#define D_NO_MEMORY 2508         // no memory for the transfer
#define D_READ_ONLY 2509
