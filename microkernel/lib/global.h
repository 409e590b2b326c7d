// Global<T>: storage for a kernel-global object whose type has a
// non-constexpr constructor (Boost.Intrusive containers, for one). The kernel
// runs no global constructors, so such objects are built explicitly, once,
// by their subsystem's init function: `g_list.init();` then `g_list->...`.
#pragma once

#include <new>
#include <utility>

namespace mk {

template <class T>
class Global {
 public:
  constexpr Global() = default;
  Global(const Global&) = delete;
  Global& operator=(const Global&) = delete;

  template <class... A>
  T& init(A&&... args) {
    return *new (storage_) T(std::forward<A>(args)...);
  }
  T& operator*() { return *std::launder(reinterpret_cast<T*>(storage_)); }
  T* operator->() { return std::launder(reinterpret_cast<T*>(storage_)); }

 private:
  alignas(T) unsigned char storage_[sizeof(T)] = {};
};

}  // namespace mk
