// What the generator's sources share; not for use outside them. The message
// layout, the C type names and the pieces both sides emit are in
// generate.cpp, the user stubs in generate_user.cpp, the server stubs in
// generate_server.cpp.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "generate.h"

namespace mig::gen {

constexpr uint32_t kHeader = 24;

inline std::string num(uint64_t v) { return std::to_string(v); }

inline uint32_t alignUp(uint32_t off, uint32_t a) { return (off + a - 1) / a * a; }

const char* dispName(uint32_t c);

enum class Side { User, Server };

// The C type of a MIG type as one side spells it (no translation).
std::string cName(const Type* t, Side side, const Location& where);

// One item of a message body.
struct Item {
  const Argument* arg = nullptr;  // null: the reply's RetCode
  bool desc = false;
  bool count = false;   // request: the caller's capacity for an out CountInOut array
  uint32_t maxOff = 0;  // inline: offset of the value (var: of the elements) in the largest layout
};

struct Layout {
  std::vector<Item> items;  // descriptors first, then inline items, in argument order
  uint32_t ndesc = 0;
  uint32_t descEnd = 0;  // header + body + descriptors
  uint32_t minSize = 0, maxSize = 0;
};

inline uint32_t elemSize(const Type* t) { return t->shape == Shape::VarCString ? 1 : t->size; }
inline uint32_t elemAlign(const Type* t) { return t->shape == Shape::VarCString ? 1 : t->align; }

Layout layout(const Routine& r, bool reply);

// A C expression derived from an argument (its value, count, ...).
using ArgExpr = std::function<std::string(const Argument&)>;

class Generator {
 public:
  explicit Generator(const Subsystem& s) : sub_(s) {}

  GeneratedFiles run(const std::string& userHeaderName, const std::string& serverHeaderName);

 private:
  const Subsystem& sub_;

  // generate.cpp: checks and what both sides use.
  void check(const Routine& r) const;
  std::string banner() const;
  std::string imports(Import::Side side) const;
  std::string guard(const std::string& what) const;
  std::string userName(const Routine& r) const { return sub_.userPrefix + r.name; }
  std::string serverName(const Routine& r) const { return sub_.serverPrefix + r.name; }
  // Type of the element pointers on a side.
  static std::string elemC(const Type* t, Side side, const Location& l) { return cName(t->elem, side, l) + "*"; }
  static std::string join(const std::vector<std::string>& v, const std::string& indent);
  std::string checkBody(const Layout& l, bool reply, const std::string& hdr, const std::string& buf,
                        const std::string& err, const std::string& ind) const;
  static std::string checkDecls(const Layout& l, const std::string& ind);
  std::string writeDescriptors(const Layout& l, bool reply, const std::string& buf, const ArgExpr& val,
                               const ArgExpr& cnt, const ArgExpr& poly, const ArgExpr& dealloc,
                               const std::string& ind) const;
  static std::string deallocExpr(const Argument& a, bool runtimeIsPointer);

  // generate_user.cpp
  std::vector<std::string> userParams(const Routine& r) const;
  std::string userHeader() const;
  std::string userSource(const std::string& headerName) const;
  std::string userStub(const Routine& r) const;

  // generate_server.cpp
  static std::string serverScalarC(const Argument& a);
  std::vector<std::string> serverParams(const Routine& r) const;
  std::string serverHeader() const;
  std::string serverSource(const std::string& headerName) const;
  std::string serverStub(const Routine& r) const;
};

}  // namespace mig::gen
