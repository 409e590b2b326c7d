// The library's clocks (sys_time.cpp), for the files that need a time now:
// sleeping and waiting (sys_wait.cpp), utimensat's UTIME_NOW (sys_path.cpp).
#pragma once

#include "linux_abi.h"

namespace emul {

// clock_gettime's time of a clock id; false for a clock the library does
// not know.
bool clock_now(int clock, linux_abi::Timespec& t);
linux_abi::Timespec monotonic_now();  // CLOCK_MONOTONIC
linux_abi::Timespec realtime_now();   // CLOCK_REALTIME

}  // namespace emul
