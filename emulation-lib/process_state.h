// Per-process state of the library that more than one file needs. All of
// it is plain static data: fork copies it with the process, exec starts a
// fresh copy of the library.
#pragma once

#include <stdint.h>

#include <mach/emulation.h>

namespace emul {

void init_memory_state();               // the break, from the info page (sys_memory.cpp)
void set_process_name(const char* name);  // prctl's name, truncated to 15 (sys_process.cpp)
uint32_t current_umask();               // applied to creation modes (sys_process.cpp)
uint64_t current_fs_base();             // the program's TLS pointer, as arch_prctl set it (sys_process.cpp)
void set_fs_base_record(uint64_t base);  // a forked child's, set by clone's CLONE_SETTLS

// Signals (sys_signal.cpp, signal_delivery.cpp).
struct SignalAction {  // x86-64 struct sigaction as the kernel takes it
  uint64_t handler, flags, restorer, mask;
};
constexpr uint64_t kSIG_DFL = 0, kSIG_IGN = 1;
constexpr uint64_t kSA_SIGINFO = 4, kSA_ONSTACK = 0x08000000, kSA_RESTART = 0x10000000, kSA_NODEFER = 0x40000000,
                   kSA_RESETHAND = 0x80000000, kSA_RESTORER = 0x04000000;
SignalAction& signal_action(int sig);   // 1..64
// The alternate signal stack's top, when one is set.
bool alternate_stack(uint64_t* top);
uint64_t& blocked_signals();
// Tells the server the blocked mask and which signals are caught or
// ignored; taken: pending signals being delivered now.
long sync_signal_state(uint64_t taken);
// Delivers one pending signal that is not blocked, if any, by making the
// frame return into its handler (called on the way out of every call).
// nr: the call just made (for SA_RESTART), result already in frame.rax.
void deliver_signals(emulation_frame& frame, unsigned long nr);
// rt_sigreturn: the frame the handler's return left on the stack.
void signal_return(emulation_frame& frame);
// rt_sigsuspend: mask is the one to restore after the signal's handler;
// finish_suspend restores it when no handler ran.
void set_suspend_mask(uint64_t mask);
void finish_suspend();

}  // namespace emul
