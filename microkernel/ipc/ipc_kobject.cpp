// Messages to kernel-served ports (task and thread ports) are answered by
// MIG stubs generated with KernelServer from mach_port.defs, task.defs and
// thread.defs (mig -DKERNEL_SERVER=1).
//
// How a request is served (ipc_kobject_server, IPC lock held):
//  1. The kmsg is copied out into the kernel's own space, as if the kernel
//     were a task receiving it: the reply right and any port descriptors
//     become names in ipc_space_kernel(), msgh_local_port the name of the
//     kernel's receive right for the task or thread port. The bytes are then
//     an ordinary user-form message. (Out-of-line data is refused before
//     that: the kernel's space has no memory to receive it in.)
//  2. The generated demux functions run on those bytes; intran functions
//     (convert_port_to_task/_thread/_space) look the request port's name up
//     in the kernel space. The routines below call the mk:: port calls on
//     the target task's space and move rights between that space and the
//     kernel's by name.
//  3. The reply is copied in from the kernel space (ipc_kmsg_copyin with
//     kernel_data: out-of-line arrays the routines return are kernel
//     memory) and sent to the reply right (ipc_kernel_send).
// Rights: a routine that succeeds has taken the rights its request carried;
// when it fails (or the request is malformed) the rights still under the
// request's names in the kernel space are released, as a MIG server
// destroys a request it did not accept.
#include "ipc/ipc_kobject.h"

#include <mach/mach_traps.h>
#include <mach/mach_types.h>
#include <mach/mig_errors.h>

#include "ipc/ipc_env.h"
#include "ipc/ipc_kernel.h"
#include "ipc/ipc_kmsg.h"
#include "ipc/ipc_port.h"
#include "ipc/ipc_right.h"
#include "ipc/ipc_space.h"
#include "ipc/mach_port.h"
#include "kern/kalloc.h"
#include "kern/sched.h"
#include "kern/task.h"
#include "vm/vm_kern.h"
#include "vm/vm_pager.h"
#include "vm/vm_map_copy.h"
#include "hostServer.h"
#include "ioServer.h"
#include "mach_portServer.h"
#include "memory_object_controlServer.h"
#include "taskServer.h"
#include "threadServer.h"
#include "vmServer.h"

using mk::IpcEntry;
using mk::IpcKObjectType;
using mk::IpcPort;
using mk::ipc_space_kernel;

