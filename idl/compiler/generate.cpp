#include "generate.h"

#include <algorithm>
#include <sstream>

namespace mig {

const Argument* Routine::requestPort() const {
  for (const auto& a : args)
    if (a.kind == ArgKind::RequestPort) return &a;
  return nullptr;
}
const Argument* Routine::userReplyPort() const {
  for (const auto& a : args)
    if (a.kind == ArgKind::ReplyPort || a.kind == ArgKind::UReplyPort) return &a;
  return nullptr;
}
const Argument* Routine::serverReplyPort() const {
  for (const auto& a : args)
    if (a.kind == ArgKind::ReplyPort || a.kind == ArgKind::SReplyPort) return &a;
  return nullptr;
}

namespace {

constexpr uint32_t kHeader = 24;
constexpr uint32_t kMsgSizeMax = 64 * 1024;

std::string num(uint64_t v) { return std::to_string(v); }

uint32_t alignUp(uint32_t off, uint32_t a) { return (off + a - 1) / a * a; }

const char* dispName(uint32_t c) {
  switch (c) {
    case code::kMoveReceive: return "MACH_MSG_TYPE_MOVE_RECEIVE";
    case code::kMoveSend: return "MACH_MSG_TYPE_MOVE_SEND";
    case code::kMoveSendOnce: return "MACH_MSG_TYPE_MOVE_SEND_ONCE";
    case code::kCopySend: return "MACH_MSG_TYPE_COPY_SEND";
    case code::kMakeSend: return "MACH_MSG_TYPE_MAKE_SEND";
    case code::kMakeSendOnce: return "MACH_MSG_TYPE_MAKE_SEND_ONCE";
    default: return "MACH_MSG_TYPE_COPY_RECEIVE";
  }
}

// The right a receiver holds after a send with disposition c.
const char* receivedName(uint32_t c) {
  switch (c) {
    case code::kMoveReceive: return "MACH_MSG_TYPE_PORT_RECEIVE";
    case code::kMoveSendOnce:
    case code::kMakeSendOnce: return "MACH_MSG_TYPE_PORT_SEND_ONCE";
    default: return "MACH_MSG_TYPE_PORT_SEND";
  }
}

enum class Side { User, Server };

// The C type of a MIG type as one side spells it (no translation).
std::string cName(const Type* t, Side side, const Location& where) {
  if (side == Side::User && !t->cUserType.empty()) return t->cUserType;
  if (side == Side::Server && !t->cServerType.empty()) return t->cServerType;
  if (!t->cType.empty()) return t->cType;
  if (!t->name.empty()) return t->name;
  switch (t->shape) {
    case Shape::Scalar:
      if (t->isPort) return "mach_port_t";
      switch (t->size) {
        case 1: return t->inCode == code::kChar ? "char" : "uint8_t";
        case 2: return "int16_t";
        case 4:
          if (t->inCode == code::kPortName) return "mach_port_name_t";
          if (t->inCode == code::kReal) return "float";
          if (t->inCode == code::kInteger32) return "int32_t";
          return "uint32_t";
        case 8:
          if (t->inCode == code::kReal) return "double";
          return "int64_t";
        default: break;
      }
      throw CompileError(where, "a " + num(t->size) + "-byte type written inline needs a name and a ctype");
    case Shape::FixedArray:
    case Shape::VarArray: return cName(t->elem, side, where) + "*";
    case Shape::CString:
    case Shape::VarCString: return "char*";
    case Shape::Struct: throw CompileError(where, "a struct type written inline needs a name and a ctype");
  }
  return "void*";
}

// One item of a message body.
struct Item {
  const Argument* arg = nullptr;  // null: the reply's RetCode
  bool desc = false;
  uint32_t maxOff = 0;  // inline: offset of the value (var: of the elements) in the largest layout
};

struct Layout {
  std::vector<Item> items;  // descriptors first, then inline items, in argument order
  uint32_t ndesc = 0;
  uint32_t descEnd = 0;  // header + body + descriptors
  uint32_t minSize = 0, maxSize = 0;
};

uint32_t elemSize(const Type* t) { return t->shape == Shape::VarCString ? 1 : t->size; }
uint32_t elemAlign(const Type* t) { return t->shape == Shape::VarCString ? 1 : t->align; }

Layout layout(const Routine& r, bool reply) {
  Layout l;
  for (const auto& a : r.args) {
    bool in = reply ? a.inReplyBody() : a.inRequestBody();
    if (in && a.type->inDescriptor()) l.items.push_back({&a, true, 0});
  }
  l.ndesc = static_cast<uint32_t>(l.items.size());
  l.descEnd = kHeader + (l.ndesc ? 4 + 16 * l.ndesc : 0);
  if (reply) l.items.push_back({nullptr, false, 0});
  for (const auto& a : r.args) {
    bool in = reply ? a.inReplyBody() : a.inRequestBody();
    if (in && !a.type->inDescriptor()) l.items.push_back({&a, false, 0});
  }
  uint32_t minOff = l.descEnd, maxOff = l.descEnd;
  for (auto& it : l.items) {
    if (it.desc) continue;
    if (!it.arg) {
      minOff = alignUp(minOff, 4) + 4;
      it.maxOff = alignUp(maxOff, 4);
      maxOff = it.maxOff + 4;
      continue;
    }
    const Type* t = it.arg->type;
    if (t->isVariable()) {
      minOff = alignUp(alignUp(minOff, 4) + 4, elemAlign(t));
      it.maxOff = alignUp(alignUp(maxOff, 4) + 4, elemAlign(t));
      maxOff = it.maxOff + t->count * elemSize(t);
    } else {
      minOff = alignUp(minOff, t->align) + t->size;
      it.maxOff = alignUp(maxOff, t->align);
      maxOff = it.maxOff + t->size;
    }
  }
  l.minSize = alignUp(minOff, 4);
  l.maxSize = alignUp(maxOff, 4);
  return l;
}

class Generator {
 public:
  explicit Generator(const Subsystem& s) : sub_(s) {}

  GeneratedFiles run(const std::string& userHeaderName, const std::string& serverHeaderName) {
    for (const auto& r : sub_.routines) check(r);
    GeneratedFiles f;
    f.userHeader = userHeader();
    f.userSource = userSource(userHeaderName);
    f.serverHeader = serverHeader();
    f.serverSource = serverSource(serverHeaderName);
    return f;
  }

 private:
  const Subsystem& sub_;

