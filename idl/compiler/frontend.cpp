#include "frontend.h"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "MigLexer.h"
#include "MigParser.h"
#include "antlr4-runtime.h"

extern char** environ;

namespace mig {

// ---------------------------------------------------------------- source map

namespace {
constexpr int kMaxMarkerLine = 1000000000;
}

SourceMap::SourceMap(std::string& text, const std::string& file) : main_(file) {
  std::string cur = file;
  int next = 1;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    // A marker: `# 12 "file" flags` or `#line 12 "file"`.
    size_t p = pos;
    while (p < eol && (text[p] == ' ' || text[p] == '\t')) ++p;
    bool marker = false;
    if (p < eol && text[p] == '#') {
      size_t q = p + 1;
      while (q < eol && (text[q] == ' ' || text[q] == '\t')) ++q;
      if (text.compare(q, 4, "line") == 0) q += 4;
      while (q < eol && (text[q] == ' ' || text[q] == '\t')) ++q;
      if (q < eol && isdigit(static_cast<unsigned char>(text[q]))) {
        marker = true;
        // Capped (a later line's number must stay an int) and at least 1:
        // every located error names a line.
        int64_t v = 0;
        while (q < eol && isdigit(static_cast<unsigned char>(text[q])))
          v = std::min<int64_t>(v * 10 + (text[q++] - '0'), kMaxMarkerLine);
        int n = static_cast<int>(std::max<int64_t>(v, 1));
        while (q < eol && (text[q] == ' ' || text[q] == '\t')) ++q;
        if (q < eol && text[q] == '"') {
          std::string name;
          for (++q; q < eol && text[q] != '"'; ++q) {
            if (text[q] == '\\' && q + 1 < eol) ++q;
            name += text[q];
          }
          if (!name.empty()) cur = name;  // every located error names a file
        }
        lines_.push_back({cur, 0});
        for (size_t i = pos; i < eol; ++i) text[i] = ' ';
        next = n;
      }
    }
    if (!marker) lines_.push_back({cur, next++});
    pos = eol + 1;
  }
}

Location SourceMap::at(size_t line, size_t col) const {
  if (line == 0 || line > lines_.size()) return end();
  const Origin& o = lines_[line - 1];
  return {o.file, o.line, static_cast<int>(col) + 1};
}

// The last line of the input file itself (not of something it included).
Location SourceMap::end() const {
  for (size_t i = lines_.size(); i-- > 0;)
    if (lines_[i].line > 0 && lines_[i].file == main_) return {main_, lines_[i].line, 1};
  return {main_, 1, 1};
}

// ---------------------------------------------------------------- preprocessor

std::string preprocess(const std::string& file, const FrontendOptions& options) {
  if (options.cpp.empty()) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw CompileError({file, 0, 0}, "cannot open: " + std::string(strerror(errno)));
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  {
    std::ifstream probe(file);
    if (!probe) throw CompileError({file, 0, 0}, "cannot open: " + std::string(strerror(errno)));
  }
  // `-x c` so that any suffix is read as C; `-std=c11` so that `unix` and
  // `linux` are not macros that would eat identifiers.
  std::vector<std::string> args = {options.cpp, "-x", "c", "-std=c11", "-D__MIG__"};
  for (const auto& a : options.cppArgs) args.push_back(a);
  args.push_back(file);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  int fds[2];
  if (pipe(fds) != 0) throw CompileError({file, 0, 0}, "pipe: " + std::string(strerror(errno)));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  posix_spawn_file_actions_addclose(&actions, fds[1]);
  pid_t pid;
  int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    throw CompileError({file, 0, 0}, "cannot run the preprocessor '" + options.cpp + "': " + strerror(rc));
  }
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw CompileError({file, 0, 0}, "the preprocessor failed (its messages are above)");
  return out;
}

// ---------------------------------------------------------------- parsing

namespace {

class ErrorListener : public antlr4::BaseErrorListener {
 public:
  explicit ErrorListener(const SourceMap& map) : map_(map) {}
  void syntaxError(antlr4::Recognizer*, antlr4::Token* token, size_t line, size_t col, const std::string& msg,
                   std::exception_ptr) override {
    Location l = map_.at(line, col);
    if (token && token->getType() == antlr4::Token::EOF) l = map_.end();
    std::cerr << l.file << ":" << l.line << ":" << l.col << ": error: " << msg << "\n";
    ++count;
  }
  int count = 0;

