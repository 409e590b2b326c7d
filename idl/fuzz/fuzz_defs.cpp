// libFuzzer target for the IDL compiler's front end and generators (issue 12).
//
// Each input is the text of a .defs file. By default it is handed to the
// compiler as preprocessed text (as `mig -no-cpp` would): SourceMap follows
// any `# N "file"` markers in it, other `#` lines (#include, #if...) are
// skipped by the lexer, so nothing outside the input is read. The text is
// parsed, checked, and on success the four stub files are generated into
// memory. An error must come out as a CompileError or SyntaxErrors (located
// messages on stderr, as the `mig` command prints them); anything else -- a
// crash, a sanitizer report, another exception, a leak -- is a bug.
//
// With MIG_FUZZ_CPP=1 in the environment, each input is written to a file in
// a private temporary directory (removed at exit) and goes through the real
// preprocessor first (mig::preprocess, `cpp` as the command line runs it), so
// #include of a missing file must be a located error too. That is ~100 times
// slower: use it for short runs.
//
// Build and run: scripts/fuzz-idl [SECONDS] (docs/robustness.md).
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <string>

#include "frontend.h"
#include "generate.h"

namespace {

bool useCpp() {
  static const bool on = [] {
    const char* e = getenv("MIG_FUZZ_CPP");
    return e && *e && *e != '0';
  }();
  return on;
}

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/mig-fuzz-XXXXXX";
    if (!mkdtemp(tmpl)) abort();
    path = tmpl;
  }
  ~TempDir() {
    unlink((path + "/input.defs").c_str());
    rmdir(path.c_str());
  }
};

void compile(const std::string& text) {
  const std::string name = "fuzz.defs";
  try {
    mig::Subsystem sub;
    if (useCpp()) {
      static TempDir dir;  // one per process, removed at exit
      std::string file = dir.path + "/input.defs";
      {
        std::ofstream out(file, std::ios::binary | std::ios::trunc);
        out << text;
      }
      mig::FrontendOptions fe;  // `cpp`, no -I: only the input's own directory
      sub = mig::buildModel(mig::preprocess(file, fe), file);
    } else {
      sub = mig::buildModel(text, name);
    }
    mig::GeneratedFiles files = mig::generate(sub, sub.name + ".h", sub.name + "Server.h");
    (void)files;
  } catch (const mig::CompileError& e) {
    // The located error the command line would print: it must name a file.
    if (e.loc.file.empty()) abort();
  } catch (const mig::SyntaxErrors& e) {
    if (e.count <= 0) abort();
  }
  // Any other exception escapes to libFuzzer and is reported as a crash
  // (the command line would die with "internal error").
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return 0;  // .defs files are small; keeps runs fast
  compile(std::string(reinterpret_cast<const char*>(data), size));
  return 0;
}
