// The Unix server (docs/unix.md): the first boot task. It keeps the boot
// name service (the bootstrap port), waits for the file pager and the
// console driver to register, mounts the boot archive at / and the devices
// at /dev, tmpfs at /tmp and, with --ext2=PATH, the ext2 file system of the
// block driver registered as "blk" at PATH, and starts the first process:
// the command on its own command line (`unix_server.elf /bin/busybox echo
// hello`, each word percent-encoded), or `/bin/busybox sh`.
// Then it serves unix.defs on every process's port. When the first
// process ends, it says how and powers QEMU off.
//   unix_server.elf [--ext2=PATH] [--supervise=NAME:MODULE,...] [PROGRAM ARGS...]
#include <mach/notify.h>
#include <unixServer.h>
#include <vm_rpc.h>

#include "emulation_abi.h"
#include "exec.h"
#include "libmach/env.h"
#include "libmach/mach_ipc.h"
#include "libmach/print.h"
#include "libmach/string.h"
#include "linux_abi.h"
#include "machine.h"
#include "message_util.h"
#include "name_service.h"
#include "server_state.h"
#include "signals.h"
#include "tmp_fs.h"
#include "block_client.h"
#include "ext2_fs.h"
#include "waiters.h"

namespace ux {

namespace {

ServerState g_state;
NameService g_names;
mach_port_t g_bootstrap = MACH_PORT_NULL;
int g_init_pid = 0;

const char* const kDefaultInit[] = {"/bin/busybox", "sh", nullptr};
const char* const kEnvironment[] = {"HOME=/", "PATH=/bin:/sbin:/usr/bin:/usr/sbin", "TERM=vt100", "USER=root",
                                    "LOGNAME=root", "SHELL=/bin/sh", nullptr};

// Requests and replies take turns in two buffers (see serve).
constexpr size_t kMessageMax = (unix_MAX_REQUEST_SIZE > unix_MAX_REPLY_SIZE ? unix_MAX_REQUEST_SIZE
                                                                             : unix_MAX_REPLY_SIZE) + 64;
union Buffer {
  mach_msg_header_t h;
  mach_dead_name_notification_t dead;
  uint8_t raw[kMessageMax > 576 ? kMessageMax : 576];
};
Buffer g_buffers[2];
Buffer& g_in = g_buffers[0];

void must(kern_return_t kr, const char* what) {
  if (kr == KERN_SUCCESS) return;
  printf("unix: %s failed: %#x\n", what, kr);
  task_terminate_self(1);
}

// Serves the bootstrap port until the servers the Unix server needs have
// registered.
void wait_for_servers() {
  uint64_t waited_ms = 0;
  while (!g_names.find("file-pager") || !g_names.find("console")) {
    mach_msg_return_t mr = mach_msg(&g_in.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof g_in, g_bootstrap, 1000);
    if (mr == MACH_RCV_TIMED_OUT) {
      waited_ms += 1000;
      if (waited_ms % 10000 == 0)
        printf("unix: still waiting for%s%s to register\n", g_names.find("file-pager") ? "" : " the file pager",
               g_names.find("console") ? "" : " the console driver");
      continue;
    }
    if (mr == MACH_MSG_SUCCESS) g_names.handle(&g_in.h, g_in.h.msgh_size);
  }
}

// tmpfs's pages and clock.
void* page_alloc() {
  vm_address_t page = 0;
  if (rpc_vm_allocate(mach_task_self(), &page, 4096, VM_FLAGS_ANYWHERE) != KERN_SUCCESS) return nullptr;
  return reinterpret_cast<void*>(page);
}
void page_free(void* page) { (void)vm_deallocate(mach_task_self(), reinterpret_cast<vm_address_t>(page), 4096); }
uint64_t clock_seconds() { return g_state.boot_epoch + now_ms() / 1000; }

// The ext2 file system on the "blk" driver's disk, mounted at path; its
// end (unmount: everything written, the file system marked clean) comes
// before the power goes off.
Ext2Fs* g_ext2 = nullptr;

void mount_ext2(const char* path) {
  static char at[kPathMax];
  bool slash = false;
  if (Vfs::absolute("/", path, at, &slash) != 0 || strcmp(at, "/") == 0) {
    printf("unix: --ext2=%s: not a mount point\n", path);
    return;
  }
  uint64_t waited_ms = 0;
  while (!g_names.find("blk") && waited_ms < 20000) {
    if (mach_msg(&g_in.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof g_in, g_bootstrap, 500) == MACH_MSG_SUCCESS)
      g_names.handle(&g_in.h, g_in.h.msgh_size);
    else
      waited_ms += 500;
  }
  mach_port_t blk = g_names.find("blk");
  if (!blk) {
    printf("unix: no block driver registered as \"blk\": %s not mounted\n", at);
    return;
  }
  static BlockClient device(blk);
  vm_address_t cache = 0;
  int err = device.init();
  if (!err && rpc_vm_allocate(mach_task_self(), &cache, Ext2Fs::kCacheBytes, VM_FLAGS_ANYWHERE) != KERN_SUCCESS)
    err = linux_abi::kENOMEM;
  if (err) {
    printf("unix: the disk: error %d; %s not mounted\n", err, at);
    return;
  }
  static Ext2Fs fs(device, &clock_seconds, reinterpret_cast<void*>(cache), Ext2Fs::kCacheBytes);
  err = fs.mount();
  if (err) {
    printf("unix: the disk is not an ext2 file system this server mounts (error %d); %s not mounted\n", err, at);
    return;
  }
  g_ext2 = &fs;
  g_state.vfs.mount(at, &fs);
  printf("unix: ext2 mounted at %s\n", at);
}

// A supervised server died (port null) or registered again.
void supervised_changed(const char* name, mach_port_t port) {
  if (strcmp(name, "console") == 0 && g_state.dev) g_state.dev->reconnect(port);
  if (strcmp(name, "file-pager") == 0 && g_state.root) {
    g_state.root->reconnect(port);
    if (!MACH_PORT_VALID(port)) exec_library_lost();
    else if (exec_init(g_state.root) != 0) printf("unix: the restarted file pager has no emulation library\n");
  }
}

// Console descriptors 0, 1 and 2 of the first process.
int open_console(Process* p) {
  for (int fd = 0; fd < 3; ++fd) {
    OpenFile* f = open_file_new();
    if (!f) return linux_abi::kENOMEM;
    Location loc;
    g_state.vfs.locate("/dev/console", &loc);
    f->fs = loc.fs;
    int err = f->fs->stat(loc.path, true, &f->node);
    if (err) {
      open_file_release(f);
      return err;
    }
    f->flags = linux_abi::kO_RDWR;
    memcpy(f->path, loc.path, strlen(loc.path) + 1);
    memcpy(f->abs, "/dev/console", 13);
    p->install(f, false);
  }
  return 0;
}

// The command line's words are percent-encoded (%XX: the byte 0xXX), so
// that blanks, quotes and backslashes, which the boot loader's command line
// cannot carry, reach the program: scripts/run encodes them.
void percent_decode(char* s) {
  auto hex = [](char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1; };
  char* out = s;
  for (const char* in = s; *in; ++in) {
    if (in[0] == '%' && hex(in[1]) >= 0 && hex(in[2]) >= 0) {
      *out++ = char(hex(in[1]) * 16 + hex(in[2]));
      in += 2;
    } else {
      *out++ = *in;
    }
  }
  *out = '\0';
}

// argv: the program and its arguments (the options taken off).
void start_init(int argc, char** argv) {
  for (int i = 0; i < argc; ++i) percent_decode(argv[i]);
  const char* const* args = argc > 0 ? const_cast<const char* const*>(argv) : kDefaultInit;
  Process* p = process_create(0);
  int err = p ? open_console(p) : linux_abi::kENOMEM;
  mach_port_t task = MACH_PORT_NULL;
  if (!err) err = exec_program(p, g_state.vfs, args[0], args, kEnvironment, g_state.boot_epoch, &task);
  if (err) {
    printf("unix: cannot run %s: error %d\n", args[0], err);
    printf("unix: init (pid 1) exited with status 127\n");
    power_off(g_state.io_master, 1);
    task_terminate_self(127);
  }
  p->task = task;
  p->live = true;
  g_init_pid = p->pid;
  g_state.dev->set_foreground(p->pid);
  process_watch(p);
}

// A task's death, as the dead-name notification tells it: a live process
// the kernel ended (an exception, a pager's failure), as if by SIGSEGV; or
// the end of one that exited or was killed already, or of an image execve
// replaced.
void task_died(mach_port_t name) {
  if (g_names.died(name)) return;  // a supervised server, started again
  Process* p = process_by_task(name);
  if (p && p->live) process_exit(p, kSIGSEGV);
  (void)mach_port_destroy(mach_task_self(), name);  // ours and the notification's reference
  if (p) {
    p->task = MACH_PORT_NULL;
    if (p->reaped) process_release(p);
  }
}

// One message that arrived in *in; a reply to send is left in *out.
void handle(Buffer* in, Buffer* out, bool* reply) {
  mach_port_t local = in->h.msgh_local_port;
  if (local == g_bootstrap) {
    g_names.handle(&in->h, in->h.msgh_size);
    return;
  }
  if (local == g_state.notify) {
    if (in->h.msgh_id == MACH_NOTIFY_DEAD_NAME) task_died(in->dead.not_port);
    return;
  }
  if (local == g_state.console_input) {
    g_state.dev->input_reply(&in->h);
    return;
  }
  (void)unix_server(&in->h, &out->h);
  kern_return_t code = mig_reply_code(&out->h);
  if (code == MIG_BAD_ID || code == MIG_BAD_ARGUMENTS) {
    // Answered with the error (the stub built that reply); what the
    // request carried is let go.
    printf("unix: refused a request (id %d): %d\n", in->h.msgh_id, code);
    release_descriptors(&in->h);
  }
  *reply = code != MIG_NO_REPLY && MACH_PORT_VALID(out->h.msgh_remote_port);
  // The routines that answer later keep the reply right (sreplyport:
  // read, write, wait4, sleep, poll). Any other that answers nothing has
  // lost its caller (exit, a successful execve, a kill or a signal state
  // that ended it): its reply right is let go here, or each such end would
  // leave a send-once right (a dead name soon) in our space for good.
  int id = in->h.msgh_id;
  bool kept = id == 7004 || id == 7005 || id == 7019 || id == 7024 || id == 7025;
  if (code == MIG_NO_REPLY && !kept && MACH_PORT_VALID(in->h.msgh_remote_port))
    (void)mach_port_deallocate(mach_task_self(), in->h.msgh_remote_port);
}

// One trap per request: the reply to the last request goes out with the
// receive of the next (mach_msg send+receive), which also lets the kernel
// hand the CPU straight to the process waiting for it.
[[noreturn]] void serve() {
  Buffer* in = &g_buffers[0];
  Buffer* out = &g_buffers[1];
  bool reply = false;
  for (;;) {
    // The reply leaves from *out and the next request arrives in *out:
    // then the buffers swap roles.
    mach_msg_option_t option = MACH_RCV_MSG;
    mach_msg_size_t send_size = 0;
    if (reply) {
      option |= MACH_SEND_MSG | MACH_SEND_TIMEOUT;
      send_size = out->h.msgh_size;
    }
    // Wake up for the nearest deadline of a waiting call.
    uint64_t deadline = waiters_next_deadline();
    mach_msg_timeout_t timeout = 0;
    if (deadline) {
      uint64_t now = now_ms();
      timeout = deadline > now ? mach_msg_timeout_t(deadline - now) : 1;
      option |= MACH_RCV_TIMEOUT;
    }
    mach_msg_return_t mr = mach_msg(&out->h, option, send_size, sizeof *out, g_state.port_set, timeout);
    if (mr == MACH_RCV_TIMED_OUT) {
      reply = false;
      waiters_after_message();
      continue;
    }
    if (reply && mr != MACH_MSG_SUCCESS && (mr & ~0xffu) == (MACH_SEND_INVALID_DEST & ~0xffu)) {
      // The reply could not go (its process died meanwhile); nothing was
      // received either.
      (void)mach_port_deallocate(mach_task_self(), out->h.msgh_remote_port);
      reply = false;
      continue;
    }
    reply = false;
    if (mr != MACH_MSG_SUCCESS) {
      printf("unix: receive failed: %#x\n", mr);
      continue;
    }
    Buffer* t = in;
    in = out;
    out = t;
    handle(in, out, &reply);
    waiters_after_message();
  }
}

}  // namespace

ServerState& server() { return g_state; }

void sync_all() {
  if (g_ext2) (void)g_ext2->sync();
}

void process_watch(Process* p) {
  mach_port_t previous = MACH_PORT_NULL;
  // Moving a port already in the set again is harmless.
  must(mach_port_move_member(mach_task_self(), p->port, g_state.port_set), "adding the process port");
  must(mach_port_request_notification(mach_task_self(), p->task, MACH_NOTIFY_DEAD_NAME, 0, g_state.notify,
                                      &previous),
       "watching the process's task");
  if (MACH_PORT_VALID(previous)) (void)mach_port_deallocate(mach_task_self(), previous);
}

void process_ended(Process* p) {
  if (p->pid != g_init_pid) return;
  int status = (p->wait_status & 0x7f) ? 128 + (p->wait_status & 0x7f) : (p->wait_status >> 8) & 0xff;
  if (g_ext2) {
    int err = g_ext2->unmount();
    if (err) printf("unix: unmounting the disk: error %d\n", err);
  }
  if (p->wait_status & 0x7f)
    printf("unix: init (pid %d) was killed by signal %d: status %d\n", p->pid, p->wait_status & 0x7f, status);
  else
    printf("unix: init (pid %d) exited with status %d\n", p->pid, status);
  power_off(g_state.io_master, status == 0 ? 0 : 1);
}

}  // namespace ux

