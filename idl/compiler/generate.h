// The generators: user stubs (header + source) and server stubs (header +
// source) from the semantic model. The wire format is described in docs/idl.md.
#pragma once

#include <string>

#include "model.h"

namespace mig {

struct GeneratedFiles {
  std::string userHeader, userSource, serverHeader, serverSource;
};

// `userHeaderName` / `serverHeaderName` are what the sources #include.
// Throws CompileError for constructs the generators refuse.
GeneratedFiles generate(const Subsystem& sub, const std::string& userHeaderName, const std::string& serverHeaderName);

}  // namespace mig
