/* Mach traps: the few kernel calls that are system-call instructions rather
 * than messages. A trap is `syscall` with rax = MACH_TRAP_TAG | number and the
 * arguments in rdi, rsi, rdx, r10, r8, r9 (the Linux register convention);
 * the result comes back in rax, rcx and r11 are clobbered (by SYSCALL itself).
 * The tag lives in the upper 32 bits, which no Linux system call number (nor
 * the x32 bit 0x40000000) uses, so every other rax value is a foreign system
 * call: redirected to the task's emulation entry, or fatal without one. */
#ifndef MACH_MACH_TRAPS_H
#define MACH_MACH_TRAPS_H

#define MACH_TRAP_TAG 0x4d41434800000000ull /* "MACH" in the upper half */
#define MACH_TRAP_MASK 0xffffffff00000000ull

/* debug_write(const char *buf, size_t len) -> kern_return_t
 * Temporary console output for servers until the console driver exists.
 * KERN_INVALID_ADDRESS when buf..buf+len is not readable user memory,
 * KERN_INVALID_ARGUMENT when len > 4096. */
#define MACH_TRAP_debug_write 0
/* thread_switch(): give up the rest of the time slice. -> KERN_SUCCESS */
#define MACH_TRAP_thread_switch 1
/* task_terminate_self(int status): ends the calling task; does not return. */
#define MACH_TRAP_task_terminate_self 2
/* task_set_emulation(void *entry): foreign system calls of this task now go
 * to `entry` (0 turns redirection off). KERN_INVALID_ADDRESS when entry is not
 * a user address. See mach/emulation.h for what `entry` receives. */
#define MACH_TRAP_task_set_emulation 3
/* clock_sleep(uint64_t milliseconds): block the calling thread. -> KERN_SUCCESS */
#define MACH_TRAP_clock_sleep 4
/* task_info_self(struct mach_task_basic *out) -> kern_return_t
 * KERN_INVALID_ADDRESS when out is not writable user memory. */
#define MACH_TRAP_task_info_self 5

/* IPC (see mach/message.h, mach/port.h). `task` arguments are names of
 * task ports in the caller's space (mach_task_self() for the caller); a name
 * that is not one gives MACH_SEND_INVALID_DEST, as a message to it would.
 * Out-parameters are user pointers: KERN_INVALID_ADDRESS when not writable. */
/* mach_msg(msg, option, send_size, rcv_size, rcv_name, timeout_ms) */
#define MACH_TRAP_mach_msg 6
/* mach_reply_port() -> a new receive right's name (MACH_PORT_NULL if none) */
#define MACH_TRAP_mach_reply_port 7
/* task_self() / thread_self() -> a send right to the caller's kernel port */
#define MACH_TRAP_task_self 8
#define MACH_TRAP_thread_self 9
/* task_get_special_port(task, which, mach_port_t *port) */
#define MACH_TRAP_task_get_special_port 10
/* task_set_special_port(task, which, port): copies the send right */
#define MACH_TRAP_task_set_special_port 11
/* thread_get_special_port(thread, which, mach_port_t *port) */
#define MACH_TRAP_thread_get_special_port 12
/* thread_set_special_port(thread, which, port) */
#define MACH_TRAP_thread_set_special_port 13
#define MACH_TRAP_mach_port_allocate 14        /* (task, right, name *) */
#define MACH_TRAP_mach_port_allocate_name 15   /* (task, right, name) */
#define MACH_TRAP_mach_port_deallocate 16      /* (task, name) */
#define MACH_TRAP_mach_port_destroy 17         /* (task, name) */
#define MACH_TRAP_mach_port_mod_refs 18        /* (task, name, right, delta) */
#define MACH_TRAP_mach_port_get_refs 19        /* (task, name, right, urefs *) */
#define MACH_TRAP_mach_port_insert_right 20    /* (task, name, poly, polyPoly) */
#define MACH_TRAP_mach_port_extract_right 21   /* (task, name, msgt_name, poly *, polyPoly *) */
#define MACH_TRAP_mach_port_names 22           /* (task, names *, types *, capacity, count *) */
#define MACH_TRAP_mach_port_type 23            /* (task, name, type *) */
#define MACH_TRAP_mach_port_rename 24          /* (task, old, new) */
#define MACH_TRAP_mach_port_move_member 25     /* (task, member, after) */
/* (task, name, variant, sync, notify, previous *): notify is a receive
 * right (a send-once right is made from it) or a send-once right (moved). */
#define MACH_TRAP_mach_port_request_notification 26
#define MACH_TRAP_mach_port_set_qlimit 27      /* (task, name, qlimit) */
#define MACH_TRAP_mach_port_get_attributes 28  /* (task, name, flavor, info *, count *) */
/* mach_ipc_stats(struct mach_ipc_statistics *): live IPC objects, for leak checks */
#define MACH_TRAP_mach_ipc_stats 29
/* vm_deallocate(task, address, size): drop pages (received out-of-line
 * regions) until the VM system brings the full call. */
#define MACH_TRAP_vm_deallocate 30
/* task_terminate(task) */
#define MACH_TRAP_task_terminate 31

#define MACH_TRAP_host_self 32            /* () -> a send right to the host port (host.defs) */

/* user_copy(dst, src, size): copy size bytes between two ranges of the
 * caller's own memory, each byte checked as the kernel checks a system
 * call's pointers. -> KERN_SUCCESS, or KERN_INVALID_ADDRESS when a byte of
 * either range is not mapped with the access needed (some bytes may have
 * been copied). Emulation libraries use it to answer EFAULT for a
 * program's bad pointers instead of faulting on them. */
#define MACH_TRAP_user_copy 33
/* thread_set_fs_base(base): the calling thread's FS segment base (its TLS
 * pointer, arch_prctl(ARCH_SET_FS) on Linux). -> KERN_INVALID_ADDRESS when
 * base is not below the top of user space. */
#define MACH_TRAP_thread_set_fs_base 34

#define MACH_TRAP_COUNT 35

/* Special ports (GNU Mach numbering). */
#define TASK_KERNEL_PORT 1
#define TASK_EXCEPTION_PORT 3
#define TASK_BOOTSTRAP_PORT 4
#define THREAD_KERNEL_PORT 1
#define THREAD_EXCEPTION_PORT 3

struct mach_ipc_statistics {
  unsigned long ports;
  unsigned long port_sets;
  unsigned long kmsgs;
  unsigned long spaces;
  unsigned long ool_bytes;
  unsigned long kalloc_bytes;
};

struct mach_task_basic {
  unsigned long task_id;      /* kernel-wide task number */
  unsigned long thread_count;
  unsigned long ticks;        /* clock ticks since boot */
  unsigned long ticks_per_second;
};

#endif
