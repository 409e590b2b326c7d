#include "exec.h"

#include <mach/thread_status.h>
#include <mach/vm_inherit.h>
#include <mach/vm_prot.h>
#include <task_rpc.h>
#include <vm_rpc.h>

#include "emulation_abi.h"
#include "lib/elf_image.h"
#include "libmach/elf_exec.h"
#include "libmach/mach_ipc.h"
#include "libmach/print.h"
#include "libmach/string.h"
#include "linux_abi.h"

namespace ux {

using namespace linux_abi;

namespace {

constexpr uint64_t kPage = 4096;
constexpr uint64_t kUserMin = 0x10000;
constexpr uint64_t kStackTop = 0x00007ffffffff000;  // a guard page above, as Linux leaves
constexpr uint64_t kStackSize = 8ull << 20;           // RLIMIT_STACK's default
constexpr uint64_t kPieBias = 0x555555554000;         // where Linux puts a PIE (without ASLR)
constexpr size_t kStartMax = 64 * 1024;               // argv, envp, auxv and their strings
constexpr uint64_t kProgramTop = EMULATION_INFO;      // programs stay below the library

uint64_t page_up(uint64_t v) { return (v + kPage - 1) & ~(kPage - 1); }

// Linux's auxiliary vector types.
enum : uint64_t {
  AT_NULL = 0, AT_PHDR = 3, AT_PHENT = 4, AT_PHNUM = 5, AT_PAGESZ = 6, AT_BASE = 7, AT_FLAGS = 8, AT_ENTRY = 9,
  AT_UID = 11, AT_EUID = 12, AT_GID = 13, AT_EGID = 14, AT_PLATFORM = 15, AT_HWCAP = 16, AT_CLKTCK = 17,
  AT_SECURE = 23, AT_RANDOM = 25, AT_HWCAP2 = 26, AT_EXECFN = 31,
};

struct Library {
  mach_port_t object = MACH_PORT_NULL;
  mk::ElfImage image;
  const uint8_t* view = nullptr;  // kept mapped: see touch_tails
  uint64_t view_size = 0;
};
Library g_library;
alignas(16) uint8_t g_start[kStartMax];  // the stack's top, built here then written into the task

uint64_t cpuid_edx(uint32_t leaf) {
  uint32_t a = leaf, b, c = 0, d;
  asm volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
  return d;
}

void random_bytes(uint8_t* out, size_t n) {
  uint64_t x;
  uint32_t lo, hi;
  asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
  x = (uint64_t(hi) << 32 | lo) ^ 0x9e3779b97f4a7c15ull;
  for (size_t i = 0; i < n; ++i) {
    unsigned long long r = 0;
    unsigned char ok = 0;
    asm volatile("rdrand %0; setc %1" : "=r"(r), "=qm"(ok));  // -cpu max has it; rdtsc mixing otherwise
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    out[i] = uint8_t((ok ? r : 0) ^ x);
  }
}

// Parses the ELF in object (size bytes) through a read-only view of it,
// left mapped at *view.
int parse(mach_port_t object, uint64_t size, bool allow_pie, uint64_t user_max, mk::ElfImage* image,
          const uint8_t** view) {
  if (size == 0) return kENOEXEC;
  vm_address_t addr = 0;
  kern_return_t kr = rpc_vm_map(mach_task_self(), &addr, page_up(size), 0, VM_FLAGS_ANYWHERE, object, 0, FALSE,
                                VM_PROT_READ, VM_PROT_READ, VM_INHERIT_NONE);
  if (kr != KERN_SUCCESS) return kENOMEM;
  const char* error = nullptr;
  kr = mk::elf_parse_program(reinterpret_cast<const void*>(addr), size, kUserMin, user_max, allow_pie, image,
                             &error);
  if (kr != KERN_SUCCESS) {
    printf("unix: exec: %s\n", error ? error : "not an ELF program");
    (void)vm_deallocate(mach_task_self(), addr, page_up(size));
    return kENOEXEC;
  }
  *view = reinterpret_cast<const uint8_t*>(addr);
  return 0;
}

// elf_map_segment zeroes the rest of a segment's last file page with
// vm_write, which cannot wait for a pager: the page must be resident in
// the file's object first. Reading it through our view brings it in.
void touch_tails(const uint8_t* view, const mk::ElfImage& image) {
  for (size_t i = 0; i < image.segment_count; ++i) {
    const mk::ElfSegment& s = image.segments[i];
    if (s.filesz && s.memsz > s.filesz && (s.vaddr + s.filesz) % kPage)
      (void)*reinterpret_cast<const volatile uint8_t*>(view + s.offset + s.filesz - 1);
  }
}

// The start block at the stack's top: argc, argv, NULL, envp, NULL, auxv,
// then the strings and AT_RANDOM's bytes above. Returns the initial rsp or
// 0 (E2BIG).
uint64_t build_start(const char* exe, const char* const* argv, const char* const* envp, const mk::ElfImage& image,
                     uint64_t bias, const Process& p, size_t* used) {
  constexpr size_t kMaxPtrs = 1024;
  static uint64_t ptrs[kMaxPtrs + 64];
  uint64_t top = kStackTop;
  size_t at = kStartMax;  // g_start[at] is at address top - (kStartMax - at)
  auto va = [&](size_t off) { return top - (kStartMax - off); };
  auto put = [&](const void* data, size_t n) -> uint64_t {
    if (n > at) return 0;
    at -= n;
    memcpy(g_start + at, data, n);
    return va(at);
  };
  uint8_t random[16];
  random_bytes(random, sizeof random);
  uint64_t random_va = put(random, sizeof random);
  uint64_t platform_va = put("x86_64", 7);
  uint64_t execfn_va = put(exe, strlen(exe) + 1);
  size_t np = 0, argc = 0;
  ptrs[np++] = 0;  // argc, set below
  for (; argv[argc]; ++argc) {
    uint64_t s = put(argv[argc], strlen(argv[argc]) + 1);
    if (!s || np >= kMaxPtrs) return 0;
    ptrs[np++] = s;
  }
  ptrs[0] = argc;
  ptrs[np++] = 0;
  for (size_t i = 0; envp && envp[i]; ++i) {
    uint64_t s = put(envp[i], strlen(envp[i]) + 1);
    if (!s || np >= kMaxPtrs) return 0;
    ptrs[np++] = s;
  }
  ptrs[np++] = 0;
  const uint64_t aux[][2] = {
      {AT_PHDR, image.phdr_vaddr ? image.phdr_vaddr + bias : 0},
      {AT_PHENT, 56},
      {AT_PHNUM, image.phnum},
      {AT_PAGESZ, kPage},
      {AT_BASE, 0},
      {AT_FLAGS, 0},
      {AT_ENTRY, image.entry + bias},
      {AT_UID, p.uid},
      {AT_EUID, p.euid},
      {AT_GID, p.gid},
      {AT_EGID, p.egid},
      {AT_PLATFORM, platform_va},
      {AT_HWCAP, cpuid_edx(1)},
      {AT_CLKTCK, 100},
      {AT_SECURE, 0},
      {AT_RANDOM, random_va},
      {AT_HWCAP2, 0},
      {AT_EXECFN, execfn_va},
      {AT_NULL, 0},
  };
  for (const auto& a : aux) {
    ptrs[np++] = a[0];
    ptrs[np++] = a[1];
  }
  if (!random_va || !platform_va || !execfn_va) return 0;
  size_t bytes = np * 8;
  if (bytes + 16 > at) return 0;
  at = (at - bytes) & ~size_t(15);  // rsp 16-byte aligned at argc
  memcpy(g_start + at, ptrs, bytes);
  *used = kStartMax - at;
  return va(at);
}

// A Mach call of exec failed: said once, answered as ENOMEM.
int failed(const char* what, kern_return_t kr) {
  printf("unix: exec: %s failed: %#x\n", what, kr);
  return kENOMEM;
}

// Everything after task_create, into task.
int load(Process* p, mach_port_t task, mach_port_t object, const mk::ElfImage& image, const char* exe,
         const char* const* argv, const char* const* envp, uint64_t boot_epoch) {
  uint64_t bias = image.position_independent ? kPieBias : 0;
  uint64_t brk = 0;
  for (size_t i = 0; i < image.segment_count; ++i) {
    const mk::ElfSegment& s = image.segments[i];
    if (kern_return_t kr = libmach::elf_map_segment(task, object, s, bias)) return failed("mapping the program", kr);
    if (page_up(s.vaddr + bias + s.memsz) > brk) brk = page_up(s.vaddr + bias + s.memsz);
  }
  for (size_t i = 0; i < g_library.image.segment_count; ++i)
    if (kern_return_t kr = libmach::elf_map_segment(task, g_library.object, g_library.image.segments[i], 0))
      return failed("mapping the emulation library", kr);

  vm_address_t stack = kStackTop - kStackSize;
  if (kern_return_t kr = rpc_vm_allocate(task, &stack, kStackSize, VM_FLAGS_FIXED))
    return failed("allocating the stack", kr);
  size_t used = 0;
  uint64_t sp = build_start(exe, argv, envp, image, bias, *p, &used);
  if (!sp) return kE2BIG;
  if (kern_return_t kr = rpc_vm_write(task, sp, reinterpret_cast<vm_offset_t>(g_start + kStartMax - used),
                                      mach_msg_type_number_t(used)))
    return failed("writing the start block", kr);

  // The process's port, under a name the library reads from its info page.
  if (MACH_PORT_VALID(p->port_name)) {
    if (kern_return_t kr = mach_port_insert_right(task, p->port_name, p->port, MACH_MSG_TYPE_MAKE_SEND))
      return failed("inserting the process port", kr);
  } else {
    for (uint32_t index = 0x3f; index > 0x30 && !MACH_PORT_VALID(p->port_name); --index)
      if (mach_port_insert_right(task, MACH_PORT_MAKE(index, 0), p->port, MACH_MSG_TYPE_MAKE_SEND) == KERN_SUCCESS)
        p->port_name = MACH_PORT_MAKE(index, 0);
    if (!MACH_PORT_VALID(p->port_name)) return failed("inserting the process port", KERN_NO_SPACE);
  }
  vm_address_t info_page = EMULATION_INFO;
  if (kern_return_t kr = rpc_vm_allocate(task, &info_page, kPage, VM_FLAGS_FIXED))
    return failed("allocating the info page", kr);
  if (int err = write_info_page(p, task, image.entry + bias, sp, brk, boot_epoch)) return err;

  x86_thread_state64_t state{};
  state.rip = g_library.image.entry;
  state.rsp = sp;
  mach_port_t thread = MACH_PORT_NULL;
  if (kern_return_t kr = rpc_thread_create_running(task, x86_THREAD_STATE64, reinterpret_cast<thread_state_t>(&state),
                                                   x86_THREAD_STATE64_COUNT, &thread))
    return failed("starting the thread", kr);
  (void)mach_port_deallocate(mach_task_self(), thread);
  return 0;
}

}  // namespace

int write_info_page(Process* p, mach_port_t task, uint64_t entry, uint64_t stack, uint64_t brk, uint64_t boot_epoch) {
  EmulationInfo info{};
  info.magic = EMULATION_INFO_MAGIC;
  info.unix_port = p->port_name;
  info.pid = p->pid;
  info.uid = p->uid;
  info.euid = p->euid;
  info.gid = p->gid;
  info.egid = p->egid;
  info.entry = entry;
  info.stack = stack;
  info.brk = brk;
  info.boot_epoch = boot_epoch;
  info.pending = p->pending;
  if (kern_return_t kr = rpc_vm_write(task, EMULATION_INFO, reinterpret_cast<vm_offset_t>(&info), sizeof info))
    return failed("writing the info page", kr);
  return 0;
}

void exec_library_lost() {
  if (g_library.view)
    (void)vm_deallocate(mach_task_self(), reinterpret_cast<vm_address_t>(g_library.view), g_library.view_size);
  if (MACH_PORT_VALID(g_library.object)) (void)mach_port_deallocate(mach_task_self(), g_library.object);
  g_library = Library{};
}

int exec_init(FileSystem* root) {
  const char* path = EMULATION_PATH + 1;  // inside the root file system
  NodeInfo node;
  int err = root->stat(path, true, &node);
  if (!err) err = root->memory_object(path, &g_library.object);
  if (!err) err = parse(g_library.object, node.size, false, kStackTop - kStackSize, &g_library.image, &g_library.view);
  if (!err) g_library.view_size = page_up(node.size);
  if (!err && g_library.image.segments[0].vaddr < EMULATION_BASE) err = kENOEXEC;
  if (err) printf("unix: the emulation library %s: error %d\n", EMULATION_PATH, err);
  return err;
}

int exec_program(Process* p, const Vfs& vfs, const char* path, const char* const* argv, const char* const* envp,
                 uint64_t boot_epoch, mach_port_t* task_out) {
  char abs[kPathMax];
  bool slash = false;
  int err = Vfs::absolute(p->cwd, path, abs, &slash);
  if (err) return err;
  Location loc;
  vfs.locate(abs, &loc);
  NodeInfo node;
  err = loc.fs->stat(loc.path, true, &node);
  if (err) return err;
  if ((node.mode & kS_IFMT) != kS_IFREG) return kEACCES;
  if (slash) return kENOTDIR;
  if (!(node.mode & 0111)) return kEACCES;  // no execute bit (root gets no exemption from that)
  mach_port_t object = MACH_PORT_NULL;
  err = loc.fs->memory_object(loc.path, &object);
  if (err) return err == kENODEV ? kEACCES : err;
  if (!MACH_PORT_VALID(g_library.object)) {  // its pager is being started again
    (void)mach_port_deallocate(mach_task_self(), object);
    return kEIO;
  }
  mk::ElfImage image;
  const uint8_t* view = nullptr;
  err = parse(object, node.size, true, kProgramTop, &image, &view);
  if (!err) {
    touch_tails(view, image);
    touch_tails(g_library.view, g_library.image);
  }
  mach_port_t task = MACH_PORT_NULL, port = MACH_PORT_NULL;
  kern_return_t kr = KERN_SUCCESS;
  if (!err && (kr = rpc_task_create(mach_task_self(), FALSE, &task))) err = failed("task_create", kr);
  bool new_port = !MACH_PORT_VALID(p->port);
  if (!err && new_port && (kr = mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &port)))
    err = failed("allocating the process port", kr);
  if (!err) {
    if (new_port) p->port = port;
    err = load(p, task, object, image, abs, argv, envp, boot_epoch);
  }
  if (view) (void)vm_deallocate(mach_task_self(), reinterpret_cast<vm_address_t>(view), page_up(node.size));
  (void)mach_port_deallocate(mach_task_self(), object);  // the mappings hold the object
  if (err) {
    if (MACH_PORT_VALID(task)) {
      (void)rpc_task_terminate(task);
      (void)mach_port_deallocate(mach_task_self(), task);
    }
    if (new_port && MACH_PORT_VALID(port)) {
      (void)mach_port_mod_refs(mach_task_self(), port, MACH_PORT_RIGHT_RECEIVE, -1);
      p->port = MACH_PORT_NULL;
      p->port_name = MACH_PORT_NULL;
    }
    return err;
  }
  *task_out = task;
  size_t n = strlen(abs);
  memcpy(p->exe, abs, n + 1);
  return 0;
}

}  // namespace ux