 private:
  const SourceMap& map_;
};

using P = MigParser;

struct BasicName {
  const char* name;
  uint32_t code;
  uint32_t bits;  // default size; 0: a size must be given
  bool port;
};

// The MACH_MSG_TYPE_* names a type may use (GNU and Apple spellings).
const BasicName kBasicNames[] = {
    {"MACH_MSG_TYPE_UNSTRUCTURED", code::kUnstructured, 0, false},
    {"MACH_MSG_TYPE_BIT", code::kBit, 0, false},
    {"MACH_MSG_TYPE_BOOLEAN", code::kBoolean, 32, false},
    {"MACH_MSG_TYPE_INTEGER_8", code::kInteger8, 8, false},
    {"MACH_MSG_TYPE_INTEGER_16", code::kInteger16, 16, false},
    {"MACH_MSG_TYPE_INTEGER_32", code::kInteger32, 32, false},
    {"MACH_MSG_TYPE_INTEGER_64", code::kInteger64, 64, false},
    {"MACH_MSG_TYPE_CHAR", code::kChar, 8, false},
    {"MACH_MSG_TYPE_BYTE", code::kByte, 8, false},
    {"MACH_MSG_TYPE_REAL", code::kReal, 0, false},
    {"MACH_MSG_TYPE_REAL_32", code::kReal, 32, false},
    {"MACH_MSG_TYPE_REAL_64", code::kReal, 64, false},
    {"MACH_MSG_TYPE_STRING", code::kString, 8, false},
    {"MACH_MSG_TYPE_STRING_C", code::kStringC, 8, false},
    {"MACH_MSG_TYPE_PORT_NAME", code::kPortName, 32, false},
    {"MACH_MSG_TYPE_MOVE_RECEIVE", code::kMoveReceive, 32, true},
    {"MACH_MSG_TYPE_MOVE_SEND", code::kMoveSend, 32, true},
    {"MACH_MSG_TYPE_MOVE_SEND_ONCE", code::kMoveSendOnce, 32, true},
    {"MACH_MSG_TYPE_COPY_SEND", code::kCopySend, 32, true},
    {"MACH_MSG_TYPE_MAKE_SEND", code::kMakeSend, 32, true},
    {"MACH_MSG_TYPE_MAKE_SEND_ONCE", code::kMakeSendOnce, 32, true},
    {"MACH_MSG_TYPE_COPY_RECEIVE", code::kCopyReceive, 32, true},
    {"MACH_MSG_TYPE_PORT_RECEIVE", code::kMoveReceive, 32, true},
    {"MACH_MSG_TYPE_PORT_SEND", code::kMoveSend, 32, true},
    {"MACH_MSG_TYPE_PORT_SEND_ONCE", code::kMoveSendOnce, 32, true},
    {"MACH_MSG_TYPE_POLYMORPHIC", code::kPolymorphic, 32, true},
};

bool isPortCode(uint32_t c) { return (c >= code::kMoveReceive && c <= code::kCopyReceive) || c == code::kPolymorphic; }

// Alignment of one unit of a data code of `bytes` bytes.
uint32_t unitAlign(uint32_t c, uint32_t bytes) {
  uint32_t a = 1;
  switch (c) {
    case code::kInteger16: a = 2; break;
    case code::kInteger32: case code::kPortName: a = 4; break;
    case code::kInteger64: a = 8; break;
    case code::kReal: a = bytes >= 8 ? 8 : 4; break;
    case code::kUnstructured: a = bytes >= 4 ? 4 : 1; break;  // also BIT/BOOLEAN (same code)
    default: a = 1;
  }
  while (a > 1 && bytes % a != 0) a /= 2;
  return a;
}

constexpr uint32_t kHeaderSize = 24;
constexpr uint32_t kMsgSizeMax = 64 * 1024;

class Builder {
 public:
  Builder(const SourceMap& map, std::string file) : map_(map) { sub_.inputFile = std::move(file); }

  Subsystem build(P::FileContext* file) {
    for (auto* st : file->statement()) statement(st);
    if (!haveSubsystem_) throw CompileError(map_.end(), "no subsystem statement");
    return std::move(sub_);
  }

 private:
  Location loc(antlr4::Token* t) const { return map_.at(t->getLine(), t->getCharPositionInLine()); }
  Location loc(antlr4::ParserRuleContext* c) const { return loc(c->getStart()); }
  [[noreturn]] void fail(antlr4::ParserRuleContext* c, const std::string& msg) const {
    throw CompileError(loc(c), msg);
  }

