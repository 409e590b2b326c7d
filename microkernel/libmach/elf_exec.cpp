// libmach::elf_exec (elf_exec.h): a program started from its file's memory
// object, demand paged.
#include "libmach/elf_exec.h"

#include <mach/thread_status.h>
#include <mach/vm_inherit.h>
#include <mach/vm_prot.h>
#include <task_rpc.h>
#include <vm_rpc.h>

#include "lib/elf64.h"
#include "lib/elf_image.h"
#include "libmach/mach_ipc.h"
#include "libmach/string.h"

namespace libmach {
namespace {

constexpr uint64_t kPage = 4096;
constexpr uint64_t kUserMin = 0x10000;               // as the kernel's boot tasks: nothing near 0
constexpr uint64_t kUserTop = 0x0000800000000000;    // x86-64's lower half (arch user_address_top)
constexpr uint64_t kStackTop = kUserTop - kPage;     // a guard page above
constexpr uint64_t kStackPages = 16;                 // 64 KiB
constexpr uint64_t kStackBase = kStackTop - kStackPages * kPage;
constexpr size_t kMaxArgs = 64;                      // argv + envp entries

uint64_t page_down(uint64_t v) { return v & ~(kPage - 1); }
uint64_t page_up(uint64_t v) { return (v + kPage - 1) & ~(kPage - 1); }

vm_prot_t segment_prot(uint32_t flags) {
  return VM_PROT_READ | ((flags & mk::PF_W) ? VM_PROT_WRITE : 0) | ((flags & mk::PF_X) ? VM_PROT_EXECUTE : 0);
}

}  // namespace

kern_return_t elf_map_segment(mach_port_t task, mach_port_t object, const mk::ElfSegment& seg, uint64_t bias) {
  vm_prot_t prot = segment_prot(seg.flags);
  uint64_t vaddr = seg.vaddr + bias;
  uint64_t start = page_down(vaddr);
  uint64_t file_end = vaddr + seg.filesz;                  // first byte not from the file
  uint64_t file_pages_end = seg.filesz ? page_up(file_end) : start;
  uint64_t mem_end = page_up(vaddr + seg.memsz);
  kern_return_t kr;
  if (seg.filesz) {
    vm_address_t addr = start;
    kr = rpc_vm_map(task, &addr, file_pages_end - start, 0, VM_FLAGS_FIXED, object, page_down(seg.offset), TRUE,
                    prot, VM_PROT_ALL, VM_INHERIT_COPY);
    if (kr != KERN_SUCCESS) return kr;
    // The rest of the last file page is .bss (or whatever follows in the
    // file): zeros, written into the task's private copy of that page.
    if (seg.memsz > seg.filesz && file_end % kPage) {
      uint8_t zeros[kPage] = {};
      uint64_t tail = file_pages_end - file_end;
      if (!(prot & VM_PROT_WRITE)) {
        kr = rpc_vm_protect(task, page_down(file_end), kPage, FALSE, prot | VM_PROT_WRITE);
        if (kr != KERN_SUCCESS) return kr;
      }
      kr = rpc_vm_write(task, file_end, reinterpret_cast<vm_offset_t>(zeros), mach_msg_type_number_t(tail));
      if (kr != KERN_SUCCESS) return kr;
      if (!(prot & VM_PROT_WRITE)) {
        kr = rpc_vm_protect(task, page_down(file_end), kPage, FALSE, prot);
        if (kr != KERN_SUCCESS) return kr;
      }
    }
  }
  if (mem_end > file_pages_end) {
    vm_address_t addr = file_pages_end;
    kr = rpc_vm_allocate(task, &addr, mem_end - file_pages_end, VM_FLAGS_FIXED);
    if (kr != KERN_SUCCESS) return kr;
    if (prot != (VM_PROT_READ | VM_PROT_WRITE)) {
      kr = rpc_vm_protect(task, file_pages_end, mem_end - file_pages_end, FALSE, prot);
      if (kr != KERN_SUCCESS) return kr;
    }
  }
  return KERN_SUCCESS;
}

namespace {

// The System V initial stack in `page` (the stack's top page, at page_va):
// argc, argv, NULL, envp, NULL, the strings above; the initial rsp, 0 if
// it does not fit.
uint64_t build_initial_stack(uint8_t* page, uint64_t page_va, const char* const* argv, const char* const* envp) {
  uint64_t strings = kPage;  // grows down from the page's end
  uint64_t ptrs[kMaxArgs + 3];
  size_t np = 1;
  auto put = [&](const char* s) -> bool {
    size_t len = strlen(s) + 1;
    if (len > strings || np >= kMaxArgs + 2) return false;
    strings -= len;
    memcpy(page + strings, s, len);
    ptrs[np++] = page_va + strings;
    return true;
  };
  uint64_t argc = 0;
  for (; argv && argv[argc]; ++argc)
    if (!put(argv[argc])) return 0;
  ptrs[0] = argc;
  ptrs[np++] = 0;
  for (size_t i = 0; envp && envp[i]; ++i)
    if (!put(envp[i])) return 0;
  ptrs[np++] = 0;
  uint64_t table = (strings - np * 8) & ~uint64_t(15);
  if (np * 8 > strings || table < 64) return 0;
  memcpy(page + table, ptrs, np * 8);
  return page_va + table;
}

// Steps 2 onward of elf_exec, into the new `task`.
kern_return_t load(mach_port_t task, mach_port_t object, const mk::ElfImage& image, const char* const* argv,
                   const char* const* envp) {
  for (size_t i = 0; i < image.segment_count; ++i) {
    kern_return_t kr = elf_map_segment(task, object, image.segments[i], 0);
    if (kr != KERN_SUCCESS) return kr;
  }
  vm_address_t stack = kStackBase;
  kern_return_t kr = rpc_vm_allocate(task, &stack, kStackTop - kStackBase, VM_FLAGS_FIXED);
  if (kr != KERN_SUCCESS) return kr;
  uint8_t page[kPage] = {};
  uint64_t sp = build_initial_stack(page, kStackTop - kPage, argv, envp);
  if (!sp) return KERN_INVALID_ARGUMENT;
  kr = rpc_vm_write(task, kStackTop - kPage, reinterpret_cast<vm_offset_t>(page), kPage);
  if (kr != KERN_SUCCESS) return kr;
  // As the kernel starts a boot task: rip at the entry, rsp at argc
  // (16-byte aligned), the rest zero (rflags gets IF).
  x86_thread_state64_t state{};
  state.rip = image.entry;
  state.rsp = sp;
  mach_port_t thread = MACH_PORT_NULL;
  kr = rpc_thread_create_running(task, x86_THREAD_STATE64, reinterpret_cast<thread_state_t>(&state),
                                 x86_THREAD_STATE64_COUNT, &thread);
  if (kr != KERN_SUCCESS) return kr;
  (void)mach_port_deallocate(mach_task_self(), thread);
  return KERN_SUCCESS;
}

}  // namespace

kern_return_t elf_exec(mach_port_t file_object, uint64_t file_size, const char* const* argv,
                       const char* const* envp, mach_port_t* task_out) {
  if (!task_out || !file_size || file_size > (uint64_t(1) << 40)) return KERN_INVALID_ARGUMENT;
  *task_out = MACH_PORT_NULL;
  // Our read-only view of the file, for its headers (only the pages the
  // parser reads are paged in).
  vm_address_t view = 0;
  uint64_t view_size = page_up(file_size);
  kern_return_t kr = rpc_vm_map(mach_task_self(), &view, view_size, 0, VM_FLAGS_ANYWHERE, file_object, 0, FALSE,
                                VM_PROT_READ, VM_PROT_READ, VM_INHERIT_NONE);
  if (kr != KERN_SUCCESS) return kr;
  mk::ElfImage image;
  const char* error = nullptr;
  kr = mk::elf_parse_executable(reinterpret_cast<const void*>(view), file_size, kUserMin, kStackBase, &image, &error);
  (void)vm_deallocate(mach_task_self(), view, view_size);
  if (kr != KERN_SUCCESS) return kr;
  mach_port_t task = MACH_PORT_NULL;
  kr = rpc_task_create(mach_task_self(), FALSE, &task);
  if (kr != KERN_SUCCESS) return kr;
  kr = load(task, file_object, image, argv, envp);
  if (kr != KERN_SUCCESS) {
    (void)rpc_task_terminate(task);
    (void)mach_port_deallocate(mach_task_self(), task);
    return kr;
  }
  *task_out = task;
  return KERN_SUCCESS;
}

}  // namespace libmach
