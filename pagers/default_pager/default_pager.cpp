// The default pager (docs/pagers.md, "Default pager"): backs the kernel's
// temporary (anonymous) memory objects with 4 KiB slots of a block device.
//   default_pager.elf [DEVICE [REGISTRATIONS [standalone]]]  (standalone: a test
//   plays the kernel; the pager does not register with the real one)
//     DEVICE: the name server name of the block device (default "blk", the
//     virtio-blk driver); REGISTRATIONS: how many times "default-pager" is
//     registered (the test name server hands each registration out once).
//
// It registers its default port with the kernel (vm_set_default_memory_manager)
// and with the name server, then serves memory_object_default.defs on that
// port and memory_object.defs on every object port, all in one port set.
// One thread; it waits only for the block driver and for the kernel's
// answers to the control routines it calls (data_supply, data_unavailable,
// data_error). It ends when no sender of its default port is left and no
// object lives (in practice only in tests: the kernel keeps a send right).
#include <block.h>
#include <io_rpc.h>
#include <mach/memory_object.h>
#include <memory_object_control_rpc.h>
#include <memory_object_default_server.h>
#include <memory_object_server.h>
#include <vm_rpc.h>

#include "libmach/vm_wire.h"
#include "../../test/user/ipc_util.h"
#include "libmach/malloc.h"
#include "swap_map.h"

const char* g_role = "default-pager";

namespace {

constexpr uint64_t kPage = dp::kSlotSize;
constexpr uint32_t kSectorsPerSlot = uint32_t(kPage / 512);
constexpr uint64_t kMaxRun = 32;  // pages per block request (BLOCK_MAX_SECTORS = 256)

// One temporary memory object: its port (a receive right in g_set) names it.
struct Object {
  Object* next;
  mach_port_t port;
  mach_port_t control;  // the send right memory_object_create brought
  uint64_t size;
  dp::PageTable pages;
};

mach_port_t g_dev = MACH_PORT_NULL;
mach_port_t g_default = MACH_PORT_NULL;  // memory_object_create arrives here
mach_port_t g_set = MACH_PORT_NULL;
dp::SwapMap g_map;
Object* g_objects = nullptr;
uint64_t g_object_count = 0;
bool g_no_senders = false;
bool g_logged_init = false;

Object* find(mach_port_t port) {
  for (Object* o = g_objects; o; o = o->next)
    if (o->port == port) return o;
  return nullptr;
}

// Each message brings a new uref of the control send right: drop it.
void drop_control(mach_port_t control) {
  if (MACH_PORT_VALID(control)) (void)mach_port_deallocate(mach_task_self(), control);
}

void report_error(mach_port_t control, uint64_t offset, uint64_t size, kern_return_t why) {
  if (!MACH_PORT_VALID(control)) return;
  kern_return_t kr = rpc_memory_object_data_error(control, offset, size, why);
  if (kr != KERN_SUCCESS) printf("default-pager: data_error at %#lx: %#x\n", (unsigned long)offset, kr);
}

// Writes `n` pages of `data` to the consecutive slots from `first`.
bool write_run(dp::Slot first, const uint8_t* data, uint64_t n) {
  kern_return_t kr = block_write(g_dev, uint64_t(first) * kSectorsPerSlot, vm_offset_t(data),
                                 mach_msg_type_number_t(n * kPage));
  if (kr != KERN_SUCCESS) printf("default-pager: writing slots %u+%lu: %#x\n", first, (unsigned long)n, kr);
  return kr == KERN_SUCCESS;
}

}  // namespace

// The libmach heap is a fixed 1 MiB arena: tables of a page or more come
// from vm_allocate, wired so that paging them out never needs this pager.
namespace dp {
void* mem_alloc_zeroed(size_t bytes) {
  if (bytes < kPage) return calloc(1, bytes);
  vm_address_t a = 0;
  if (rpc_vm_allocate(mach_task_self(), &a, bytes, VM_FLAGS_ANYWHERE) != KERN_SUCCESS) return nullptr;
  (void)rpc_vm_wire(mach_task_self(), a, bytes, VM_PROT_READ | VM_PROT_WRITE);
  return reinterpret_cast<void*>(a);
}
void mem_free(void* p, size_t bytes) {
  if (bytes < kPage) return free(p);
  (void)vm_deallocate(mach_task_self(), vm_address_t(p), bytes);
}
}  // namespace dp