  void check(const Routine& r) {
    for (const auto& a : r.args) {
      const Type* t = a.type;
      if (a.kind == ArgKind::InOut && (t->outOfLine || t->isPortArray()))
        throw CompileError(a.loc, "inout '" + a.name + "': out-of-line arrays can't be inout (use an in and an out argument)");
      cName(t, Side::User, a.loc);
      if (t->elem) cName(t->elem, Side::User, a.loc);
    }
    Layout rq = layout(r, false), rp = layout(r, true);
    if (rq.ndesc > 64 || rp.ndesc > 64) throw CompileError(r.loc, "'" + r.name + "' has more than 64 descriptors");
    if (rq.maxSize > kMsgSizeMax)
      throw CompileError(r.loc, "the request of '" + r.name + "' can reach " + num(rq.maxSize) + " bytes, over the " +
                                    num(kMsgSizeMax) + "-byte limit");
    if (rp.maxSize > kMsgSizeMax)
      throw CompileError(r.loc, "the reply of '" + r.name + "' can reach " + num(rp.maxSize) + " bytes, over the " +
                                    num(kMsgSizeMax) + "-byte limit");
  }

  std::string banner() const {
    std::string s = "/* Generated by mig from " + sub_.inputFile + " (subsystem " + sub_.name + " " + num(sub_.base) +
                    "). Do not edit. */\n";
    if (!sub_.rcsId.empty()) {
      std::string id = sub_.rcsId;
      for (size_t p; (p = id.find("*/")) != std::string::npos;) id.replace(p, 2, "* /");
      s += "/* rcsid: " + id + " */\n";
    }
    return s;
  }

  std::string imports(Import::Side side) const {
    std::string s;
    for (const auto& i : sub_.imports)
      if (i.side == Import::Both || i.side == side) s += "#include " + i.text + "\n";
    return s;
  }

  std::string guard(const std::string& what) const {
    std::string g = "MIG_" + sub_.name + "_" + what + "_H";
    for (auto& c : g) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
    return g;
  }

  std::string userName(const Routine& r) const { return sub_.userPrefix + r.name; }
  std::string serverName(const Routine& r) const { return sub_.serverPrefix + r.name; }

  // ------------------------------------------------------------ parameters

  // Type of the element pointers on a side.
  static std::string elemC(const Type* t, Side side, const Location& l) { return cName(t->elem, side, l) + "*"; }

  // The parameter list of the user stub.
  std::vector<std::string> userParams(const Routine& r) const {
    std::vector<std::string> p;
    for (const auto& a : r.args) {
      if (!a.onUserSide()) continue;
      const Type* t = a.type;
      std::string c = cName(t, Side::User, a.loc);
      const std::string& n = a.name;
      bool out = a.kind == ArgKind::Out, inout = a.kind == ArgKind::InOut;
      switch (t->shape) {
        case Shape::Scalar:
        case Shape::Struct:
          p.push_back((out || inout) ? c + "* " + n : c + " " + n);
          if (t->isPoly) p.push_back((out || inout) ? "mach_msg_type_name_t* " + n + "Poly" : "mach_msg_type_name_t " + n + "Poly");
          break;
        case Shape::FixedArray:
          if ((t->outOfLine || t->isPortArray()) && out) p.push_back(elemC(t, Side::User, a.loc) + "* " + n);
          else p.push_back((t->name.empty() ? elemC(t, Side::User, a.loc) : c) + " " + n);
          if (t->isPortArray() && t->elem->isPoly)
            p.push_back(out ? "mach_msg_type_name_t* " + n + "Poly" : "mach_msg_type_name_t " + n + "Poly");
          if (t->dealloc == Dealloc::Runtime && !out) p.push_back("boolean_t " + n + "Dealloc");
          break;
        case Shape::VarArray:
          if ((t->outOfLine || t->isPortArray()) && out) p.push_back(c + "* " + n);
          else p.push_back(c + " " + n);
          p.push_back((out || inout) ? "mach_msg_type_number_t* " + n + "Cnt" : "mach_msg_type_number_t " + n + "Cnt");
          if (t->isPortArray() && t->elem->isPoly)
            p.push_back(out ? "mach_msg_type_name_t* " + n + "Poly" : "mach_msg_type_name_t " + n + "Poly");
          if (t->dealloc == Dealloc::Runtime && !out) p.push_back("boolean_t " + n + "Dealloc");
          break;
        case Shape::CString:
        case Shape::VarCString:
          p.push_back((t->name.empty() && a.kind != ArgKind::Out && a.kind != ArgKind::InOut ? "const char*" : c) + " " + n);
          break;
      }
    }
    return p;
  }

  // The server-side C type of a scalar argument after translation.
  static std::string serverScalarC(const Argument& a) {
    const Type* t = a.type;
    bool out = a.kind == ArgKind::Out;
    if (!out && !t->inTranFn.empty()) return t->inTranType;
    if (out && !t->outTranFn.empty()) return t->outTranFrom;
    return cName(t, Side::Server, a.loc);
  }

  std::vector<std::string> serverParams(const Routine& r) const {
    std::vector<std::string> p;
    for (const auto& a : r.args) {
      if (!a.onServerSide()) continue;
      const Type* t = a.type;
      std::string c = cName(t, Side::Server, a.loc);
      const std::string& n = a.name;
      bool out = a.kind == ArgKind::Out, inout = a.kind == ArgKind::InOut;
      switch (t->shape) {
        case Shape::Scalar:
        case Shape::Struct:
          p.push_back((out || inout) ? serverScalarC(a) + "* " + n : serverScalarC(a) + " " + n);
          if (t->isPoly) p.push_back((out || inout) ? "mach_msg_type_name_t* " + n + "Poly" : "mach_msg_type_name_t " + n + "Poly");
          break;
        case Shape::FixedArray:
          if ((t->outOfLine || t->isPortArray()) && out) p.push_back(elemC(t, Side::Server, a.loc) + "* " + n);
          else p.push_back((t->name.empty() ? elemC(t, Side::Server, a.loc) : c) + " " + n);
          if (t->isPortArray() && t->elem->isPoly)
            p.push_back(out ? "mach_msg_type_name_t* " + n + "Poly" : "mach_msg_type_name_t " + n + "Poly");
          if (t->serverCopy && !out) p.push_back("boolean_t " + n + "SCopy");
          if (t->dealloc == Dealloc::Runtime && out) p.push_back("boolean_t* " + n + "Dealloc");
          break;
        case Shape::VarArray:
          if ((t->outOfLine || t->isPortArray()) && out) p.push_back(c + "* " + n);
          else p.push_back(c + " " + n);
          p.push_back((out || inout) ? "mach_msg_type_number_t* " + n + "Cnt" : "mach_msg_type_number_t " + n + "Cnt");
          if (t->isPortArray() && t->elem->isPoly)
            p.push_back(out ? "mach_msg_type_name_t* " + n + "Poly" : "mach_msg_type_name_t " + n + "Poly");
          if (t->serverCopy && !out) p.push_back("boolean_t " + n + "SCopy");
          if (t->dealloc == Dealloc::Runtime && out) p.push_back("boolean_t* " + n + "Dealloc");
          break;
        case Shape::CString:
        case Shape::VarCString: p.push_back(c + " " + n); break;
      }
    }
    return p;
  }

  static std::string join(const std::vector<std::string>& v, const std::string& indent) {
    if (v.empty()) return "void";
    std::string s;
    for (size_t i = 0; i < v.size(); ++i) {
      if (i) s += ",\n" + indent;
      s += v[i];
    }
    return s;
  }

