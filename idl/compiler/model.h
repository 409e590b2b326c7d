// The semantic model of a .defs file: types with their wire layout, routines
// with their arguments and message ids. Built by the front end (frontend.cpp),
// read by the generators (generate*.cpp); neither knows the other.
#pragma once

#include <cstdint>
#include <deque>
#include <stdexcept>
#include <string>
#include <vector>

namespace mig {

struct Location {
  std::string file;
  int line = 0;
  int col = 0;
};

// A user-caused error in the input: reported as `file:line:col: error: message`.
class CompileError : public std::runtime_error {
 public:
  CompileError(Location where, const std::string& message) : std::runtime_error(message), loc(std::move(where)) {}
  Location loc;
};

// MIG's data type codes (GNU values), for data items; the port codes are the
// dispositions of <mach/message.h>.
namespace code {
constexpr uint32_t kUnstructured = 0, kBit = 0, kBoolean = 0, kInteger16 = 1, kInteger32 = 2, kChar = 8,
                   kByte = 9, kInteger8 = 9, kReal = 10, kInteger64 = 11, kString = 12, kStringC = 12,
                   kPortName = 15, kMoveReceive = 16, kMoveSend = 17, kMoveSendOnce = 18, kCopySend = 19,
                   kMakeSend = 20, kMakeSendOnce = 21, kCopyReceive = 22, kPolymorphic = 0xffffffffu;
}  // namespace code

// The shape of a type on the wire.
enum class Shape {
  Scalar,      // one data item or one port right
  FixedArray,  // N elements, inline (or out of line with `^`)
  VarArray,    // a count then up to N elements inline, or out of line
  Struct,      // N elements passed as one C struct
  CString,     // c_string[N]: N bytes inline
  VarCString,  // c_string[*:N]: a count then the bytes with their NUL
};

enum class Dealloc { Never, Always, Runtime };

struct Type {
  std::string name;  // empty for a type written inline in an argument
  Location loc;
  Shape shape = Shape::Scalar;

  // Scalars: the MIG code when the user side sends it (request) and when the
  // server side sends it (reply); they differ only for `(a | b)` types.
  uint32_t inCode = 0;
  uint32_t outCode = 0;
  bool isPort = false;  // a right carried in a port descriptor
  bool isPoly = false;  // disposition chosen at run time
  bool dataCode = false; // inCode is a data code, not a port disposition

  // Bytes of one whole value (fixed shapes) or of one element (VarArray,
  // VarCString), and the alignment of the value.
  uint32_t size = 0;
  uint32_t align = 1;

  const Type* elem = nullptr;  // arrays and structs
  uint32_t count = 0;          // fixed count, or the bound of a variable one (0: none)
  bool outOfLine = false;      // carried in an OOL (or OOL ports) descriptor
  Dealloc dealloc = Dealloc::Never;
  bool serverCopy = false;
  bool countInOut = false;  // out inline array: the caller's capacity travels in the request

  // C types: `ctype:` (both sides), `cusertype:`, `cservertype:`.
  std::string cType, cUserType, cServerType;
  std::string inTranType, inTranFn, inTranFrom;
  std::string outTranType, outTranFn, outTranFrom;
  std::string destructorFn, destructorArg;

  bool isPortArray() const { return (shape == Shape::FixedArray || shape == Shape::VarArray) && elem && elem->isPort; }
  bool isVariable() const { return shape == Shape::VarArray || shape == Shape::VarCString; }
  // Carried in a descriptor rather than inline.
  bool inDescriptor() const { return (shape == Shape::Scalar && isPort) || isPortArray() || outOfLine; }
};

enum class ArgKind { In, Out, InOut, RequestPort, ReplyPort, SReplyPort, UReplyPort, WaitTime, MsgOption, MsgSeqno };

struct Argument {
  std::string name;
  ArgKind kind = ArgKind::In;
  const Type* type = nullptr;
  Location loc;

  bool inRequestBody() const { return kind == ArgKind::In || kind == ArgKind::InOut; }
  bool inReplyBody() const { return kind == ArgKind::Out || kind == ArgKind::InOut; }
  bool onUserSide() const { return kind != ArgKind::SReplyPort && kind != ArgKind::MsgSeqno; }
  bool onServerSide() const {
    return kind != ArgKind::UReplyPort && kind != ArgKind::WaitTime && kind != ArgKind::MsgOption;
  }
};

struct Routine {
  std::string name;
  Location loc;
  bool simple = false;  // simpleroutine: send only, no reply
  int index = 0;        // position in the subsystem (skips count)
  int32_t id = 0;       // request id; the reply is id + 100
  std::vector<Argument> args;
  std::string waitTime;   // C expression of the timeout in ms, empty: none
  std::string msgOption;  // C expression or'ed into the mach_msg options

  // Which argument is the destination, and which (if any) the reply port
  // on each side.
  const Argument* requestPort() const;
  const Argument* userReplyPort() const;
  const Argument* serverReplyPort() const;
};

struct Import {
  enum Side { Both, User, Server } side = Both;
  std::string text;  // `"file.h"` or `<file.h>`
};

struct Subsystem {
  std::string name;
  Location loc;
  int32_t base = 0;
  bool kernelUser = false, kernelServer = false;
  std::string userPrefix, serverPrefix, serverDemux, rcsId;
  std::vector<Import> imports;
  std::vector<Routine> routines;
  int routineSlots = 0;  // routines and skips
  std::deque<Type> types;  // every type, named or not (stable addresses)
  std::string inputFile;

  std::string demuxName() const { return serverDemux.empty() ? name + "_server" : serverDemux; }
};

}  // namespace mig
