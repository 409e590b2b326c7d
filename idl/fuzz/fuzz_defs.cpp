// libFuzzer target for the IDL compiler's front end and generators (issue 12).
//
// Each input is the text of a .defs file. By default it is handed to the
// compiler as preprocessed text (as `mig -no-cpp` would): SourceMap follows
// any `# N "file"` markers in it, other `#` lines (#include, #if...) are
// skipped by the lexer, so nothing outside the input is read. The text is
// parsed, checked, and on success the four stub files are generated into
// memory. An error must come out as a CompileError with a file, line and
// column, or as SyntaxErrors after messages that are all `file:line:col:
// error: ...` (captured from std::cerr and checked); anything else -- a crash,
// a sanitizer report, another exception, an unlocated message, a leak -- is a
// bug (abort, which libFuzzer reports with the input).
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
#include <iostream>
#include <sstream>
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

// `file:line:col: error: ...` with a file name and line and column >= 1.
bool located(const std::string& file, int line, int col) { return !file.empty() && line >= 1 && col >= 1; }

// Every line the front end printed (syntax errors) must be a located error.
void checkMessages(const std::string& out) {
  size_t pos = 0;
  while (pos < out.size()) {
    size_t eol = out.find('\n', pos);
    if (eol == std::string::npos) eol = out.size();
    std::string l = out.substr(pos, eol - pos);
    pos = eol + 1;
    // Parse from the right: the file name may hold ':'.
    size_t e = l.find(": error: ");
    if (e == std::string::npos) abort();
    size_t c2 = l.rfind(':', e - 1), c1 = c2 == 0 || c2 == std::string::npos ? std::string::npos : l.rfind(':', c2 - 1);
    if (c1 == std::string::npos) abort();
    std::string ls = l.substr(c1 + 1, c2 - c1 - 1), cs = l.substr(c2 + 1, e - c2 - 1);
    if (ls.empty() || cs.empty() || ls.find_first_not_of("0123456789") != std::string::npos ||
        cs.find_first_not_of("0123456789") != std::string::npos)
      abort();
    if (!located(l.substr(0, c1), atoi(ls.c_str()), atoi(cs.c_str()))) abort();
  }
}

// Captures what the front end writes to std::cerr during one input.
struct CaptureCerr {
  std::ostringstream buf;
  std::streambuf* old;
  CaptureCerr() : old(std::cerr.rdbuf(buf.rdbuf())) {}
  ~CaptureCerr() { std::cerr.rdbuf(old); }
};

void compile(const std::string& text) {
  const std::string name = "fuzz.defs";
  CaptureCerr cap;
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
    // The located error the command line would print. Only the preprocessor's
    // own failures (cannot open, cpp failed: its messages are its own) have
    // no line.
    if (useCpp() ? e.loc.file.empty() : !located(e.loc.file, e.loc.line, e.loc.col)) abort();
  } catch (const mig::SyntaxErrors& e) {
    if (e.count <= 0) abort();
  }
  checkMessages(cap.buf.str());
  // Any other exception escapes to libFuzzer and is reported as a crash
  // (the command line would die with "internal error").
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return 0;  // .defs files are small; keeps runs fast
  compile(std::string(reinterpret_cast<const char*>(data), size));
  return 0;
}
