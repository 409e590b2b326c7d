// Mach IPC from user programs: mach_msg and the port calls (traps; see
// mach/mach_traps.h for the numbers and the codes each returns).
#pragma once

#include <mach/mach_traps.h>
#include <mach/message.h>
#include <mach/port.h>

#include "libmach/traps.h"

#ifdef __cplusplus
extern "C" {
#endif
/* Also what MIG-generated stubs call (idl/runtime/mig_support.h). */
mach_msg_return_t mach_msg(mach_msg_header_t* msg, mach_msg_option_t option, mach_msg_size_t send_size,
                           mach_msg_size_t rcv_size, mach_port_name_t rcv_name, mach_msg_timeout_t timeout);
/* The calling thread's cached reply port for RPCs (made on first use). */
mach_port_t mig_get_reply_port(void);
void mig_dealloc_reply_port(mach_port_t reply_port);
/* A send right to the calling task's kernel port, fetched once. */
mach_port_t mach_task_self(void);
#ifdef __cplusplus
}
#endif

namespace libmach {
// For code running in a child made by task_create with inherited memory
// (a thread started by thread_create_running): the port names libmach
// cached, the task's own port and the reply port, are the parent's and mean
// nothing in the child's empty name space. Call before any other libmach
// call in the child; the next mach_task_self() / mig_get_reply_port() asks
// the kernel again.
void reset_after_fork();

inline unsigned long trap6(unsigned long n, unsigned long a1 = 0, unsigned long a2 = 0, unsigned long a3 = 0,
                           unsigned long a4 = 0, unsigned long a5 = 0, unsigned long a6 = 0) {
  return raw_syscall6(MACH_TRAP_TAG | n, a1, a2, a3, a4, a5, a6);
}
template <class T>
inline unsigned long ptr(T* p) {
  return reinterpret_cast<unsigned long>(p);
}
}  // namespace libmach

inline mach_port_t mach_reply_port() { return mach_port_t(libmach::trap6(MACH_TRAP_mach_reply_port)); }
inline mach_port_t mach_thread_self() { return mach_port_t(libmach::trap6(MACH_TRAP_thread_self)); }
// A send right to the host port (host.defs: rpc_host_info, rpc_host_kernel_version).
inline mach_port_t mach_host_self() { return mach_port_t(libmach::trap6(MACH_TRAP_host_self)); }

inline kern_return_t task_get_special_port(mach_port_t task, int which, mach_port_t* port) {
  return kern_return_t(libmach::trap6(MACH_TRAP_task_get_special_port, task, unsigned(which), libmach::ptr(port)));
}
inline kern_return_t task_set_special_port(mach_port_t task, int which, mach_port_t port) {
  return kern_return_t(libmach::trap6(MACH_TRAP_task_set_special_port, task, unsigned(which), port));
}
inline kern_return_t task_get_bootstrap_port(mach_port_t task, mach_port_t* port) {
  return task_get_special_port(task, TASK_BOOTSTRAP_PORT, port);
}
inline kern_return_t thread_get_special_port(mach_port_t thread, int which, mach_port_t* port) {
  return kern_return_t(libmach::trap6(MACH_TRAP_thread_get_special_port, thread, unsigned(which), libmach::ptr(port)));
}
inline kern_return_t thread_set_special_port(mach_port_t thread, int which, mach_port_t port) {
  return kern_return_t(libmach::trap6(MACH_TRAP_thread_set_special_port, thread, unsigned(which), port));
}
inline kern_return_t task_terminate(mach_port_t task) {
  return kern_return_t(libmach::trap6(MACH_TRAP_task_terminate, task));
}

