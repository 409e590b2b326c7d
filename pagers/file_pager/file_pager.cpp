// The file pager (docs/pagers.md, "File pager"): maps the boot archive (a
// ustar archive passed as a GRUB data module, io_module_map), serves its
// files by path (fs.defs) and each regular file as a memory object, read
// only, straight from the archive's bytes.
//   file_pager.elf MODULE [N [crash-on=PATH:OFFSET]]
//     crash-on (fault injection, docs/robustness.md): fault on purpose in
//     the data request for that file's page at OFFSET.
//     MODULE: the archive's module index; N: registrations as "file-pager"
//     with the name server (the test name server hands each out once;
//     default 1).
// It ends when no one holds a send right to its service port (like the
// drivers); objects the kernel still maps then have a dead pager.
#include <fsServer.h>
#include <io_rpc.h>
#include <memory_object_control_rpc.h>
#include <memory_object_server.h>
#include <vm_rpc.h>

#include "../../test/user/ipc_util.h"
#include "ustar.h"

const char* g_role = "file-pager";

namespace {

constexpr uint64_t kPage = 4096;
constexpr uint64_t kMaxSupply = 1ull << 20;  // bytes per data_request answered (read-ahead bound)

// One per archive entry; a port only once a regular file was looked up.
struct FileObject {
  mach_port_t port;     // receive right: the memory object
  mach_port_t control;  // the kernel's control port (one uref), between init and terminate
};

const uint8_t* g_archive = nullptr;
uint64_t g_archive_size = 0;
ustar::Entry* g_entries = nullptr;
FileObject* g_objects = nullptr;
size_t g_count = 0;
mach_port_t g_service = MACH_PORT_NULL, g_set = MACH_PORT_NULL;
unsigned long g_requests = 0, g_supplied = 0;

uint64_t page_up(uint64_t v) { return (v + kPage - 1) & ~(kPage - 1); }

// "0x1000" or "4096".
uint64_t strtoul_hex(const char* s) {
  uint64_t v = 0;
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    for (s += 2;; ++s) {
      int d = *s >= '0' && *s <= '9' ? *s - '0' : *s >= 'a' && *s <= 'f' ? *s - 'a' + 10 : -1;
      if (d < 0) return v;
      v = v * 16 + uint64_t(d);
    }
  }
  for (; *s >= '0' && *s <= '9'; ++s) v = v * 10 + uint64_t(*s - '0');
  return v;
}

uint64_t parse_num(const char* s, uint64_t dflt) {
  if (!s || !*s) return dflt;
  uint64_t v = 0;
  for (; *s >= '0' && *s <= '9'; ++s) v = v * 10 + uint64_t(*s - '0');
  return v;
}

void drop(mach_port_t right) {
  if (MACH_PORT_VALID(right)) (void)mach_port_deallocate(mach_task_self(), right);
}

kern_return_t fs_error(ustar::Error e) {
  switch (e) {
    case ustar::Error::kNotDirectory: return FS_NOT_DIRECTORY;
    case ustar::Error::kLoop: return FS_LOOP;
    case ustar::Error::kNameTooLong: return FS_NAME_TOO_LONG;
    default: return FS_NO_SUCH_FILE;
  }
}

kern_return_t resolve(const char* path, bool follow, size_t* index) {
  ustar::Error e = ustar::resolve(g_entries, g_count, path, follow, index);
  return e == ustar::Error::kOk ? KERN_SUCCESS : fs_error(e);
}

// Symbolic links read as 0777 whatever the archive says, as on Linux.
uint32_t mode_of(const ustar::Entry& e) {
  if (e.type == ustar::Type::kSymlink) return FS_S_IFLNK | 0777;
  uint32_t type = e.type == ustar::Type::kDirectory ? FS_S_IFDIR : e.type == ustar::Type::kSymlink ? FS_S_IFLNK : FS_S_IFREG;
  return type | e.mode;
}

// The object whose port is `name`, nullptr for any other port.
FileObject* object_of(mach_port_t name) {
  if (!MACH_PORT_VALID(name)) return nullptr;
  for (size_t i = 0; i < g_count; ++i)
    if (g_objects[i].port == name) return &g_objects[i];
  return nullptr;
}

