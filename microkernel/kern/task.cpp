#include "kern/task.h"

#include "ipc/ipc_kernel.h"
#include "kern/arch.h"
#include "kern/console.h"
#include "kern/kalloc.h"
#include "kern/panic.h"
#include "kern/sched.h"
#include "lib/format.h"
#include "lib/global.h"
#include "lib/result.h"
#include "lib/zone.h"
#include "vm/vm_kern.h"
#include "vm/vm_pager.h"
#include "vm/vm_map.h"

namespace mk {
namespace {

using TaskList = boost::intrusive::list<
    Task, boost::intrusive::member_hook<Task, boost::intrusive::list_member_hook<>, &Task::all_link>>;

constinit TypedZone<Task> g_task_zone{};
constinit TypedZone<Thread> g_thread_zone{};
constinit bool g_zones_ready = false;
constinit Global<TaskList> g_tasks;  // guarded by g_sched_lock
uint64_t g_next_task_id = 1;
uint64_t g_next_thread_id = 1;

}  // namespace

void task_init() {
  if (g_zones_ready) return;
  g_tasks.init();
  if (g_task_zone.init("task", kernel_page_source()) != KERN_SUCCESS ||
      g_thread_zone.init("thread", kernel_page_source()) != KERN_SUCCESS)
    panic("task: cannot create the task and thread zones");
  g_zones_ready = true;
}

namespace {

// With g_sched_lock held: drop a task reference; the last one frees it.
void task_release_locked(Task* task) {
  if (--task->refs) return;
  g_tasks->erase(g_tasks->iterator_to(*task));
  // task_terminate emptied the map under the VM lock; what is left (the
  // map and its page tables) needs no lock to free.
  vm_map_deallocate(task->map);
  if (task->io_bitmap) {
    arch::io_bitmap_forget(task->io_bitmap);
    kfree(task->io_bitmap);
  }
  g_task_zone.destroy(task);
}

Thread* new_thread(Task* task, const char* name) {
  Thread* t = g_thread_zone.create();
  if (!t) return nullptr;
  t->task = task;
  snformat(t->name, sizeof t->name, "%s", name);
  return t;
}

void attach_and_start(Task* task, Thread* t) {
  {
    LockGuard guard(g_sched_lock);
    t->id = g_next_thread_id++;
    if (task) {
      task->threads.push_back(*t);
      ++task->live_threads;
      ++task->refs;
    }
  }
  sched_make_runnable(t);
}

}  // namespace

namespace {

// A task over `map` (which it takes): IPC space, kernel port, task list.
// IPC lock held.
kern_return_t task_create_with_map(const char* name, VmMap* map, Task** out) {
  Task* task = g_task_zone.create();
  if (!task) {
    vm_map_deallocate(map);
    return KERN_RESOURCE_SHORTAGE;
  }
  task->map = map;
  snformat(task->name, sizeof task->name, "%s", name);
  kern_return_t kr = ipc_task_init(task);
  if (kr != KERN_SUCCESS) {
    vm_map_deallocate(map);
    g_task_zone.destroy(task);
    return kr;
  }
  {
    LockGuard guard(g_sched_lock);
    task->id = g_next_task_id++;
    g_tasks->push_back(*task);
  }
  *out = task;
  return KERN_SUCCESS;
}

}  // namespace

kern_return_t task_create(const char* name, Task** out) {
  VmMap* map;
  TRY(vm_map_create_user(&map));
  return task_create_with_map(name, map, out);
}

kern_return_t task_create_child(Task* parent, bool inherit_memory, Task** out) {
  VmMap* map = nullptr;
  if (inherit_memory) {
    Pmap* pmap = pmap_create();
    if (!pmap) return KERN_RESOURCE_SHORTAGE;
    {
      LockGuard guard(g_vm_lock);
      map = vm_map_fork(parent->map, pmap);
    }
    if (!map) {
      pmap_destroy(pmap);
      return KERN_RESOURCE_SHORTAGE;
    }
  } else {
    TRY(vm_map_create_user(&map));
  }
  Task* child;
  TRY(task_create_with_map(parent->name, map, &child));
  child->emulation_entry = parent->emulation_entry;
  child->itk_bootstrap = ipc_port_make_send_kernel(parent->itk_bootstrap);
  child->itk_exception = ipc_port_make_send_kernel(parent->itk_exception);
  *out = child;
  return KERN_SUCCESS;
}

kern_return_t thread_create_user(Task* task, uint64_t entry, uint64_t user_sp, Thread** out, uint64_t arg) {
  Thread* t = new_thread(task, task->name);
  if (!t) return KERN_RESOURCE_SHORTAGE;
  kern_return_t kr = arch::thread_init_user(t->arch, entry, user_sp, arg);
  if (kr != KERN_SUCCESS) {
    g_thread_zone.destroy(t);
    return kr;
  }
  kr = ipc_thread_init(t);
  if (kr != KERN_SUCCESS) {
    arch::thread_destroy(t->arch);
    g_thread_zone.destroy(t);
    return kr;
  }
  attach_and_start(task, t);
  if (out) *out = t;
  return KERN_SUCCESS;
}

kern_return_t thread_create_kernel(const char* name, void (*fn)(void*), void* arg, int priority, Thread** out) {
  Thread* t = new_thread(nullptr, name);
  if (!t) return KERN_RESOURCE_SHORTAGE;
  t->priority = priority;
  kern_return_t kr = arch::thread_init_kernel(t->arch, fn, arg);
  if (kr != KERN_SUCCESS) {
    g_thread_zone.destroy(t);
    return kr;
  }
  attach_and_start(nullptr, t);
  if (out) *out = t;
  return KERN_SUCCESS;
}

// A dead thread that no CPU runs on: free it. g_sched_lock is held.
void sched_reap_locked(Thread* t) {
  Task* task = t->task;
  arch::thread_destroy(t->arch);
  if (task) {
    task->threads.erase(task->threads.iterator_to(*t));
    --task->live_threads;
  }
  g_thread_zone.destroy(t);
  if (task) task_release_locked(task);
}

void task_terminate(Task* task, int status, const char* why) {
  // Ports first: the task's threads stop waiting on them, its rights go
  // (other tasks see dead names), then the threads themselves stop.
  if (!task->terminated) {
    ipc_task_terminate(task);
    vm_map_clear(task->map);
    vm_pager_task_terminated(task);
    vm_pager_flush();  // pagers hear of objects the task held last
  }
  uint64_t irq = g_sched_lock.lock();
  Thread* self = current_thread();
  bool own = self->task == task;
  if (!task->terminated) {
    task->terminated = true;
    task->exit_status = status;
    kprintf("task %lu (%s) %s\n", task->id, task->name, why);
    // Stop every other thread now; the calling one stops below.
    for (auto it = task->threads.begin(); it != task->threads.end();) {
      Thread& t = *it++;
      if (&t == self) continue;
      if (t.state == ThreadState::kRunning) panic("task: thread %lu runs on another CPU", t.id);  // SMP: IPI
      sched_remove_locked(&t);
      t.state = ThreadState::kDead;
      sched_reap_locked(&t);
    }
    // The creation reference: the task goes when its last thread is reaped.
    task_release_locked(task);
  }
  g_sched_lock.unlock(irq);
  if (own) sched_exit_current();
}

Task* current_task() { return current_thread()->task; }

void task_reference(Task* task) {
  LockGuard guard(g_sched_lock);
  ++task->refs;
}

void task_deallocate(Task* task) {
  LockGuard guard(g_sched_lock);
  task_release_locked(task);
}

size_t live_user_tasks() {
  LockGuard guard(g_sched_lock);
  return g_tasks->size();
}

}  // namespace mk