inline kern_return_t mach_port_allocate(mach_port_t task, mach_port_right_t right, mach_port_t* name) {
  return kern_return_t(libmach::trap6(MACH_TRAP_mach_port_allocate, task, right, libmach::ptr(name)));
}
inline kern_return_t mach_port_allocate_name(mach_port_t task, mach_port_right_t right, mach_port_t name) {
  return kern_return_t(libmach::trap6(MACH_TRAP_mach_port_allocate_name, task, right, name));
}
inline kern_return_t mach_port_deallocate(mach_port_t task, mach_port_t name) {
  return kern_return_t(libmach::trap6(MACH_TRAP_mach_port_deallocate, task, name));
}
inline kern_return_t mach_port_destroy(mach_port_t task, mach_port_t name) {
  return kern_return_t(libmach::trap6(MACH_TRAP_mach_port_destroy, task, name));
}
inline kern_return_t mach_port_mod_refs(mach_port_t task, mach_port_t name, mach_port_right_t right,
                                        mach_port_delta_t delta) {
  return kern_return_t(libmach::trap6(MACH_TRAP_mach_port_mod_refs, task, name, right,
                                      static_cast<unsigned long>(static_cast<long>(delta))));
}
inline kern_return_t mach_port_get_refs(mach_port_t task, mach_port_t name, mach_port_right_t right,
                                        mach_port_urefs_t* refs) {
  return kern_return_t(libmach::trap6(MACH_TRAP_mach_port_get_refs, task, name, right, libmach::ptr(refs)));
}
inline kern_return_t mach_port_insert_right(mach_port_t task, mach_port_t name, mach_port_t poly,
                                            mach_msg_type_name_t poly_poly) {
  return kern_return_t(libmach::trap6(MACH_TRAP_mach_port_insert_right, task, name, poly, poly_poly));
}
inline kern_return_t mach_port_extract_right(mach_port_t task, mach_port_t name, mach_msg_type_name_t msgt_name,
                                             mach_port_t* poly, mach_msg_type_name_t* poly_poly) {
  return kern_return_t(libmach::trap6(MACH_TRAP_mach_port_extract_right, task, name, msgt_name, libmach::ptr(poly),
                                      libmach::ptr(poly_poly)));
}
// Up to `capacity` names and types; *count is the total number of names.
inline kern_return_t mach_port_names(mach_port_t task, mach_port_t* names, mach_port_type_t* types,
                                     unsigned capacity, unsigned* count) {
  return kern_return_t(libmach::trap6(MACH_TRAP_mach_port_names, task, libmach::ptr(names), libmach::ptr(types),
                                      capacity, libmach::ptr(count)));
}
inline kern_return_t mach_port_type(mach_port_t task, mach_port_t name, mach_port_type_t* type) {
  return kern_return_t(libmach::trap6(MACH_TRAP_mach_port_type, task, name, libmach::ptr(type)));
}
inline kern_return_t mach_port_rename(mach_port_t task, mach_port_t old_name, mach_port_t new_name) {
  return kern_return_t(libmach::trap6(MACH_TRAP_mach_port_rename, task, old_name, new_name));
}
inline kern_return_t mach_port_move_member(mach_port_t task, mach_port_t member, mach_port_t after) {
  return kern_return_t(libmach::trap6(MACH_TRAP_mach_port_move_member, task, member, after));
}
// `notify`: a receive right (a send-once right is made from it) or a
// send-once right (moved); *previous: the request's former send-once right.
inline kern_return_t mach_port_request_notification(mach_port_t task, mach_port_t name, int variant,
                                                    mach_port_mscount_t sync, mach_port_t notify,
                                                    mach_port_t* previous) {
  return kern_return_t(libmach::trap6(MACH_TRAP_mach_port_request_notification, task, name, unsigned(variant), sync,
                                      notify, libmach::ptr(previous)));
}
inline kern_return_t mach_port_set_qlimit(mach_port_t task, mach_port_t name, mach_port_msgcount_t qlimit) {
  return kern_return_t(libmach::trap6(MACH_TRAP_mach_port_set_qlimit, task, name, qlimit));
}
inline kern_return_t mach_port_get_attributes(mach_port_t task, mach_port_t name, int flavor, void* info,
                                              unsigned* count) {
  return kern_return_t(
      libmach::trap6(MACH_TRAP_mach_port_get_attributes, task, name, unsigned(flavor), libmach::ptr(info),
                     libmach::ptr(count)));
}
inline kern_return_t mach_ipc_stats(struct mach_ipc_statistics* out) {
  return kern_return_t(libmach::trap6(MACH_TRAP_mach_ipc_stats, libmach::ptr(out)));
}
inline kern_return_t vm_deallocate(mach_port_t task, unsigned long address, unsigned long size) {
  return kern_return_t(libmach::trap6(MACH_TRAP_vm_deallocate, task, address, size));
}