const ustar::Entry& entry_of(const FileObject* f) { return g_entries[f - g_objects]; }

// Fresh anonymous memory holding [from, from + n): out-of-line data can
// not come from the archive's mapping itself (a physical object).
kern_return_t copy_out(const uint8_t* from, uint64_t n, vm_offset_t* out) {
  vm_address_t buf = 0;
  kern_return_t kr = rpc_vm_allocate(mach_task_self(), &buf, page_up(n), VM_FLAGS_ANYWHERE);
  if (kr != KERN_SUCCESS) return KERN_RESOURCE_SHORTAGE;
  memcpy(reinterpret_cast<void*>(buf), from, n);
  *out = buf;
  return KERN_SUCCESS;
}

}  // namespace

// --- fs.defs --------------------------------------------------------------

kern_return_t fsrv_fs_lookup(mach_port_t, fs_path_t path, mach_port_t* memory_object, uint64_t* size, uint32_t* mode) {
  size_t i;
  kern_return_t kr = resolve(path, true, &i);
  if (kr != KERN_SUCCESS) return kr;
  if (g_entries[i].type != ustar::Type::kRegular) return FS_IS_DIRECTORY;
  FileObject& f = g_objects[i];
  if (f.port == MACH_PORT_NULL) {
    mach_port_t port;
    if (mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &port) != KERN_SUCCESS)
      return KERN_RESOURCE_SHORTAGE;
    if (mach_port_move_member(mach_task_self(), port, g_set) != KERN_SUCCESS) {
      (void)mach_port_mod_refs(mach_task_self(), port, MACH_PORT_RIGHT_RECEIVE, -1);
      return KERN_RESOURCE_SHORTAGE;
    }
    f.port = port;
  }
  *memory_object = f.port;  // a send right made by the reply
  *size = g_entries[i].size;
  *mode = mode_of(g_entries[i]);
  return KERN_SUCCESS;
}

kern_return_t fsrv_fs_stat(mach_port_t, fs_path_t path, boolean_t follow, uint32_t* mode, uint64_t* size,
                           uint64_t* ino, uint64_t* mtime) {
  size_t i;
  kern_return_t kr = resolve(path, follow != 0, &i);
  if (kr != KERN_SUCCESS) return kr;
  *mode = mode_of(g_entries[i]);
  *size = g_entries[i].type == ustar::Type::kSymlink ? strlen(g_entries[i].link) : g_entries[i].size;
  *ino = i + 1;
  *mtime = g_entries[i].mtime;
  return KERN_SUCCESS;
}

kern_return_t fsrv_fs_readdir(mach_port_t, fs_path_t path, vm_offset_t* entries, mach_msg_type_number_t* entriesCnt,
                              uint32_t* count) {
  size_t i, n;
  kern_return_t kr = resolve(path, true, &i);
  if (kr != KERN_SUCCESS) return kr;
  if (g_entries[i].type != ustar::Type::kDirectory) return FS_NOT_DIRECTORY;
  size_t bytes = ustar::list_directory(g_entries, g_count, i, nullptr, 0, &n);
  *entries = 0;
  *entriesCnt = 0;
  *count = uint32_t(n);
  if (bytes == 0) return KERN_SUCCESS;
  vm_address_t buf = 0;
  if (rpc_vm_allocate(mach_task_self(), &buf, page_up(bytes), VM_FLAGS_ANYWHERE) != KERN_SUCCESS)
    return KERN_RESOURCE_SHORTAGE;
  (void)ustar::list_directory(g_entries, g_count, i, reinterpret_cast<char*>(buf), bytes, &n);
  *entries = buf;  // sent with dealloc
  *entriesCnt = mach_msg_type_number_t(bytes);
  return KERN_SUCCESS;
}

kern_return_t fsrv_fs_readlink(mach_port_t, fs_path_t path, fs_link_t target) {
  size_t i;
  kern_return_t kr = resolve(path, false, &i);
  if (kr != KERN_SUCCESS) return kr;
  if (g_entries[i].type != ustar::Type::kSymlink) return FS_NOT_SYMLINK;
  memcpy(target, g_entries[i].link, strlen(g_entries[i].link) + 1);  // < 101 bytes
  return KERN_SUCCESS;
}

