// The IPC traps besides mach_msg: port calls on a task's space (named by a
// task port, as in Mach), special ports, reply ports, counters.
#include <mach/mach_traps.h>

#include "ipc/ipc_env.h"
#include "ipc/ipc_kernel.h"
#include "ipc/ipc_right.h"
#include "ipc/ipc_stats.h"
#include "ipc/mach_msg.h"
#include "ipc/mach_port.h"
#include "kern/arch.h"
#include "kern/kalloc.h"
#include "kern/sched.h"
#include "kern/task.h"

namespace mk {
namespace {

// The task behind a task-port name in the caller's space (IPC lock held).
Task* task_from_name(mach_port_name_t name) {
  IpcSpace* space = current_task()->itk_space;
  IpcEntry* e = space ? space->lookup(name) : nullptr;
  if (!e || !(e->type & (MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_RECEIVE))) return nullptr;
  IpcPort* port = e->port();
  if (!port->active || port->kotype != IpcKObjectType::kTask || !port->kobject) return nullptr;
  auto* task = static_cast<Task*>(port->kobject);
  return task->itk_space ? task : nullptr;
}

Thread* thread_from_name(mach_port_name_t name) {
  IpcSpace* space = current_task()->itk_space;
  IpcEntry* e = space ? space->lookup(name) : nullptr;
  if (!e || !(e->type & MACH_PORT_TYPE_SEND)) return nullptr;
  IpcPort* port = e->port();
  if (!port->active || port->kotype != IpcKObjectType::kThread) return nullptr;
  return static_cast<Thread*>(port->kobject);
}

template <class T>
kern_return_t put(uint64_t uaddr, const T& value) {
  return arch::copyout(uaddr, &value, sizeof value);
}

// A send right from the caller's name (for special ports): copied.
kern_return_t copy_send_from(mach_port_name_t name, IpcPort** out) {
  if (name == MACH_PORT_NULL) {
    *out = nullptr;
    return KERN_SUCCESS;
  }
  mach_msg_type_name_t type;
  kern_return_t kr = ipc_right_copyin(current_task()->itk_space, name, MACH_MSG_TYPE_COPY_SEND, out, &type);
  if (kr == KERN_INVALID_RIGHT) {
    // A receive right: make a send right from it.
    kr = ipc_right_copyin(current_task()->itk_space, name, MACH_MSG_TYPE_MAKE_SEND, out, &type);
  }
  if (kr == KERN_SUCCESS && *out == kIpcPortDead) *out = nullptr;
  return kr == KERN_SUCCESS ? KERN_SUCCESS : KERN_INVALID_CAPABILITY;
}

void replace_send(IpcPort** slot, IpcPort* port) {
  IpcPort* old = *slot;
  *slot = port;
  ipc_right_release(old, MACH_MSG_TYPE_PORT_SEND);
}

uint64_t port_call(uint32_t number, const uint64_t a[6]) {
  Task* target = task_from_name(mach_port_name_t(a[0]));
  if (!target) return MACH_SEND_INVALID_DEST;
  IpcSpace* space = target->itk_space;
  IpcSpace* caller = current_task()->itk_space;
  auto name = mach_port_name_t(a[1]);
  switch (number) {
    case MACH_TRAP_mach_port_allocate: {
      mach_port_name_t fresh;
      kern_return_t kr = mach_port_allocate(space, mach_port_right_t(a[1]), &fresh);
      if (kr == KERN_SUCCESS && put(a[2], fresh) != KERN_SUCCESS) {
        (void)ipc_right_destroy(space, fresh);
        return KERN_INVALID_ADDRESS;
      }
      return kr;
    }
    case MACH_TRAP_mach_port_allocate_name:
      return mach_port_allocate_name(space, mach_port_right_t(a[1]), mach_port_name_t(a[2]));
    case MACH_TRAP_mach_port_deallocate:
      return ipc_right_dealloc(space, name);
    case MACH_TRAP_mach_port_destroy:
      return ipc_right_destroy(space, name);
    case MACH_TRAP_mach_port_mod_refs:
      return ipc_right_delta(space, name, mach_port_right_t(a[2]), mach_port_delta_t(a[3]));
    case MACH_TRAP_mach_port_get_refs: {
      mach_port_urefs_t refs;
      kern_return_t kr = mach_port_get_refs(space, name, mach_port_right_t(a[2]), &refs);
      return kr == KERN_SUCCESS ? put(a[3], refs) : kr;
    }
    case MACH_TRAP_mach_port_insert_right: {
      // The right comes from the caller's space by disposition, and lands in
      // the target's under the chosen name; nothing moves unless both work.
      auto poly = mach_port_name_t(a[2]);
      auto disp = mach_msg_type_name_t(a[3]);
      if (!MACH_PORT_VALID(name)) return KERN_INVALID_VALUE;
      if (!MACH_PORT_VALID(poly)) return KERN_INVALID_CAPABILITY;
      kern_return_t kr = ipc_right_copyin_check(caller, poly, disp);
      if (kr == KERN_INVALID_VALUE) return KERN_INVALID_VALUE;
      if (kr != KERN_SUCCESS) return KERN_INVALID_CAPABILITY;
      IpcEntry* pe = caller->lookup(poly);
      if (pe->type & MACH_PORT_TYPE_DEAD_NAME) return KERN_INVALID_CAPABILITY;
      IpcPort* port = pe->port();
      mach_msg_type_name_t type = ipc_right_result_type(disp);
      // Refuse before moving anything when the name is taken.
      if (IpcEntry* te = space->lookup(name)) {
        if (te->object != port || type == MACH_MSG_TYPE_PORT_SEND_ONCE) return KERN_NAME_EXISTS;
        if (type == MACH_MSG_TYPE_PORT_RECEIVE && (te->type & MACH_PORT_TYPE_RECEIVE)) return KERN_RIGHT_EXISTS;
      } else if (type != MACH_MSG_TYPE_PORT_SEND_ONCE) {
        mach_port_name_t existing = space->reverse_lookup(port);
        if (existing != MACH_PORT_NULL) return KERN_RIGHT_EXISTS;
      }
      if (type == MACH_MSG_TYPE_PORT_RECEIVE && port->kotype != IpcKObjectType::kNone) return KERN_INVALID_CAPABILITY;
      (void)ipc_right_copyin(caller, poly, disp, &port, &type);
      kr = ipc_right_copyout_named(space, port, type, name);
      if (kr != KERN_SUCCESS) ipc_right_release(port, type);
      return kr;
    }
    case MACH_TRAP_mach_port_extract_right: {
      auto disp = mach_msg_type_name_t(a[2]);
      IpcPort* port;
      mach_msg_type_name_t type;
      kern_return_t kr = ipc_right_copyin_check(space, name, disp);
      if (kr != KERN_SUCCESS) return kr;
      if (!MACH_PORT_VALID(name)) return KERN_INVALID_NAME;
      (void)ipc_right_copyin(space, name, disp, &port, &type);
      mach_port_name_t out;
      kr = ipc_right_copyout(caller, port, type, &out);
      if (kr != KERN_SUCCESS) return kr;
      if (put(a[3], out) != KERN_SUCCESS || put(a[4], type) != KERN_SUCCESS) return KERN_INVALID_ADDRESS;
      return KERN_SUCCESS;
    }
    case MACH_TRAP_mach_port_names: {
      size_t capacity = a[3];
      if (capacity > IpcSpace::kMaxSize) return KERN_INVALID_ARGUMENT;
      size_t count;
      (void)mach_port_names(space, nullptr, nullptr, 0, &count);
      size_t n = count < capacity ? count : capacity;
      auto* names = static_cast<mach_port_name_t*>(kalloc(n * sizeof(mach_port_name_t) + 1));
      auto* types = static_cast<mach_port_type_t*>(kalloc(n * sizeof(mach_port_type_t) + 1));
      kern_return_t kr = KERN_RESOURCE_SHORTAGE;
      if (names && types) {
        (void)mach_port_names(space, names, types, n, &count);
        kr = KERN_SUCCESS;
        if (arch::copyout(a[1], names, n * sizeof *names) != KERN_SUCCESS ||
            arch::copyout(a[2], types, n * sizeof *types) != KERN_SUCCESS ||
            put(a[4], uint32_t(count)) != KERN_SUCCESS)
          kr = KERN_INVALID_ADDRESS;
      }
      if (names) kfree(names);
      if (types) kfree(types);
      return kr;
    }
    case MACH_TRAP_mach_port_type: {
      mach_port_type_t type;
      kern_return_t kr = mach_port_type(space, name, &type);
      return kr == KERN_SUCCESS ? put(a[2], type) : kr;
    }
    case MACH_TRAP_mach_port_rename:
      return mach_port_rename(space, name, mach_port_name_t(a[2]));
    case MACH_TRAP_mach_port_move_member:
      return mach_port_move_member(space, name, mach_port_name_t(a[2]));
    case MACH_TRAP_mach_port_request_notification: {
      auto notify_name = mach_port_name_t(a[4]);
      IpcPort* notify = nullptr;
      mach_msg_type_name_t type;
      if (notify_name != MACH_PORT_NULL) {
        IpcEntry* ne = caller->lookup(notify_name);
        if (!ne || !(ne->type & (MACH_PORT_TYPE_RECEIVE | MACH_PORT_TYPE_SEND_ONCE))) return KERN_INVALID_CAPABILITY;
        mach_msg_type_name_t disp =
            (ne->type & MACH_PORT_TYPE_RECEIVE) ? MACH_MSG_TYPE_MAKE_SEND_ONCE : MACH_MSG_TYPE_MOVE_SEND_ONCE;
        // Check the target name before taking the caller's right.
        IpcEntry* te = space->lookup(name);
        if (!te) return KERN_INVALID_NAME;
        (void)ipc_right_copyin(caller, notify_name, disp, &notify, &type);
      }
      IpcPort* previous = nullptr;
      kern_return_t kr = mach_port_request_notification(space, name, int32_t(a[2]), mach_port_mscount_t(a[3]),
                                                        notify, &previous);
      if (kr != KERN_SUCCESS) {
        ipc_right_release(notify, MACH_MSG_TYPE_PORT_SEND_ONCE);
        return kr;
      }
      mach_port_name_t prev_name = MACH_PORT_NULL;
      (void)ipc_right_copyout(caller, previous, MACH_MSG_TYPE_PORT_SEND_ONCE, &prev_name);
      return put(a[5], prev_name);
    }
    case MACH_TRAP_mach_port_set_qlimit:
      return mach_port_set_qlimit(space, name, mach_port_msgcount_t(a[2]));
    case MACH_TRAP_mach_port_get_attributes: {
      uint32_t count;
      if (arch::copyin(&count, a[4], sizeof count) != KERN_SUCCESS) return KERN_INVALID_ADDRESS;
      uint32_t info[16];
      if (count > 16) count = 16;
      kern_return_t kr = mach_port_get_attributes(space, name, int32_t(a[2]), info, &count);
      if (kr != KERN_SUCCESS) return kr;
      if (arch::copyout(a[3], info, count * 4) != KERN_SUCCESS || put(a[4], count) != KERN_SUCCESS)
        return KERN_INVALID_ADDRESS;
      return KERN_SUCCESS;
    }
    case MACH_TRAP_vm_deallocate:
      return ipc_user_deallocate(target, a[1], a[2]);
    default:
      return KERN_INVALID_ARGUMENT;
  }
}

}  // namespace

uint64_t ipc_trap(uint32_t number, const uint64_t a[6], bool* handled) {
  *handled = true;
  Task* self = current_task();
  switch (number) {
    case MACH_TRAP_mach_msg:
      return mach_msg_trap(a[0], mach_msg_option_t(a[1]), mach_msg_size_t(a[2]), mach_msg_size_t(a[3]),
                           mach_port_name_t(a[4]), mach_msg_timeout_t(a[5]));
    case MACH_TRAP_mach_reply_port: {
      LockGuard guard(g_ipc_lock);
      mach_port_name_t name;
      if (!self->itk_space || mach_port_allocate(self->itk_space, MACH_PORT_RIGHT_RECEIVE, &name) != KERN_SUCCESS)
        return MACH_PORT_NULL;
      return name;
    }
    case MACH_TRAP_task_self: {
      LockGuard guard(g_ipc_lock);
      return self->itk_space ? ipc_port_copyout_send(self->itk_self, self->itk_space) : MACH_PORT_NULL;
    }
    case MACH_TRAP_thread_self: {
      LockGuard guard(g_ipc_lock);
      return self->itk_space ? ipc_port_copyout_send(current_thread()->ith_self, self->itk_space) : MACH_PORT_NULL;
    }
    case MACH_TRAP_host_self: {
      LockGuard guard(g_ipc_lock);
      return self->itk_space ? ipc_port_copyout_send(ipc_host_port(), self->itk_space) : MACH_PORT_NULL;
    }
    case MACH_TRAP_mach_ipc_stats: {
      mach_ipc_statistics st{};
      {
        LockGuard guard(g_ipc_lock);
        st.ports = g_ipc_stats.ports;
        st.port_sets = g_ipc_stats.port_sets;
        st.kmsgs = g_ipc_stats.kmsgs;
        st.spaces = g_ipc_stats.spaces;
        st.ool_bytes = g_ipc_stats.ool_bytes;
      }
      st.kalloc_bytes = kalloc_bytes_in_use();
      return put(a[0], st);
    }
    default:
      break;
  }

  uint64_t irq = g_ipc_lock.lock();
  uint64_t result;
  switch (number) {
    case MACH_TRAP_task_get_special_port:
    case MACH_TRAP_task_set_special_port: {
      Task* task = task_from_name(mach_port_name_t(a[0]));
      if (!task) {
        result = MACH_SEND_INVALID_DEST;
        break;
      }
      IpcPort** slot = a[1] == TASK_BOOTSTRAP_PORT   ? &task->itk_bootstrap
                       : a[1] == TASK_EXCEPTION_PORT ? &task->itk_exception
                       : a[1] == TASK_KERNEL_PORT    ? &task->itk_self
                                                     : nullptr;
      if (!slot) {
        result = KERN_INVALID_ARGUMENT;
      } else if (number == MACH_TRAP_task_get_special_port) {
        result = put(a[2], ipc_port_copyout_send(*slot, self->itk_space));
      } else if (slot == &task->itk_self) {
        result = KERN_INVALID_ARGUMENT;  // the kernel port is the kernel's to choose
      } else {
        IpcPort* port;
        result = copy_send_from(mach_port_name_t(a[2]), &port);
        if (result == KERN_SUCCESS) replace_send(slot, port);
      }
      break;
    }
    case MACH_TRAP_thread_get_special_port:
    case MACH_TRAP_thread_set_special_port: {
      Thread* thread = thread_from_name(mach_port_name_t(a[0]));
      if (!thread) {
        result = MACH_SEND_INVALID_DEST;
        break;
      }
      IpcPort** slot = a[1] == THREAD_EXCEPTION_PORT ? &thread->ith_exception
                       : a[1] == THREAD_KERNEL_PORT  ? &thread->ith_self
                                                     : nullptr;
      if (!slot) {
        result = KERN_INVALID_ARGUMENT;
      } else if (number == MACH_TRAP_thread_get_special_port) {
        result = put(a[2], ipc_port_copyout_send(*slot, self->itk_space));
      } else if (slot == &thread->ith_self) {
        result = KERN_INVALID_ARGUMENT;
      } else {
        IpcPort* port;
        result = copy_send_from(mach_port_name_t(a[2]), &port);
        if (result == KERN_SUCCESS) replace_send(slot, port);
      }
      break;
    }
    case MACH_TRAP_task_terminate: {
      Task* task = task_from_name(mach_port_name_t(a[0]));
      g_ipc_lock.unlock(irq);
      if (!task) return MACH_SEND_INVALID_DEST;
      task_terminate(task, 128 + 9, "terminated by task_terminate");  // does not return for the caller itself
      return KERN_SUCCESS;
    }
    default:
      if (number >= MACH_TRAP_mach_port_allocate && number <= MACH_TRAP_vm_deallocate) {
        result = port_call(number, a);
      } else {
        *handled = false;
        result = KERN_INVALID_ARGUMENT;
      }
      break;
  }
  g_ipc_lock.unlock(irq);
  return result;
}

}  // namespace mk