// 2250: a new temporary object; its receive right is ours from now on.
kern_return_t memory_object_create(mach_port_t, mach_port_t object, vm_size_t size, mach_port_t control,
                                   vm_size_t page_size) {
  const char* why = nullptr;
  if (!MACH_PORT_VALID(object)) why = "no object port";
  else if (page_size != kPage) why = "page size is not 4096";
  else if (size == 0 || size % kPage) why = "size is not a positive multiple of the page size";
  Object* o = nullptr;
  if (!why) {
    o = new Object{};
    if (o->pages.init(size / kPage) != dp::Status::kOk) why = "no memory for its page table";
  }
  if (!why && mach_port_move_member(mach_task_self(), object, g_set) != KERN_SUCCESS) why = "cannot listen on it";
  if (why) {
    printf("default-pager: memory_object_create refused (%s): size %#lx, page size %lu\n", why,
           (unsigned long)size, (unsigned long)page_size);
    delete o;
    if (MACH_PORT_VALID(object)) (void)mach_port_mod_refs(mach_task_self(), object, MACH_PORT_RIGHT_RECEIVE, -1);
    drop_control(control);
    return KERN_SUCCESS;  // the rights are dealt with: nothing for the stub to destroy
  }
  o->port = object;
  o->control = control;
  o->size = size;
  o->next = g_objects;
  g_objects = o;
  ++g_object_count;
  return KERN_SUCCESS;
}

// 2208: pages leave the kernel; store each one, in a slot of its own.
kern_return_t memory_object_data_return(mach_port_t port, mach_port_t control, memory_object_offset_t offset,
                                        vm_offset_t data, mach_msg_type_number_t size, boolean_t, boolean_t) {
  Object* o = find(port);
  const char* why = nullptr;
  if (!o) why = "unknown object";
  else if (offset % kPage || size == 0 || size % kPage) why = "not whole pages";
  else if (offset > o->size || size > o->size - offset) why = "beyond the object";
  if (why) {
    printf("default-pager: data_return refused (%s): offset %#lx, %u bytes\n", why, (unsigned long)offset, size);
  } else {
    const auto* bytes = reinterpret_cast<const uint8_t*>(data);
    uint64_t first = offset / kPage, n = size / kPage;
    // Slots first (a page keeps the one it has), then runs of consecutive
    // slots go to the disk in one request each.
    dp::Slot prev = dp::kNoSlot;
    for (uint64_t i = 0; i < n; ++i) {
      dp::Slot s = o->pages.lookup(first + i);
      if (!dp::PageTable::is_slot(s)) {
        if (g_map.allocate(&s, prev) != dp::Status::kOk) {
          printf("default-pager: backing store full: page %#lx of object %u lost\n",
                 (unsigned long)((first + i) * kPage), port);
          (void)o->pages.set(first + i, dp::kLostSlot);
          prev = dp::kNoSlot;
          continue;
        }
        if (o->pages.set(first + i, s) != dp::Status::kOk) {
          (void)g_map.free(s);
          printf("default-pager: no memory for the page table: page %#lx lost\n", (unsigned long)((first + i) * kPage));
          (void)o->pages.set(first + i, dp::kLostSlot);  // may fail too: then it reads as never stored
          prev = dp::kNoSlot;
          continue;
        }
      }
      prev = s;
    }
    for (uint64_t i = 0; i < n;) {
      dp::Slot s = o->pages.lookup(first + i);
      if (!dp::PageTable::is_slot(s)) { ++i; continue; }
      uint64_t run = 1;
      while (i + run < n && run < kMaxRun && o->pages.lookup(first + i + run) == s + run) ++run;
      if (!write_run(s, bytes + i * kPage, run)) {
        for (uint64_t k = 0; k < run; ++k) {  // the data is gone: say so when it is asked for
          (void)g_map.free(s + dp::Slot(k));
          (void)o->pages.set(first + i + k, dp::kLostSlot);
        }
      }
      i += run;
    }
  }
  if (size) (void)vm_deallocate(mach_task_self(), data, size);
  drop_control(control);
  return KERN_SUCCESS;
}