kern_return_t fsrv_fs_read(mach_port_t, fs_path_t path, uint64_t offset, uint32_t count, vm_offset_t* data,
                           mach_msg_type_number_t* dataCnt) {
  size_t i;
  kern_return_t kr = resolve(path, true, &i);
  if (kr != KERN_SUCCESS) return kr;
  const ustar::Entry& e = g_entries[i];
  if (e.type != ustar::Type::kRegular) return FS_IS_DIRECTORY;
  if (count > FS_READ_MAX) return KERN_INVALID_ARGUMENT;
  *data = 0;
  *dataCnt = 0;
  if (offset >= e.size || count == 0) return KERN_SUCCESS;
  uint64_t n = e.size - offset < count ? e.size - offset : count;
  kr = copy_out(g_archive + e.offset + offset, n, data);
  if (kr == KERN_SUCCESS) *dataCnt = mach_msg_type_number_t(n);
  return kr;
}

// --- memory_object.defs ---------------------------------------------------
// Every message brings a new uref for the control port: the one of init is
// kept until terminate, every other one dropped before returning.

kern_return_t memory_object_init(memory_object_t object, memory_object_control_t control, vm_size_t page_size) {
  FileObject* f = object_of(object);
  if (!f || page_size != kPage) {
    printf("file-pager: init refused (object %u, page size %lu)\n", object, (unsigned long)page_size);
    drop(control);
    return KERN_SUCCESS;
  }
  if (f->control != MACH_PORT_NULL) drop(f->control);  // a new control port, or the same one's extra uref
  f->control = control;
  kern_return_t kr = rpc_memory_object_ready(control, TRUE);
  if (kr != KERN_SUCCESS) printf("file-pager: memory_object_ready: %#x\n", kr);
  return KERN_SUCCESS;
}

kern_return_t memory_object_terminate(memory_object_t object, memory_object_control_t control) {
  FileObject* f = object_of(object);
  if (f && f->control == control) {
    drop(f->control);
    f->control = MACH_PORT_NULL;
  }
  drop(control);
  return KERN_SUCCESS;
}

const char* g_crash_path = nullptr;  // crash-on=PATH:OFFSET
uint64_t g_crash_offset = 0;

kern_return_t memory_object_data_request(memory_object_t object, memory_object_control_t control,
                                         memory_object_offset_t offset, vm_size_t length, vm_prot_t) {
  ++g_requests;
  FileObject* f = object_of(object);
  if (!f) {
    drop(control);
    return KERN_SUCCESS;
  }
  const ustar::Entry& e = entry_of(f);
  if (g_crash_path && offset == g_crash_offset && strcmp(e.path, g_crash_path) == 0) {
    printf("file-pager: crashing on purpose in the data request for %s at %#lx\n", e.path, (unsigned long)offset);
    *reinterpret_cast<volatile int*>(0) = 0;
  }
  kern_return_t kr;
  if (offset % kPage || length == 0 || length % kPage) {
    kr = rpc_memory_object_data_error(control, offset & ~(kPage - 1), length ? page_up(length) : kPage,
                                      KERN_INVALID_ARGUMENT);
  } else if (offset >= e.size) {
    kr = rpc_memory_object_data_unavailable(control, offset, length);  // zero pages beyond the end
  } else {
    // The file's bytes at offset; the kernel zero-fills the rest of the last page.
    uint64_t n = e.size - offset;
    if (n > length) n = length;
    if (n > kMaxSupply) n = kMaxSupply;
    vm_offset_t buf = 0;
    kr = copy_out(g_archive + e.offset + offset, n, &buf);
    if (kr == KERN_SUCCESS) {
      kr = rpc_memory_object_data_supply(control, offset, buf, mach_msg_type_number_t(n), VM_PROT_NONE, FALSE);
      (void)vm_deallocate(mach_task_self(), buf, page_up(n));
      if (kr == KERN_SUCCESS) ++g_supplied;
    } else {
      kr = rpc_memory_object_data_error(control, offset, length, KERN_RESOURCE_SHORTAGE);
    }
  }
  if (kr != KERN_SUCCESS)
    printf("file-pager: answer to data_request(%s, %#lx, %#lx): %#x\n", e.path, (unsigned long)offset,
           (unsigned long)length, kr);
  drop(control);
  return KERN_SUCCESS;
}

