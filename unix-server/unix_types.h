// C types and limits of the Unix server's interface (unix.defs).
#pragma once

#include <mach/kern_return.h>
#include <mach/mach_types.h>

#define UNIX_DATA_MAX 16384u       // bytes per unix_read/unix_write/unix_getdents
#define UNIX_IOCTL_ARG_MAX 128u    // bytes of an ioctl's argument
#define UNIX_PATH_MAX 4096u        // a path and its NUL (Linux's PATH_MAX)

typedef const char* unix_path_t;
typedef char unix_path_out_t[UNIX_PATH_MAX];
typedef char unix_data_t[UNIX_DATA_MAX];
typedef char unix_stat_t[144];
typedef char unix_ioctl_arg_t[UNIX_IOCTL_ARG_MAX];

typedef char* unix_args_t;          // out of line: argv then envp strings
typedef uint64_t* unix_pollfds_t;   // fd << 32 | events << 16 | revents
typedef char unix_statfs_t[120];    // struct statfs

#define UNIX_POLL_MAX 1024u         // entries per unix_poll
#define UNIX_ARGS_MAX (2u << 20)    // bytes of argv and envp strings (Linux: ARG_MAX-ish)
