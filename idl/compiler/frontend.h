// The front end: runs the C preprocessor, parses with the ANTLR grammar
// (idl/grammar/Mig.g4) and builds the semantic model, checking it.
#pragma once

#include <string>
#include <vector>

#include "model.h"

namespace mig {

struct FrontendOptions {
  std::string cpp = "cpp";           // preprocessor; empty: read the file as is
  std::vector<std::string> cppArgs;  // -D, -I, -U passed through
};

// Thrown after syntax errors have been reported on stderr.
struct SyntaxErrors {
  int count;
};

// Maps lines of preprocessed text back to the files and lines they came from,
// following `# N "file"` markers; the markers themselves become blank lines.
class SourceMap {
 public:
  SourceMap(std::string& text, const std::string& file);
  Location at(size_t line, size_t col) const;  // line 1-based, col 0-based
  Location end() const;

 private:
  struct Origin {
    std::string file;
    int line;
  };
  std::vector<Origin> lines_;
  std::string main_;
};

// Runs the preprocessor on `file`; reports its failure as a CompileError.
std::string preprocess(const std::string& file, const FrontendOptions& options);

// Parses and checks preprocessed text. Throws CompileError or SyntaxErrors.
Subsystem buildModel(std::string text, const std::string& file);

}  // namespace mig