namespace {

// Answers [first, first + n) pages that all hold consecutive slots from s.
void supply_run(mach_port_t control, uint64_t first, dp::Slot s, uint64_t n) {
  vm_offset_t data = 0;
  mach_msg_type_number_t got = 0;
  kern_return_t kr = block_read(g_dev, uint64_t(s) * kSectorsPerSlot, uint32_t(n * kSectorsPerSlot), &data, &got);
  if (kr != KERN_SUCCESS || got != n * kPage) {
    printf("default-pager: reading slots %u+%lu: %#x\n", s, (unsigned long)n, kr);
    if (kr == KERN_SUCCESS && got) (void)vm_deallocate(mach_task_self(), data, got);
    report_error(control, first * kPage, n * kPage, KERN_MEMORY_ERROR);
    return;
  }
  kr = rpc_memory_object_data_supply(control, first * kPage, data, got, VM_PROT_NONE, FALSE);
  if (kr != KERN_SUCCESS) printf("default-pager: data_supply at %#lx: %#x\n", (unsigned long)(first * kPage), kr);
  (void)vm_deallocate(mach_task_self(), data, got);
}

}  // namespace

// 2203: a fault on pages the kernel gave us; answer every page asked for.
kern_return_t memory_object_data_request(mach_port_t port, mach_port_t control, memory_object_offset_t offset,
                                         vm_size_t length, vm_prot_t) {
  Object* o = find(port);
  const char* why = nullptr;
  if (!o) why = "unknown object";
  else if (offset % kPage || length == 0 || length % kPage) why = "not whole pages";
  else if (offset > o->size || length > o->size - offset) why = "beyond the object";
  if (why) {
    printf("default-pager: data_request refused (%s): offset %#lx, %lu bytes\n", why, (unsigned long)offset,
           (unsigned long)length);
    report_error(control, offset, length, KERN_INVALID_ARGUMENT);
    drop_control(control);
    return KERN_SUCCESS;
  }
  uint64_t first = offset / kPage, n = length / kPage;
  for (uint64_t i = 0; i < n;) {
    dp::Slot s = o->pages.lookup(first + i);
    uint64_t run = 1;
    if (dp::PageTable::is_slot(s)) {
      while (i + run < n && run < kMaxRun && o->pages.lookup(first + i + run) == s + run) ++run;
      supply_run(control, first + i, s, run);
    } else if (s == dp::kLostSlot) {
      printf("default-pager: page %#lx of object %u was lost\n", (unsigned long)((first + i) * kPage), port);
      report_error(control, (first + i) * kPage, kPage, KERN_MEMORY_ERROR);
    } else {
      while (i + run < n && o->pages.lookup(first + i + run) == dp::kNoSlot) ++run;
      kern_return_t kr = rpc_memory_object_data_unavailable(control, (first + i) * kPage, run * kPage);
      if (kr != KERN_SUCCESS)
        printf("default-pager: data_unavailable at %#lx: %#x\n", (unsigned long)((first + i) * kPage), kr);
    }
    i += run;
  }
  drop_control(control);
  return KERN_SUCCESS;
}

// 2201: the object is gone: its slots are free again.
kern_return_t memory_object_terminate(mach_port_t port, mach_port_t control) {
  Object** link = &g_objects;
  while (*link && (*link)->port != port) link = &(*link)->next;
  if (!*link) {
    printf("default-pager: terminate of unknown object %u\n", port);
  } else {
    Object* o = *link;
    *link = o->next;
    --g_object_count;
    uint64_t slots = o->pages.stored();
    o->pages.release(&g_map);
    drop_control(o->control);
    (void)mach_port_mod_refs(mach_task_self(), o->port, MACH_PORT_RIGHT_RECEIVE, -1);
    printf("default-pager: object %u terminated, %lu slots freed, %lu of %lu in use\n", port,
           (unsigned long)slots, (unsigned long)g_map.used(), (unsigned long)g_map.total());
    delete o;
  }
  drop_control(control);
  return KERN_SUCCESS;
}

