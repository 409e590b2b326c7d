// kernel_main: boot.S jumps here on the higher half with the boot page
// tables. Order matters: the console first (so everything after can report),
// then the CPU tables, the boot information, the kernel's own page tables,
// the machine-independent start-up and finally the clock.
#include <stdint.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/idt.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/timer.h"
#include "arch/x86_64/vm_layout.h"
#include "kern/arch.h"
#include "kern/boot_args.h"
#include "kern/boot_memory.h"
#include "kern/console.h"
#include "kern/panic.h"
#include "kern/startup.h"

extern "C" char kernel_phys_start[], kernel_end[], boot_stack_top[], kernel_init_array_start[],
    kernel_init_array_end[];

namespace mk::x86 {
namespace {


constinit BootInfo g_boot_info{};
constinit BootReservations g_reserved{};

// Parse the boot information found at `pa` through the current window.
void parse_boot_info(paddr_t pa, uint32_t size) {
  const char* error = "unknown";
  if (parse_multiboot2(arch::phys_to_virt(pa), size, &g_boot_info, &error) != KERN_SUCCESS)
    panic("boot: bad Multiboot2 information: %s", error);
}

}  // namespace
}  // namespace mk::x86

extern "C" [[noreturn]] void kernel_main(uint32_t magic, uint32_t info_phys) {
  using namespace mk;
  using namespace mk::x86;
  arch::console_init();
  kprintf("\nmachina microkernel (x86-64), built " __DATE__ " " __TIME__ "\n");
  // Global constructors never run here: every global is constinit or a Global<T>.
  if (reinterpret_cast<uintptr_t>(kernel_init_array_end) != reinterpret_cast<uintptr_t>(kernel_init_array_start)) panic("boot: the kernel has global constructors");
  if (magic != kMultiboot2BootloaderMagic) panic("boot: bad Multiboot2 magic %#x", magic);

  detect_cpu_features();
  gdt_init();
  idt_init();
  tss_set_kernel_stack(reinterpret_cast<uint64_t>(boot_stack_top));
  cpu_local_init();
  syscall_init();
  kprintf("cpu: %s, features:%s%s%s%s%s%s\n", g_cpu.vendor, g_cpu.nx ? " nx" : "", g_cpu.pge ? " pge" : "",
          g_cpu.pcid ? " pcid" : "", g_cpu.pdpe1gb ? " pdpe1gb" : "", g_cpu.apic ? " apic" : "",
          g_cpu.xsave ? " xsave" : "");

  // The boot window reaches only the first GiB; GRUB keeps its data low.
  if (info_phys + 8 > kBootWindowSize) panic("boot: boot information at %#x is above 1 GiB", info_phys);
  uint32_t info_size = *static_cast<const uint32_t*>(arch::phys_to_virt(info_phys));
  if (info_phys + uint64_t(info_size) > kBootWindowSize)
    panic("boot: boot information (%u bytes at %#x) crosses 1 GiB", info_size, info_phys);
  parse_boot_info(info_phys, info_size);

  g_reserved.add(0, 0x100000);  // real-mode IVT, BIOS data, EBDA, VGA, ROMs
  g_reserved.add(reinterpret_cast<paddr_t>(kernel_phys_start), reinterpret_cast<uint64_t>(kernel_end) - kKernelVma);
  if (!reserve_boot_data(g_boot_info, info_phys, info_size, &g_reserved))
    panic("boot: too many boot ranges to track");

  uint64_t table_pages = paging_table_pages_needed(g_boot_info);
  paddr_t tables = find_free_range(g_boot_info, g_reserved, table_pages * kPageSize, kBootWindowSize);
  if (!tables) panic("boot: no free memory below 1 GiB for %lu page-table pages", table_pages);
  g_reserved.add(tables, tables + table_pages * kPageSize);
  paging_init(tables, table_pages, g_boot_info);
  // The old window is gone: read the boot information again through the direct map.
  parse_boot_info(info_phys, info_size);

  fpu_init();
  kernel_startup(g_boot_info, g_reserved);

  char timer[16] = "";
  boot_arg(g_boot_info.cmdline, "timer", timer, sizeof timer);
  timer_init(__builtin_strcmp(timer, "pit") == 0 ? TimerChoice::kPit : TimerChoice::kAuto);
  arch::interrupts_enable();
  kernel_run(g_boot_info);
}