  // ------------------------------------------------------------ headers

  std::string userHeader() const {
    std::ostringstream o;
    o << banner() << "#ifndef " << guard("user") << "\n#define " << guard("user") << "\n\n";
    o << "#include <mach/message.h>\n#include <mach/mig_errors.h>\n#include <mig_support.h>\n";
    o << imports(Import::User) << "\n";
    if (sub_.kernelUser) o << "#define " << sub_.name << "_KERNEL_USER 1\n";
    o << "#define " << sub_.name << "_MSG_COUNT " << sub_.routineSlots << "\n\n";
    o << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";
    for (const auto& r : sub_.routines) {
      o << "/* " << (r.simple ? "simpleroutine " : "routine ") << r.name << ": request id " << r.id;
      if (!r.simple) o << ", reply id " << r.id + 100;
      o << " */\n";
      std::string head = "kern_return_t " + userName(r) + "(";
      o << head << join(userParams(r), std::string(head.size(), ' ')) << ");\n\n";
    }
    o << "#ifdef __cplusplus\n}\n#endif\n\n#endif\n";
    return o.str();
  }

  std::string serverHeader() const {
    std::ostringstream o;
    o << banner() << "#ifndef " << guard("server") << "\n#define " << guard("server") << "\n\n";
    o << "#include <mach/message.h>\n#include <mach/mig_errors.h>\n#include <mig_support.h>\n";
    o << imports(Import::Server) << "\n";
    if (sub_.kernelServer) o << "#define " << sub_.name << "_KERNEL_SERVER 1\n";
    uint32_t rq = 32, rp = 32;
    for (const auto& r : sub_.routines) {
      rq = std::max(rq, layout(r, false).maxSize);
      rp = std::max(rp, layout(r, true).maxSize);
    }
    o << "/* Buffers for the demux function: the largest request and reply. */\n";
    o << "#define " << sub_.name << "_MAX_REQUEST_SIZE " << rq << "u\n";
    o << "#define " << sub_.name << "_MAX_REPLY_SIZE " << rp << "u\n\n";
    o << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";
    o << "/* Handles one request: builds the reply (or a mig_reply_error_t) in OutHeadP.\n"
         " * FALSE: the id is not this subsystem's (the reply then carries MIG_BAD_ID). */\n";
    o << "boolean_t " << sub_.demuxName() << "(mach_msg_header_t* InHeadP, mach_msg_header_t* OutHeadP);\n\n";
    o << "/* The handler of a request id, or 0. */\n";
    o << "mig_routine_t " << sub_.name << "_server_routine(mach_msg_header_t* InHeadP);\n\n";
    o << "/* What the server implements. */\n";
    for (const auto& r : sub_.routines) {
      std::string head = "kern_return_t " + serverName(r) + "(";
      o << head << join(serverParams(r), std::string(head.size(), ' ')) << ");\n";
    }
    o << "\n#ifdef __cplusplus\n}\n#endif\n\n#endif\n";
    return o.str();
  }

  // ------------------------------------------------------------ shared pieces

  // Code that checks a received body and records where each item is.
  // `buf` is the message bytes, `err` the statement run on a malformed message.
  // Declares mig_d_<n> for descriptors and mig_o_<n> / mig_c_<n> for inline items.
  std::string checkBody(const Layout& l, bool reply, const std::string& hdr, const std::string& buf,
                        const std::string& err, const std::string& ind) const {
    std::ostringstream o;
    o << ind << "mig_size = " << hdr << "->msgh_size;\n";
    o << ind << "if (mig_size < " << l.minSize << "u || mig_size > " << l.maxSize << "u) " << err << "\n";
    if (l.ndesc) {
      o << ind << "if (!(" << hdr << "->msgh_bits & MACH_MSGH_BITS_COMPLEX)) " << err << "\n";
      o << ind << "{\n" << ind << "  mach_msg_body_t mig_body;\n";
      o << ind << "  __builtin_memcpy(&mig_body, " << buf << " + " << kHeader << ", sizeof mig_body);\n";
      o << ind << "  if (mig_body.msgh_descriptor_count != " << l.ndesc << "u) " << err << "\n" << ind << "}\n";
    } else {
      o << ind << "if (" << hdr << "->msgh_bits & MACH_MSGH_BITS_COMPLEX) " << err << "\n";
    }
    uint32_t doff = kHeader + 4;
    for (const auto& it : l.items) {
      if (!it.desc) continue;
      const Argument& a = *it.arg;
      const Type* t = a.type;
      std::string d = "mig_d_" + a.name;
      uint32_t c = reply ? t->outCode : t->inCode;
      if (t->shape == Shape::Scalar) {
        o << ind << "__builtin_memcpy(&" << d << ", " << buf << " + " << doff << ", 16);\n";
        o << ind << "if (" << d << ".type != MACH_MSG_PORT_DESCRIPTOR) " << err << "\n";
        if (t->isPoly) o << ind << "if (!MACH_MSG_TYPE_PORT_ANY_RIGHT(" << d << ".disposition)) " << err << "\n";
        else o << ind << "if (" << d << ".disposition != " << receivedName(c) << ") " << err << "\n";
      } else if (t->isPortArray()) {
        uint32_t ec = reply ? t->elem->outCode : t->elem->inCode;
        o << ind << "__builtin_memcpy(&" << d << ", " << buf << " + " << doff << ", 16);\n";
        o << ind << "if (" << d << ".type != MACH_MSG_OOL_PORTS_DESCRIPTOR) " << err << "\n";
        if (t->elem->isPoly) o << ind << "if (" << d << ".count != 0 && !MACH_MSG_TYPE_PORT_ANY_RIGHT(" << d << ".disposition)) " << err << "\n";
        else o << ind << "if (" << d << ".disposition != " << receivedName(ec) << ") " << err << "\n";
        if (t->shape == Shape::FixedArray) o << ind << "if (" << d << ".count != " << t->count << "u) " << err << "\n";
        else if (t->count) o << ind << "if (" << d << ".count > " << t->count << "u) " << err << "\n";
        else o << ind << "if (" << d << ".count > MACH_MSG_OOL_PORTS_MAX) " << err << "\n";
      } else {
        uint32_t es = t->shape == Shape::FixedArray ? t->elem->size : t->size;
        o << ind << "__builtin_memcpy(&" << d << ", " << buf << " + " << doff << ", 16);\n";
        o << ind << "if (" << d << ".type != MACH_MSG_OOL_DESCRIPTOR && " << d
          << ".type != MACH_MSG_OOL_VOLATILE_DESCRIPTOR) " << err << "\n";
        if (t->shape == Shape::FixedArray) o << ind << "if (" << d << ".size != " << t->size << "u) " << err << "\n";
        else {
          if (es != 1) o << ind << "if (" << d << ".size % " << es << "u != 0) " << err << "\n";
          if (t->count) o << ind << "if (" << d << ".size / " << es << "u > " << t->count << "u) " << err << "\n";
        }
      }
      doff += 16;
    }
    o << ind << "mig_off = " << l.descEnd << "u;\n";
    for (const auto& it : l.items) {
      if (it.desc) continue;
      if (!it.arg) {
        o << ind << "mig_off = mig_align(mig_off, 4u) + 4u; /* RetCode */\n";
        continue;
      }
      const Argument& a = *it.arg;
      const Type* t = a.type;
      if (t->isVariable()) {
        o << ind << "mig_off = mig_align(mig_off, 4u);\n";
        o << ind << "if (mig_off + 4u > mig_size) " << err << "\n";
        o << ind << "__builtin_memcpy(&mig_c_" << a.name << ", " << buf << " + mig_off, 4);\n";
        o << ind << "if (mig_c_" << a.name << " > " << t->count << "u) " << err << "\n";
        if (t->shape == Shape::VarCString) o << ind << "if (mig_c_" << a.name << " == 0) " << err << "\n";
        o << ind << "mig_o_" << a.name << " = mig_align(mig_off + 4u, " << elemAlign(t) << "u);\n";
        o << ind << "mig_off = mig_o_" << a.name << " + mig_c_" << a.name;
        if (elemSize(t) != 1) o << " * " << elemSize(t) << "u";
        o << ";\n";
        o << ind << "if (mig_off > mig_size) " << err << "\n";
        if (t->shape == Shape::VarCString)
          o << ind << "if (" << buf << "[mig_o_" << a.name << " + mig_c_" << a.name << " - 1u] != 0) " << err << "\n";
      } else {
        o << ind << "mig_o_" << a.name << " = mig_align(mig_off, " << t->align << "u);\n";
        o << ind << "mig_off = mig_o_" << a.name << " + " << t->size << "u;\n";
        o << ind << "if (mig_off > mig_size) " << err << "\n";
        if (t->shape == Shape::CString)
          o << ind << "if (" << buf << "[mig_off - 1u] != 0) " << err << "\n";
      }
    }
    o << ind << "if (mig_align(mig_off, 4u) != mig_size) " << err << "\n";
    return o.str();
  }

