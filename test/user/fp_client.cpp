// A client of the file pager (pagers/file_pager, docs/pagers.md), cases
// file-pager-fs and file-pager-read:
//   fp_client.elf MODULE fs    io_module_map's answers, then the fs.defs
//                              interface: lookups, stat, readdir,
//                              readlink, read, and its errors
//   fp_client.elf MODULE map   the same, then the files mapped with vm_map
//                              and every byte checked (demand paging
//                              through the pager)
// MODULE: the archive's module index. Needs the name server's "io-master"
// and "file-pager".
#include <fs.h>
#include <io_rpc.h>
#include <vm_rpc.h>

#include "ipc_util.h"

const char* g_role = "fp-client";

namespace {

constexpr uint64_t kPage = 4096;
constexpr char kMotd[] = "Welcome to machina: this line comes from the boot archive.\n";
constexpr char kLong[] =
    "/data/a-rather-long-directory-name-0/a-rather-long-directory-name-1/a-rather-long-directory-name-2/long-name.txt";

// test/data/mkbootfs.py writes data/pattern (40 KiB) and data/odd (10,000 bytes) with it.
uint8_t pattern(uint64_t i) { return uint8_t((i * 131 + (i >> 12) * 7 + 17) & 0xff); }

uint64_t page_up(uint64_t v) { return (v + kPage - 1) & ~(kPage - 1); }

void check_io_module_map(mach_port_t master, uint32_t module) {
  vm_address_t addr = 0;
  uint64_t size = 0;
  CHECK_KR(rpc_io_module_map(master, mach_task_self(), 0, &addr, &size), KERN_INVALID_ARGUMENT);  // a program
  CHECK_KR(rpc_io_module_map(master, mach_task_self(), 99, &addr, &size), KERN_INVALID_ARGUMENT);
  CHECK_KR(rpc_io_module_map(mach_task_self(), mach_task_self(), module, &addr, &size), KERN_INVALID_CAPABILITY);
  mach_port_t task = MACH_PORT_NULL;
  CHECK_KR(rpc_io_module_start(master, module, &task), KERN_INVALID_ARGUMENT);  // data is never started
  CHECK_KR(rpc_io_module_map(master, mach_task_self(), module, &addr, &size), KERN_SUCCESS);
  const auto* a = reinterpret_cast<const uint8_t*>(addr);
  CHECK(addr % kPage == 0 && size % 512 == 0 && size >= 1024);
  CHECK(memcmp(a + 257, "ustar", 5) == 0);
  vm_address_t again = 0;
  uint64_t size2 = 0;
  CHECK_KR(rpc_io_module_map(master, mach_task_self(), module, &again, &size2), KERN_SUCCESS);
  CHECK(again != addr && size2 == size && memcmp(a, reinterpret_cast<const void*>(again), size) == 0);
  // Read-only: no write access can be had.
  CHECK_KR(rpc_vm_protect(mach_task_self(), addr, kPage, FALSE, VM_PROT_READ | VM_PROT_WRITE), KERN_PROTECTION_FAILURE);
  CHECK_KR(vm_deallocate(mach_task_self(), addr, page_up(size)), KERN_SUCCESS);
  CHECK_KR(vm_deallocate(mach_task_self(), again, page_up(size)), KERN_SUCCESS);
  printf("fp-client: io_module_map: module %u, %lu bytes, read-only; programs and bad indexes refused\n", module,
         (unsigned long)size);
}

mach_port_t lookup(mach_port_t fs, const char* path, uint64_t want_size, uint32_t want_mode) {
  mach_port_t obj = MACH_PORT_NULL;
  uint64_t size = 0;
  uint32_t mode = 0;
  CHECK_KR(fs_lookup(fs, path, &obj, &size, &mode), KERN_SUCCESS);
  CHECK(MACH_PORT_VALID(obj) && size == want_size && mode == want_mode);
  return obj;
}

// The whole file through fs_read, in pieces.
void check_read(mach_port_t fs, const char* path, uint64_t size, const uint8_t* want, bool use_pattern) {
  for (uint64_t off = 0; off <= size; off += 16384) {
    vm_offset_t data = 0;
    mach_msg_type_number_t n = 0;
    CHECK_KR(fs_read(fs, path, off, 16384, &data, &n), KERN_SUCCESS);
    uint64_t expect = size - off < 16384 ? size - off : 16384;
    CHECK(n == expect);
    const auto* d = reinterpret_cast<const uint8_t*>(data);
    for (uint64_t i = 0; i < n; ++i) CHECK(d[i] == (use_pattern ? pattern(off + i) : want[off + i]));
    if (n) CHECK_KR(vm_deallocate(mach_task_self(), data, n), KERN_SUCCESS);
  }
}

// Does the listing hold `name` with d_type `type`?
bool listed(const char* list, size_t bytes, const char* name, uint8_t type) {
  for (size_t at = 0; at < bytes;) {
    size_t len = strlen(list + at + 1);
    if (uint8_t(list[at]) == type && !strcmp(list + at + 1, name)) return true;
    at += len + 2;
  }
  return false;
}

void check_readdir(mach_port_t fs, const char* path, uint32_t want_count, const char* const* names,
                   const uint8_t* types) {
  vm_offset_t data = 0;
  mach_msg_type_number_t bytes = 0;
  uint32_t count = 0;
  CHECK_KR(fs_readdir(fs, path, &data, &bytes, &count), KERN_SUCCESS);
  CHECK(count == want_count);
  for (uint32_t i = 0; i < want_count; ++i) CHECK(listed(reinterpret_cast<const char*>(data), bytes, names[i], types[i]));
  if (bytes) CHECK_KR(vm_deallocate(mach_task_self(), data, bytes), KERN_SUCCESS);
}

void check_fs(mach_port_t fs) {
  const uint32_t kReg = 0100644, kDir = 040755;
  mach_port_t motd = lookup(fs, "etc/motd", sizeof kMotd - 1, kReg);
  CHECK(lookup(fs, "/etc/motd", sizeof kMotd - 1, kReg) == motd);        // the same port every time
  CHECK(lookup(fs, "/etc/motd.link", sizeof kMotd - 1, kReg) == motd);   // a symbolic link followed
  CHECK(lookup(fs, "/usr/../etc/./motd", sizeof kMotd - 1, kReg) == motd);
  mach_port_t pat = lookup(fs, "data/pattern", 40960, kReg);
  CHECK(pat != motd);
  (void)lookup(fs, "/doc/readme.txt", 35, kReg);  // through a directory's absolute link
  (void)lookup(fs, kLong, 31, kReg);              // a name in ustar's prefix field
  check_read(fs, "etc/motd", sizeof kMotd - 1, reinterpret_cast<const uint8_t*>(kMotd), false);
  check_read(fs, "data/pattern", 40960, nullptr, true);
  check_read(fs, "data/odd", 10000, nullptr, true);

  uint32_t mode = 0;
  uint64_t size = 0, ino = 0, mtime = 1;
  CHECK_KR(fs_stat(fs, "/", TRUE, &mode, &size, &ino, &mtime), KERN_SUCCESS);
  CHECK(mode == kDir && ino == 1 && mtime == 0);
  CHECK_KR(fs_stat(fs, "etc/motd.link", FALSE, &mode, &size, &ino, &mtime), KERN_SUCCESS);
  CHECK(mode == 0120777 && size == 4);
  uint64_t link_ino = ino;
  CHECK_KR(fs_stat(fs, "etc/motd.link", TRUE, &mode, &size, &ino, &mtime), KERN_SUCCESS);
  CHECK(mode == kReg && size == sizeof kMotd - 1 && ino != link_ino);
  fs_link_t target = {};
  CHECK_KR(fs_readlink(fs, "etc/motd.link", target), KERN_SUCCESS);
  CHECK(!strcmp(target, "motd"));
  CHECK_KR(fs_readlink(fs, "doc", target), KERN_SUCCESS);
  CHECK(!strcmp(target, "/usr/share/doc"));

  const char* root[] = {"bin", "data", "doc", "etc", "usr"};
  const uint8_t root_types[] = {4, 4, 10, 4, 4};
  check_readdir(fs, "/", 5, root, root_types);
  const char* etc[] = {"motd", "motd.link"};
  const uint8_t etc_types[] = {8, 10};
  check_readdir(fs, "etc", 2, etc, etc_types);
  const char* doc[] = {"readme.txt"};
  const uint8_t doc_types[] = {8};
  check_readdir(fs, "doc", 1, doc, doc_types);
  check_readdir(fs, "bin", 0, nullptr, nullptr);  // empty, for now (issue 10's programs go there)
  printf("fp-client: lookups, stat, readdir, readlink and read agree with the archive\n");

  // Errors.
  mach_port_t obj = MACH_PORT_NULL;
  vm_offset_t data = 0;
  mach_msg_type_number_t bytes = 0;
  uint32_t count = 0;
  CHECK_KR(fs_lookup(fs, "etc/nothing", &obj, &size, &mode), FS_NO_SUCH_FILE);
  CHECK_KR(fs_lookup(fs, "etc", &obj, &size, &mode), FS_IS_DIRECTORY);
  CHECK_KR(fs_lookup(fs, "etc/motd/x", &obj, &size, &mode), FS_NOT_DIRECTORY);
  CHECK_KR(fs_lookup(fs, "etc/motd/", &obj, &size, &mode), FS_NOT_DIRECTORY);
  CHECK_KR(fs_readdir(fs, "etc/motd", &data, &bytes, &count), FS_NOT_DIRECTORY);
  CHECK_KR(fs_readlink(fs, "etc/motd", target), FS_NOT_SYMLINK);
  CHECK_KR(fs_read(fs, "etc", 0, 10, &data, &bytes), FS_IS_DIRECTORY);
  CHECK_KR(fs_read(fs, "etc/motd", 0, FS_READ_MAX + 1, &data, &bytes), KERN_INVALID_ARGUMENT);
  CHECK_KR(fs_read(fs, "etc/motd", 1000, 10, &data, &bytes), KERN_SUCCESS);
  CHECK(bytes == 0);
  CHECK_KR(fs_stat(fs, "", TRUE, &mode, &size, &ino, &mtime), KERN_SUCCESS);  // the root
  char big[300];
  memset(big, 'a', sizeof big - 1);
  big[sizeof big - 1] = 0;
  CHECK_KR(fs_lookup(fs, big, &obj, &size, &mode), MIG_ARRAY_TOO_LARGE);  // refused by the stub
  printf("fp-client: missing paths, directories read as files and bad requests refused\n");
  CHECK_KR(mach_port_deallocate(mach_task_self(), motd), KERN_SUCCESS);  // 4 urefs: one per lookup
  CHECK_KR(mach_port_mod_refs(mach_task_self(), motd, MACH_PORT_RIGHT_SEND, -3), KERN_SUCCESS);
  CHECK_KR(mach_port_deallocate(mach_task_self(), pat), KERN_SUCCESS);
}

// Maps [offset, end of the file's last page + extra pages) of a file's
// object and checks every byte: past the file's end they read as zero
// (the rest of the last page, and pages the pager has no data for).
void check_mapped(mach_port_t fs, const char* path, uint64_t offset, const uint8_t* want, bool use_pattern,
                  uint64_t extra = 0) {
  mach_port_t obj = MACH_PORT_NULL;
  uint64_t size = 0;
  uint32_t mode = 0;
  CHECK_KR(fs_lookup(fs, path, &obj, &size, &mode), KERN_SUCCESS);
  uint64_t len = page_up(size) - offset + extra * kPage;
  vm_address_t addr = 0;
  CHECK_KR(rpc_vm_map(mach_task_self(), &addr, len, 0, VM_FLAGS_ANYWHERE, obj, offset, FALSE, VM_PROT_READ,
                      VM_PROT_READ, VM_INHERIT_DEFAULT),
           KERN_SUCCESS);
  const auto* p = reinterpret_cast<const volatile uint8_t*>(addr);
  for (uint64_t i = 0; i < len; ++i) {
    uint64_t at = offset + i;
    uint8_t expect = at >= size ? 0 : use_pattern ? pattern(at) : want[at];
    if (p[i] != expect) {
      printf("fp-client: %s byte %lu is %#x, want %#x\n", path, (unsigned long)at, p[i], expect);
      CHECK(false);
    }
  }
  CHECK_KR(vm_deallocate(mach_task_self(), addr, len), KERN_SUCCESS);
  CHECK_KR(mach_port_deallocate(mach_task_self(), obj), KERN_SUCCESS);
}

void check_map(mach_port_t fs) {
  check_mapped(fs, "etc/motd", 0, reinterpret_cast<const uint8_t*>(kMotd), false);
  check_mapped(fs, "data/pattern", 0, nullptr, true);
  check_mapped(fs, "data/pattern", 3 * kPage, nullptr, true);  // an offset into the object
  check_mapped(fs, "data/odd", 0, nullptr, true, 2);           // partial last page, then data_unavailable
  check_mapped(fs, "data/pattern", 0, nullptr, true);          // mapped again (cached or asked again)
  printf("fp-client: mapped files read back byte for byte\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    printf("fp-client: usage: fp_client.elf MODULE fs|map\n");
    return 1;
  }
  uint32_t module = 0;
  for (const char* s = argv[1]; *s >= '0' && *s <= '9'; ++s) module = module * 10 + uint32_t(*s - '0');
  mach_port_t master = ns_lookup("io-master");
  check_io_module_map(master, module);
  CHECK_KR(mach_port_deallocate(mach_task_self(), master), KERN_SUCCESS);
  mach_port_t fs = ns_lookup("file-pager");
  check_fs(fs);
  if (!strcmp(argv[2], "map")) check_map(fs);
  CHECK_KR(mach_port_deallocate(mach_task_self(), fs), KERN_SUCCESS);  // the pager ends on no-senders
  printf("fp-client: done\n");
  return 0;
}
