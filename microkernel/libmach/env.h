// The environment libmach_start was given (envp), and what the kernel
// tells boot tasks through it.
#pragma once

#include <mach/port.h>

namespace libmach {

// The value of NAME in the environment ("NAME=value"), or nullptr.
const char* getenv(const char* name);

// Module 0's send right to the I/O master port (io.defs), from
// IO_MASTER_PORT=<decimal name>; MACH_PORT_NULL in every other task (the
// kernel tells no one else; the bootstrap passes the right on by message).
mach_port_t io_master_port();

// Set by libmach_start before constructors run.
void env_init(char** envp);

}  // namespace libmach