  // Declarations checkBody needs.
  static std::string checkDecls(const Layout& l, const std::string& ind) {
    std::ostringstream o;
    o << ind << "mach_msg_size_t mig_size;\n";
    for (const auto& it : l.items) {
      if (!it.arg) continue;
      const Argument& a = *it.arg;
      const Type* t = a.type;
      if (it.desc) {
        const char* dt = t->shape == Shape::Scalar ? "mach_msg_port_descriptor_t"
                         : t->isPortArray()        ? "mach_msg_ool_ports_descriptor_t"
                                                   : "mach_msg_ool_descriptor_t";
        o << ind << dt << " mig_d_" << a.name << ";\n";
      } else {
        o << ind << "mach_msg_size_t mig_o_" << a.name << ";\n";
        if (t->isVariable()) o << ind << "mach_msg_type_number_t mig_c_" << a.name << ";\n";
      }
    }
    return o.str();
  }

  // Code that writes the descriptors of a body being sent. `val(a)` gives the
  // C expression of the argument's value, `cnt(a)` of its count, `poly(a)` of
  // its disposition, `dealloc(a)` of its deallocate flag.
  template <class Val, class Cnt, class Poly, class Dl>
  std::string writeDescriptors(const Layout& l, bool reply, const std::string& buf, Val val, Cnt cnt, Poly poly,
                               Dl dealloc, const std::string& ind) const {
    std::ostringstream o;
    if (!l.ndesc) return "";
    o << ind << "{\n" << ind << "  mach_msg_body_t mig_body;\n";
    o << ind << "  mig_body.msgh_descriptor_count = " << l.ndesc << "u;\n";
    o << ind << "  __builtin_memcpy(" << buf << " + " << kHeader << ", &mig_body, sizeof mig_body);\n" << ind << "}\n";
    uint32_t doff = kHeader + 4;
    for (const auto& it : l.items) {
      if (!it.desc) continue;
      const Argument& a = *it.arg;
      const Type* t = a.type;
      std::string d = "mig_s_" + a.name;
      o << ind << "{\n";
      if (t->shape == Shape::Scalar) {
        o << ind << "  mach_msg_port_descriptor_t " << d << ";\n";
        o << ind << "  __builtin_memset(&" << d << ", 0, sizeof " << d << ");\n";
        o << ind << "  " << d << ".name = " << val(a) << ";\n";
        o << ind << "  " << d << ".disposition = (uint8_t)("
          << (t->isPoly ? poly(a) : std::string(dispName(reply ? t->outCode : t->inCode))) << ");\n";
        o << ind << "  " << d << ".type = MACH_MSG_PORT_DESCRIPTOR;\n";
      } else if (t->isPortArray()) {
        const Type* e = t->elem;
        o << ind << "  mach_msg_ool_ports_descriptor_t " << d << ";\n";
        o << ind << "  __builtin_memset(&" << d << ", 0, sizeof " << d << ");\n";
        o << ind << "  " << d << ".address = (uint64_t)(uintptr_t)(" << val(a) << ");\n";
        o << ind << "  " << d << ".count = " << (t->shape == Shape::FixedArray ? num(t->count) + "u" : cnt(a)) << ";\n";
        o << ind << "  " << d << ".disposition = (uint8_t)("
          << (e->isPoly ? poly(a) : std::string(dispName(reply ? e->outCode : e->inCode))) << ");\n";
        o << ind << "  " << d << ".deallocate = (uint8_t)(" << dealloc(a) << ");\n";
        o << ind << "  " << d << ".copy = MACH_MSG_PHYSICAL_COPY;\n";
        o << ind << "  " << d << ".type = MACH_MSG_OOL_PORTS_DESCRIPTOR;\n";
      } else {
        o << ind << "  mach_msg_ool_descriptor_t " << d << ";\n";
        o << ind << "  __builtin_memset(&" << d << ", 0, sizeof " << d << ");\n";
        o << ind << "  " << d << ".address = (uint64_t)(uintptr_t)(" << val(a) << ");\n";
        o << ind << "  " << d << ".size = "
          << (t->shape == Shape::FixedArray ? num(t->size) + "u" : "(mach_msg_size_t)(" + cnt(a) + ") * " + num(t->size) + "u")
          << ";\n";
        o << ind << "  " << d << ".deallocate = (uint8_t)(" << dealloc(a) << ");\n";
        o << ind << "  " << d << ".copy = MACH_MSG_VIRTUAL_COPY;\n";
        o << ind << "  " << d << ".type = MACH_MSG_OOL_DESCRIPTOR;\n";
      }
      o << ind << "  __builtin_memcpy(" << buf << " + " << doff << ", &" << d << ", 16);\n";
      o << ind << "}\n";
      doff += 16;
    }
    return o.str();
  }

