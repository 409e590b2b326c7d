// A program started from the file pager (issue 9; docs/pagers.md,
// "Demand-paged programs"), case exec-from-file-pager: looks up
// bin/hello.elf in the boot archive (bootfs_exec.tar) and starts it with
// libmach::elf_exec, its segments mapped copy-on-write from the file's
// memory object; waits for it to end and reports how many pages the
// pager was asked for against the file's size. Needs the name server's
// "file-pager".
#include <fs.h>
#include <vm_rpc.h>

#include "ipc_util.h"
#include "libmach/elf_exec.h"

const char* g_role = "exec-client";

namespace {

constexpr uint64_t kPage = 4096;

uint64_t pageins() {
  vm_statistics_data_t s{};
  CHECK_KR(rpc_vm_statistics(mach_task_self(), &s), KERN_SUCCESS);
  return s.pageins;
}

}  // namespace

int main() {
  mach_port_t fs = ns_lookup("file-pager");
  mach_port_t obj = MACH_PORT_NULL;
  uint64_t size = 0;
  uint32_t mode = 0;

  // Not executables: refused, nothing left behind.
  CHECK_KR(fs_lookup(fs, "etc/motd", &obj, &size, &mode), KERN_SUCCESS);
  const char* none[] = {nullptr};
  mach_port_t task = MACH_PORT_NULL;
  CHECK_KR(libmach::elf_exec(obj, size, none, none, &task), KERN_INVALID_ARGUMENT);
  CHECK(task == MACH_PORT_NULL);
  CHECK_KR(mach_port_deallocate(mach_task_self(), obj), KERN_SUCCESS);
  printf("exec-client: a file that is not ELF refused\n");

  CHECK_KR(fs_lookup(fs, "bin/hello.elf", &obj, &size, &mode), KERN_SUCCESS);
  uint64_t file_pages = (size + kPage - 1) / kPage;
  const char* argv[] = {"hello.elf", "from-file-pager", nullptr};
  const char* envp[] = {"LOADED_BY=exec_client", nullptr};
  uint64_t before = pageins();
  CHECK_KR(libmach::elf_exec(obj, size, argv, envp, &task), KERN_SUCCESS);
  for (;;) {
    mach_port_type_t type = 0;
    CHECK_KR(mach_port_type(mach_task_self(), task, &type), KERN_SUCCESS);
    if (type & MACH_PORT_TYPE_DEAD_NAME) break;
    (void)clock_sleep(10);
  }
  uint64_t paged_in = pageins() - before;
  CHECK_KR(mach_port_deallocate(mach_task_self(), task), KERN_SUCCESS);
  printf("exec-client: hello.elf (%lu bytes, %lu pages) ran and ended; %lu pages paged in\n", (unsigned long)size,
         (unsigned long)file_pages, (unsigned long)paged_in);
  CHECK(paged_in >= 1 && paged_in <= file_pages);
  CHECK_KR(mach_port_deallocate(mach_task_self(), obj), KERN_SUCCESS);
  CHECK_KR(mach_port_deallocate(mach_task_self(), fs), KERN_SUCCESS);  // the pager ends on no-senders
  printf("exec-client: PASS\n");
  return 0;
}
