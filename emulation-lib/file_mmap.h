// mmap of a file, checked by sys_memory.cpp's sys_mmap (length page
// rounded, offset page aligned) and served by the Unix server, which maps
// the file's pages into this task (sys_file.cpp).
#pragma once

#include <stdint.h>

namespace emul {

long file_mmap(uint64_t addr, uint64_t len, int prot, int flags, int fd, int64_t offset);

}  // namespace emul