// 2200: the kernel sends no init for temporary objects.
kern_return_t memory_object_init(mach_port_t port, mach_port_t control, vm_size_t) {
  if (!g_logged_init) printf("default-pager: memory_object_init for object %u ignored (not expected)\n", port);
  g_logged_init = true;
  drop_control(control);
  return KERN_SUCCESS;
}

kern_return_t memory_object_data_unlock(mach_port_t port, mach_port_t control, memory_object_offset_t offset,
                                        vm_size_t, vm_prot_t) {
  printf("default-pager: data_unlock of object %u at %#lx ignored (no locks given)\n", port, (unsigned long)offset);
  drop_control(control);
  return KERN_SUCCESS;
}

kern_return_t memory_object_lock_completed(mach_port_t reply_to, mach_port_t control, memory_object_offset_t offset,
                                           vm_size_t) {
  printf("default-pager: lock_completed at %#lx ignored (no lock requests made)\n", (unsigned long)offset);
  if (MACH_PORT_VALID(reply_to)) (void)mach_port_deallocate(mach_task_self(), reply_to);
  drop_control(control);
  return KERN_SUCCESS;
}

namespace {

// Frees the rights and regions of a message no routine took (a malformed
// one), for as many descriptors as it really has room for.
void destroy_message(mach_msg_header_t* m) {
  if (!(m->msgh_bits & MACH_MSGH_BITS_COMPLEX) || m->msgh_size < sizeof(mach_msg_header_t) + 4) return;
  auto* body = reinterpret_cast<mach_msg_body_t*>(m + 1);
  mach_msg_size_t room = (m->msgh_size - mach_msg_size_t(sizeof(mach_msg_header_t)) - 4) / 16;
  mach_msg_size_t n = body->msgh_descriptor_count < room ? body->msgh_descriptor_count : room;
  auto* d = reinterpret_cast<mach_msg_descriptor_t*>(body + 1);
  for (mach_msg_size_t i = 0; i < n; ++i, ++d) {
    if (d->type.type == MACH_MSG_PORT_DESCRIPTOR && MACH_PORT_VALID(d->port.name)) {
      if (d->port.disposition == MACH_MSG_TYPE_PORT_RECEIVE)
        (void)mach_port_mod_refs(mach_task_self(), d->port.name, MACH_PORT_RIGHT_RECEIVE, -1);
      else
        (void)mach_port_deallocate(mach_task_self(), d->port.name);
    } else if ((d->type.type == MACH_MSG_OOL_DESCRIPTOR || d->type.type == MACH_MSG_OOL_VOLATILE_DESCRIPTOR) &&
               d->out_of_line.size) {
      (void)vm_deallocate(mach_task_self(), d->out_of_line.address, d->out_of_line.size);
    }
  }
  // The header's reply right, if any (none of our ids has one).
  if (MACH_PORT_VALID(m->msgh_remote_port)) (void)mach_port_deallocate(mach_task_self(), m->msgh_remote_port);
}

uint64_t parse(const char* s, uint64_t dflt) {
  if (!s || !*s) return dflt;
  uint64_t v = 0;
  for (; *s >= '0' && *s <= '9'; ++s) v = v * 10 + uint64_t(*s - '0');
  return v;
}

void start(const char* device, uint64_t registrations, bool standalone) {
  mach_port_t master = ns_lookup("io-master");
  g_dev = ns_lookup(device);
  uint32_t sector_size = 0;
  uint64_t sectors = 0;
  CHECK_KR(block_get_info(g_dev, &sector_size, &sectors), KERN_SUCCESS);
  CHECK(sector_size == 512);
  if (g_map.init(sectors / kSectorsPerSlot) != dp::Status::kOk) {
    printf("default-pager: no memory for the map of %lu slots\n", (unsigned long)(sectors / kSectorsPerSlot));
    task_terminate_self(1);
  }
  CHECK_KR(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_PORT_SET, &g_set), KERN_SUCCESS);
  CHECK_KR(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &g_default), KERN_SUCCESS);
  CHECK_KR(mach_port_move_member(mach_task_self(), g_default, g_set), KERN_SUCCESS);
  // The kernel gets a copy of a send right; ours goes right after.
  CHECK_KR(mach_port_insert_right(mach_task_self(), g_default, g_default, MACH_MSG_TYPE_MAKE_SEND), KERN_SUCCESS);
  // Its own memory must never wait for itself.
  libmach::vm_wire_all();
  mach_port_t old = MACH_PORT_NULL;
  // standalone: a test plays the kernel; the real one must not hold a right
  // (the pager ends when its last sender goes).
  kern_return_t kr = standalone ? KERN_SUCCESS : rpc_vm_set_default_memory_manager(master, g_default, &old);
  if (standalone) {
    printf("default-pager: standalone, not registered with the kernel\n");
  } else if (kr == KERN_SUCCESS) {
    printf("default-pager: registered with the kernel as the default memory manager\n");
    if (MACH_PORT_VALID(old)) (void)mach_port_deallocate(mach_task_self(), old);
  } else {
    printf("default-pager: vm_set_default_memory_manager: %#x; serving anyway\n", kr);
  }
  CHECK_KR(mach_port_deallocate(mach_task_self(), g_default), KERN_SUCCESS);
  (void)mach_port_deallocate(mach_task_self(), master);
  for (uint64_t i = 0; i < registrations; ++i) ns_register("default-pager", g_default, MACH_MSG_TYPE_MAKE_SEND);
  mach_port_t previous;
  CHECK_KR(mach_port_request_notification(mach_task_self(), g_default, MACH_NOTIFY_NO_SENDERS, 1, g_default,
                                          &previous),
           KERN_SUCCESS);
  printf("default-pager: %lu slots of 4 KiB on \"%s\", serving as \"default-pager\"\n",
         (unsigned long)g_map.total(), device);
}

}  // namespace

