// The system calls the library implements: X(Linux number, name), each
// handled by `long sys_<name>(const emulation_frame&)` in one of the
// sys_*.cpp files. dispatch.cpp builds its table from this list.
#pragma once

#include "emulation.h"

#define EMUL_SYSCALLS(X) \
  X(0, read) \
  X(1, write) \
  X(2, open) \
  X(3, close) \
  X(4, stat) \
  X(5, fstat) \
  X(6, lstat) \
  X(8, lseek) \
  X(9, mmap) \
  X(10, mprotect) \
  X(11, munmap) \
  X(12, brk) \
  X(13, rt_sigaction) \
  X(14, rt_sigprocmask) \
  X(16, ioctl) \
  X(17, pread64) \
  X(18, pwrite64) \
  X(19, readv) \
  X(20, writev) \
  X(22, pipe) \
  X(21, access) \
  X(24, sched_yield) \
  X(25, mremap) \
  X(28, madvise) \
  X(32, dup) \
  X(33, dup2) \
  X(35, nanosleep) \
  X(39, getpid) \
  X(56, clone) \
  X(57, fork) \
  X(58, vfork) \
  X(59, execve) \
  X(61, wait4) \
  X(62, kill) \
  X(40, sendfile) \
  X(60, exit) \
  X(63, uname) \
  X(72, fcntl) \
  X(79, getcwd) \
  X(89, readlink) \
  X(95, umask) \
  X(96, gettimeofday) \
  X(97, getrlimit) \
  X(98, getrusage) \
  X(100, times) \
  X(99, sysinfo) \
  X(102, getuid) \
  X(104, getgid) \
  X(107, geteuid) \
  X(108, getegid) \
  X(109, setpgid) \
  X(110, getppid) \
  X(111, getpgrp) \
  X(112, setsid) \
  X(121, getpgid) \
  X(124, getsid) \
  X(127, rt_sigpending) \
  X(130, rt_sigsuspend) \
  X(131, sigaltstack) \
  X(157, prctl) \
  X(158, arch_prctl) \
  X(160, setrlimit) \
  X(186, gettid) \
  X(200, tkill) \
  X(201, time) \
  X(204, sched_getaffinity) \
  X(217, getdents64) \
  X(218, set_tid_address) \
  X(228, clock_gettime) \
  X(229, clock_getres) \
  X(230, clock_nanosleep) \
  X(231, exit_group) \
  X(234, tgkill) \
  X(247, waitid) \
  X(257, openat) \
  X(262, newfstatat) \
  X(267, readlinkat) \
  X(269, faccessat) \
  X(273, set_robust_list) \
  X(292, dup3) \
  X(293, pipe2) \
  X(295, preadv) \
  X(296, pwritev) \
  X(302, prlimit64) \
  X(309, getcpu) \
  X(318, getrandom) \
  X(334, rseq) \
  X(439, faccessat2) \
  /* -- names, metadata and sync (sys_path.cpp); waiting (sys_wait.cpp) -- */ \
  X(7, poll) \
  X(23, select) \
  X(34, pause) \
  X(74, fsync) \
  X(75, fdatasync) \
  X(76, truncate) \
  X(77, ftruncate) \
  X(80, chdir) \
  X(81, fchdir) \
  X(82, rename) \
  X(83, mkdir) \
  X(84, rmdir) \
  X(85, creat) \
  X(86, link) \
  X(87, unlink) \
  X(88, symlink) \
  X(90, chmod) \
  X(91, fchmod) \
  X(92, chown) \
  X(93, fchown) \
  X(94, lchown) \
  X(132, utime) \
  X(137, statfs) \
  X(138, fstatfs) \
  X(162, sync) \
  X(235, utimes) \
  X(258, mkdirat) \
  X(260, fchownat) \
  X(263, unlinkat) \
  X(264, renameat) \
  X(265, linkat) \
  X(266, symlinkat) \
  X(268, fchmodat) \
  X(270, pselect6) \
  X(271, ppoll) \
  X(280, utimensat) \
  X(306, syncfs) \
  X(316, renameat2)
  /* -- end of sys_path.cpp / sys_wait.cpp -- */

namespace emul {
#define EMUL_DECLARE(nr, name) long sys_##name(const emulation_frame& f);
EMUL_SYSCALLS(EMUL_DECLARE)
#undef EMUL_DECLARE
}  // namespace emul
