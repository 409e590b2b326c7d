// What vm_pager.cpp (the queue of messages to pagers, waits, page returns)
// and vm_pager_user.cpp (vm_map and the control port's routines) share.
#pragma once

#include <mach/port.h>
#include <mach/vm_prot.h>
#include <stdint.h>

#include <boost/intrusive/list.hpp>

namespace mk {

class IpcPort;
class VmObject;
struct VmMapCopy;
struct VmPage;

// The kernel's state for an object with a pager (VmObject::pager).
struct VmPager {
  boost::intrusive::list_member_hook<> cache_link;  // the cache of unreferenced objects
  VmObject* object = nullptr;     // null once it is being terminated
  IpcPort* port = nullptr;        // the memory object port
  mach_port_name_t pager_name = MACH_PORT_NULL;  // our send right to it, in the kernel space
  IpcPort* control = nullptr;     // the control port (a kernel-served receive right)
  bool internal = false;          // a temporary object the default pager backs
  bool may_cache = false;         // memory_object_ready
  bool cached = false;            // on the cache list
  // Made with the pager, so that ending the object never fails for want
  // of memory (memory_object_terminate).
  struct VmPagerMessage* terminate = nullptr;
};

// A message for a pager, queued under the VM lock, sent by vm_pager_flush.
struct VmPagerMessage {
  enum class Kind : uint8_t { kInit, kCreate, kRequest, kUnlock, kReturn, kLockCompleted, kTerminate };
  boost::intrusive::list_member_hook<> link;
  Kind kind = Kind::kInit;
  bool dirty = false;        // kReturn
  bool kernel_copy = false;  // kReturn
  vm_prot_t access = VM_PROT_NONE;
  VmPager* pager = nullptr;
  uint64_t offset = 0;
  uint64_t length = 0;
  VmMapCopy* data = nullptr;               // kReturn (the message takes it)
  mach_port_name_t reply = MACH_PORT_NULL;  // kLockCompleted: a send-once right in the kernel space
};

// Queue a message (VM lock held). False when no memory for it.
bool vm_pager_queue(VmPager* pager, VmPagerMessage::Kind kind, uint64_t offset, uint64_t length,
                    vm_prot_t access = VM_PROT_NONE);
// Queue data_return of `page` (it leaves its object for the message).
// kernel_copy: send a copy and keep the page. VM lock held.
bool vm_pager_queue_return(VmPager* pager, VmPage* page, bool kernel_copy);
// Queue lock_completed to `reply` (a send-once right in the kernel space).
bool vm_pager_queue_lock_completed(VmPager* pager, mach_port_name_t reply, uint64_t offset, uint64_t length);

// A new pager for `object` over the memory object port `port` whose send
// right the kernel holds under `name`; the control port is made here. IPC
// and VM locks held. nullptr when memory is out.
VmPager* vm_pager_create(VmObject* object, IpcPort* port, mach_port_name_t name, bool internal);

// The object's pager gave up or died: busy pages fail, waiters wake, later
// faults that need the pager fail with `error`. VM lock held.
void vm_pager_fail_object(VmObject* object, kern_return_t error);

// The cache of objects whose pagers let the kernel keep them.
void vm_pager_uncache(VmPager* pager);

}  // namespace mk
