#include "name_service.h"

#include <io_rpc.h>
#include <mach/notify.h>

#include "libmach/mach_ipc.h"
#include "libmach/print.h"
#include "libmach/string.h"
#include "message_util.h"

namespace ux {
namespace {

constexpr mach_msg_id_t kRegister = 1000, kLookup = 1001, kLookupReply = 1101;

struct PortMsg {
  mach_msg_header_t h;
  mach_msg_body_t body;
  mach_msg_port_descriptor_t port;
  char name[32];
};

void copy_name(char (&dst)[32], const char* src) {
  size_t n = 0;
  while (n < 31 && src[n]) ++n;
  memcpy(dst, src, n);
  dst[n] = '\0';
}

}  // namespace

void NameService::init(mach_port_t bootstrap, mach_port_t io_master) {
  (void)bootstrap;
  io_master_ = io_master;
}

void NameService::answer(mach_port_t reply, mach_port_t right) {
  PortMsg r{};
  r.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0) | MACH_MSGH_BITS_COMPLEX;
  r.h.msgh_remote_port = reply;
  r.h.msgh_id = kLookupReply;
  r.body.msgh_descriptor_count = 1;
  r.port.name = right;
  r.port.disposition = MACH_MSG_TYPE_COPY_SEND;
  r.port.type = MACH_MSG_PORT_DESCRIPTOR;
  mach_msg_return_t mr = mach_msg(&r.h, MACH_SEND_MSG | MACH_SEND_TIMEOUT, sizeof r, 0, MACH_PORT_NULL, 0);
  if (mr != MACH_MSG_SUCCESS) {
    printf("unix: name service: answer failed (%#x)\n", mr);
    (void)mach_port_deallocate(mach_task_self(), reply);
  }
}

void NameService::supervise(const char* list, mach_port_t notify, Change on_change) {
  notify_ = notify;
  on_change_ = on_change;
  for (const char* p = list; *p && supervised_count_ < 8;) {
    Supervised& s = supervised_[supervised_count_];
    s = Supervised{};
    size_t len = 0;
    while (*p && *p != ':' && *p != ',') {
      if (len < 31) s.name[len++] = *p;
      ++p;
    }
    if (*p == ':') ++p;
    while (*p >= '0' && *p <= '9') s.module = s.module * 10 + uint32_t(*p++ - '0');
    while (*p && *p != ',') ++p;
    if (*p == ',') ++p;
    if (len && s.module) ++supervised_count_;
    else printf("unix: --supervise: \"%s\" is not NAME:MODULE; ignored\n", s.name);
  }
  // Names registered already are watched from now on.
  for (Entry& e : registered_)
    if (MACH_PORT_VALID(e.port) && supervised(e.name)) watch(e.port);
}

const NameService::Supervised* NameService::supervised(const char* name) const {
  for (int i = 0; i < supervised_count_; ++i)
    if (strcmp(supervised_[i].name, name) == 0) return &supervised_[i];
  return nullptr;
}

void NameService::watch(mach_port_t right) {
  mach_port_t previous = MACH_PORT_NULL;
  if (mach_port_request_notification(mach_task_self(), right, MACH_NOTIFY_DEAD_NAME, 1, notify_, &previous) !=
      KERN_SUCCESS)
    printf("unix: name service: cannot watch a supervised server\n");
  if (MACH_PORT_VALID(previous)) (void)mach_port_deallocate(mach_task_self(), previous);
}

bool NameService::died(mach_port_t name) {
  for (Entry& e : registered_) {
    if (e.port != name || !MACH_PORT_VALID(name)) continue;
    const Supervised* s = supervised(e.name);
    if (!s) return false;
    (void)mach_port_destroy(mach_task_self(), name);  // our right and the notification's
    e.port = MACH_PORT_NULL;
    printf("unix: %s died; starting module %u again\n", e.name, s->module);
    if (on_change_) on_change_(e.name, MACH_PORT_NULL);
    mach_port_t task = MACH_PORT_NULL;
    kern_return_t kr = rpc_io_module_start(io_master_, s->module, &task);
    if (kr != KERN_SUCCESS) printf("unix: starting module %u again failed: %#x\n", s->module, kr);
    else (void)mach_port_deallocate(mach_task_self(), task);
    return true;
  }
  return false;
}

mach_port_t NameService::find(const char* name) const {
  for (const Entry& e : registered_)
    if (MACH_PORT_VALID(e.port) && strcmp(e.name, name) == 0) return e.port;
  return MACH_PORT_NULL;
}

void NameService::handle(mach_msg_header_t* msg, mach_msg_size_t size) {
  if (msg->msgh_id == kLookup && size >= sizeof(mach_msg_header_t) + 32 &&
      MACH_MSGH_BITS_REMOTE(msg->msgh_bits) == MACH_MSG_TYPE_PORT_SEND_ONCE) {
    char name[32];
    copy_name(name, reinterpret_cast<const char*>(msg + 1));
    mach_port_t reply = msg->msgh_remote_port;
    if (strcmp(name, "io-master") == 0 && MACH_PORT_VALID(io_master_)) return answer(reply, io_master_);
    if (mach_port_t right = find(name)) return answer(reply, right);
    for (Entry& w : waiting_)
      if (w.port == MACH_PORT_NULL) {
        copy_name(w.name, name);
        w.port = reply;
        return;
      }
    printf("unix: name service: too many waiting lookups; \"%s\" dropped\n", name);
    (void)mach_port_deallocate(mach_task_self(), reply);
    return;
  }
  auto* m = reinterpret_cast<PortMsg*>(msg);
  if (msg->msgh_id == kRegister && size >= sizeof(PortMsg) && (msg->msgh_bits & MACH_MSGH_BITS_COMPLEX) &&
      m->body.msgh_descriptor_count == 1 && m->port.type == MACH_MSG_PORT_DESCRIPTOR &&
      m->port.disposition == MACH_MSG_TYPE_PORT_SEND) {
    char name[32];
    copy_name(name, m->name);
    Entry* slot = nullptr;
    for (Entry& e : registered_)
      if (!MACH_PORT_VALID(e.port) || strcmp(e.name, name) == 0) {
        slot = &e;
        if (MACH_PORT_VALID(e.port)) break;  // a new registration replaces the old one
      }
    if (!slot) {
      printf("unix: name service: table full; \"%s\" dropped\n", name);
      (void)mach_port_deallocate(mach_task_self(), m->port.name);
      return;
    }
    if (MACH_PORT_VALID(slot->port)) (void)mach_port_deallocate(mach_task_self(), slot->port);
    copy_name(slot->name, name);
    slot->port = m->port.name;
    if (supervised(name)) {
      watch(slot->port);
      printf("unix: \"%s\" registered, supervised\n", name);
      if (on_change_) on_change_(name, slot->port);
    }
    for (Entry& w : waiting_)
      if (w.port != MACH_PORT_NULL && strcmp(w.name, name) == 0) {
        answer(w.port, slot->port);
        w.port = MACH_PORT_NULL;
      }
    return;
  }
  printf("unix: name service: malformed request (id %d, %u bytes) dropped\n", msg->msgh_id, size);
  destroy_request(msg);
}

}  // namespace ux
