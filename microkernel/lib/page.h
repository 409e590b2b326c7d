// Physical addresses and the page size. Rounding wraps at the top of the
// 64-bit space; callers that can see such values check for it.
#pragma once

#include <stdint.h>

namespace mk {

using paddr_t = uint64_t;

inline constexpr uint64_t kPageShift = 12;
inline constexpr uint64_t kPageSize = uint64_t(1) << kPageShift;
inline constexpr uint64_t kPageMask = kPageSize - 1;

constexpr uint64_t page_round_down(uint64_t a) { return a & ~kPageMask; }
constexpr uint64_t page_round_up(uint64_t a) { return (a + kPageMask) & ~kPageMask; }
constexpr bool page_aligned(uint64_t a) { return (a & kPageMask) == 0; }

}  // namespace mk
