#include "pipe.h"

#include <vm_rpc.h>

#include "libmach/mach_ipc.h"
#include "libmach/malloc.h"
#include "libmach/string.h"
#include "linux_abi.h"

namespace ux {

using namespace linux_abi;

Pipe* Pipe::create() {
  void* mem = malloc(sizeof(Pipe));
  if (!mem) return nullptr;
  vm_address_t ring = 0;
  // Pages of the ring are touched only as the pipe fills.
  if (rpc_vm_allocate(mach_task_self(), &ring, kSize, VM_FLAGS_ANYWHERE) != KERN_SUCCESS) {
    free(mem);
    return nullptr;
  }
  auto* p = static_cast<Pipe*>(mem);
  *p = Pipe{};
  p->ring_ = reinterpret_cast<char*>(ring);
  return p;
}

int Pipe::read(char* buf, uint32_t count, uint32_t* got) {
  *got = 0;
  if (count == 0) return 0;
  if (used_ == 0) return writers_ ? kEAGAIN : 0;
  uint32_t n = count < used_ ? count : used_;
  for (uint32_t done = 0; done < n;) {
    uint32_t chunk = kSize - head_ < n - done ? kSize - head_ : n - done;
    memcpy(buf + done, ring_ + head_, chunk);
    head_ = (head_ + chunk) % kSize;
    done += chunk;
  }
  used_ -= n;
  *got = n;
  return 0;
}

int Pipe::write(const char* buf, uint32_t count, uint32_t* put) {
  *put = 0;
  if (readers_ == 0) return kEPIPE;
  if (count == 0) return 0;
  uint32_t room = kSize - used_;
  if (room == 0 || (count <= kAtomic && room < count)) return kEAGAIN;
  uint32_t n = count < room ? count : room;
  uint32_t tail = (head_ + used_) % kSize;
  for (uint32_t done = 0; done < n;) {
    uint32_t chunk = kSize - tail < n - done ? kSize - tail : n - done;
    memcpy(ring_ + tail, buf + done, chunk);
    tail = (tail + chunk) % kSize;
    done += chunk;
  }
  used_ += n;
  *put = n;
  return 0;
}

void Pipe::drop_end(bool writer) {
  --(writer ? writers_ : readers_);
  if (readers_ || writers_) return;
  (void)vm_deallocate(mach_task_self(), reinterpret_cast<vm_address_t>(ring_), kSize);
  free(this);
}

}  // namespace ux
