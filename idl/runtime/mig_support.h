/* What MIG-generated stubs need from the runtime (libmach in user programs,
 * the kernel's own versions there, the in-process transport in host tests),
 * and small inline helpers the stubs share. Valid C and C++, freestanding:
 * no allocation, only compiler builtins for memory copies. */
#ifndef MIG_SUPPORT_H
#define MIG_SUPPORT_H

#include <stdint.h>

#include <mach/kern_return.h>
#include <mach/message.h>
#include <mach/mig_errors.h>
#include <mach/port.h>

#ifndef MIG_BOOLEAN_T_DEFINED
#define MIG_BOOLEAN_T_DEFINED
typedef int boolean_t;
#endif
#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* The thread's reply port for RPCs (created on first use, then cached). */
mach_port_t mig_get_reply_port(void);
/* Drops the cached reply port after a failed receive, so a late reply
 * cannot be taken for the answer to the next RPC. */
void mig_dealloc_reply_port(mach_port_t reply_port);

/* Send and/or receive (this kernel's mach_msg: no notify argument). */
mach_msg_return_t mach_msg(mach_msg_header_t* msg, mach_msg_option_t option, mach_msg_size_t send_size,
                           mach_msg_size_t rcv_size, mach_port_name_t rcv_name, mach_msg_timeout_t timeout);

/* A server-side handler: unpacks InHeadP, calls the implementation, builds
 * the reply in OutHeadP. */
typedef void (*mig_routine_t)(mach_msg_header_t* InHeadP, mach_msg_header_t* OutHeadP);

#ifdef __cplusplus
}
#endif

static inline mach_msg_size_t mig_align(mach_msg_size_t off, mach_msg_size_t align) {
  return (off + align - 1u) & ~(align - 1u);
}

/* Length of s, at most max (s need not be terminated within max). */
static inline mach_msg_size_t mig_strnlen(const char* s, mach_msg_size_t max) {
  mach_msg_size_t n = 0;
  while (n < max && s[n] != 0) ++n;
  return n;
}

/* Copies s into a field of n bytes: zero-filled, always terminated. */
static inline void mig_strncpy_field(uint8_t* dst, const char* s, mach_msg_size_t n) {
  mach_msg_size_t len = mig_strnlen(s, n - 1u);
  __builtin_memcpy(dst, s, len);
  __builtin_memset(dst + len, 0, n - len);
}

/* Turns the reply being built into a mig_reply_error_t carrying `code`. */
static inline void mig_reply_error(mach_msg_header_t* OutHeadP, kern_return_t code) {
  OutHeadP->msgh_bits &= ~MACH_MSGH_BITS_COMPLEX;
  OutHeadP->msgh_size = (mach_msg_size_t)sizeof(mig_reply_error_t);
  __builtin_memcpy((uint8_t*)OutHeadP + sizeof(mach_msg_header_t), &code, sizeof code);
}

/* The return code of a reply built by a server stub (a complex reply is
 * only built on success). MIG_NO_REPLY: send nothing. */
static inline kern_return_t mig_reply_code(const mach_msg_header_t* OutHeadP) {
  kern_return_t code;
  if (OutHeadP->msgh_bits & MACH_MSGH_BITS_COMPLEX) return KERN_SUCCESS;
  __builtin_memcpy(&code, (const uint8_t*)OutHeadP + sizeof(mach_msg_header_t), sizeof code);
  return code;
}

#endif
