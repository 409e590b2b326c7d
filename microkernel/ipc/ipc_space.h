// IpcSpace: a task's port name space. A name is (index << 8 | generation):
// the index selects an entry of a table that grows by doubling, the
// generation (bumped each time the entry is freed) makes a stale name fail
// instead of reaching the entry's next occupant. A name means nothing in any
// other space, so rights cannot be forged.
//
// Send and receive rights for one port share one name (Mach's rule), found
// through a reverse map from port to index. Guarded by the IPC lock.
#pragma once

#include <mach/port.h>
#include <stdint.h>

#include "ipc/ipc_port.h"
#include "ipc/ipc_pset.h"

namespace mk {

struct IpcEntry {
  void* object = nullptr;         // IpcPort* or IpcPortSet*; null when free
  mach_port_type_t type = 0;      // MACH_PORT_TYPE_* rights (+ DNREQUEST)
  uint16_t urefs = 0;             // user references: send rights and dead names
  uint8_t gen = 0;
  uint32_t next_free = 0;         // free list link (an index)
  IpcDeadNameRequest* dnrequest = nullptr;

  bool in_use() const { return type != 0; }
  IpcPort* port() const { return static_cast<IpcPort*>(object); }
  IpcPortSet* pset() const { return static_cast<IpcPortSet*>(object); }
};

class IpcSpace {
 public:
  static constexpr uint32_t kInitialSize = 64;
  static constexpr uint32_t kMaxSize = 1u << 20;  // names; keeps clear of MACH_PORT_DEAD

  bool active = true;
  uint32_t refs = 1;
  void* owner = nullptr;  // the kernel's Task

  // The entry for `name`, or nullptr (free, stale generation, out of range,
  // MACH_PORT_NULL/DEAD). A send or send-once right to a port that died is
  // turned into a dead name here, so callers see the truth.
  IpcEntry* lookup(mach_port_name_t name);
  // A new entry with a fresh name. KERN_NO_SPACE at the size limit,
  // KERN_RESOURCE_SHORTAGE without memory.
  kern_return_t alloc_entry(mach_port_name_t* name, IpcEntry** out);
  // The entry for a name the caller chose. KERN_NAME_EXISTS when in use,
  // KERN_INVALID_VALUE for NULL/DEAD or an index beyond the limit.
  kern_return_t alloc_entry_named(mach_port_name_t name, IpcEntry** out);
  // The entry must hold no rights any more (type 0).
  void free_entry(mach_port_name_t name);

  // The name under which this space holds send or receive rights for
  // `port`, or MACH_PORT_NULL.
  mach_port_name_t reverse_lookup(IpcPort* port);
  void reverse_insert(IpcPort* port, mach_port_name_t name);
  void reverse_remove(IpcPort* port);

  uint32_t size() const { return size_; }
  uint32_t used() const { return used_; }
  // Visit every name in use: fn(name, entry).
  template <class Fn>
  void for_each(Fn fn) {
    for (uint32_t i = 1; i < size_; i++)
      if (table_[i].in_use()) fn(MACH_PORT_MAKE(i, table_[i].gen), table_[i]);
  }

  kern_return_t init();
  // Release the tables (the space holds no rights any more).
  void free_tables();
  IpcEntry* entry_at(uint32_t index) { return index < size_ ? &table_[index] : nullptr; }

 private:
  kern_return_t grow(uint32_t min_size);
  void fix_dead(IpcEntry& e);
  uint32_t hash_slot(const IpcPort* port) const;

  IpcEntry* table_ = nullptr;
  uint32_t size_ = 0;
  uint32_t used_ = 0;
  uint32_t free_head_ = 0;  // 0: none
  // Reverse map: open addressing over (port, index) pairs, 2x the table.
  struct ReverseSlot {
    IpcPort* port;
    uint32_t index;
  };
  ReverseSlot* reverse_ = nullptr;
  uint32_t reverse_size_ = 0;
};

// A space for a task; nullptr when memory runs out.
IpcSpace* ipc_space_create(void* owner);
// The task is going away: every right it holds is released (receive rights
// destroy their ports, send rights may fire no-senders, ...), then the
// space is freed.
void ipc_space_destroy(IpcSpace* space);

}  // namespace mk