namespace {

constexpr mach_msg_size_t max2(mach_msg_size_t a, mach_msg_size_t b) { return a > b ? a : b; }
constexpr mach_msg_size_t kMaxRequest = max2(max2(max2(mach_port_MAX_REQUEST_SIZE, task_MAX_REQUEST_SIZE),
                                                  max2(thread_MAX_REQUEST_SIZE, host_MAX_REQUEST_SIZE)),
                                             max2(vm_MAX_REQUEST_SIZE, io_MAX_REQUEST_SIZE));
constexpr mach_msg_size_t kMaxReply = max2(max2(max2(mach_port_MAX_REPLY_SIZE, task_MAX_REPLY_SIZE),
                                                max2(thread_MAX_REPLY_SIZE, host_MAX_REPLY_SIZE)),
                                           max2(vm_MAX_REPLY_SIZE, io_MAX_REPLY_SIZE));
// The reply is built on the kernel stack (16 KiB).
static_assert(kMaxReply <= 512 && kMaxRequest <= 512, "keep the kernel interface's messages small");

// The kernel object behind a name in the kernel's space (its receive right).
void* kobject_of(mach_port_t name, IpcKObjectType type) {
  IpcEntry* e = ipc_space_kernel()->lookup(name);
  if (!e || !(e->type & MACH_PORT_TYPE_RECEIVE)) return nullptr;
  IpcPort* port = e->port();
  if (!port->active || port->kotype != type) return nullptr;
  return port->kobject;
}

// Take the right `type` (MACH_MSG_TYPE_PORT_*) held under `name` in the
// kernel space; false when it is not there. Null and dead names give null.
bool take_kernel_right(mach_port_name_t name, mach_msg_type_name_t type, IpcPort** port) {
  *port = nullptr;
  if (!MACH_PORT_VALID(name)) return true;
  mach_msg_type_name_t got;
  if (mk::ipc_right_copyin(ipc_space_kernel(), name, type, port, &got) != KERN_SUCCESS) return false;
  if (*port == mk::kIpcPortDead) *port = nullptr;
  return true;
}

void release_kernel_name(mach_port_name_t name, mach_msg_type_name_t type) {
  IpcPort* port;
  mach_msg_type_name_t got;
  if (!MACH_PORT_VALID(name)) return;
  if (mk::ipc_right_copyin(ipc_space_kernel(), name, type, &port, &got) == KERN_SUCCESS)
    mk::ipc_right_release(port, got);
}

// Release the rights a user-form message in the kernel space names, and
// (free_ool) the copies (VmMapCopy) its out-of-line descriptors carry.
void release_message(mach_msg_header_t* h, bool header_reply, bool free_ool) {
  if (header_reply)
    release_kernel_name(h->msgh_remote_port, MACH_MSGH_BITS_REMOTE(h->msgh_bits));
  if (!(h->msgh_bits & MACH_MSGH_BITS_COMPLEX)) return;
  auto* bytes = reinterpret_cast<uint8_t*>(h);
  mach_msg_body_t body;
  __builtin_memcpy(&body, bytes + sizeof(mach_msg_header_t), sizeof body);
  for (mach_msg_size_t i = 0; i < body.msgh_descriptor_count; i++) {
    mach_msg_descriptor_t d;
    size_t off = sizeof(mach_msg_header_t) + sizeof(mach_msg_body_t) + i * sizeof d;
    if (off + sizeof d > h->msgh_size) break;
    __builtin_memcpy(&d, bytes + off, sizeof d);
    if (d.type.type == MACH_MSG_PORT_DESCRIPTOR) {
      release_kernel_name(d.port.name, d.port.disposition);
    } else if (free_ool && d.type.type == MACH_MSG_OOL_DESCRIPTOR && d.out_of_line.address) {
      mk::ipc_ool_discard(reinterpret_cast<void*>(d.out_of_line.address));
    }
  }
}

// Kernel bytes as the copy an out-of-line reply descriptor carries (null
// for none: a zero-size descriptor carries nothing).
kern_return_t kernel_ool_copy(const void* data, size_t bytes, void** out) {
  *out = nullptr;
  if (!bytes) return KERN_SUCCESS;
  mk::LockGuard guard(mk::g_vm_lock);
  mk::VmMapCopy* copy;
  kern_return_t kr = mk::vm_map_copyin_kernel(data, bytes, &copy);
  if (kr == KERN_SUCCESS) *out = copy;
  return kr;
}

// Where an answer may go: a live port that is not kernel-served. Kernel
// ports never wait for answers, and would serve one as a request: the
// mig_reply_error_t answering id N is 28 bytes of id N + 100, exactly a
// task_create (3400) request, whose child nobody would then hold.
bool answerable(IpcPort* reply) { return mk::ipc_port_valid(reply) && reply->kotype == IpcKObjectType::kNone; }

// Answer a request that cannot be served with `code` (a mig_reply_error_t).
void reply_error(mk::IpcKmsg* request, kern_return_t code) {
  IpcPort* reply = request->reply;
  mach_msg_type_name_t reply_type = request->reply_type;
  mach_msg_id_t id = request->header()->msgh_id;
  request->reply = nullptr;
  mk::ipc_kmsg_consume_dest(request);
  mk::ipc_kmsg_destroy(request);
  if (!answerable(reply)) {
    mk::ipc_right_release(reply, reply_type);
    return;
  }
  mk::IpcKmsg* kmsg = mk::ipc_kmsg_alloc(sizeof(mig_reply_error_t));
  if (!kmsg) {
    mk::ipc_right_release(reply, reply_type);
    return;
  }
  auto* r = reinterpret_cast<mig_reply_error_t*>(kmsg->header());
  r->Head.msgh_bits = MACH_MSGH_BITS(reply_type, 0);
  r->Head.msgh_size = sizeof(mig_reply_error_t);
  r->Head.msgh_remote_port = MACH_PORT_NULL;
  r->Head.msgh_local_port = MACH_PORT_NULL;
  r->Head.msgh_seqno = 0;
  r->Head.msgh_id = id + 100;
  r->RetCode = code;
  kmsg->dest = reply;
  kmsg->dest_type = reply_type;
  mk::ipc_kernel_send(kmsg);
}

IpcPort** task_special_slot(mk::Task* task, int which) {
  return which == TASK_BOOTSTRAP_PORT   ? &task->itk_bootstrap
         : which == TASK_EXCEPTION_PORT ? &task->itk_exception
         : which == TASK_KERNEL_PORT    ? &task->itk_self
                                        : nullptr;
}

IpcPort** thread_special_slot(mk::Thread* thread, int which) {
  return which == THREAD_EXCEPTION_PORT ? &thread->ith_exception
         : which == THREAD_KERNEL_PORT  ? &thread->ith_self
                                        : nullptr;
}

// Set a special port slot from a send right the request carried (a name in
// the kernel space); MACH_PORT_NULL clears it.
kern_return_t set_special(IpcPort** slot, mach_port_t name) {
  IpcPort* port;
  if (!take_kernel_right(name, MACH_MSG_TYPE_PORT_SEND, &port)) return KERN_INVALID_CAPABILITY;
  IpcPort* old = *slot;
  *slot = port;
  mk::ipc_right_release(old, MACH_MSG_TYPE_PORT_SEND);
  return KERN_SUCCESS;
}

}  // namespace

