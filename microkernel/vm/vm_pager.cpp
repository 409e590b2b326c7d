// The queue of messages to pagers and the waits for their answers (see
// vm_pager.h). The kernel is the pagers' client through the stubs mig
// generates with KernelUser from memory_object.defs and
// memory_object_default.defs; they send with names in the kernel's space
// (ipc/ipc_kernel_user.cpp), so every pager keeps a send right to its
// memory object port there, and its control port's receive right.
#include "vm/vm_pager.h"

#include <new>

#include "ipc/ipc_kernel.h"
#include "ipc/ipc_port.h"
#include "ipc/ipc_right.h"
#include "ipc/ipc_space.h"
#include "ipc/mach_port.h"
#include "kern/console.h"
#include "kern/sched.h"
#include "kern/task.h"
#include "lib/global.h"
#include "memory_objectUser.h"
#include "memory_object_defaultUser.h"
#include "vm/pmap.h"
#include "vm/vm_env.h"
#include "vm/vm_kern.h"
#include "vm/vm_map_copy.h"
#include "vm/vm_object.h"
#include "vm/vm_pager_internal.h"

namespace mk {

VmPagerCounts g_vm_pager_counts;
// The default pager: a send right in the kernel space (io.defs'
// vm_set_default_memory_manager, vm_pager_user.cpp).
mach_port_name_t g_default_pager = MACH_PORT_NULL;

namespace {

using MessageList = boost::intrusive::list<
    VmPagerMessage,
    boost::intrusive::member_hook<VmPagerMessage, boost::intrusive::list_member_hook<>, &VmPagerMessage::link>>;
using WaitList = boost::intrusive::list<
    Thread, boost::intrusive::member_hook<Thread, boost::intrusive::list_member_hook<>, &Thread::vm_wait_link>>;
using CacheList = boost::intrusive::list<
    VmPager, boost::intrusive::member_hook<VmPager, boost::intrusive::list_member_hook<>, &VmPager::cache_link>>;

// All under the VM lock.
constinit Global<MessageList> g_outbox;  // built by vm_pager_init
constinit bool g_sending = false;  // one thread sends at a time: the order is kept
constinit Global<WaitList> g_waiters;
constinit Global<CacheList> g_cache;
// Objects kept for their pagers after the last mapping (may_cache).
constexpr uint64_t kCacheMax = 32;

VmPagerMessage* message_alloc() {
  void* mem = vm_alloc(sizeof(VmPagerMessage));
  return mem ? new (mem) VmPagerMessage() : nullptr;
}

void message_free(VmPagerMessage* m) {
  m->~VmPagerMessage();
  vm_free(m);
}

// Into the outbox (VM lock held); sent in this order by vm_pager_flush.
void enqueue(VmPagerMessage* m) {
  g_outbox->push_back(*m);
  g_vm_pager_counts.pending++;
}

mach_port_name_t control_name(const VmPager* p) { return p->control->receiver_name; }

// The last message of a pager went out: drop its ports and state.
void pager_destroy(VmPager* p) {
  {
    LockGuard guard(g_ipc_lock);
    if (p->port->memory_object == p) p->port->memory_object = nullptr;
    ipc_port_release(p->port);
    ipc_kobject_port_destroy(p->control);
    (void)ipc_right_dealloc(ipc_space_kernel(), p->pager_name);
  }
  LockGuard guard(g_vm_lock);
  g_vm_pager_counts.objects--;
  p->~VmPager();
  vm_free(p);
}

// One message, with no lock held. The stubs' sends never block; a pager
// that died makes them fail (MACH_SEND_INVALID_DEST), which
// vm_pager_port_died has already answered for the object.
void send(VmPagerMessage* m) {
  VmPager* p = m->pager;
  switch (m->kind) {
    case VmPagerMessage::Kind::kInit:
      (void)memory_object_init(p->pager_name, control_name(p), kPageSize);
      break;
    case VmPagerMessage::Kind::kCreate: {
      mach_port_name_t dp;
      {
        LockGuard guard(g_vm_lock);
        dp = g_default_pager;
      }
      // The receive right moves to the default pager; our send right stays.
      (void)memory_object_create(dp, p->pager_name, m->length, control_name(p), kPageSize);
      break;
    }
    case VmPagerMessage::Kind::kRequest:
      (void)memory_object_data_request(p->pager_name, control_name(p), m->offset, m->length, m->access);
      break;
    case VmPagerMessage::Kind::kUnlock:
      (void)memory_object_data_unlock(p->pager_name, control_name(p), m->offset, m->length, m->access);
      break;
    case VmPagerMessage::Kind::kReturn:
      // The message takes the copy whatever happens (kernel_data).
      (void)memory_object_data_return(p->pager_name, control_name(p), m->offset,
                                      reinterpret_cast<vm_offset_t>(m->data),
                                      static_cast<mach_msg_type_number_t>(m->data->size), m->dirty, m->kernel_copy);
      break;
    case VmPagerMessage::Kind::kLockCompleted:
      (void)memory_object_lock_completed(m->reply, control_name(p), m->offset, m->length);
      break;
    case VmPagerMessage::Kind::kTerminate:
      (void)memory_object_terminate(p->pager_name, control_name(p));
      pager_destroy(p);
      break;
  }
}

// Ends an unreferenced object: dirty and precious pages go back to the
// pager, then terminate; the object itself is freed now.
void terminate_object(VmObject* object) {
  VmPager* p = object->pager;
  // Temporary memory that ends needs no page back: the default pager
  // frees its slots at terminate.
  if (!object->pager_error && !p->internal) {
    // Walk a snapshot: vm_pager_queue_return takes pages off the list.
    for (auto it = object->pages.begin(); it != object->pages.end();) {
      VmPage& page = *it++;
      if (page.busy || !(page.dirty || page.precious)) continue;
      (void)vm_pager_queue_return(p, &page, false);
    }
  }
  p->object = nullptr;
  object->pager = nullptr;
  vm_pager_wakeup(object, ~0ull);
  VmPagerMessage* m = p->terminate;
  p->terminate = nullptr;
  m->kind = VmPagerMessage::Kind::kTerminate;
  m->pager = p;
  enqueue(m);
  vm_object_terminate(object);
}

}  // namespace

void vm_pager_init() {
  g_outbox.init();
  g_waiters.init();
  g_cache.init();
}

bool vm_pager_queue(VmPager* pager, VmPagerMessage::Kind kind, uint64_t offset, uint64_t length, vm_prot_t access) {
  VmPagerMessage* m = message_alloc();
  if (!m) return false;
  m->kind = kind;
  m->pager = pager;
  m->offset = offset;
  m->length = length;
  m->access = access;
  enqueue(m);
  return true;
}

bool vm_pager_queue_return(VmPager* pager, VmPage* page, bool kernel_copy) {
  VmPagerMessage* m = message_alloc();
  if (!m) return false;
  // The page travels in an object of its own, mapped into the pager by the
  // message's copy-out (no copy unless the kernel keeps the page).
  VmObject* carrier = vm_object_allocate(kPageSize);
  VmMapCopy* copy = carrier ? vm_map_copy_object(carrier, kPageSize) : nullptr;
  if (!copy) {
    if (carrier) vm_object_deallocate(carrier);
    message_free(m);
    return false;
  }
  uint64_t offset = page->offset;
  bool dirty = page->dirty;
  carrier->pageout_exempt = true;  // in transit to a pager: never paged out again
  if (kernel_copy) {
    VmPage* dup = vm_page_alloc(carrier, 0);
    if (!dup) {
      vm_map_copy_discard(copy);
      message_free(m);
      return false;
    }
    __builtin_memcpy(vm_page_address(dup), vm_page_address(page), kPageSize);
    g_vm_page_counts.in_transit++;
    page->dirty = false;
  } else {
    vm_page_rename(page, carrier, 0);
  }
  m->kind = VmPagerMessage::Kind::kReturn;
  m->pager = pager;
  m->offset = offset;
  m->length = kPageSize;
  m->data = copy;
  m->dirty = dirty;
  m->kernel_copy = kernel_copy;
  enqueue(m);
  g_vm_pager_counts.returns++;
  return true;
}

bool vm_pager_queue_lock_completed(VmPager* pager, mach_port_name_t reply, uint64_t offset, uint64_t length) {
  if (!vm_pager_queue(pager, VmPagerMessage::Kind::kLockCompleted, offset, length)) return false;
  g_outbox->back().reply = reply;
  return true;
}

void vm_pager_flush() {
  // Called after every kernel-served request: a look without the lock
  // first (a message queued meanwhile is sent by whoever queued it).
  if (__atomic_load_n(&g_vm_pager_counts.pending, __ATOMIC_RELAXED) == 0) return;
  for (;;) {
    VmPagerMessage* m;
    {
      LockGuard guard(g_vm_lock);
      if (g_sending || g_outbox->empty()) return;
      g_sending = true;
      m = &g_outbox->front();
      g_outbox->pop_front();
      g_vm_pager_counts.pending--;
    }
    send(m);
    {
      LockGuard guard(g_vm_lock);
      message_free(m);
      g_sending = false;
    }
  }
}

void vm_pager_wait(VmObject* object, uint64_t offset, uint64_t irq) {
  VmPage* page = vm_page_lookup(object, offset);
  if (page && (page->busy || page->unlock_pending) && object->pager) {
    Thread* self = current_thread();
    self->vm_wait_object = object;  // the reference is the thread's now
    self->vm_wait_offset = offset;
    g_waiters->push_back(*self);
    thread_block_unlock(g_vm_lock, irq, 0);
    irq = g_vm_lock.lock();
    if (self->vm_wait_link.is_linked()) g_waiters->erase(g_waiters->iterator_to(*self));
    object = self->vm_wait_object;
    self->vm_wait_object = nullptr;
  }
  if (object) vm_object_deallocate(object);
  g_vm_lock.unlock(irq);
}

void vm_pager_wakeup(const VmObject* object, uint64_t offset) {
  for (auto it = g_waiters->begin(); it != g_waiters->end();) {
    Thread& t = *it++;
    if (t.vm_wait_object != object || (offset != ~0ull && t.vm_wait_offset != offset)) continue;
    // Unlinked, but the reference stays the thread's (vm_pager_wait, or
    // vm_pager_task_terminated if it never runs again).
    g_waiters->erase(g_waiters->iterator_to(t));
    thread_wakeup(&t);
  }
}

void vm_pager_fail_object(VmObject* object, kern_return_t error) {
  if (!object->pager_error) object->pager_error = error;
  for (VmPage& page : object->pages) {
    if (page.busy) {
      page.busy = false;
      page.error = true;
    }
    page.unlock_pending = false;
  }
  vm_pager_wakeup(object, ~0ull);
}

void vm_pager_port_died(IpcPort* port) {
  auto* p = static_cast<VmPager*>(port->memory_object);
  LockGuard guard(g_vm_lock);
  if (!p->object) return;
  kprintf("vm: the pager of a memory object died; its faults fail\n");
  vm_pager_fail_object(p->object, KERN_MEMORY_ERROR);
}

void vm_pager_task_terminated(Task* task) {
  // Its threads that wait, or were woken and never ran again, hold a
  // reference on the object they waited for. (Order: VM, then scheduler.)
  LockGuard guard(g_vm_lock);
  VmObject* held[8];
  for (;;) {
    size_t n = 0;
    {
      LockGuard sched(g_sched_lock);
      for (Thread& t : task->threads) {
        if (!t.vm_wait_object || n == 8) continue;
        if (t.vm_wait_link.is_linked()) g_waiters->erase(g_waiters->iterator_to(t));
        held[n++] = t.vm_wait_object;
        t.vm_wait_object = nullptr;
      }
    }
    if (n == 0) return;
    for (size_t i = 0; i < n; i++) vm_object_deallocate(held[i]);
  }
}

VmPager* vm_pager_create(VmObject* object, IpcPort* port, mach_port_name_t name, bool internal) {
  void* mem = vm_alloc(sizeof(VmPager));
  if (!mem) return nullptr;
  auto* p = new (mem) VmPager();
  p->terminate = message_alloc();
  p->control = p->terminate ? ipc_kobject_port_alloc(IpcKObjectType::kMemoryObjectControl, object) : nullptr;
  if (!p->control) {
    if (p->terminate) message_free(p->terminate);
    p->~VmPager();
    vm_free(mem);
    return nullptr;
  }
  p->object = object;
  p->port = port;
  ipc_port_reference(port);
  p->pager_name = name;
  p->internal = internal;
  port->memory_object = p;
  object->pager = p;
  g_vm_pager_counts.objects++;
  return p;
}

void vm_pager_uncache(VmPager* pager) {
  if (!pager->cached) return;
  g_cache->erase(g_cache->iterator_to(*pager));
  pager->cached = false;
  g_vm_pager_counts.cached--;
}

bool vm_pager_have_default() { return MACH_PORT_VALID(g_default_pager); }

bool vm_pager_can_return(const VmPage* page) {
  const VmObject* object = page->object;
  if (object->pager_error || object->pageout_exempt) return false;
  return object->pager ? true : !object->external && vm_pager_have_default();
}

bool vm_pager_return_page(VmPage* page) {
  VmObject* object = page->object;
  if (object->pager_error || object->pageout_exempt) return false;
  if (!object->pager) {
    // A temporary object's first page-out: the default pager gets a new
    // memory object port for it (memory_object_create); the kernel keeps a
    // send right under the same name.
    if (object->external || !vm_pager_have_default()) return false;
    IpcSpace* ks = ipc_space_kernel();
    mach_port_name_t name, same;
    if (mach_port_allocate(ks, MACH_PORT_RIGHT_RECEIVE, &name) != KERN_SUCCESS) return false;
    IpcPort* port = ks->lookup(name)->port();
    ipc_port_make_send(port);
    if (ipc_right_copyout(ks, port, MACH_MSG_TYPE_PORT_SEND, &same) != KERN_SUCCESS) {
      (void)ipc_right_destroy(ks, name);
      return false;
    }
    VmPager* p = vm_pager_create(object, port, name, /*internal=*/true);
    if (!p) {
      (void)ipc_right_destroy(ks, name);
      return false;
    }
    if (!vm_pager_queue(p, VmPagerMessage::Kind::kCreate, 0, object->size)) {
      vm_pager_fail_object(object, KERN_RESOURCE_SHORTAGE);
      return false;
    }
  }
  if (object->pager->internal && !vm_object_existence_set(object, page->offset)) return false;
  return vm_pager_queue_return(object->pager, page, false);
}

// The VM core's hooks (vm_env.h).

void vm_env_pager_request(VmObject* object, uint64_t offset, vm_prot_t access, bool unlock) {
  VmPager* p = object->pager;
  auto kind = unlock ? VmPagerMessage::Kind::kUnlock : VmPagerMessage::Kind::kRequest;
  if (!p || !vm_pager_queue(p, kind, offset, kPageSize, access)) {
    // Nothing can answer: the fault fails instead of sleeping for good.
    vm_pager_fail_object(object, KERN_MEMORY_ERROR);
  }
}

void vm_env_object_unreferenced(VmObject* object) {
  VmPager* p = object->pager;
  if (p->may_cache && !object->pager_error && !p->internal) {
    // Kept with its pages for the next vm_map of the port; the least
    // recently used goes when the cache is full.
    p->cached = true;
    g_cache->push_back(*p);
    g_vm_pager_counts.cached++;
    if (g_vm_pager_counts.cached > kCacheMax) {
      VmPager* old = &g_cache->front();
      vm_pager_uncache(old);
      terminate_object(old->object);
    }
    return;
  }
  terminate_object(object);
}

}  // namespace mk