// Read-only objects: no access beyond what was supplied is ever granted.
kern_return_t memory_object_data_unlock(memory_object_t, memory_object_control_t control, memory_object_offset_t offset,
                                        vm_size_t length, vm_prot_t) {
  (void)rpc_memory_object_data_error(control, offset, length, KERN_PROTECTION_FAILURE);
  drop(control);
  return KERN_SUCCESS;
}

kern_return_t memory_object_lock_completed(mach_port_t, memory_object_control_t control, memory_object_offset_t,
                                           vm_size_t) {
  drop(control);  // never asked for: this pager sends no lock_request
  return KERN_SUCCESS;
}

// Files are not written back: the data is dropped.
kern_return_t memory_object_data_return(memory_object_t object, memory_object_control_t control,
                                        memory_object_offset_t offset, vm_offset_t data, mach_msg_type_number_t dataCnt,
                                        boolean_t dirty, boolean_t) {
  FileObject* f = object_of(object);
  printf("file-pager: data_return of %s at %#lx (%u bytes, %s) dropped: read-only\n", f ? entry_of(f).path : "?",
         (unsigned long)offset, dataCnt, dirty ? "dirty" : "precious");
  if (dataCnt) (void)vm_deallocate(mach_task_self(), data, dataCnt);
  drop(control);
  return KERN_SUCCESS;
}

// --- the server loop ------------------------------------------------------

namespace {

// Releases what a request the stub refused still holds (rights, regions);
// its reply port carries the error.
void destroy_request(mach_msg_header_t* req) {
  if (!(req->msgh_bits & MACH_MSGH_BITS_COMPLEX) || req->msgh_size < sizeof(mach_msg_header_t) + 4) return;
  auto* body = reinterpret_cast<mach_msg_body_t*>(req + 1);
  mach_msg_size_t room = (req->msgh_size - mach_msg_size_t(sizeof(mach_msg_header_t)) - 4) / 16;
  mach_msg_size_t n = body->msgh_descriptor_count < room ? body->msgh_descriptor_count : room;
  auto* d = reinterpret_cast<mach_msg_descriptor_t*>(body + 1);
  for (mach_msg_size_t i = 0; i < n; ++i, ++d) {
    if (d->type.type == MACH_MSG_PORT_DESCRIPTOR) drop(d->port.name);
    if ((d->type.type == MACH_MSG_OOL_DESCRIPTOR || d->type.type == MACH_MSG_OOL_VOLATILE_DESCRIPTOR) &&
        d->out_of_line.size)
      (void)vm_deallocate(mach_task_self(), d->out_of_line.address, d->out_of_line.size);
  }
}

bool map_archive(mach_port_t master, uint32_t module) {
  vm_address_t addr = 0;
  uint64_t size = 0;
  kern_return_t kr = rpc_io_module_map(master, mach_task_self(), module, &addr, &size);
  if (kr != KERN_SUCCESS) {
    printf("file-pager: io_module_map of module %u: %#x\n", module, kr);
    return false;
  }
  g_archive = reinterpret_cast<const uint8_t*>(addr);
  g_archive_size = size;
  ustar::Result r = ustar::parse(g_archive, size, nullptr, 0);
  if (r.error == ustar::Error::kOk) {
    vm_address_t table = 0, objects = 0;
    if (rpc_vm_allocate(mach_task_self(), &table, page_up(r.count * sizeof(ustar::Entry)), VM_FLAGS_ANYWHERE) !=
            KERN_SUCCESS ||
        rpc_vm_allocate(mach_task_self(), &objects, page_up(r.count * sizeof(FileObject)), VM_FLAGS_ANYWHERE) !=
            KERN_SUCCESS) {
      printf("file-pager: no memory for %zu entries\n", r.count);
      return false;
    }
    g_entries = reinterpret_cast<ustar::Entry*>(table);
    g_objects = reinterpret_cast<FileObject*>(objects);  // zero-filled: no ports yet
    r = ustar::parse(g_archive, size, g_entries, r.count);
  }
  if (r.error != ustar::Error::kOk) {
    printf("file-pager: module %u refused: %s at offset %lu\n", module, ustar::error_name(r.error),
           (unsigned long)r.at);
    return false;
  }
  g_count = r.count;
  size_t files = 0;
  for (size_t i = 0; i < g_count; ++i) files += g_entries[i].type == ustar::Type::kRegular;
  printf("file-pager: archive of %lu bytes at %#lx: %zu entries, %zu files\n", (unsigned long)size,
         (unsigned long)addr, g_count, files);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    printf("file-pager: usage: file_pager.elf MODULE [N]\n");
    return 1;
  }
  if (argc > 3 && strncmp(argv[3], "crash-on=", 9) == 0) {
    char* spec = argv[3] + 9;
    char* colon = strchr(spec, ':');
    if (colon) {
      *colon = '\0';
      g_crash_offset = strtoul_hex(colon + 1);
    }
    g_crash_path = spec;
  }
  mach_port_t master = ns_lookup("io-master");
  if (!map_archive(master, uint32_t(parse_num(argv[1], 0)))) return 1;
  drop(master);  // nothing else needs the capability

