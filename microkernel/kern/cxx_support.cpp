// What the C++ compiler expects from a runtime, for a kernel that has none.
#include <stddef.h>

#include "kern/panic.h"

extern "C" {

// A pure virtual call means a broken object: stop.
void __cxa_pure_virtual() { mk::panic("pure virtual function called"); }

// Function-local statics are built without guards (-fno-threadsafe-statics)
// and global destructors never run (-fno-use-cxa-atexit); this keeps the
// symbol the compiler may still reference.
void* __dso_handle = nullptr;

}

namespace boost {
// Boost.Intrusive's assertions land here (BOOST_ENABLE_ASSERT_HANDLER).
void assertion_failed(char const* expr, char const* function, char const* file, long line) {
  mk::panic("boost assertion failed: %s in %s (%s:%ld)", expr, function, file, line);
}
void assertion_failed_msg(char const* expr, char const* msg, char const* function, char const* file, long line) {
  mk::panic("boost assertion failed: %s (%s) in %s (%s:%ld)", expr, msg, function, file, line);
}
}  // namespace boost

// Kernel objects are never deleted through operator delete (zones and kfree
// do it), but a virtual destructor still names these.
void operator delete(void*) noexcept { mk::panic("operator delete called"); }
void operator delete(void*, size_t) noexcept { mk::panic("operator delete called"); }
