// Where things live in the x86-64 virtual address space.
#pragma once

#include <stdint.h>

namespace mk::x86 {

// Lower half: user space (canonical addresses below this).
constexpr uint64_t kUserTop = 0x0000800000000000;
// Upper half: all physical memory, linearly (64 TiB reserved for it).
constexpr uint64_t kDirectMapBase = 0xffff800000000000;
constexpr uint64_t kDirectMapSize = 1ull << 46;
// The kernel image, in the top 2 GiB as -mcmodel=kernel requires.
constexpr uint64_t kKernelVma = 0xffffffff80000000;
// While the boot page tables are live, physical memory below this is
// reachable at kKernelVma + pa (boot.S maps the first GiB there).
constexpr uint64_t kBootWindowSize = 1ull << 30;

}  // namespace mk::x86