// Intran functions.

task_t convert_port_to_task(mach_port_t name) {
  auto* task = static_cast<mk::Task*>(kobject_of(name, IpcKObjectType::kTask));
  return task && !task->terminated && task->itk_space ? task : nullptr;
}

thread_t convert_port_to_thread(mach_port_t name) {
  return static_cast<mk::Thread*>(kobject_of(name, IpcKObjectType::kThread));
}

ipc_space_t convert_port_to_space(mach_port_t name) {
  task_t task = convert_port_to_task(name);
  return task ? task->itk_space : nullptr;
}

host_t convert_port_to_host(mach_port_t name) {
  return static_cast<mk::Host*>(kobject_of(name, IpcKObjectType::kHost));
}

io_master_t convert_port_to_io_master(mach_port_t name) {
  return static_cast<mk::IoMaster*>(kobject_of(name, IpcKObjectType::kIoMaster));
}

memory_object_control_t convert_port_to_mo_control(mach_port_t name) {
  return static_cast<mk::VmObject*>(kobject_of(name, IpcKObjectType::kMemoryObjectControl));
}

// mach_port.defs

kern_return_t mach_port_names(ipc_space_t space, mach_port_name_array_t* names, mach_msg_type_number_t* namesCnt,
                              mach_port_type_array_t* types, mach_msg_type_number_t* typesCnt) {
  if (!space) return KERN_INVALID_TASK;
  size_t count;
  (void)mk::mach_port_names(space, nullptr, nullptr, 0, &count);
  auto* n = static_cast<mach_port_name_t*>(mk::kalloc(count * sizeof(mach_port_name_t) + 1));
  auto* t = static_cast<mach_port_type_t*>(mk::kalloc(count * sizeof(mach_port_type_t) + 1));
  kern_return_t kr = KERN_RESOURCE_SHORTAGE;
  void* names_copy = nullptr;
  void* types_copy = nullptr;
  if (n && t) {
    (void)mk::mach_port_names(space, n, t, count, &count);
    // Out-of-line replies carry VmMapCopy objects (see the top of the file).
    kr = kernel_ool_copy(n, count * sizeof *n, &names_copy);
    if (kr == KERN_SUCCESS) kr = kernel_ool_copy(t, count * sizeof *t, &types_copy);
    if (kr != KERN_SUCCESS && names_copy) mk::ipc_ool_discard(names_copy);
  }
  if (n) mk::kfree(n);
  if (t) mk::kfree(t);
  if (kr != KERN_SUCCESS) return kr;
  *names = static_cast<mach_port_name_t*>(names_copy);
  *types = static_cast<mach_port_type_t*>(types_copy);
  *namesCnt = *typesCnt = mach_msg_type_number_t(count);
  return KERN_SUCCESS;
}

