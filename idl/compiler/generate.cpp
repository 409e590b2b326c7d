#include "generate.h"

#include <sstream>

#include "generate_internal.h"

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

namespace gen {

namespace {

constexpr uint32_t kMsgSizeMax = 64 * 1024;

// The right a receiver holds after a send with disposition c.
const char* receivedName(uint32_t c) {
  switch (c) {
    case code::kMoveReceive: return "MACH_MSG_TYPE_PORT_RECEIVE";
    case code::kMoveSendOnce:
    case code::kMakeSendOnce: return "MACH_MSG_TYPE_PORT_SEND_ONCE";
    default: return "MACH_MSG_TYPE_PORT_SEND";
  }
}

}  // namespace

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

Layout layout(const Routine& r, bool reply) {
  Layout l;
  for (const auto& a : r.args) {
    bool in = reply ? a.inReplyBody() : a.inRequestBody();
    if (in && a.type->inDescriptor()) l.items.push_back({&a, true, false, 0});
  }
  l.ndesc = static_cast<uint32_t>(l.items.size());
  l.descEnd = kHeader + (l.ndesc ? 4 + 16 * l.ndesc : 0);
  if (reply) l.items.push_back({nullptr, false, false, 0});
  for (const auto& a : r.args) {
    bool in = reply ? a.inReplyBody() : a.inRequestBody();
    if (in && !a.type->inDescriptor()) l.items.push_back({&a, false, false, 0});
    if (!reply && a.kind == ArgKind::Out && a.type->countInOut) l.items.push_back({&a, false, true, 0});
  }
  uint32_t minOff = l.descEnd, maxOff = l.descEnd;
  for (auto& it : l.items) {
    if (it.desc) continue;
    if (!it.arg || it.count) {
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

// ------------------------------------------------------------ generator

GeneratedFiles Generator::run(const std::string& userHeaderName, const std::string& serverHeaderName) {
  for (const auto& r : sub_.routines) check(r);
  GeneratedFiles f;
  f.userHeader = userHeader();
  f.userSource = userSource(userHeaderName);
  f.serverHeader = serverHeader();
  f.serverSource = serverSource(serverHeaderName);
  return f;
}

void Generator::check(const Routine& r) const {
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

std::string Generator::banner() const {
  std::string s = "/* Generated by mig from " + sub_.inputFile + " (subsystem " + sub_.name + " " + num(sub_.base) +
                  "). Do not edit. */\n";
  if (!sub_.rcsId.empty()) {
    std::string id = sub_.rcsId;
    for (size_t p; (p = id.find("*/")) != std::string::npos;) id.replace(p, 2, "* /");
    s += "/* rcsid: " + id + " */\n";
  }
  return s;
}

std::string Generator::imports(Import::Side side) const {
  std::string s;
  for (const auto& i : sub_.imports)
    if (i.side == Import::Both || i.side == side) s += "#include " + i.text + "\n";
  return s;
}

std::string Generator::guard(const std::string& what) const {
  std::string g = "MIG_" + sub_.name + "_" + what + "_H";
  for (auto& c : g) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
  return g;
}

std::string Generator::join(const std::vector<std::string>& v, const std::string& indent) {
  if (v.empty()) return "void";
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) s += ",\n" + indent;
    s += v[i];
  }
  return s;
}

// ------------------------------------------------------------ shared pieces

// Code that checks a received body and records where each item is.
// `buf` is the message bytes, `err` the statement run on a malformed message.
// Declares mig_d_<n> for descriptors and mig_o_<n> / mig_c_<n> for inline items.
std::string Generator::checkBody(const Layout& l, bool reply, const std::string& hdr, const std::string& buf,
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
    if (it.count) {
      o << ind << "mig_off = mig_align(mig_off, 4u) + 4u; /* " << a.name << "Cnt: the caller's capacity */\n";
      o << ind << "if (mig_off > mig_size) " << err << "\n";
      o << ind << "__builtin_memcpy(&mig_c_" << a.name << ", " << buf << " + mig_off - 4u, 4);\n";
      continue;
    }
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
std::string Generator::checkDecls(const Layout& l, const std::string& ind) {
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
    } else if (it.count) {
      o << ind << "mach_msg_type_number_t mig_c_" << a.name << ";\n";
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
std::string Generator::writeDescriptors(const Layout& l, bool reply, const std::string& buf, const ArgExpr& val,
                                        const ArgExpr& cnt, const ArgExpr& poly, const ArgExpr& dealloc,
                                        const std::string& ind) const {
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

std::string Generator::deallocExpr(const Argument& a, bool runtimeIsPointer) {
  switch (a.type->dealloc) {
    case Dealloc::Never: return "0";
    case Dealloc::Always: return "1";
    case Dealloc::Runtime: return std::string(runtimeIsPointer ? "*" : "") + a.name + "Dealloc ? 1 : 0";
  }
  return "0";
}

}  // namespace gen

GeneratedFiles generate(const Subsystem& sub, const std::string& userHeaderName, const std::string& serverHeaderName) {
  return gen::Generator(sub).run(userHeaderName, serverHeaderName);
}

}  // namespace mig
