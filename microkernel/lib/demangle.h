// A small Itanium C++ ABI demangler for backtraces: turns
// "_ZN2mk8selftest9run_casesEv" into "mk::selftest::run_cases". It covers the
// names kernel code has (nested names, the anonymous namespace, constructors,
// destructors, template arguments shown as <...>) and gives up on the rest, so
// callers print the mangled name instead. Parameter types are not shown.
#pragma once

#include <stddef.h>

namespace mk {

// Returns false (and leaves buf unspecified) when `mangled` is not a name it
// understands or the result does not fit.
bool demangle(const char* mangled, char* buf, size_t size);

}  // namespace mk
