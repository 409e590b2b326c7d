#include "ipc/ipc_space.h"

#include <new>

#include "ipc/ipc_env.h"
#include "ipc/ipc_right.h"
#include "ipc/ipc_stats.h"

namespace mk {

kern_return_t IpcSpace::init() { return grow(kInitialSize); }

void IpcSpace::free_tables() {
  ipc_free(table_);
  ipc_free(reverse_);
  table_ = nullptr;
  reverse_ = nullptr;
  size_ = used_ = free_head_ = reverse_size_ = 0;
}

kern_return_t IpcSpace::grow(uint32_t min_size) {
  uint32_t new_size = size_ ? size_ : kInitialSize;
  while (new_size < min_size) new_size *= 2;
  if (new_size > kMaxSize) return KERN_NO_SPACE;
  auto* table = static_cast<IpcEntry*>(ipc_alloc(sizeof(IpcEntry) * new_size));
  auto* reverse = static_cast<ReverseSlot*>(ipc_alloc(sizeof(ReverseSlot) * new_size * 2));
  if (!table || !reverse) {
    if (table) ipc_free(table);
    if (reverse) ipc_free(reverse);
    return KERN_RESOURCE_SHORTAGE;
  }
  for (uint32_t i = 0; i < new_size; i++) new (&table[i]) IpcEntry();
  for (uint32_t i = 0; i < size_; i++) table[i] = table_[i];
  for (uint32_t i = 0; i < new_size * 2; i++) reverse[i] = {nullptr, 0};
  // New entries join the free list in index order (lowest names first).
  uint32_t first_new = size_ ? size_ : 1;  // index 0 is MACH_PORT_NULL
  for (uint32_t i = new_size - 1; i >= first_new; i--) {
    table[i].next_free = free_head_;
    free_head_ = i;
  }
  ReverseSlot* old_reverse = reverse_;
  uint32_t old_reverse_size = reverse_size_;
  ipc_free(table_);
  table_ = table;
  size_ = new_size;
  reverse_ = reverse;
  reverse_size_ = new_size * 2;
  for (uint32_t i = 0; i < old_reverse_size; i++)
    if (old_reverse[i].port) reverse_insert(old_reverse[i].port, MACH_PORT_MAKE(old_reverse[i].index, 0));
  ipc_free(old_reverse);
  return KERN_SUCCESS;
}

void IpcSpace::fix_dead(IpcEntry& e) {
  if (!(e.type & MACH_PORT_TYPE_SEND_RIGHTS)) return;
  IpcPort* port = e.port();
  if (port->active) return;
  // The port died: the name becomes a dead name. A send right keeps its
  // user references, a send-once right counts as one (its urefs), plus one
  // a fired dead-name request added (ipc_port_destroy).
  reverse_remove(port);
  e.type = MACH_PORT_TYPE_DEAD_NAME;
  e.object = nullptr;
  e.dnrequest = nullptr;
  ipc_port_release(port);
}

IpcEntry* IpcSpace::lookup(mach_port_name_t name) {
  if (!MACH_PORT_VALID(name)) return nullptr;
  uint32_t index = MACH_PORT_INDEX(name);
  if (index == 0 || index >= size_) return nullptr;
  IpcEntry& e = table_[index];
  if (!e.in_use() || e.gen != MACH_PORT_GEN(name)) return nullptr;
  fix_dead(e);
  return &e;
}

kern_return_t IpcSpace::alloc_entry(mach_port_name_t* name, IpcEntry** out) {
  if (!active) return KERN_INVALID_TASK;
  if (free_head_ == 0) {
    kern_return_t kr = grow(size_ * 2);
    if (kr != KERN_SUCCESS) return kr;
  }
  uint32_t index = free_head_;
  IpcEntry& e = table_[index];
  free_head_ = e.next_free;
  e.next_free = 0;
  used_++;
  *name = MACH_PORT_MAKE(index, e.gen);
  if (*name == MACH_PORT_DEAD) {  // cannot happen below kMaxSize; be explicit
    e.gen++;
    *name = MACH_PORT_MAKE(index, e.gen);
  }
  *out = &e;
  return KERN_SUCCESS;
}

kern_return_t IpcSpace::alloc_entry_named(mach_port_name_t name, IpcEntry** out) {
  if (!active) return KERN_INVALID_TASK;
  if (!MACH_PORT_VALID(name) || MACH_PORT_INDEX(name) == 0 || MACH_PORT_INDEX(name) >= kMaxSize)
    return KERN_INVALID_VALUE;
  uint32_t index = MACH_PORT_INDEX(name);
  if (index >= size_) {
    kern_return_t kr = grow(index + 1);
    if (kr != KERN_SUCCESS) return kr;
  }
  IpcEntry& e = table_[index];
  if (e.in_use()) return KERN_NAME_EXISTS;
  // Unlink from the free list (a rare call: a linear walk is fine).
  uint32_t* link = &free_head_;
  while (*link != index) link = &table_[*link].next_free;
  *link = e.next_free;
  e.next_free = 0;
  e.gen = uint8_t(MACH_PORT_GEN(name));
  used_++;
  *out = &e;
  return KERN_SUCCESS;
}

void IpcSpace::free_entry(mach_port_name_t name) {
  uint32_t index = MACH_PORT_INDEX(name);
  IpcEntry& e = table_[index];
  e.object = nullptr;
  e.type = 0;
  e.urefs = 0;
  e.dnrequest = nullptr;
  e.gen++;  // the old name is stale from now on
  e.next_free = free_head_;
  free_head_ = index;
  used_--;
}

uint32_t IpcSpace::hash_slot(const IpcPort* port) const {
  uint64_t h = reinterpret_cast<uintptr_t>(port) >> 4;
  h *= 0x9e3779b97f4a7c15ull;
  return uint32_t(h >> 32) & (reverse_size_ - 1);
}

mach_port_name_t IpcSpace::reverse_lookup(IpcPort* port) {
  for (uint32_t i = hash_slot(port);; i = (i + 1) & (reverse_size_ - 1)) {
    if (!reverse_[i].port) return MACH_PORT_NULL;
    if (reverse_[i].port == port) {
      uint32_t index = reverse_[i].index;
      return MACH_PORT_MAKE(index, table_[index].gen);
    }
  }
}

void IpcSpace::reverse_insert(IpcPort* port, mach_port_name_t name) {
  // The table is twice the number of entries, so a free slot always exists.
  uint32_t i = hash_slot(port);
  while (reverse_[i].port && reverse_[i].port != port) i = (i + 1) & (reverse_size_ - 1);
  reverse_[i] = {port, MACH_PORT_INDEX(name)};
}

void IpcSpace::reverse_remove(IpcPort* port) {
  uint32_t i = hash_slot(port);
  while (reverse_[i].port != port) {
    if (!reverse_[i].port) return;
    i = (i + 1) & (reverse_size_ - 1);
  }
  // Backward-shift deletion keeps every probe chain unbroken.
  uint32_t mask = reverse_size_ - 1;
  uint32_t hole = i;
  for (uint32_t j = (i + 1) & mask; reverse_[j].port; j = (j + 1) & mask) {
    uint32_t home = hash_slot(reverse_[j].port);
    bool movable = (j > hole) ? (home <= hole || home > j) : (home <= hole && home > j);
    if (movable) {
      reverse_[hole] = reverse_[j];
      hole = j;
    }
  }
  reverse_[hole] = {nullptr, 0};
}

IpcSpace* ipc_space_create(void* owner) {
  void* mem = ipc_alloc(sizeof(IpcSpace));
  if (!mem) return nullptr;
  auto* space = new (mem) IpcSpace();
  space->owner = owner;
  if (space->init() != KERN_SUCCESS) {
    space->~IpcSpace();
    ipc_free(mem);
    return nullptr;
  }
  g_ipc_stats.spaces++;
  return space;
}

void ipc_space_destroy(IpcSpace* space) {
  if (!space->active) return;
  // Releasing rights may send notifications into other spaces, never into
  // this one: it refuses new entries from here on.
  space->active = false;
  for (uint32_t i = 1; i < space->size(); i++) {
    IpcEntry* e = space->entry_at(i);
    if (e->in_use()) ipc_right_clean(space, MACH_PORT_MAKE(i, e->gen), *e);
  }
  space->free_tables();
  space->~IpcSpace();
  ipc_free(space);
  g_ipc_stats.spaces--;
}

}  // namespace mk