  static std::string deallocExpr(const Argument& a, bool runtimeIsPointer) {
    switch (a.type->dealloc) {
      case Dealloc::Never: return "0";
      case Dealloc::Always: return "1";
      case Dealloc::Runtime: return std::string(runtimeIsPointer ? "*" : "") + a.name + "Dealloc ? 1 : 0";
    }
    return "0";
  }

  // ------------------------------------------------------------ user side

  std::string userSource(const std::string& headerName) const {
    std::ostringstream o;
    o << banner() << "#include \"" << headerName << "\"\n\n";
    for (const auto& r : sub_.routines) o << userStub(r) << "\n";
    return o.str();
  }

  std::string userStub(const Routine& r) const {
    std::ostringstream o;
    Layout rq = layout(r, false), rp = layout(r, true);
    uint32_t bufSize = alignUp(std::max({rq.maxSize, r.simple ? 0u : rp.maxSize, 32u}), 8);
    std::string head = "kern_return_t " + userName(r) + "(";
    o << head << join(userParams(r), std::string(head.size(), ' ')) << ")\n{\n";
    o << "  union {\n    mach_msg_header_t Head;\n    uint8_t Bytes[" << bufSize << "];\n    uint64_t Align;\n  } mig_mess;\n";
    o << "  mach_msg_header_t* mig_h = &mig_mess.Head;\n  uint8_t* mig_buf = mig_mess.Bytes;\n";
    o << "  mach_msg_size_t mig_off;\n  mach_msg_return_t mig_msgr;\n  (void)mig_buf;\n";
    const Argument* req = r.requestPort();
    const Argument* rep = r.userReplyPort();
    const Argument* waitArg = nullptr;
    const Argument* optArg = nullptr;
    for (const auto& a : r.args) {
      if (a.kind == ArgKind::WaitTime) waitArg = &a;
      if (a.kind == ArgKind::MsgOption) optArg = &a;
    }
    // Counts checked before anything is built.
    for (const auto& it : rq.items) {
      if (!it.arg) continue;
      const Argument& a = *it.arg;
      const Type* t = a.type;
      std::string cnt = a.kind == ArgKind::InOut ? "*" + a.name + "Cnt" : a.name + "Cnt";
      if (t->shape == Shape::VarArray && t->count)
        o << "  if (" << cnt << " > " << t->count << "u) return MIG_ARRAY_TOO_LARGE;\n";
      if (t->shape == Shape::VarArray && !t->count && t->isPortArray())
        o << "  if (" << cnt << " > MACH_MSG_OOL_PORTS_MAX) return MIG_ARRAY_TOO_LARGE;\n";
      if (t->shape == Shape::VarCString) {
        o << "  mach_msg_size_t mig_len_" << a.name << " = mig_strnlen(" << a.name << ", " << t->count << "u);\n";
        o << "  if (mig_len_" << a.name << " >= " << t->count << "u) return MIG_ARRAY_TOO_LARGE;\n";
      }
    }
    std::string replyPort = rep ? rep->name : r.simple ? "MACH_PORT_NULL" : "mig_get_reply_port()";
    o << "  mach_port_t mig_reply = " << replyPort << ";\n";
    std::string remote = req->type->isPoly ? req->name + "Poly" : dispName(req->type->inCode);
    std::string local = rep ? (rep->type->isPoly ? rep->name + "Poly" : dispName(rep->type->inCode))
                        : r.simple ? "0"
                                   : "MACH_MSG_TYPE_MAKE_SEND_ONCE";
    o << "  mig_h->msgh_bits = MACH_MSGH_BITS(" << remote << ", " << local << ")"
      << (rq.ndesc ? " | MACH_MSGH_BITS_COMPLEX" : "") << ";\n";
    o << "  mig_h->msgh_remote_port = " << req->name << ";\n";
    o << "  mig_h->msgh_local_port = mig_reply;\n  mig_h->msgh_seqno = 0;\n";
    o << "  mig_h->msgh_id = " << r.id << ";\n";
    auto val = [](const Argument& a) { return a.kind == ArgKind::InOut && a.type->shape == Shape::Scalar ? "*" + a.name : a.name; };
    auto cnt = [](const Argument& a) { return a.name + "Cnt"; };
    auto poly = [](const Argument& a) { return a.kind == ArgKind::InOut ? "*" + a.name + "Poly" : a.name + "Poly"; };
    auto dl = [](const Argument& a) { return deallocExpr(a, false); };
    o << writeDescriptors(rq, false, "mig_buf", val, cnt, poly, dl, "  ");
    o << "  mig_off = " << rq.descEnd << "u;\n";
    for (const auto& it : rq.items) {
      if (it.desc || !it.arg) continue;
      const Argument& a = *it.arg;
      const Type* t = a.type;
      bool ptr = a.kind == ArgKind::InOut;
      switch (t->shape) {
        case Shape::Scalar:
        case Shape::Struct:
          o << "  mig_off = mig_align(mig_off, " << t->align << "u);\n";
          o << "  __builtin_memcpy(mig_buf + mig_off, " << (ptr ? "" : "&") << a.name << ", " << t->size << ");\n";
          o << "  mig_off += " << t->size << "u;\n";
          break;
        case Shape::FixedArray:
          o << "  mig_off = mig_align(mig_off, " << t->align << "u);\n";
          o << "  __builtin_memcpy(mig_buf + mig_off, " << a.name << ", " << t->size << ");\n";
          o << "  mig_off += " << t->size << "u;\n";
          break;
        case Shape::CString:
          o << "  mig_strncpy_field(mig_buf + mig_off, " << a.name << ", " << t->count << "u);\n";
          o << "  mig_off += " << t->count << "u;\n";
          break;
        case Shape::VarArray: {
          std::string c = ptr ? "*" + a.name + "Cnt" : a.name + "Cnt";
          o << "  mig_off = mig_align(mig_off, 4u);\n";
          o << "  { mach_msg_type_number_t mig_n = " << c << "; __builtin_memcpy(mig_buf + mig_off, &mig_n, 4); }\n";
          o << "  mig_off = mig_align(mig_off + 4u, " << t->align << "u);\n";
          o << "  __builtin_memcpy(mig_buf + mig_off, " << a.name << ", (mach_msg_size_t)(" << c << ") * " << t->size << "u);\n";
          o << "  mig_off += (mach_msg_size_t)(" << c << ") * " << t->size << "u;\n";
          break;
        }
        case Shape::VarCString:
          o << "  mig_off = mig_align(mig_off, 4u);\n";
          o << "  { mach_msg_type_number_t mig_n = mig_len_" << a.name << " + 1u; __builtin_memcpy(mig_buf + mig_off, &mig_n, 4); }\n";
          o << "  mig_off += 4u;\n";
          o << "  __builtin_memcpy(mig_buf + mig_off, " << a.name << ", mig_len_" << a.name << ");\n";
          o << "  mig_buf[mig_off + mig_len_" << a.name << "] = 0;\n";
          o << "  mig_off += mig_len_" << a.name << " + 1u;\n";
          break;
      }
    }
    o << "  mig_h->msgh_size = mig_align(mig_off, 4u);\n";
    std::string opts = r.msgOption.empty() ? "" : " | (mach_msg_option_t)(" + r.msgOption + ")";
    if (optArg) opts += " | (mach_msg_option_t)" + optArg->name;
    std::string timeout = waitArg ? "(mach_msg_timeout_t)" + waitArg->name
                          : r.waitTime.empty() ? "MACH_MSG_TIMEOUT_NONE"
                                               : "(mach_msg_timeout_t)(" + r.waitTime + ")";
    if (r.simple) {
      o << "  mig_msgr = mach_msg(mig_h, MACH_SEND_MSG" << opts << ", mig_h->msgh_size, 0, MACH_PORT_NULL, " << timeout
        << ");\n";
      o << "  return mig_msgr;\n}\n";
      return o.str();
    }
    std::string rcvTimeout = (waitArg || !r.waitTime.empty()) ? " | MACH_RCV_TIMEOUT" : "";
    o << "  mig_msgr = mach_msg(mig_h, MACH_SEND_MSG | MACH_RCV_MSG" << rcvTimeout << opts
      << ", mig_h->msgh_size, (mach_msg_size_t)sizeof mig_mess, mig_reply, " << timeout << ");\n";
    o << "  if (mig_msgr != MACH_MSG_SUCCESS) {\n";
    if (!rep)
      o << "    if (mig_msgr >= MACH_RCV_IN_PROGRESS && mig_msgr <= MACH_RCV_BODY_ERROR) mig_dealloc_reply_port(mig_reply);\n";
    o << "    return mig_msgr;\n  }\n";
    // The reply.
    o << "  if (mig_h->msgh_id != " << r.id + 100 << ") return MIG_REPLY_MISMATCH;\n";
    o << "  if (!(mig_h->msgh_bits & MACH_MSGH_BITS_COMPLEX) && mig_h->msgh_size == (mach_msg_size_t)sizeof(mig_reply_error_t)) {\n";
    o << "    kern_return_t mig_rc;\n    __builtin_memcpy(&mig_rc, mig_buf + " << kHeader << ", sizeof mig_rc);\n";
    o << "    if (mig_rc != KERN_SUCCESS) return mig_rc;\n  }\n";
    o << "  {\n" << checkDecls(rp, "    ");
    o << checkBody(rp, true, "mig_h", "mig_buf", "return MIG_TYPE_ERROR;", "    ");
    // RetCode: right after the descriptors.
    o << "    {\n      kern_return_t mig_rc;\n      __builtin_memcpy(&mig_rc, mig_buf + " << rp.descEnd
      << ", sizeof mig_rc);\n      if (mig_rc != KERN_SUCCESS) return mig_rc;\n    }\n";
    // Capacity checks before anything is copied out.
    for (const auto& it : rp.items) {
      if (!it.arg || it.desc) continue;
      const Argument& a = *it.arg;
      if (a.type->shape == Shape::VarArray && a.kind == ArgKind::Out)
        o << "    if (mig_c_" << a.name << " > *" << a.name << "Cnt) { *" << a.name << "Cnt = mig_c_" << a.name
          << "; return MIG_ARRAY_TOO_LARGE; }\n";
    }
    // Copy out.
    for (const auto& it : rp.items) {
      if (!it.arg) continue;
      const Argument& a = *it.arg;
      const Type* t = a.type;
      std::string c = cName(t, Side::User, a.loc);
      if (it.desc) {
        std::string d = "mig_d_" + a.name;
        if (t->shape == Shape::Scalar) {
          o << "    *" << a.name << " = " << d << ".name;\n";
          if (t->isPoly) o << "    *" << a.name << "Poly = " << d << ".disposition;\n";
        } else if (t->isPortArray()) {
          if (t->shape == Shape::FixedArray) o << "    *" << a.name << " = (" << elemC(t, Side::User, a.loc) << ")(uintptr_t)" << d << ".address;\n";
          else {
            o << "    *" << a.name << " = (" << c << ")(uintptr_t)" << d << ".address;\n";
            o << "    *" << a.name << "Cnt = " << d << ".count;\n";
          }
          if (t->elem->isPoly) o << "    *" << a.name << "Poly = " << d << ".disposition;\n";
        } else {
          if (t->shape == Shape::FixedArray) o << "    *" << a.name << " = (" << elemC(t, Side::User, a.loc) << ")(uintptr_t)" << d << ".address;\n";
          else {
            o << "    *" << a.name << " = (" << c << ")(uintptr_t)" << d << ".address;\n";
            o << "    *" << a.name << "Cnt = " << d << ".size";
            if (t->size != 1) o << " / " << t->size << "u";
            o << ";\n";
          }
        }
        continue;
      }
      std::string src = "mig_buf + mig_o_" + a.name;
      switch (t->shape) {
        case Shape::Scalar:
        case Shape::Struct:
        case Shape::FixedArray:
        case Shape::CString:
          o << "    __builtin_memcpy(" << a.name << ", " << src << ", " << t->size << ");\n";
          break;
        case Shape::VarArray:
          o << "    __builtin_memcpy(" << a.name << ", " << src << ", (mach_msg_size_t)mig_c_" << a.name << " * " << t->size << "u);\n";
          o << "    *" << a.name << "Cnt = mig_c_" << a.name << ";\n";
          break;
        case Shape::VarCString:
          o << "    __builtin_memcpy(" << a.name << ", " << src << ", mig_c_" << a.name << ");\n";
          break;
      }
    }
    o << "  }\n  return KERN_SUCCESS;\n}\n";
    return o.str();
  }

