// The small interface generic kernel code uses to reach the machine. Each
// architecture implements it under arch/<name>/; generic code includes only
// this header, never arch headers.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/page.h"

namespace mk::arch {

// Early console (COM1 on PCs): used by kprintf and panic.
void console_init();
void console_putc(char c);

// Interrupt state; save/restore nests correctly.
uint64_t interrupts_save_disable();
void interrupts_restore(uint64_t state);
void interrupts_enable();
void cpu_relax();   // spin-wait hint
void wait_for_interrupt();
[[noreturn]] void halt_forever();

// Leave the emulator with a status (QEMU isa-debug-exit); returns if there is
// no such device so the caller can halt instead.
enum class ExitStatus : uint8_t { kPass = 0, kFail = 1, kPanic = 2 };
void emulator_exit(ExitStatus status);

// Physical memory is reachable through the direct map.
void* phys_to_virt(paddr_t pa);
paddr_t virt_to_phys(const void* va);  // only for direct-map and kernel image addresses
bool is_kernel_text(uint64_t va);
bool is_kernel_data_address(uint64_t va);  // a plausible kernel stack/frame address

// I/O ports for user tasks (io_port_grant): a task with grants has a bitmap
// of kIoBitmapBytes, one bit per port, set = refused (the TSS's format).
// io_bitmap_activate makes `bitmap` the current one (nullptr: every port
// refused, the cheap path); its content is copied only when it differs from
// the loaded one. io_bitmap_forget: the bitmap changed or is being freed.
// Scheduler lock held (or interrupts off).
constexpr size_t kIoBitmapBytes = 8192;
void io_bitmap_activate(const uint8_t* bitmap);
void io_bitmap_forget(const uint8_t* bitmap);

// Legacy interrupt lines (the PICs' 0..15) for user drivers. A line a
// driver may take: not the timer's (0) nor the cascade (2). irq_route sends
// the line's interrupts to handler (called with interrupts off, after the
// line was masked and acknowledged), or back to nobody (nullptr, masked).
bool irq_line_assignable(unsigned irq);
void irq_route(unsigned irq, void (*handler)(unsigned irq));
void irq_mask(unsigned irq);
void irq_unmask(unsigned irq);

// Physical memory a task may map as device memory (io_memory_map): within
// the CPU's physical address width, and no page of it RAM or registers the
// kernel maps itself (direct map).
bool phys_is_device_range(paddr_t base, paddr_t end);

// Timer: ticks per second of the periodic clock interrupt.
uint32_t timer_hz();
const char* timer_source();

}  // namespace mk::arch

#include <machine/thread_state.h>
#include <mach/kern_return.h>

namespace mk {
struct Pmap;  // vm/pmap.h
}

namespace mk::arch {

// Threads. The kernel stack and FPU image are allocated here; the initial
// stack makes the first switch to the thread enter user mode at `entry`
// with `arg` in rdi (or run fn(arg) in the kernel).
kern_return_t thread_init_user(ThreadState& t, uint64_t entry, uint64_t user_sp, uint64_t arg);
kern_return_t thread_init_kernel(ThreadState& t, void (*fn)(void*), void* arg);
void thread_adopt_boot_context(ThreadState& t);  // the boot stack becomes the idle thread
void thread_destroy(ThreadState& t);
// Switch from prev to next (FPU state, kernel stack for traps, address
// space: `pmap`, or the kernel's tables when null). Returns when prev runs
// again. The scheduler lock is held, interrupts off.
void context_switch(ThreadState& prev, ThreadState& next, Pmap* pmap);

// User addresses are below this; user address spaces are pmaps (vm/pmap.h).
uint64_t user_address_top();

// Copy to and from the current task's user memory. KERN_INVALID_ADDRESS when
// any byte is outside user space or not mapped with the needed access.
kern_return_t copyin(void* dst, uint64_t user_src, size_t len);
kern_return_t copyout(uint64_t user_dst, const void* src, size_t len);

// The running thread's user FS base (saved and restored with its FPU state).
kern_return_t thread_set_fs_base(uint64_t base);

}  // namespace mk::arch
