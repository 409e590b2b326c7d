// Codes and limits of the file pager's interface (fs.defs).
#pragma once

#include <mach/kern_return.h>
#include <mach/mach_types.h>

#define FS_NO_SUCH_FILE 5880   // ENOENT
#define FS_NOT_DIRECTORY 5881  // ENOTDIR
#define FS_IS_DIRECTORY 5882   // EISDIR
#define FS_NOT_SYMLINK 5883    // EINVAL (readlink)
#define FS_LOOP 5884           // ELOOP
#define FS_NAME_TOO_LONG 5885  // ENAMETOOLONG

// Paths in (NUL-terminated, at most 255 bytes) and readlink's answer.
typedef const char* fs_path_t;
typedef char fs_link_t[256];

#define FS_READ_MAX (1u << 20)  // bytes per fs_read

// st_mode's file types (Linux's values).
#define FS_S_IFMT 0170000u
#define FS_S_IFDIR 0040000u
#define FS_S_IFREG 0100000u
#define FS_S_IFLNK 0120000u