  // ------------------------------------------------------------ server side

  std::string serverSource(const std::string& headerName) const {
    std::ostringstream o;
    o << banner() << "#include \"" << headerName << "\"\n\n";
    for (const auto& r : sub_.routines) o << serverStub(r) << "\n";
    // Routine table and demux.
    o << "static const mig_routine_t mig_" << sub_.name << "_routines[" << std::max(1, sub_.routineSlots) << "] = {\n";
    std::vector<std::string> slots(static_cast<size_t>(std::max(1, sub_.routineSlots)), "0");
    for (const auto& r : sub_.routines) slots[static_cast<size_t>(r.index)] = "_X" + r.name;
    for (const auto& s : slots) o << "  " << s << ",\n";
    o << "};\n\n";
    o << "mig_routine_t " << sub_.name << "_server_routine(mach_msg_header_t* InHeadP)\n{\n";
    o << "  int32_t mig_i = (int32_t)((uint32_t)InHeadP->msgh_id - " << sub_.base << "u);\n";
    o << "  if (mig_i < 0 || mig_i >= " << sub_.routineSlots << ") return 0;\n";
    o << "  return mig_" << sub_.name << "_routines[mig_i];\n}\n\n";
    o << "boolean_t " << sub_.demuxName() << "(mach_msg_header_t* InHeadP, mach_msg_header_t* OutHeadP)\n{\n";
    o << "  mig_routine_t mig_r;\n";
    o << "  OutHeadP->msgh_bits = MACH_MSGH_BITS(MACH_MSGH_BITS_REMOTE(InHeadP->msgh_bits), 0);\n";
    o << "  OutHeadP->msgh_remote_port = InHeadP->msgh_remote_port;\n";
    o << "  OutHeadP->msgh_local_port = MACH_PORT_NULL;\n  OutHeadP->msgh_seqno = 0;\n";
    o << "  OutHeadP->msgh_id = (mach_msg_id_t)((uint32_t)InHeadP->msgh_id + 100u);\n";
    o << "  mig_reply_error(OutHeadP, KERN_SUCCESS);\n";
    o << "  mig_r = " << sub_.name << "_server_routine(InHeadP);\n";
    o << "  if (mig_r == 0) {\n    mig_reply_error(OutHeadP, MIG_BAD_ID);\n    return FALSE;\n  }\n";
    o << "  mig_r(InHeadP, OutHeadP);\n  return TRUE;\n}\n";
    return o.str();
  }

