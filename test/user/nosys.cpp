// A foreign (Linux) system call from a task with no emulation entry: the
// kernel must end the task with a log line, not run anything.
#include "libmach/print.h"
#include "libmach/traps.h"

int main(int, char**, char**) {
  printf("nosys: issuing Linux exit_group(7) without an emulation entry\n");
  long r = linux_syscall6(231, 7, 0, 0, 0, 0, 0);
  printf("nosys: survived, got %ld\n", r);
  return 1;
}