using namespace ux;

int main(int argc, char** argv) {
  g_state.io_master = libmach::io_master_port();
  if (!MACH_PORT_VALID(g_state.io_master)) {
    printf("unix: no I/O master port: the Unix server must be the first boot module\n");
    return 1;
  }
  must(task_get_bootstrap_port(mach_task_self(), &g_bootstrap), "task_get_bootstrap_port");
  g_names.init(g_bootstrap, g_state.io_master);
  must(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &g_state.notify), "notify port");
  // Options, then the program.
  const char* ext2 = nullptr;
  int first = 1;
  for (; first < argc && strncmp(argv[first], "--", 2) == 0; ++first) {
    if (strncmp(argv[first], "--ext2=", 7) == 0) ext2 = argv[first] + 7;
    else if (strncmp(argv[first], "--supervise=", 12) == 0)
      g_names.supervise(argv[first] + 12, g_state.notify, &supervised_changed);
    else printf("unix: unknown option %s ignored\n", argv[first]);
  }
  wait_for_servers();

  static BootFs root(g_names.find("file-pager"));
  static DevFs dev(g_names.find("console"));
  static TmpFs tmp("/tmp", &clock_seconds, &page_alloc, &page_free);
  g_state.root = &root;
  g_state.dev = &dev;
  g_state.vfs.mount("/", &root);
  g_state.vfs.mount("/dev", &dev);
  if (tmp.ready()) g_state.vfs.mount("/tmp", &tmp);
  else printf("unix: no memory for /tmp; not mounted\n");
  // (Before the bootstrap port joins the port set: mount_ext2 receives on it.)
  if (ext2) mount_ext2(ext2);
  if (exec_init(&root) != 0) {
    power_off(g_state.io_master, 1);
    return 1;
  }

  mach_task_basic info{};
  (void)task_info_self(&info);
  uint64_t now = rtc_read_epoch(g_state.io_master);
  uint64_t up = info.ticks_per_second ? info.ticks / info.ticks_per_second : 0;
  g_state.boot_epoch = now > up ? now - up : 0;

  must(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_PORT_SET, &g_state.port_set), "port set");
  must(mach_port_move_member(mach_task_self(), g_bootstrap, g_state.port_set), "bootstrap port");
  must(mach_port_move_member(mach_task_self(), g_state.notify, g_state.port_set), "notify port");
  must(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &g_state.console_input), "console input port");
  must(mach_port_move_member(mach_task_self(), g_state.console_input, g_state.port_set), "console input port");
  dev.start_input(g_state.console_input);
  start_init(argc - first, argv + first);
  serve();
}
