// Exceptions as messages: a faulting thread asks its exception port what
// to do and waits for the answer.
#pragma once

#include <mach/exception.h>
#include <stdint.h>

namespace mk {

// Send exception_raise for the current thread and wait for the reply. True
// when a handler answered KERN_SUCCESS (resume the thread); false when
// there is no exception port, the handler refused or died (the caller ends
// the task).
bool exception_raise(exception_type_t exception, int64_t code, int64_t subcode);

}  // namespace mk