kern_return_t mach_port_type(ipc_space_t space, mach_port_name_t name, mach_port_type_t* ptype) {
  return space ? mk::mach_port_type(space, name, ptype) : KERN_INVALID_TASK;
}

kern_return_t mach_port_rename(ipc_space_t space, mach_port_name_t old_name, mach_port_name_t new_name) {
  return space ? mk::mach_port_rename(space, old_name, new_name) : KERN_INVALID_TASK;
}

kern_return_t mach_port_allocate_name(ipc_space_t space, mach_port_right_t right, mach_port_name_t name) {
  return space ? mk::mach_port_allocate_name(space, right, name) : KERN_INVALID_TASK;
}

kern_return_t mach_port_allocate(ipc_space_t space, mach_port_right_t right, mach_port_name_t* name) {
  return space ? mk::mach_port_allocate(space, right, name) : KERN_INVALID_TASK;
}

kern_return_t mach_port_destroy(ipc_space_t space, mach_port_name_t name) {
  return space ? mk::ipc_right_destroy(space, name) : KERN_INVALID_TASK;
}

kern_return_t mach_port_deallocate(ipc_space_t space, mach_port_name_t name) {
  return space ? mk::ipc_right_dealloc(space, name) : KERN_INVALID_TASK;
}

kern_return_t mach_port_get_refs(ipc_space_t space, mach_port_name_t name, mach_port_right_t right,
                                 mach_port_urefs_t* refs) {
  return space ? mk::mach_port_get_refs(space, name, right, refs) : KERN_INVALID_TASK;
}

kern_return_t mach_port_mod_refs(ipc_space_t space, mach_port_name_t name, mach_port_right_t right,
                                 mach_port_delta_t delta) {
  return space ? mk::ipc_right_delta(space, name, right, delta) : KERN_INVALID_TASK;
}

kern_return_t mach_port_move_member(ipc_space_t space, mach_port_name_t member, mach_port_name_t after) {
  return space ? mk::mach_port_move_member(space, member, after) : KERN_INVALID_TASK;
}

kern_return_t mach_port_request_notification(ipc_space_t space, mach_port_name_t name, int32_t msgid,
                                             mach_port_mscount_t sync, mach_port_t notify, mach_port_t* previous) {
  if (!space) return KERN_INVALID_TASK;
  if (!space->lookup(name)) return KERN_INVALID_NAME;
  IpcPort* port;
  if (!take_kernel_right(notify, MACH_MSG_TYPE_PORT_SEND_ONCE, &port)) return KERN_INVALID_CAPABILITY;
  IpcPort* prev = nullptr;
  kern_return_t kr = mk::mach_port_request_notification(space, name, msgid, sync, port, &prev);
  if (kr != KERN_SUCCESS) {
    mk::ipc_right_release(port, MACH_MSG_TYPE_PORT_SEND_ONCE);  // as the trap does
    return kr;
  }
  mach_port_name_t prev_name = MACH_PORT_NULL;
  (void)mk::ipc_right_copyout(ipc_space_kernel(), prev, MACH_MSG_TYPE_PORT_SEND_ONCE, &prev_name);
  *previous = prev_name;
  return KERN_SUCCESS;
}

