// Exceptions: the kernel is a client of exc.defs. exception_raise is the
// stub mig generates with KernelUser (excUser.cpp); it builds the request
// with names in the kernel's space and sends it through the kernel's
// mach_msg (ipc/ipc_kernel_user.cpp), which waits for the reply on the
// thread's kernel reply port.
#include "kern/exception.h"

#include "excUser.h"
#include "ipc/ipc_kernel.h"
#include "ipc/ipc_right.h"
#include "kern/sched.h"
#include "kern/task.h"

namespace mk {

bool exception_raise(exception_type_t exception, int64_t code, int64_t subcode) {
  Thread* self = current_thread();
  Task* task = self->task;
  IpcSpace* kspace = ipc_space_kernel();
  uint64_t irq = g_ipc_lock.lock();
  IpcPort* port = self->ith_exception ? self->ith_exception : task->itk_exception;
  if (!ipc_port_valid(port) || !port->active || task->terminated) {
    g_ipc_lock.unlock(irq);
    return false;
  }
  // Send rights for the stub, by name in the kernel space (each a uref of
  // our own, released below; the message carries copies).
  // The thread keeps them (ith_exc_names): if its task is ended while it
  // waits, it never comes back here, and ipc_task_terminate releases them.
  mach_port_name_t exc_name = ipc_port_copyout_send(port, kspace);
  mach_port_name_t thread_name = ipc_port_copyout_send(self->ith_self, kspace);
  mach_port_name_t task_name = ipc_port_copyout_send(task->itk_self, kspace);
  self->ith_exc_names[0] = exc_name;
  self->ith_exc_names[1] = thread_name;
  self->ith_exc_names[2] = task_name;
  g_ipc_lock.unlock(irq);

  exception_data_type_t codes[2] = {code, subcode};
  kern_return_t kr = ::exception_raise(exc_name, thread_name, task_name, exception, codes, 2);

  irq = g_ipc_lock.lock();
  for (mach_port_name_t& name : self->ith_exc_names) {
    if (MACH_PORT_VALID(name)) (void)ipc_right_dealloc(kspace, name);
    name = MACH_PORT_NULL;
  }
  g_ipc_lock.unlock(irq);
  return kr == KERN_SUCCESS && !task->terminated;
}

}  // namespace mk
