// emulate(): every redirected system call of the program arrives here (from
// entry.S's emulation_entry, on the library's stack) and leaves its result
// in frame->rax, which entry.S hands back to the program.
#include "process_state.h"
#include "syscalls.h"

namespace emul {
namespace {

constexpr unsigned long kSysRtSigreturn = 15;  // restores the frame: not a table entry

struct Table {
  Handler handler[kSyscallCount];
  constexpr Table() : handler{} {
#define EMUL_ENTRY(nr, name) handler[nr] = &sys_##name;
    EMUL_SYSCALLS(EMUL_ENTRY)
#undef EMUL_ENTRY
  }
};
// Built by the compiler: the library runs no constructors.
constinit const Table kTable;

// One log line per unknown number per process: a bit per number (and one
// for every number past the table).
constinit uint64_t g_reported[(kSyscallCount + 1 + 63) / 64] = {};

long unknown(unsigned long nr) {
  unsigned long bit = nr < kSyscallCount ? nr : kSyscallCount;
  uint64_t mask = uint64_t(1) << (bit % 64);
  if (!(g_reported[bit / 64] & mask)) {
    g_reported[bit / 64] |= mask;
    const char* name = syscall_name(nr);
    log("unknown system call %lu (%s) -> ENOSYS", nr, name ? name : "?");
  }
  return -linux_abi::kENOSYS;
}

}  // namespace
}  // namespace emul

extern "C" void emulate(emulation_frame* frame) {
  using namespace emul;
  unsigned long nr = frame->rax;
  if (nr == kSysRtSigreturn) {
    signal_return(*frame);  // the whole frame is the saved one now
  } else {
    Handler h = nr < kSyscallCount ? kTable.handler[nr] : nullptr;
    frame->rax = static_cast<unsigned long>(h ? h(*frame) : unknown(nr));
  }
  // On the way out: a pending signal's handler runs first.
  deliver_signals(*frame, nr);
  finish_suspend();
}