kern_return_t mach_port_insert_right(ipc_space_t space, mach_port_name_t name, mach_port_t poly,
                                     mach_msg_type_name_t polyPoly) {
  // The same checks as the trap, before the right leaves the kernel space.
  if (!space) return KERN_INVALID_TASK;
  if (!MACH_PORT_VALID(name)) return KERN_INVALID_VALUE;
  if (!MACH_PORT_VALID(poly)) return KERN_INVALID_CAPABILITY;
  IpcEntry* pe = ipc_space_kernel()->lookup(poly);
  if (!pe || (pe->type & MACH_PORT_TYPE_DEAD_NAME)) return KERN_INVALID_CAPABILITY;
  IpcPort* port = pe->port();
  mach_msg_type_name_t type = polyPoly;
  if (IpcEntry* te = space->lookup(name)) {
    if (te->object != port || type == MACH_MSG_TYPE_PORT_SEND_ONCE) return KERN_NAME_EXISTS;
    if (type == MACH_MSG_TYPE_PORT_RECEIVE && (te->type & MACH_PORT_TYPE_RECEIVE)) return KERN_RIGHT_EXISTS;
  } else if (type != MACH_MSG_TYPE_PORT_SEND_ONCE) {
    if (space->reverse_lookup(port) != MACH_PORT_NULL) return KERN_RIGHT_EXISTS;
  }
  mach_msg_type_name_t got;
  if (mk::ipc_right_copyin(ipc_space_kernel(), poly, type, &port, &got) != KERN_SUCCESS) return KERN_INVALID_CAPABILITY;
  kern_return_t kr = mk::ipc_right_copyout_named(space, port, got, name);
  if (kr != KERN_SUCCESS) mk::ipc_right_release(port, got);
  return kr;
}

kern_return_t mach_port_extract_right(ipc_space_t space, mach_port_name_t name, mach_msg_type_name_t msgt_name,
                                      mach_port_t* poly, mach_msg_type_name_t* polyPoly) {
  if (!space) return KERN_INVALID_TASK;
  kern_return_t kr = mk::ipc_right_copyin_check(space, name, msgt_name);
  if (kr != KERN_SUCCESS) return kr;
  if (!MACH_PORT_VALID(name)) return KERN_INVALID_NAME;
  IpcPort* port;
  mach_msg_type_name_t type;
  (void)mk::ipc_right_copyin(space, name, msgt_name, &port, &type);
  mach_port_name_t kname;
  kr = mk::ipc_right_copyout(ipc_space_kernel(), port, type, &kname);
  if (kr != KERN_SUCCESS) return kr;
  *poly = kname;
  *polyPoly = type;  // PORT_SEND/_SEND_ONCE/_RECEIVE: also the MOVE_ disposition the reply carries
  return KERN_SUCCESS;
}

kern_return_t mach_port_get_attributes(ipc_space_t space, mach_port_name_t name, mach_port_flavor_t flavor,
                                       mach_port_info_t port_info_out, mach_msg_type_number_t* port_info_outCnt) {
  if (!space) return KERN_INVALID_TASK;
  uint32_t info[MACH_PORT_INFO_MAX];
  uint32_t count = *port_info_outCnt < MACH_PORT_INFO_MAX ? *port_info_outCnt : MACH_PORT_INFO_MAX;
  kern_return_t kr = mk::mach_port_get_attributes(space, name, flavor, info, &count);
  if (kr != KERN_SUCCESS) return kr;
  __builtin_memcpy(port_info_out, info, count * sizeof(uint32_t));
  *port_info_outCnt = count;
  return KERN_SUCCESS;
}

kern_return_t mach_port_set_attributes(ipc_space_t space, mach_port_name_t name, mach_port_flavor_t flavor,
                                       mach_port_info_t port_info, mach_msg_type_number_t port_infoCnt) {
  if (!space) return KERN_INVALID_TASK;
  if (flavor != MACH_PORT_LIMITS_INFO) return KERN_INVALID_VALUE;
  if (port_infoCnt < 1) return KERN_FAILURE;
  return mk::mach_port_set_qlimit(space, name, mach_port_msgcount_t(port_info[0]));
}

// task.defs