  std::string serverStub(const Routine& r) const {
    std::ostringstream o;
    Layout rq = layout(r, false), rp = layout(r, true);
    o << "/* " << r.name << ": request id " << r.id << " */\n";
    o << "static void _X" << r.name << "(mach_msg_header_t* InHeadP, mach_msg_header_t* OutHeadP)\n{\n";
    o << "  uint8_t* mig_in = (uint8_t*)InHeadP;\n";
    o << "  mach_msg_size_t mig_off;\n  kern_return_t mig_ret;\n";
    if (!r.simple) o << "  uint8_t* mig_out = (uint8_t*)OutHeadP;\n";
    o << checkDecls(rq, "  ");
    const std::string err = "{ mig_reply_error(OutHeadP, MIG_BAD_ARGUMENTS); return; }";
    o << checkBody(rq, false, "InHeadP", "mig_in", err, "  ");
    o << "  (void)mig_in;\n";
    // Arguments.
    std::vector<std::string> call;
    std::vector<std::string> after;  // destructors
    for (const auto& a : r.args) {
      if (!a.onServerSide()) continue;
      const Type* t = a.type;
      const std::string& n = a.name;
      std::string sc = cName(t, Side::Server, a.loc);
      bool out = a.kind == ArgKind::Out, inout = a.kind == ArgKind::InOut;
      // Where this argument's bytes live in the largest reply.
      uint32_t rmax = 0;
      for (const auto& it : rp.items)
        if (it.arg == &a) rmax = it.maxOff;
      auto intran = [&](const std::string& raw) {
        if (t->inTranFn.empty()) {
          o << "  " << sc << " " << n << " = " << raw << ";\n";
        } else {
          o << "  " << t->inTranType << " " << n << " = " << t->inTranFn << "((" << t->inTranFrom << ")" << raw << ");\n";
        }
        if (!t->destructorFn.empty()) after.push_back("  " + t->destructorFn + "(" + n + ");\n");
      };
      switch (a.kind) {
        case ArgKind::RequestPort:
          intran("InHeadP->msgh_local_port");
          call.push_back(n);
          if (t->isPoly) call.push_back("MACH_MSGH_BITS_LOCAL(InHeadP->msgh_bits)");
          continue;
        case ArgKind::ReplyPort:
        case ArgKind::SReplyPort:
          intran("InHeadP->msgh_remote_port");
          call.push_back(n);
          if (t->isPoly) call.push_back("MACH_MSGH_BITS_REMOTE(InHeadP->msgh_bits)");
          continue;
        case ArgKind::MsgSeqno:
          o << "  " << sc << " " << n << " = (" << sc << ")InHeadP->msgh_seqno;\n";
          call.push_back(n);
          continue;
        default: break;
      }
      switch (t->shape) {
        case Shape::Scalar:
        case Shape::Struct:
          if (t->isPort) {
            if (out) {
              o << "  " << serverScalarC(a) << " " << n << ";\n";
              if (t->isPoly) o << "  mach_msg_type_name_t " << n << "Poly = " << dispName(code::kCopySend) << ";\n";
            } else {
              intran("mig_d_" + n + ".name");
              if (t->isPoly) o << "  mach_msg_type_name_t " << n << "Poly = mig_d_" << n << ".disposition;\n";
            }
          } else if (out) {
            o << "  " << serverScalarC(a) << " " << n << ";\n";
            o << "  __builtin_memset(&" << n << ", 0, sizeof " << n << ");\n";
          } else {
            o << "  " << sc << " mig_raw_" << n << ";\n";
            o << "  __builtin_memcpy(&mig_raw_" << n << ", mig_in + mig_o_" << n << ", " << t->size << ");\n";
            intran("mig_raw_" + n);
          }
          call.push_back((out || inout) ? "&" + n : n);
          if (t->isPoly) call.push_back((out || inout) ? "&" + n + "Poly" : n + "Poly");
          break;
        case Shape::FixedArray:
        case Shape::VarArray: {
          std::string ec = elemC(t, Side::Server, a.loc);
          bool var = t->shape == Shape::VarArray;
          if (t->isPortArray() || t->outOfLine) {
            std::string d = "mig_d_" + n;
            std::string pt = var ? sc : ec;
            if (out) {
              o << "  " << pt << " " << n << " = 0;\n";
              if (var) o << "  mach_msg_type_number_t " << n << "Cnt = 0;\n";
              call.push_back("&" + n);
            } else {
              o << "  " << pt << " " << n << " = (" << pt << ")(uintptr_t)" << d << ".address;\n";
              if (var) {
                o << "  mach_msg_type_number_t " << n << "Cnt = ";
                if (t->isPortArray()) o << d << ".count;\n";
                else o << d << ".size" << (t->size != 1 ? " / " + num(t->size) + "u" : "") << ";\n";
              }
              call.push_back(n);
            }
            if (var) call.push_back(out ? "&" + n + "Cnt" : n + "Cnt");
            if (t->isPortArray() && t->elem->isPoly) {
              if (out) o << "  mach_msg_type_name_t " << n << "Poly = " << dispName(code::kCopySend) << ";\n";
              else o << "  mach_msg_type_name_t " << n << "Poly = " << d << ".disposition;\n";
              call.push_back(out ? "&" + n + "Poly" : n + "Poly");
            }
            if (t->serverCopy && !out) call.push_back(d + ".copy == MACH_MSG_PHYSICAL_COPY");
            if (t->dealloc == Dealloc::Runtime && out) {
              o << "  boolean_t " << n << "Dealloc = FALSE;\n";
              call.push_back("&" + n + "Dealloc");
            }
            break;
          }
          // Inline: in arrays point into the request, out arrays into the reply.
          if (out || inout) {
            o << "  " << ec << " " << n << " = (" << ec << ")(void*)(mig_out + " << rmax << "u);\n";
            if (var) {
              if (inout) {
                o << "  mach_msg_type_number_t " << n << "Cnt = mig_c_" << n << ";\n";
                o << "  __builtin_memcpy(" << n << ", mig_in + mig_o_" << n << ", (mach_msg_size_t)mig_c_" << n << " * " << t->size << "u);\n";
              } else {
                o << "  mach_msg_type_number_t " << n << "Cnt = " << t->count << "u;\n";
              }
            } else if (inout) {
              o << "  __builtin_memcpy(" << n << ", mig_in + mig_o_" << n << ", " << t->size << ");\n";
            } else {
              o << "  __builtin_memset(" << n << ", 0, " << t->size << ");\n";
            }
            call.push_back(n);
            if (var) call.push_back("&" + n + "Cnt");
          } else {
            call.push_back("(" + ec + ")(void*)(mig_in + mig_o_" + n + ")");
            if (var) call.push_back("mig_c_" + n);
          }
          break;
        }
        case Shape::CString:
        case Shape::VarCString: {
          uint32_t cap = t->count;
          if (out || inout) {
            o << "  char* " << n << " = (char*)(mig_out + " << rmax << "u);\n";
            if (inout && t->shape == Shape::VarCString)
              o << "  __builtin_memcpy(" << n << ", mig_in + mig_o_" << n << ", mig_c_" << n << ");\n";
            else if (inout)
              o << "  __builtin_memcpy(" << n << ", mig_in + mig_o_" << n << ", " << cap << ");\n";
            else
              o << "  __builtin_memset(" << n << ", 0, " << cap << ");\n";
            call.push_back(n);
          } else {
            call.push_back("(char*)(mig_in + mig_o_" + n + ")");
          }
          break;
        }
      }
    }
    std::string head = "  mig_ret = " + serverName(r) + "(";
    o << head;
    for (size_t i = 0; i < call.size(); ++i) o << (i ? ", " : "") << call[i];
    o << ");\n";
    for (const auto& d : after) o << d;
    if (r.simple) {
      o << "  mig_reply_error(OutHeadP, mig_ret == KERN_SUCCESS ? MIG_NO_REPLY : mig_ret);\n";
      o << "  (void)mig_off;\n}\n";
      return o.str();
    }
    o << "  if (mig_ret != KERN_SUCCESS) {\n    mig_reply_error(OutHeadP, mig_ret);\n    return;\n  }\n";
    // Out counts the implementation returned.
    for (const auto& it : rp.items) {
      if (!it.arg) continue;
      const Argument& a = *it.arg;
      const Type* t = a.type;
      if (t->shape != Shape::VarArray) continue;
      uint32_t bound = t->count ? t->count : (t->isPortArray() ? 1024u : 0u);
      if (bound)
        o << "  if (" << a.name << "Cnt > " << bound << "u) {\n    mig_reply_error(OutHeadP, MIG_ARRAY_TOO_LARGE);\n    return;\n  }\n";
    }
    // Build the reply: descriptors, RetCode, then inline items moved down to
    // their packed places.
    auto val = [&](const Argument& a) {
      const Type* t = a.type;
      if (t->shape == Shape::Scalar && !t->outTranFn.empty())
        return "(" + t->outTranType + ")" + t->outTranFn + "(" + a.name + ")";
      return a.name;
    };
    auto cnt = [](const Argument& a) { return a.name + "Cnt"; };
    auto poly = [](const Argument& a) { return a.name + "Poly"; };
    auto dl = [](const Argument& a) { return deallocExpr(a, false); };
    o << "  OutHeadP->msgh_bits = MACH_MSGH_BITS(MACH_MSGH_BITS_REMOTE(InHeadP->msgh_bits), 0)"
      << (rp.ndesc ? " | MACH_MSGH_BITS_COMPLEX" : "") << ";\n";
    o << writeDescriptors(rp, true, "mig_out", val, cnt, poly, dl, "  ");
    o << "  mig_off = " << rp.descEnd << "u;\n";
    for (const auto& it : rp.items) {
      if (it.desc) continue;
      if (!it.arg) {
        o << "  __builtin_memcpy(mig_out + mig_off, &mig_ret, 4);\n  mig_off += 4u;\n";
        continue;
      }
      const Argument& a = *it.arg;
      const Type* t = a.type;
      const std::string& n = a.name;
      switch (t->shape) {
        case Shape::Scalar:
        case Shape::Struct:
          o << "  mig_off = mig_align(mig_off, " << t->align << "u);\n";
          if (!t->outTranFn.empty()) {
            o << "  { " << cName(t, Side::Server, a.loc) << " mig_x = " << t->outTranFn << "(" << n
              << "); __builtin_memcpy(mig_out + mig_off, &mig_x, " << t->size << "); }\n";
          } else {
            o << "  __builtin_memcpy(mig_out + mig_off, &" << n << ", " << t->size << ");\n";
          }
          o << "  mig_off += " << t->size << "u;\n";
          break;
        case Shape::FixedArray:
        case Shape::CString:
          o << "  mig_off = mig_align(mig_off, " << t->align << "u);\n";
          if (t->shape == Shape::CString) o << "  mig_out[" << it.maxOff + t->count - 1 << "] = 0;\n";
          o << "  __builtin_memmove(mig_out + mig_off, mig_out + " << it.maxOff << "u, " << t->size << ");\n";
          o << "  mig_off += " << t->size << "u;\n";
          break;
        case Shape::VarArray:
          o << "  mig_off = mig_align(mig_off, 4u);\n";
          o << "  __builtin_memcpy(mig_out + mig_off, &" << n << "Cnt, 4);\n";
          o << "  mig_off = mig_align(mig_off + 4u, " << t->align << "u);\n";
          o << "  __builtin_memmove(mig_out + mig_off, mig_out + " << it.maxOff << "u, (mach_msg_size_t)" << n << "Cnt * "
            << t->size << "u);\n";
          o << "  mig_off += (mach_msg_size_t)" << n << "Cnt * " << t->size << "u;\n";
          break;
        case Shape::VarCString:
          o << "  {\n    mach_msg_type_number_t mig_n = mig_strnlen(" << n << ", " << t->count - 1 << "u);\n";
          o << "    " << n << "[mig_n++] = 0;\n";
          o << "    mig_off = mig_align(mig_off, 4u);\n";
          o << "    __builtin_memcpy(mig_out + mig_off, &mig_n, 4);\n    mig_off += 4u;\n";
          o << "    __builtin_memmove(mig_out + mig_off, mig_out + " << it.maxOff << "u, mig_n);\n";
          o << "    mig_off += mig_n;\n  }\n";
          break;
      }
    }
    o << "  OutHeadP->msgh_size = mig_align(mig_off, 4u);\n}\n";
    return o.str();
  }
};

}  // namespace

GeneratedFiles generate(const Subsystem& sub, const std::string& userHeaderName, const std::string& serverHeaderName) {
  return Generator(sub).run(userHeaderName, serverHeaderName);
}

}  // namespace mig
