// Result<T>: a value or a kern_return_t, for kernel-internal calls. User-caused
// errors travel as codes; broken invariants panic instead (see kern/panic.h).
#pragma once

#include <mach/kern_return.h>

namespace mk {

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(value), code_(KERN_SUCCESS) {}  // NOLINT: implicit on purpose
  static Result error(kern_return_t code) { return Result(code, 0); }

  bool ok() const { return code_ == KERN_SUCCESS; }
  kern_return_t code() const { return code_; }
  T value() const { return value_; }

 private:
  Result(kern_return_t code, int) : value_(), code_(code) {}
  T value_;
  kern_return_t code_;
};

const char* kern_return_name(kern_return_t code);

}  // namespace mk

// TRY(expr): return the error of a kern_return_t-valued expression to the caller.
#define TRY(expr)                                     \
  do {                                                \
    kern_return_t try_kr_ = (expr);                   \
    if (try_kr_ != KERN_SUCCESS) return try_kr_;      \
  } while (0)
