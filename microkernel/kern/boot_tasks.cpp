#include "kern/boot_tasks.h"

#include "ipc/ipc_kernel.h"
#include "ipc/mach_port.h"
#include "kern/arch.h"
#include "kern/console.h"
#include "kern/kalloc.h"
#include "kern/task.h"
#include "lib/elf64.h"
#include "lib/elf_image.h"
#include "lib/format.h"
#include "lib/result.h"
#include "vm/vm_kern.h"
#include "vm/vm_map.h"

namespace mk {
namespace {

constexpr uint64_t kUserMin = 0x10000;             // nothing at or near address 0
constexpr uint64_t kStackPages = 16;               // 64 KiB
constexpr size_t kMaxArgs = 32;
constexpr size_t kArgBlock = 4096;                 // argv/envp strings and pointers: the top stack page

uint64_t stack_top() { return arch::user_address_top() - kPageSize; }  // a guard page above

// Map one segment as zero-fill memory of the task, copy the file's bytes
// in, then give it the segment's protection (the tail past filesz stays
// zero-fill, which is the segment's .bss).
kern_return_t load_segment(Task* task, const uint8_t* file, const ElfSegment& seg) {
  uint64_t start = page_round_down(seg.vaddr), end = page_round_up(seg.vaddr + seg.memsz);
  vm_prot_t prot = VM_PROT_READ | ((seg.flags & PF_W) ? VM_PROT_WRITE : 0) | ((seg.flags & PF_X) ? VM_PROT_EXECUTE : 0);
  {
    LockGuard guard(g_vm_lock);
    TRY(vm_map_allocate(task->map, &start, end - start, false));
  }
  TRY(vm_map_write_kernel(task->map, seg.vaddr, file + seg.offset, seg.filesz));
  LockGuard guard(g_vm_lock);
  return vm_map_protect(task->map, start, end, prot, false);
}

// Split `cmdline` into words (in place in `buf`).
size_t split_words(char* buf, const char** words, size_t max) {
  size_t n = 0;
  char* p = buf;
  while (*p && n < max) {
    while (*p == ' ') *p++ = 0;
    if (!*p) break;
    words[n++] = p;
    while (*p && *p != ' ') ++p;
  }
  return n;
}

// Build the System V initial stack (argc, argv, NULL, envp, NULL, strings)
// in the top page of the stack; returns the initial rsp, 0 if it doesn't fit.
uint64_t build_initial_stack(uint8_t* page, uint64_t page_va, const char* const* argv, size_t argc,
                             const char* const* envp, size_t envc) {
  uint64_t strings = kArgBlock;  // grows down from the page end
  uint64_t ptrs[2 * kMaxArgs + 4];
  size_t np = 0;
  auto put_string = [&](const char* s) -> uint64_t {
    size_t len = __builtin_strlen(s) + 1;
    if (len > strings) return 0;
    strings -= len;
    __builtin_memcpy(page + strings, s, len);
    return page_va + strings;
  };
  ptrs[np++] = argc;
  for (size_t i = 0; i < argc; ++i)
    if (!(ptrs[np++] = put_string(argv[i]))) return 0;
  ptrs[np++] = 0;
  for (size_t i = 0; i < envc; ++i)
    if (!(ptrs[np++] = put_string(envp[i]))) return 0;
  ptrs[np++] = 0;
  uint64_t table = (strings - np * 8) & ~15ull;
  if (table > strings || table < 64) return 0;
  __builtin_memcpy(page + table, ptrs, np * 8);
  return page_va + table;
}

// The bootstrap port: module 0 (the bootstrap server) holds its receive
// right, every boot task gets a send right as its TASK_BOOTSTRAP_PORT.
IpcPort* g_bootstrap_port = nullptr;

// The module table, saved at boot for io_module_start: the module images
// and the boot information holding their command lines stay reserved.
constinit BootModule g_modules[kMaxModules] = {};
constinit size_t g_module_count = 0;

// Module 0 also gets the only send right the kernel ever hands out to the
// I/O master port (io.defs); its name goes into the environment as
// IO_MASTER_PORT=<name>, in *io_master. IPC lock held.
kern_return_t give_bootstrap_port(Task* task, size_t index, mach_port_name_t* io_master) {
  if (index == 0) {
    mach_port_name_t name;
    kern_return_t kr = mach_port_allocate(task->itk_space, MACH_PORT_RIGHT_RECEIVE, &name);
    if (kr != KERN_SUCCESS) return kr;
    g_bootstrap_port = task->itk_space->lookup(name)->port();
    *io_master = ipc_port_copyout_send(ipc_io_master_port(), task->itk_space);
    if (!MACH_PORT_VALID(*io_master)) return KERN_RESOURCE_SHORTAGE;
  }
  task->itk_bootstrap = ipc_port_make_send_kernel(g_bootstrap_port);
  return KERN_SUCCESS;
}

// Start module `index` (of g_modules) as a new task, in *started. `info`
// (at boot only) gives module 0 its environment. IPC lock held (task
// creation needs it; the VM lock, next in the lock order, is taken inside).
// A failure after the task was made leaves it, without threads, in *failed:
// the caller ends it once the IPC lock is dropped (task_terminate takes it).
kern_return_t start_module_locked(const BootInfo* info, size_t index, Task** started, Task** failed) {
  const BootModule& m = g_modules[index];
  const uint8_t* file = static_cast<const uint8_t*>(arch::phys_to_virt(m.start));
  size_t size = m.end - m.start;

  char* cmd = static_cast<char*>(kalloc(kArgBlock));
  if (!cmd) return KERN_RESOURCE_SHORTAGE;
  snformat(cmd, kArgBlock, "%s", m.cmdline);
  const char* argv[kMaxArgs];
  size_t argc = split_words(cmd, argv, kMaxArgs);
  const char* name = argc ? argv[0] : "module";
  for (const char* p = name; *p; ++p)
    if (*p == '/') name = p + 1;

  ElfImage* image = static_cast<ElfImage*>(kalloc(sizeof(ElfImage)));
  if (!image) {
    kfree(cmd);
    return KERN_RESOURCE_SHORTAGE;
  }
  const char* error = "";
  kern_return_t kr = elf_parse_executable(file, size, kUserMin, stack_top() - kStackPages * kPageSize, image, &error);
  if (kr != KERN_SUCCESS) {
    kprintf("boot: module %zu (%s) refused: %s\n", index, name, error);
    kfree(image);
    kfree(cmd);
    return kr;
  }

  Task* task = nullptr;
  kr = task_create(name, &task);
  mach_port_name_t io_master = MACH_PORT_NULL;
  if (kr == KERN_SUCCESS) kr = give_bootstrap_port(task, index, &io_master);
  for (size_t i = 0; kr == KERN_SUCCESS && i < image->segment_count; ++i)
    kr = load_segment(task, file, image->segments[i]);

  // The stack: zero-fill memory; its top page holds the arguments.
  uint64_t sp = 0;
  uint64_t stack_base = stack_top() - kStackPages * kPageSize;
  if (kr == KERN_SUCCESS) {
    LockGuard guard(g_vm_lock);
    kr = vm_map_allocate(task->map, &stack_base, kStackPages * kPageSize, false);
  }
  auto* page = static_cast<uint8_t*>(kalloc(kPageSize));
  if (kr == KERN_SUCCESS && !page) kr = KERN_RESOURCE_SHORTAGE;
  if (kr == KERN_SUCCESS) {
    __builtin_memset(page, 0, kPageSize);
    uint64_t va = stack_top() - kPageSize;
    // The bootstrap (module 0) learns about the others through its environment.
    char env_storage[10][256];
    const char* envp[10];
    size_t envc = 0;
    if (index == 0 && info) {
      snformat(env_storage[envc], 256, "KERNEL_CMDLINE=%s", info->cmdline ? info->cmdline : "");
      envp[envc] = env_storage[envc], ++envc;
      snformat(env_storage[envc], 256, "BOOT_MODULES=%zu", info->module_count);
      envp[envc] = env_storage[envc], ++envc;
      for (size_t k = 1; k < info->module_count && envc < 9; ++k, ++envc) {
        snformat(env_storage[envc], 256, "BOOT_MODULE_%zu=%s", k, info->modules[k].cmdline);
        envp[envc] = env_storage[envc];
      }
      snformat(env_storage[envc], 256, "IO_MASTER_PORT=%u", io_master);  // always last, always there
      envp[envc] = env_storage[envc], ++envc;
    }
    sp = build_initial_stack(page, va, argv, argc, envp, envc);
    kr = sp ? vm_map_write_kernel(task->map, va, page, kPageSize) : KERN_INVALID_ARGUMENT;
  }
  if (page) kfree(page);
  if (kr == KERN_SUCCESS) kr = thread_create_user(task, image->entry, sp, nullptr);
  if (kr != KERN_SUCCESS) {
    kprintf("boot: module %zu (%s) could not be started: %s\n", index, name, kern_return_name(kr));
    *failed = task;
  } else {
    kprintf("boot: task %lu (%s) started from module %zu, entry %#lx\n", task->id, task->name, index, image->entry);
    *started = task;
  }
  kfree(image);
  kfree(cmd);
  return kr;
}

// A module without ELF magic is data (the boot file-system archive, say):
// never started, only mapped by io_module_map.
bool is_data_module(const BootModule& m) {
  static constexpr uint8_t kElfMagic[4] = {0x7f, 'E', 'L', 'F'};
  if (m.end - m.start < sizeof kElfMagic) return true;
  return __builtin_memcmp(arch::phys_to_virt(m.start), kElfMagic, sizeof kElfMagic) != 0;
}

}  // namespace

size_t start_boot_tasks(const BootInfo& info) {
  g_module_count = info.module_count < kMaxModules ? info.module_count : kMaxModules;
  for (size_t i = 0; i < g_module_count; ++i) g_modules[i] = info.modules[i];
  size_t started = 0;
  for (size_t i = 0; i < g_module_count; ++i) {
    if (is_data_module(g_modules[i])) {
      kprintf("boot: module %zu (%s): data, %lu bytes\n", i, g_modules[i].cmdline, g_modules[i].end - g_modules[i].start);
      continue;
    }
    Task *task = nullptr, *failed = nullptr;
    kern_return_t kr;
    {
      LockGuard guard(g_ipc_lock);
      kr = start_module_locked(&info, i, &task, &failed);
    }
    if (kr == KERN_SUCCESS) ++started;
    if (failed) task_terminate(failed, 1, "terminated: start-up failed");
  }
  return started;
}

kern_return_t restart_boot_module(size_t index, Task** task, Task** failed) {
  if (index == 0 || index >= g_module_count || is_data_module(g_modules[index])) return KERN_INVALID_ARGUMENT;
  return start_module_locked(nullptr, index, task, failed);
}

bool boot_data_module(size_t index, paddr_t* start, paddr_t* end) {
  if (index >= g_module_count || !is_data_module(g_modules[index])) return false;
  *start = g_modules[index].start;
  *end = g_modules[index].end;
  return true;
}

}  // namespace mk
