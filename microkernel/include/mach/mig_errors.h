/* Errors MIG-generated stubs return (Mach 3 values) and the reply shape a
 * server uses to return only a code. */
#ifndef MACH_MIG_ERRORS_H
#define MACH_MIG_ERRORS_H

#include <mach/message.h>

#define MIG_TYPE_ERROR -300      /* a reply item had the wrong type */
#define MIG_REPLY_MISMATCH -301  /* the reply's id was not request id + 100 */
#define MIG_REMOTE_ERROR -302    /* the server raised an error */
#define MIG_BAD_ID -303          /* the server does not know the request id */
#define MIG_BAD_ARGUMENTS -304   /* the server found the request malformed */
#define MIG_NO_REPLY -305        /* the server will not (or did not yet) reply */
#define MIG_EXCEPTION -306
#define MIG_ARRAY_TOO_LARGE -307 /* the reply's array does not fit the caller's */
#define MIG_SERVER_DIED -308     /* the server died before replying */
#define MIG_TRAILER_ERROR -309

/* The reply a server sends when it has only a return code: the header, then
 * RetCode (what MIG's "mig_reply_error_t" holds; there is no NDR record, both
 * sides are x86-64). */
typedef struct {
  mach_msg_header_t Head;
  kern_return_t RetCode;
} mig_reply_error_t;

#endif
