/* Exceptions: what the kernel sends to a thread's (else its task's)
 * exception port when the thread faults or makes a system call it has no
 * emulation for. The message is exc.defs' exception_raise (id 2401); the
 * thread waits for the reply (id 2501, a mig_reply_error_t): KERN_SUCCESS
 * resumes it (a system call then returns -ENOSYS), anything else, or the
 * handler's death, ends the task as if no port were set. */
#ifndef MACH_EXCEPTION_H
#define MACH_EXCEPTION_H

#include <mach/message.h>

#define EXC_BAD_ACCESS 1      /* code: KERN_INVALID_ADDRESS / KERN_PROTECTION_FAILURE, subcode: address */
#define EXC_BAD_INSTRUCTION 2 /* code: the CPU's vector, subcode: error code */
#define EXC_ARITHMETIC 3      /* code: the CPU's vector */
#define EXC_EMULATION 4
#define EXC_SOFTWARE 5
#define EXC_BREAKPOINT 6
#define EXC_SYSCALL 7         /* code: the system call number, subcode: its rip */
#define EXC_MACH_SYSCALL 8

#define MACH_EXCEPTION_RAISE_ID 2401

typedef int32_t exception_type_t;

/* The message's layout is exc.defs' (mig generates it: the kernel's
 * KernelUser stub, libmach's <exc_rpc.h> and <exc_server.h>). */

#endif