kern_return_t task_terminate(task_t task) {
  if (!task) return KERN_INVALID_ARGUMENT;
  // Ending a task takes the IPC lock, held here: the sender's thread does it
  // once its send has dropped the lock (ipc_kobject_deferred).
  mk::Thread* self = mk::current_thread();
  if (self->ipc_terminate) return KERN_FAILURE;  // cannot happen: one request per send
  mk::task_reference(task);
  self->ipc_terminate = task;
  return KERN_SUCCESS;
}

kern_return_t task_info(task_t task, task_flavor_t flavor, task_info_t info, mach_msg_type_number_t* count) {
  if (!task) return KERN_INVALID_ARGUMENT;
  if (flavor != TASK_BASIC_INFO) return KERN_INVALID_ARGUMENT;
  if (*count < TASK_BASIC_INFO_COUNT) return KERN_FAILURE;
  task_basic_info_data_t b{};
  size_t names = 0;
  (void)mk::mach_port_names(task->itk_space, nullptr, nullptr, 0, &names);
  b.task_id = uint32_t(task->id);
  b.thread_count = uint32_t(task->live_threads);
  b.port_names = uint32_t(names);
  __builtin_memcpy(info, &b, sizeof b);
  *count = TASK_BASIC_INFO_COUNT;
  return KERN_SUCCESS;
}

// Suspend counts live with the scheduler (kern/task_suspend.h).
kern_return_t task_suspend(task_t task) {
  if (!task || task->terminated) return KERN_INVALID_ARGUMENT;
  return mk::sched_task_suspend(task);
}

kern_return_t task_resume(task_t task) {
  if (!task || task->terminated) return KERN_INVALID_ARGUMENT;
  return mk::sched_task_resume(task);
}

kern_return_t task_get_special_port(task_t task, int which_port, mach_port_t* special_port) {
  if (!task) return KERN_INVALID_ARGUMENT;
  IpcPort** slot = task_special_slot(task, which_port);
  if (!slot) return KERN_INVALID_ARGUMENT;
  *special_port = mk::ipc_port_copyout_send(*slot, ipc_space_kernel());
  return KERN_SUCCESS;
}

kern_return_t task_set_special_port(task_t task, int which_port, mach_port_t special_port) {
  if (!task) return KERN_INVALID_ARGUMENT;
  IpcPort** slot = task_special_slot(task, which_port);
  if (!slot || slot == &task->itk_self) return KERN_INVALID_ARGUMENT;  // the kernel port is the kernel's to choose
  return set_special(slot, special_port);
}

// thread.defs

kern_return_t thread_get_special_port(thread_t thread, int which_port, mach_port_t* special_port) {
  if (!thread) return KERN_INVALID_ARGUMENT;
  IpcPort** slot = thread_special_slot(thread, which_port);
  if (!slot) return KERN_INVALID_ARGUMENT;
  *special_port = mk::ipc_port_copyout_send(*slot, ipc_space_kernel());
  return KERN_SUCCESS;
}

kern_return_t thread_set_special_port(thread_t thread, int which_port, mach_port_t special_port) {
  if (!thread) return KERN_INVALID_ARGUMENT;
  IpcPort** slot = thread_special_slot(thread, which_port);
  if (!slot || slot == &thread->ith_self) return KERN_INVALID_ARGUMENT;
  return set_special(slot, special_port);
}

// vm.defs: vm/vm_user.cpp. io.defs: kern/io_user.cpp. task.defs' task_create and thread_create_running:
// kern/task_server.cpp.

// host.defs

kern_return_t host_info(host_t host, host_flavor_t flavor, host_info_t info, mach_msg_type_number_t* count) {
  if (!host) return KERN_INVALID_ARGUMENT;
  if (flavor != HOST_BASIC_INFO) return KERN_INVALID_ARGUMENT;
  if (*count < HOST_BASIC_INFO_COUNT) return KERN_FAILURE;
  host_basic_info_data_t b{};
  b.max_cpus = b.avail_cpus = 1;
  b.physical_cpu = b.physical_cpu_max = b.logical_cpu = b.logical_cpu_max = 1;
  b.memory_size = natural_t(host->memory_bytes > 0x80000000ull ? 0x80000000ull : host->memory_bytes);
  b.max_mem = host->memory_bytes;
  b.cpu_type = CPU_TYPE_X86_64;
  b.cpu_subtype = CPU_SUBTYPE_X86_64_ALL;
  __builtin_memcpy(info, &b, sizeof b);
  *count = HOST_BASIC_INFO_COUNT;
  return KERN_SUCCESS;
}

