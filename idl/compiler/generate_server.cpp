#include "generate_internal.h"

#include <algorithm>
#include <sstream>

namespace mig::gen {

// The server-side C type of a scalar argument after translation.
std::string Generator::serverScalarC(const Argument& a) {
  const Type* t = a.type;
  bool out = a.kind == ArgKind::Out;
  if (!out && !t->inTranFn.empty()) return t->inTranType;
  if (out && !t->outTranFn.empty()) return t->outTranFrom;
  return cName(t, Side::Server, a.loc);
}

std::vector<std::string> Generator::serverParams(const Routine& r) const {
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

std::string Generator::serverHeader() const {
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

std::string Generator::serverSource(const std::string& headerName) const {
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

std::string Generator::serverStub(const Routine& r) const {
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
            } else if (t->countInOut) {  // what the caller can take, at most the bound
              o << "  mach_msg_type_number_t " << n << "Cnt = mig_c_" << n << " < " << t->count << "u ? mig_c_" << n
                << " : " << t->count << "u;\n";
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

}  // namespace mig::gen
