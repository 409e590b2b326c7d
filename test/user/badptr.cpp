// badptr trap:  the kernel must refuse bad user pointers passed to traps
//               with the documented error codes (and not crash).
// badptr deref: the task writes through a wild pointer; the kernel must end
//               it ("terminated: ...") and never let it continue.
#include "libmach/print.h"
#include "libmach/string.h"
#include "libmach/traps.h"

namespace {

int failures = 0;

const char* kr_name(kern_return_t kr) {
  switch (kr) {
    case KERN_SUCCESS: return "KERN_SUCCESS";
    case KERN_INVALID_ADDRESS: return "KERN_INVALID_ADDRESS";
    case KERN_PROTECTION_FAILURE: return "KERN_PROTECTION_FAILURE";
    case KERN_INVALID_ARGUMENT: return "KERN_INVALID_ARGUMENT";
    default: return "?";
  }
}

void expect(const char* what, kern_return_t got, kern_return_t want) {
  if (got == want) return;
  ++failures;
  printf("badptr: %s returned %d (%s), expected %d (%s)\n", what, got, kr_name(got), want, kr_name(want));
}

// Read-only (.rodata): task_info_self must not write here.
const mach_task_basic kReadOnlyInfo = {1, 2, 3, 4};

// A valid buffer bigger than debug_write's 4096-byte limit.
char big_buffer[1 << 20];

// Hides a constant from the optimizer, so the call really passes it.
template <typename T>
T* opaque(unsigned long v) {
  asm volatile("" : "+r"(v));
  return reinterpret_cast<T*>(v);
}

int trap_checks() {
  const char msg[] = "xxxxx";
  expect("debug_write(nullptr, 5)", debug_write(nullptr, 5), KERN_INVALID_ADDRESS);
  expect("debug_write(0x1, 5)", debug_write(opaque<const char>(0x1), 5), KERN_INVALID_ADDRESS);
  expect("debug_write(0xffffffff80100000, 5)", debug_write(opaque<const char>(0xffffffff80100000), 5),
         KERN_INVALID_ADDRESS);
  expect("debug_write(0xffff800000000000, 5)", debug_write(opaque<const char>(0xffff800000000000), 5),
         KERN_INVALID_ADDRESS);
  // Starts in the last user page, ends past the top of user space.
  expect("debug_write(0x7ffffffff800, 0x1000)", debug_write(opaque<const char>(0x00007ffffffff800), 0x1000),
         KERN_INVALID_ADDRESS);
  // Wraps around the top of the address space.
  expect("debug_write(0xfffffffffffff800, 0x1000)", debug_write(opaque<const char>(0xfffffffffffff800), 0x1000),
         KERN_INVALID_ADDRESS);
  // Too long, on memory that is all valid.
  expect("debug_write(valid, 1<<20)", debug_write(big_buffer, sizeof big_buffer), KERN_INVALID_ARGUMENT);
  expect("debug_write(valid, 4097)", debug_write(big_buffer, 4097), KERN_INVALID_ARGUMENT);
  // Good calls still work (zero length prints nothing).
  expect("debug_write(valid, 0)", debug_write(msg, 0), KERN_SUCCESS);

  expect("task_info_self(nullptr)", task_info_self(nullptr), KERN_INVALID_ADDRESS);
  expect("task_info_self(0xffff800000000000)", task_info_self(opaque<mach_task_basic>(0xffff800000000000)),
         KERN_INVALID_ADDRESS);
  expect("task_info_self(0xffffffff80100000)", task_info_self(opaque<mach_task_basic>(0xffffffff80100000)),
         KERN_INVALID_ADDRESS);
  expect("task_info_self(read-only .rodata)",
         task_info_self(opaque<mach_task_basic>(reinterpret_cast<unsigned long>(&kReadOnlyInfo))),
         KERN_INVALID_ADDRESS);
  const auto* ro = reinterpret_cast<const volatile unsigned long*>(&kReadOnlyInfo);
  if (ro[0] != 1 || ro[1] != 2 || ro[2] != 3 || ro[3] != 4) {
    ++failures;
    printf("badptr: task_info_self wrote into read-only memory\n");
  }
  mach_task_basic info;
  memset(&info, 0xff, sizeof info);
  expect("task_info_self(&info)", task_info_self(&info), KERN_SUCCESS);
  if (info.thread_count == 0 || info.thread_count > 1000 || info.ticks_per_second == 0 ||
      info.ticks_per_second > 1000000) {
    ++failures;
    printf("badptr: task_info_self(&info) gave implausible values: task %lu threads %lu ticks %lu hz %lu\n",
           info.task_id, info.thread_count, info.ticks, info.ticks_per_second);
  }

  if (failures != 0) {
    printf("badptr: %d trap checks FAILED\n", failures);
    return 1;
  }
  printf("badptr: trap checks passed\n");
  return 0;
}

int deref() {
  printf("badptr: about to dereference 0xdeadbeef\n");
  *opaque<volatile int>(0xdeadbeef) = 42;
  printf("badptr: survived bad pointer!\n");
  return 1;
}

}  // namespace

int main(int argc, char** argv, char**) {
  if (argc >= 2 && strcmp(argv[1], "trap") == 0) return trap_checks();
  if (argc >= 2 && strcmp(argv[1], "deref") == 0) return deref();
  printf("badptr: usage: badptr trap|deref\n");
  return 2;
}
