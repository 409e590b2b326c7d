// The legacy split virtqueue (virtqueue.h).
#include "virtqueue.h"

namespace virtio {

void Virtqueue::init(void* mem, uint16_t size) {
  auto* base = static_cast<uint8_t*>(mem);
  size_ = size;
  desc_ = reinterpret_cast<Desc*>(base);
  avail_ = reinterpret_cast<volatile uint16_t*>(base + avail_offset(size));
  used_ = reinterpret_cast<volatile uint16_t*>(base + used_offset(size));
  avail_idx_ = last_used_ = 0;
}

void Virtqueue::push(uint16_t head) {
  avail_ring()[avail_idx_ % size_] = head;
  __atomic_thread_fence(__ATOMIC_SEQ_CST);  // the entry (and descriptors) before the index
  ++avail_idx_;
  *avail_idx() = avail_idx_;
  __atomic_thread_fence(__ATOMIC_SEQ_CST);  // the index before the notify
}

bool Virtqueue::pop_used(uint16_t* head, uint32_t* len) {
  uint16_t device_idx = *used_idx();
  if (device_idx == last_used_) return false;
  __atomic_thread_fence(__ATOMIC_SEQ_CST);  // the index before the entry
  volatile UsedElem& e = used_ring()[last_used_ % size_];
  *head = uint16_t(e.id);
  *len = e.len;
  ++last_used_;
  return true;
}

}  // namespace virtio
