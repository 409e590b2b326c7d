#include "kern/startup.h"
#include "ipc/ipc_kernel.h"

#include "kern/arch.h"
#include "kern/boot_args.h"
#include "kern/boot_tasks.h"
#include "kern/clock.h"
#include "kern/console.h"
#include "kern/kalloc.h"
#include "kern/panic.h"
#include "kern/sched.h"
#include "kern/selftest.h"
#include "kern/symbols.h"
#include "kern/task.h"
#include "vm/pmap.h"
#include "vm/vm_kern.h"
#include "vm/vm_pageout.h"
#include "vm/vm_resident.h"

namespace mk {
namespace {

void print_memory_map(const BootInfo& info) {
  kprintf("memory map (%zu regions):\n", info.mmap_count);
  for (size_t i = 0; i < info.mmap_count; ++i) {
    const MemoryRegion& r = info.mmap[i];
    kprintf("  %016lx-%016lx %-16s %8lu KiB\n", r.base, r.base + r.length - 1, memory_region_type_name(r.type),
            r.length / 1024);
  }
}

}  // namespace

void kernel_startup(const BootInfo& info, BootReservations& reserved) {
  kprintf("boot: loader \"%s\", command line \"%s\", %zu module(s)\n",
          info.loader_name ? info.loader_name : "?", info.cmdline ? info.cmdline : "", info.module_count);
  for (size_t i = 0; i < info.module_count; ++i)
    kprintf("  module %zu: %#lx-%#lx \"%s\"\n", i, info.modules[i].start, info.modules[i].end,
            info.modules[i].cmdline);
  print_memory_map(info);
  vm_resident_init(info, reserved);
  kalloc_init();
  pmap_init(page_round_up(highest_usable_address(info)));  // reverse mappings of the pool's frames
  vm_init();
  symbols_init(info);
  sched_init();
  task_init();
  ipc_init();
  host_self()->memory_bytes = usable_bytes(info);
  size_t free_pages = vm_page_free_count();
  kprintf("memory: %lu MiB usable, %zu pages free (%zu MiB) after %zu reserved ranges\n",
          usable_bytes(info) >> 20, free_pages, free_pages * kPageSize >> 20, reserved.count());
}

void kernel_run(const BootInfo& info) {
  char name[32];
  if (boot_arg(info.cmdline, "selftest", name, sizeof name)) run_selftest(name);
  vm_pageout_init();
  size_t tasks = start_boot_tasks(info);
  bool halt_when_done = boot_flag(info.cmdline, "halt_when_idle");
  if (tasks == 0) kprintf("kernel: no boot tasks; timer ticks every second below\n");
  // The idle thread: it runs whenever nothing else can.
  uint64_t next = arch::timer_hz();
  sched_idle_loop_begin();
  for (;;) {
    sched_preempt_point();
    if (halt_when_done && live_user_tasks() == 0) {
      kprintf("kernel: all tasks have ended\n");
      arch::emulator_exit(arch::ExitStatus::kPass);
      arch::halt_forever();
    }
    arch::wait_for_interrupt();
    if (tasks == 0 && clock_ticks() >= next) {
      kprintf("timer: tick %lu, uptime %lu ms\n", clock_ticks(), clock_uptime_ms());
      next += arch::timer_hz();
    }
  }
}

}  // namespace mk