  CHECK_KR(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_PORT_SET, &g_set), KERN_SUCCESS);
  CHECK_KR(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &g_service), KERN_SUCCESS);
  CHECK_KR(mach_port_move_member(mach_task_self(), g_service, g_set), KERN_SUCCESS);
  for (uint64_t n = parse_num(argc > 2 ? argv[2] : nullptr, 1); n > 0; --n)
    ns_register("file-pager", g_service, MACH_MSG_TYPE_MAKE_SEND);
  mach_port_t previous;
  CHECK_KR(mach_port_request_notification(mach_task_self(), g_service, MACH_NOTIFY_NO_SENDERS, 1, g_service, &previous),
           KERN_SUCCESS);
  printf("file-pager: serving as \"file-pager\"\n");

  constexpr size_t kIn = fs_MAX_REQUEST_SIZE > memory_object_MAX_REQUEST_SIZE ? fs_MAX_REQUEST_SIZE
                                                                               : memory_object_MAX_REQUEST_SIZE;
  constexpr size_t kOut = fs_MAX_REPLY_SIZE > memory_object_MAX_REPLY_SIZE ? fs_MAX_REPLY_SIZE
                                                                           : memory_object_MAX_REPLY_SIZE;
  alignas(8) uint8_t in[kIn + 128];
  alignas(8) uint8_t out[kOut + 64];
  auto* req = reinterpret_cast<mach_msg_header_t*>(in);
  auto* rep = reinterpret_cast<mach_msg_header_t*>(out);
  for (;;) {
    mach_msg_return_t mr = mach_msg(req, MACH_RCV_MSG, 0, sizeof in, g_set, 0);
    if (mr != MACH_MSG_SUCCESS) {
      printf("file-pager: receive: %#x\n", mr);  // too large: the kernel dropped it
      continue;
    }
    if (req->msgh_id == MACH_NOTIFY_NO_SENDERS && req->msgh_local_port == g_service) break;
    if (req->msgh_local_port == g_service)
      (void)fs_server(req, rep);
    else
      (void)memory_object_server(req, rep);
    kern_return_t code = mig_reply_code(rep);
    if (code == MIG_BAD_ARGUMENTS || code == MIG_BAD_ID) destroy_request(req);
    if (code != MIG_NO_REPLY && MACH_PORT_VALID(rep->msgh_remote_port))
      (void)mach_msg(rep, MACH_SEND_MSG, rep->msgh_size, 0, MACH_PORT_NULL, 0);
  }
  printf("file-pager: no clients left; %lu data requests, %lu supplied\n", g_requests, g_supplied);
  return 0;
}