  void statement(P::StatementContext* st) {
    if (auto* s = st->subsystemDecl()) return subsystem(s);
    if (auto* w = st->waitTimeDecl()) {
      waitTime_ = w->NOWAITTIME() ? "" : cExpr(w->cExpr());
      return;
    }
    if (auto* m = st->msgOptionDecl()) {
      msgOption_ = cExpr(m->cExpr());
      return;
    }
    if (st->msgSeqnoDecl()) return;
    if (auto* p = st->prefixDecl()) {
      needSubsystem(p);
      std::string v = p->ident()->getText();
      if (p->USERPREFIX()) sub_.userPrefix = v;
      else if (p->SERVERPREFIX()) sub_.serverPrefix = v;
      else sub_.serverDemux = v;
      return;
    }
    if (auto* r = st->rcsIdDecl()) {
      sub_.rcsId = r->STRING()->getText();
      return;
    }
    if (auto* i = st->importDecl()) {
      Import imp;
      imp.side = i->UIMPORT() ? Import::User : i->SIMPORT() ? Import::Server : Import::Both;
      imp.text = i->STRING() ? i->STRING()->getText() : i->SYSFILE()->getText();
      sub_.imports.push_back(imp);
      return;
    }
    if (auto* t = st->typeDecl()) return typeDecl(t);
    if (auto* r = st->routineDecl()) return routine(r);
    if (auto* s = st->skipDecl()) {
      needSubsystem(s);
      int64_t n = s->intExp() ? intExp(s->intExp()) : 1;
      if (n < 1 || n > 1000) fail(s, "bad skip count " + std::to_string(n));
      sub_.routineSlots += static_cast<int>(n);
      return;
    }
  }

  void needSubsystem(antlr4::ParserRuleContext* c) {
    if (!haveSubsystem_) fail(c, "'" + c->getStart()->getText() + "' before the subsystem statement");
  }

  std::string cExpr(P::CExprContext* c) { return c->getText(); }

  void subsystem(P::SubsystemDeclContext* s) {
    if (haveSubsystem_) fail(s, "a second subsystem statement (the first is at line " +
                                    std::to_string(sub_.loc.line) + ")");
    haveSubsystem_ = true;
    sub_.loc = loc(s);
    sub_.name = s->ident()->getText();
    for (auto* m : s->subsystemMod()) {
      if (m->KERNELUSER()) sub_.kernelUser = true;
      else sub_.kernelServer = true;
    }
    int64_t base = intExp(s->intExp());
    if (base < 0 || base > INT32_MAX - 100000) fail(s->intExp(), "bad subsystem base " + std::to_string(base));
    sub_.base = static_cast<int32_t>(base);
  }

  int64_t intExp(P::IntExpContext* e) {
    if (e->NUMBER()) {
      std::string t = e->NUMBER()->getText();
      errno = 0;
      char* endp = nullptr;
      unsigned long long v = strtoull(t.c_str(), &endp, 0);
      if (errno || *endp || v > INT32_MAX) fail(e, "bad number '" + t + "'");
      return static_cast<int64_t>(v);
    }
    auto parts = e->intExp();
    if (parts.size() == 1) return intExp(parts[0]);
    int64_t a = intExp(parts[0]), b = intExp(parts[1]);
    int64_t r = 0;
    switch (e->op->getText()[0]) {
      case '+': r = a + b; break;
      case '-': r = a - b; break;
      case '*': r = a * b; break;
      default:
        if (b == 0) fail(e, "division by zero");
        r = a / b;
    }
    if (r > INT32_MAX || r < INT32_MIN) fail(e, "number out of range");
    return r;
  }

  Type& newType(const Type& from) {
    sub_.types.push_back(from);
    return sub_.types.back();
  }

  static std::string cTypeText(P::CTypeContext* c) {
    std::string s;
    for (auto* id : c->ident()) {
      if (!s.empty()) s += ' ';
      s += id->getText();
    }
    for (size_t i = 0; i < c->getText().size(); ++i)
      if (c->getText()[i] == '*') s += '*';
    return s;
  }

  void typeDecl(P::TypeDeclContext* t) {
    std::string name = t->ident()->getText();
    if (auto it = types_.find(name); it != types_.end())
      fail(t->ident(), "type '" + name + "' is already defined (at line " + std::to_string(it->second->loc.line) + ")");
    types_[name] = namedType(t->ident(), t->transTypeSpec());
  }

