// The bootstrap sanity test: prints its arguments and environment.
#include "libmach/print.h"

int main(int argc, char** argv, char** envp) {
  printf("hello from user mode: argc=%d\n", argc);
  for (int i = 0; i < argc; ++i) printf("hello: argv[%d]=%s\n", i, argv[i]);
  for (int i = 0; envp[i] != nullptr; ++i) printf("hello: envp[%d]=%s\n", i, envp[i]);
  return 0;
}
