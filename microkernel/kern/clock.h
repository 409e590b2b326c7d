// The periodic clock: counts timer interrupts. The architecture calls
// clock_tick() from its timer interrupt; everything else reads the count.
#pragma once

#include <stdint.h>

namespace mk {

void clock_tick();
uint64_t clock_ticks();
// Milliseconds since the clock started, from the tick count.
uint64_t clock_uptime_ms();

}  // namespace mk