  // A type named `id` defined by `tt` (a type statement, or in place in an argument).
  const Type* namedType(P::IdentContext* id, P::TransTypeSpecContext* tt) {
    std::string name = id->getText();
    const Type* base = typeSpec(tt->typeSpec());
    Type& ty = newType(*base);
    ty.name = name;
    ty.loc = loc(id);
    ty.cType = ty.cUserType = ty.cServerType = "";
    ty.inTranType = ty.inTranFn = ty.inTranFrom = "";
    ty.outTranType = ty.outTranFn = ty.outTranFrom = "";
    ty.destructorFn = ty.destructorArg = "";
    for (auto* a : tt->typeAttr()) {
      if (auto* x = dynamic_cast<P::InTranAttrContext*>(a)) {
        if (!ty.inTranFn.empty()) fail(a, "a second intran");
        ty.inTranType = cTypeText(x->cType(0));
        ty.inTranFn = x->ident()->getText();
        ty.inTranFrom = cTypeText(x->cType(1));
      } else if (auto* o = dynamic_cast<P::OutTranAttrContext*>(a)) {
        if (!ty.outTranFn.empty()) fail(a, "a second outtran");
        ty.outTranType = cTypeText(o->cType(0));
        ty.outTranFn = o->ident()->getText();
        ty.outTranFrom = cTypeText(o->cType(1));
      } else if (auto* d = dynamic_cast<P::DestructorAttrContext*>(a)) {
        if (!ty.destructorFn.empty()) fail(a, "a second destructor");
        ty.destructorFn = d->ident()->getText();
        ty.destructorArg = cTypeText(d->cType());
      } else if (auto* c = dynamic_cast<P::CTypeAttrContext*>(a)) {
        ty.cType = cTypeText(c->cType());
      } else if (auto* u = dynamic_cast<P::CUserTypeAttrContext*>(a)) {
        ty.cUserType = cTypeText(u->cType());
      } else if (auto* s = dynamic_cast<P::CServerTypeAttrContext*>(a)) {
        ty.cServerType = cTypeText(s->cType());
      }
    }
    if ((!ty.inTranFn.empty() || !ty.outTranFn.empty() || !ty.destructorFn.empty()) && ty.shape != Shape::Scalar &&
        ty.shape != Shape::Struct)
      fail(tt->typeAttr(0), "intran/outtran/destructor need a scalar or struct type, '" + name + "' is an array");
    return &ty;
  }

  // A basic type from a MACH_MSG_TYPE_* name or number, with `bits` (0: its default).
  const Type* basic(antlr4::ParserRuleContext* where, uint32_t inCode, uint32_t outCode, int64_t bits,
                    bool sized) {
    Type t;
    t.loc = loc(where);
    t.inCode = inCode;
    t.outCode = outCode;
    bool inPort = isPortCode(inCode), outPort = isPortCode(outCode);
    if (inPort != outPort) fail(where, "a type can't be a port right one way and data the other way");
    if (inPort) {
      if (sized && bits != 32 && bits != 64) fail(where, "a port right is 32 bits, not " + std::to_string(bits));
      t.isPort = true;
      t.isPoly = inCode == code::kPolymorphic || outCode == code::kPolymorphic;
      t.size = t.align = 4;
      return &newType(t);
    }
    if (bits <= 0) fail(where, sized ? "bad size " + std::to_string(bits) : "this type needs a size: (type, bits)");
    if (bits % 8 != 0) fail(where, "size " + std::to_string(bits) + " is not a whole number of bytes");
    if (bits / 8 > kMsgSizeMax) fail(where, "size " + std::to_string(bits) + " is too large");
    t.dataCode = true;
    t.size = static_cast<uint32_t>(bits / 8);
    t.align = unitAlign(inCode, t.size);
    return &newType(t);
  }

  bool lookupBasic(const std::string& n, const BasicName** out) {
    for (const auto& b : kBasicNames)
      if (n == b.name) {
        *out = &b;
        return true;
      }
    return false;
  }

  uint32_t primCode(P::PrimIpcTypeContext* p, uint32_t* defBits) {
    if (p->POLYMORPHIC()) {
      *defBits = 32;
      return code::kPolymorphic;
    }
    if (p->NUMBER()) {
      errno = 0;
      unsigned long v = strtoul(p->NUMBER()->getText().c_str(), nullptr, 0);
      if (errno || v > 255) fail(p, "bad type number " + p->NUMBER()->getText());
      *defBits = isPortCode(static_cast<uint32_t>(v)) || v == code::kPortName ? 32 : 0;
      return static_cast<uint32_t>(v);
    }
    const BasicName* b;
    std::string n = p->ident()->getText();
    if (!lookupBasic(n, &b)) fail(p, "unknown message type '" + n + "'");
    *defBits = b->bits;
    return b->code;
  }