int main(int argc, char** argv) {
  start(argc > 1 ? argv[1] : "blk", parse(argc > 2 ? argv[2] : nullptr, 1),
        argc > 3 && !strcmp(argv[3], "standalone"));
  constexpr size_t kIn = memory_object_MAX_REQUEST_SIZE > memory_object_default_MAX_REQUEST_SIZE
                             ? memory_object_MAX_REQUEST_SIZE
                             : memory_object_default_MAX_REQUEST_SIZE;
  alignas(8) uint8_t in[kIn + 64];
  alignas(8) uint8_t out[256];
  auto* req = reinterpret_cast<mach_msg_header_t*>(in);
  auto* rep = reinterpret_cast<mach_msg_header_t*>(out);
  for (;;) {
    mach_msg_return_t mr = mach_msg(req, MACH_RCV_MSG, 0, sizeof in, g_set, 0);
    if (mr != MACH_MSG_SUCCESS) {
      // Too large for any of our messages: the kernel destroyed it. Other
      // errors would repeat forever: the set is gone.
      printf("default-pager: receive: %#x%s\n", mr, mr == MACH_RCV_TOO_LARGE ? " (dropped)" : "");
      if (mr == MACH_RCV_TOO_LARGE) continue;
      task_terminate_self(1);
    }
    if (req->msgh_id == MACH_NOTIFY_NO_SENDERS && req->msgh_local_port == g_default) {
      g_no_senders = true;
    } else {
      bool handled = req->msgh_local_port == g_default ? memory_object_default_server(req, rep)
                                                         : memory_object_server(req, rep);
      kern_return_t code = mig_reply_code(rep);
      if (!handled || code == MIG_BAD_ARGUMENTS || code == MIG_BAD_ID) {
        printf("default-pager: malformed message id %d on port %u (%#x), dropped\n", req->msgh_id,
               req->msgh_local_port, code);
        destroy_message(req);
      }
      // Every message of both interfaces is a simpleroutine: nothing to send.
    }
    if (g_no_senders && g_object_count == 0) break;
  }
  printf("default-pager: no senders and no objects left; %lu slots in use\n", (unsigned long)g_map.used());
  return 0;
}
