// Signals and the ends of processes (docs/unix.md, "Signals"). The server
// decides what a signal does: nothing (ignored, explicitly or by default),
// the default action (the process ends: its task is terminated), or, for a
// caught signal, pending until the library delivers it on the way out of
// a system call (the server rewrites the info page's pending word, and a
// caught signal that is not blocked interrupts the process's waiting calls
// with EINTR).
#pragma once

#include "process.h"

namespace ux {

constexpr int kSIGHUP = 1, kSIGINT = 2, kSIGQUIT = 3, kSIGKILL = 9, kSIGSEGV = 11, kSIGPIPE = 13, kSIGTERM = 15,
              kSIGCHLD = 17, kSIGCONT = 18, kSIGSTOP = 19, kSIGTSTP = 20, kSIGTTIN = 21, kSIGTTOU = 22;
constexpr int kMaxSignal = 64;

inline uint64_t sigbit(int sig) { return uint64_t(1) << (sig - 1); }

// Sends sig (1..64) to p.
void post_signal(Process* p, int sig);
// To every process of the group; false when there is none.
bool signal_group(int pgrp, int sig);
// Applies what became deliverable after a change of p's signal state
// (pending defaults unblocked) and rewrites its pending word.
void signal_state_changed(Process* p);

// p's task ended or must end: wait_status as wait4 reports it (exit code
// << 8, or the signal). Closes its files, hands its children to init,
// tells its parent; the slot stays as a zombie until waited for.
void process_exit(Process* p, int wait_status);
// A zombie waited for: its slot is freed (once its task's death is seen).
void process_reap(Process* p);

}  // namespace ux