  const Type* applyFlags(const Type* t, const std::vector<P::IpcFlagContext*>& flags) {
    if (flags.empty()) return t;
    Type copy = *t;
    for (auto* f : flags) {
      auto* fl = f->flag();
      if (fl->ISLONG() || fl->ISSHORT()) continue;  // no typed items here
      if (fl->COUNTINOUT()) {
        if (copy.shape != Shape::VarArray || copy.outOfLine || copy.isPortArray())
          fail(fl, "CountInOut applies only to inline variable arrays");
        copy.countInOut = true;
        continue;
      }
      if (fl->NOTDEALLOC()) {
        copy.dealloc = Dealloc::Never;
        continue;
      }
      bool ool = copy.outOfLine || copy.isPortArray();
      if (fl->SERVERCOPY()) {
        if (!copy.outOfLine) fail(fl, "servercopy applies only to out-of-line data");
        copy.serverCopy = true;
        continue;
      }
      // dealloc / dealloc[]
      if (!ool) fail(fl, "dealloc applies only to out-of-line data or port arrays");
      copy.dealloc = fl->getText().find('[') != std::string::npos ? Dealloc::Runtime : Dealloc::Always;
    }
    return &newType(copy);
  }

  uint32_t bound(P::IntExpContext* e, const char* what) {
    int64_t n = intExp(e);
    if (n <= 0) fail(e, std::string("bad ") + what + " bound " + std::to_string(n) + " (must be positive)");
    if (n > kMsgSizeMax * 1024) fail(e, std::string(what) + " bound " + std::to_string(n) + " is too large");
    return static_cast<uint32_t>(n);
  }

  const Type* element(P::TypeSpecContext* spec) {
    const Type* e = typeSpec(spec);
    if (e->isVariable()) fail(spec, "array elements must have a fixed size");
    if (e->outOfLine || e->isPortArray()) fail(spec, "array elements can't be out of line");
    return e;
  }

  const Type* array(antlr4::ParserRuleContext* c, P::TypeSpecContext* elemSpec, Shape shape, uint32_t count) {
    const Type* e = element(elemSpec);
    Type t;
    t.loc = loc(c);
    t.shape = shape;
    t.elem = e;
    t.count = count;
    t.align = e->align;
    if (e->isPort) {
      if (e->shape != Shape::Scalar) fail(elemSpec, "bad port array element");
      t.outOfLine = true;  // port arrays travel in an OOL ports descriptor
      t.size = 4;
      if (shape == Shape::FixedArray) t.size = 4 * count;
      return &newType(t);
    }
    if (shape == Shape::FixedArray) {
      uint64_t bytes = uint64_t(e->size) * count;
      if (bytes > kMsgSizeMax - kHeaderSize) fail(c, "array of " + std::to_string(bytes) + " bytes does not fit in a message");
      t.size = static_cast<uint32_t>(bytes);
    } else {
      t.size = e->size;
      if (count == 0) t.outOfLine = true;  // unbounded: out of line
      else if (uint64_t(e->size) * count > kMsgSizeMax - kHeaderSize - 8)
        fail(c, "inline array bound " + std::to_string(count) + " does not fit in a message (use ^array or array[])");
    }
    return &newType(t);
  }

