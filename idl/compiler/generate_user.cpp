#include "generate_internal.h"

#include <algorithm>
#include <sstream>

namespace mig::gen {

// The parameter list of the user stub.
std::vector<std::string> Generator::userParams(const Routine& r) const {
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

std::string Generator::userHeader() const {
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

std::string Generator::userSource(const std::string& headerName) const {
  std::ostringstream o;
  o << banner() << "#include \"" << headerName << "\"\n\n";
  for (const auto& r : sub_.routines) o << userStub(r) << "\n";
  return o.str();
}

std::string Generator::userStub(const Routine& r) const {
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
    if (!it.arg || it.count) continue;
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
    if (it.count) {  // CountInOut: the capacity of the caller's buffer
      o << "  mig_off = mig_align(mig_off, 4u);\n";
      o << "  { mach_msg_type_number_t mig_n = *" << a.name << "Cnt; __builtin_memcpy(mig_buf + mig_off, &mig_n, 4); }\n";
      o << "  mig_off += 4u;\n";
      continue;
    }
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

}  // namespace mig::gen
