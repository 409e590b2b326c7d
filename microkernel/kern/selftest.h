// Kernel self-tests, chosen with `selftest=NAME` on the command line. Each
// ends the run through the emulator exit (pass, fail or panic) so the QEMU
// test runner can check the outcome; see test/qemu/cases.py.
#pragma once

namespace mk {

[[noreturn]] void run_selftest(const char* name);

}  // namespace mk