  const Type* typeSpec(P::TypeSpecContext* spec) {
    if (auto* n = dynamic_cast<P::NamedTypeContext*>(spec)) {
      std::string name = n->ident()->getText();
      if (auto it = types_.find(name); it != types_.end()) return it->second;
      const BasicName* b;
      if (lookupBasic(name, &b)) return basic(spec, b->code, b->code, b->bits, false);
      fail(spec, "unknown type '" + name + "'");
    }
    if (dynamic_cast<P::PolymorphicTypeContext*>(spec)) return basic(spec, code::kPolymorphic, code::kPolymorphic, 32, false);
    if (auto* pr = dynamic_cast<P::PairTypeContext*>(spec)) {
      uint32_t d1 = 0, d2 = 0;
      uint32_t in = primCode(pr->primIpcType(0), &d1);
      uint32_t out = primCode(pr->primIpcType(1), &d2);
      if (d1 != d2) fail(spec, "the two sides of '|' have different sizes");
      return basic(spec, in, out, d1, false);
    }
    if (auto* s = dynamic_cast<P::SizedTypeContext*>(spec)) {
      auto prims = s->ipcType()->primIpcType();
      uint32_t d1 = 0, d2 = 0;
      uint32_t in = primCode(prims[0], &d1);
      uint32_t out = prims.size() > 1 ? primCode(prims[1], &d2) : in;
      const Type* t = basic(spec, in, out, intExp(s->intExp()), true);
      return applyFlags(t, s->ipcFlag());
    }
    if (auto* a = dynamic_cast<P::UnboundedArrayTypeContext*>(spec)) return array(a, a->typeSpec(), Shape::VarArray, 0);
    if (auto* a = dynamic_cast<P::UnboundedArrayType2Context*>(spec)) return array(a, a->typeSpec(), Shape::VarArray, 0);
    if (auto* a = dynamic_cast<P::BoundedArrayTypeContext*>(spec))
      return array(a, a->typeSpec(), Shape::VarArray, bound(a->intExp(), "array"));
    if (auto* a = dynamic_cast<P::FixedArrayTypeContext*>(spec))
      return array(a, a->typeSpec(), Shape::FixedArray, bound(a->intExp(), "array"));
    if (auto* s = dynamic_cast<P::StructTypeContext*>(spec)) {
      uint32_t n = bound(s->intExp(), "struct");
      const Type* e = element(s->typeSpec());
      if (e->isPort || e->isPortArray()) fail(s->typeSpec(), "a struct can't hold port rights");
      Type t;
      t.loc = loc(s);
      t.shape = Shape::Struct;
      t.elem = e;
      t.count = n;
      t.align = e->align;
      uint64_t bytes = uint64_t(e->size) * n;
      if (bytes > kMsgSizeMax - kHeaderSize) fail(s, "struct of " + std::to_string(bytes) + " bytes does not fit in a message");
      t.size = static_cast<uint32_t>(bytes);
      return &newType(t);
    }
    if (auto* p = dynamic_cast<P::PointerTypeContext*>(spec)) {
      const Type* inner = typeSpec(p->typeSpec());
      if (inner->shape != Shape::FixedArray && inner->shape != Shape::VarArray)
        fail(p->typeSpec(), "'^' needs an array type");
      if (inner->outOfLine) return inner;
      Type t = *inner;
      t.name.clear();
      t.cType = t.cUserType = t.cServerType = "";
      t.outOfLine = true;
      if (t.shape == Shape::FixedArray) t.size = t.elem->size * t.count;
      return &newType(t);
    }
    if (auto* c = dynamic_cast<P::FixedCStringTypeContext*>(spec)) {
      Type t;
      t.loc = loc(c);
      t.shape = Shape::CString;
      t.count = bound(c->intExp(), "c_string");
      if (t.count > kMsgSizeMax - kHeaderSize) fail(c, "c_string bound too large");
      t.size = t.count;
      t.align = 1;
      return &newType(t);
    }
    auto* c = dynamic_cast<P::BoundedCStringTypeContext*>(spec);
    Type t;
    t.loc = loc(c);
    t.shape = Shape::VarCString;
    t.count = bound(c->intExp(), "c_string");
    if (t.count > kMsgSizeMax - kHeaderSize - 8) fail(c, "c_string bound too large");
    t.size = 1;
    t.align = 1;
    return &newType(t);
  }

  static bool sendRight(uint32_t c) {
    return c == code::kMoveSend || c == code::kCopySend || c == code::kMakeSend || c == code::kMoveSendOnce ||
           c == code::kMakeSendOnce || c == code::kPolymorphic;
  }