kern_return_t host_kernel_version(host_t host, kernel_version_t kernel_version) {
  if (!host) return KERN_INVALID_ARGUMENT;
  static const char kVersion[] = "machina 0.1.0 (Mach-style microkernel, x86_64)";
  __builtin_memcpy(kernel_version, kVersion, sizeof kVersion);
  return KERN_SUCCESS;
}

namespace mk {

void ipc_kobject_server(IpcKmsg* request) {
  IpcSpace* ks = ipc_space_kernel();
  // Port rights and out-of-line data (which reach the routines as
  // VmMapCopy pointers); no kernel routine takes port arrays.
  if (request->size() > kMaxRequest) return reply_error(request, MIG_BAD_ARGUMENTS);
  if (request->complex()) {
    mach_msg_descriptor_t* d = request->descriptors();
    for (mach_msg_size_t i = 0; i < request->descriptor_count(); i++)
      if (d[i].type.type != MACH_MSG_PORT_DESCRIPTOR && d[i].type.type != MACH_MSG_OOL_DESCRIPTOR)
        return reply_error(request, MIG_BAD_ARGUMENTS);
  }
  // A reply to a kernel port with no reply right of its own is a message
  // nobody waits for: drop it without answering. Nor does the kernel answer
  // its own ports (answerable).
  bool wants_reply = answerable(request->reply);
  (void)ipc_kmsg_copyout(ks, request);  // a right that gets no name reads DEAD: the stubs refuse it
  mach_msg_header_t* in = request->header();

  alignas(8) uint8_t out_buf[kMaxReply];
  auto* out = reinterpret_cast<mach_msg_header_t*>(out_buf);
  if (!mach_port_server(in, out) && !task_server(in, out) && !thread_server(in, out) && !host_server(in, out) &&
      !vm_server(in, out) && !io_server(in, out))
    (void)memory_object_control_server(in, out);
  kern_return_t code = mig_reply_code(out);
  // The request's rights and copies the routine did not take.
  if (code != KERN_SUCCESS) release_message(in, false, true);
  if (!wants_reply || code == MIG_NO_REPLY) {
    release_message(in, true, false);  // the reply right only (the body is done with)
    if (code == KERN_SUCCESS) release_message(out, false, true);
    ipc_kmsg_free(request);
    return;
  }
  ipc_kmsg_free(request);

  IpcKmsg* reply = ipc_kmsg_alloc(out->msgh_size);
  mach_msg_return_t mr = MACH_SEND_NO_BUFFER;
  if (reply) {
    __builtin_memcpy(reply->bytes(), out, out->msgh_size);
    mr = ipc_kmsg_copyin(ks, reply, out->msgh_size, /*kernel_data=*/true);
  }
  if (mr != MACH_MSG_SUCCESS) {
    // Nothing moved (rights stay under their names): release them here.
    // The copies went with the message either way (kernel_data).
    bool copies_left = !reply;
    if (reply) ipc_kmsg_free(reply);
    release_message(out, true, copies_left);
    return;
  }
  ipc_kernel_send(reply);
}

void ipc_kobject_deferred() {
  vm_pager_flush();  // what the routines queued for pagers
  Thread* self = current_thread();
  Task* task = self->ipc_terminate;
  if (!task) return;
  self->ipc_terminate = nullptr;
  if (task == self->task) {
    task_deallocate(task);  // our own thread holds the task; task_terminate does not return
    task_terminate(task, 128 + 9, "terminated by task_terminate");
    return;
  }
  task_terminate(task, 128 + 9, "terminated by task_terminate");
  task_deallocate(task);
}

}  // namespace mk