  void routine(P::RoutineDeclContext* r) {
    needSubsystem(r);
    Routine rt;
    rt.name = r->ident()->getText();
    rt.loc = loc(r->ident());
    for (const auto& other : sub_.routines)
      if (other.name == rt.name)
        fail(r->ident(), "routine '" + rt.name + "' is already defined (at line " + std::to_string(other.loc.line) + ")");
    size_t kind = r->kind->getType();
    rt.simple = kind == P::SIMPLEROUTINE || kind == P::SIMPLEPROCEDURE;
    rt.index = sub_.routineSlots++;
    rt.id = sub_.base + rt.index;
    rt.waitTime = waitTime_;
    rt.msgOption = msgOption_;

    std::map<std::string, int> names;
    auto* list = r->argumentList();
    for (auto* a : list->argument()) {
      Argument arg;
      arg.name = a->ident()->getText();
      arg.loc = loc(a->ident());
      if (names.count(arg.name)) fail(a->ident(), "argument '" + arg.name + "' is already declared");
      names[arg.name] = 1;
      if (auto* k = a->argKind()) {
        if (k->IN()) arg.kind = ArgKind::In;
        else if (k->OUT()) arg.kind = ArgKind::Out;
        else if (k->INOUT()) arg.kind = ArgKind::InOut;
        else if (k->REQUESTPORT()) arg.kind = ArgKind::RequestPort;
        else if (k->REPLYPORT()) arg.kind = ArgKind::ReplyPort;
        else if (k->SREPLYPORT()) arg.kind = ArgKind::SReplyPort;
        else if (k->UREPLYPORT()) arg.kind = ArgKind::UReplyPort;
        else if (k->WAITTIME()) arg.kind = ArgKind::WaitTime;
        else if (k->MSGOPTION()) arg.kind = ArgKind::MsgOption;
        else arg.kind = ArgKind::MsgSeqno;
      }
      auto* at = a->argType();
      const Type* t = at->transTypeSpec() ? namedType(at->ident(), at->transTypeSpec()) : typeSpec(at->typeSpec());
      arg.type = applyFlags(t, a->ipcFlag());
      rt.args.push_back(arg);
    }
    if (r->kind->getType() == P::FUNCTION) {
      Argument ret;
      ret.name = "ReturnValue";
      ret.kind = ArgKind::Out;
      ret.loc = loc(r->typeSpec());
      ret.type = typeSpec(r->typeSpec());
      if (names.count(ret.name)) fail(r->typeSpec(), "argument 'ReturnValue' is already declared");
      rt.args.push_back(ret);
    }
    checkRoutine(rt, list);
    sub_.routines.push_back(std::move(rt));
  }

  void checkRoutine(Routine& rt, P::ArgumentListContext* list) {
    auto where = [&](const Argument& a) { return a.loc; };
    auto err = [&](const Argument& a, const std::string& m) { throw CompileError(where(a), m); };
    int requestPorts = 0, replyPorts = 0, sreply = 0, ureply = 0;
    for (auto& a : rt.args) {
      const Type* t = a.type;
      bool scalarPort = t->shape == Shape::Scalar && t->isPort;
      bool word = t->shape == Shape::Scalar && !t->isPort && t->size == 4;
      switch (a.kind) {
        case ArgKind::RequestPort:
          ++requestPorts;
          if (!scalarPort) err(a, "requestport '" + a.name + "' must be a port right");
          if (!sendRight(t->inCode)) err(a, "requestport '" + a.name + "' must be a send or send-once right, not a receive right");
          break;
        case ArgKind::ReplyPort:
        case ArgKind::SReplyPort:
        case ArgKind::UReplyPort:
          (a.kind == ArgKind::ReplyPort ? replyPorts : a.kind == ArgKind::SReplyPort ? sreply : ureply)++;
          if (!scalarPort) err(a, "reply port '" + a.name + "' must be a port right");
          if (!sendRight(t->inCode)) err(a, "reply port '" + a.name + "' must be a send or send-once right");
          break;
        case ArgKind::WaitTime:
        case ArgKind::MsgOption:
        case ArgKind::MsgSeqno:
          if (!word) err(a, "'" + a.name + "' must be a 32-bit integer type");
          break;
        case ArgKind::Out:
        case ArgKind::InOut:
          if (rt.simple) err(a, "a simpleroutine has no reply: '" + a.name + "' can't be out");
          if (t->isPort && t->outCode == code::kCopyReceive)
            err(a, "'" + a.name + "': MACH_MSG_TYPE_COPY_RECEIVE can't be sent");
          if (a.kind == ArgKind::InOut && t->isPort && t->inCode == code::kMoveReceive)
            err(a, "inout '" + a.name + "': a receive right moved in can't be moved back out by the same argument");
          [[fallthrough]];
        case ArgKind::In:
          if (a.kind != ArgKind::Out && t->countInOut) err(a, "CountInOut applies only to out arguments: '" + a.name + "'");
          if (a.kind != ArgKind::Out && t->isPort && t->inCode == code::kCopyReceive)
            err(a, "'" + a.name + "': MACH_MSG_TYPE_COPY_RECEIVE can't be sent");
          break;
      }
    }
    if (requestPorts > 1) throw CompileError(rt.loc, "more than one requestport in '" + rt.name + "'");
    if (replyPorts + sreply > 1 || replyPorts + ureply > 1)
      throw CompileError(rt.loc, "more than one reply port in '" + rt.name + "'");
    if (requestPorts == 0) {
      if (rt.args.empty()) throw CompileError(loc(list), "'" + rt.name + "' needs a request port argument");
      Argument& first = rt.args.front();
      if (first.kind != ArgKind::In) err(first, "the first argument '" + first.name + "' is the request port: it must be 'in'");
      if (!(first.type->shape == Shape::Scalar && first.type->isPort))
        err(first, "the first argument '" + first.name + "' is the request port and must be a port right");
      if (!sendRight(first.type->inCode))
        err(first, "the request port '" + first.name + "' must be a send or send-once right, not a receive right");
      first.kind = ArgKind::RequestPort;
    }
  }

  const SourceMap& map_;
  Subsystem sub_;
  bool haveSubsystem_ = false;
  std::map<std::string, const Type*> types_;
  std::string waitTime_, msgOption_;
};

}  // namespace

namespace {

// The offset of the first byte of `s` that is not well-formed UTF-8 (RFC 3629:
// no overlong forms, surrogates or code points past U+10FFFF), or npos. The
// ANTLR input stream throws std::range_error on such text.
size_t invalidUtf8(const std::string& s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size(), i = 0;
  while (i < n) {
    unsigned c = p[i];
    size_t len;
    uint32_t cp, min;
    if (c < 0x80) { ++i; continue; }
    if (c >= 0xc2 && c <= 0xdf) { len = 2; cp = c & 0x1f; min = 0x80; }
    else if (c >= 0xe0 && c <= 0xef) { len = 3; cp = c & 0x0f; min = 0x800; }
    else if (c >= 0xf0 && c <= 0xf4) { len = 4; cp = c & 0x07; min = 0x10000; }
    else return i;
    if (n - i < len) return i;
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xc0) != 0x80) return i;
      cp = (cp << 6) | (p[i + k] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += len;
  }
  return std::string::npos;
}

// The parser and the model builder recurse once per bracket, '^', 'of' and
// arithmetic operator; a declaration (the text between two ';') with
// thousands of them would overflow the stack. No real one has more than a
// handful: refuse more than kMaxNesting.
constexpr int kMaxNesting = 256;

void checkNesting(antlr4::CommonTokenStream& tokens, const SourceMap& map) {
  int n = 0;
  for (antlr4::Token* t : tokens.getTokens()) {
    if (t->getType() == MigLexer::OF) {
      ++n;
    } else if (t->getType() != antlr4::Token::EOF) {
      std::string s = t->getText();
      if (s == ";") n = 0;
      else if (s == "(" || s == "[" || s == "^" || s == "+" || s == "-" || s == "*" || s == "/") ++n;
    }
    if (n > kMaxNesting)
      throw CompileError(map.at(t->getLine(), t->getCharPositionInLine()),
                         "declaration nested too deeply (more than " + std::to_string(kMaxNesting) +
                             " brackets, operators, '^' and 'of')");
  }
}

}  // namespace

Subsystem buildModel(std::string text, const std::string& file) {
  SourceMap map(text, file);
  if (size_t bad = invalidUtf8(text); bad != std::string::npos) {
    // Located like ANTLR's positions: line 1-based, column in characters.
    size_t line = 1, col = 0;
    for (size_t i = 0; i < bad; ++i) {
      if (text[i] == '\n') ++line, col = 0;
      else if ((static_cast<unsigned char>(text[i]) & 0xc0) != 0x80) ++col;
    }
    throw CompileError(map.at(line, col), "the text is not valid UTF-8");
  }
  antlr4::ANTLRInputStream input(text);
  MigLexer lexer(&input);
  ErrorListener listener(map);
  lexer.removeErrorListeners();
  lexer.addErrorListener(&listener);
  antlr4::CommonTokenStream tokens(&lexer);
  tokens.fill();
  checkNesting(tokens, map);
  MigParser parser(&tokens);
  parser.removeErrorListeners();
  parser.addErrorListener(&listener);
  P::FileContext* tree = parser.file();
  if (listener.count > 0) throw SyntaxErrors{listener.count};
  Builder b(map, file);
  return b.build(tree);
}

}  // namespace mig
