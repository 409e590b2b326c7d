#include "vm/vm_page.h"

#include <new>

#include "lib/global.h"
#include "vm/vm_env.h"
#include "vm/vm_object.h"

namespace mk {

VmPageCounts g_vm_page_counts;

namespace {

VmPage** g_buckets = nullptr;
constinit Global<VmPageQueue> g_queue;  // built by vm_page_init
uint64_t g_bucket_mask = 0;

uint64_t bucket_of(const VmObject* object, uint64_t offset) {
  uint64_t h = reinterpret_cast<uint64_t>(object) ^ (offset >> kPageShift) * 0x9e3779b97f4a7c15ull;
  h ^= h >> 29;
  return h & g_bucket_mask;
}

void hash_insert(VmPage* page) {
  VmPage*& head = g_buckets[bucket_of(page->object, page->offset)];
  page->hash_next = head;
  head = page;
}

void hash_remove(VmPage* page) {
  VmPage** link = &g_buckets[bucket_of(page->object, page->offset)];
  while (*link != page) link = &(*link)->hash_next;
  *link = page->hash_next;
  page->hash_next = nullptr;
}

void enter(VmPage* page, VmObject* object, uint64_t offset) {
  page->object = object;
  page->offset = offset;
  hash_insert(page);
  object->pages.push_back(*page);
  object->resident_count++;
  g_queue->push_back(*page);
}

void leave(VmPage* page) {
  hash_remove(page);
  page->object->pages.erase(page->object->pages.iterator_to(*page));
  g_queue->erase(g_queue->iterator_to(*page));
  page->object->resident_count--;
  page->object = nullptr;
}

}  // namespace

VmPageQueue& vm_page_queue() { return *g_queue; }

kern_return_t vm_page_init(uint64_t buckets_hint) {
  if (g_buckets) return KERN_SUCCESS;
  g_queue.init();
  uint64_t n = 64;
  while (n < buckets_hint && n < (1ull << 20)) n <<= 1;
  auto* b = static_cast<VmPage**>(vm_alloc(n * sizeof(VmPage*)));
  if (!b) return KERN_RESOURCE_SHORTAGE;
  for (uint64_t i = 0; i < n; ++i) b[i] = nullptr;
  g_buckets = b;
  g_bucket_mask = n - 1;
  return KERN_SUCCESS;
}

VmPage* vm_page_lookup(const VmObject* object, uint64_t offset) {
  if (object->resident_count == 0) return nullptr;
  for (VmPage* p = g_buckets[bucket_of(object, offset)]; p; p = p->hash_next)
    if (p->object == object && p->offset == offset) return p;
  return nullptr;
}

VmPage* vm_page_alloc(VmObject* object, uint64_t offset) {
  void* mem = vm_alloc(sizeof(VmPage));
  if (!mem) return nullptr;
  auto* page = new (mem) VmPage();
  if (vm_env_page_grab(&page->phys) != KERN_SUCCESS) {
    vm_free(mem);
    return nullptr;
  }
  enter(page, object, offset);
  g_vm_page_counts.active++;
  return page;
}

VmPage* vm_page_alloc_zero(VmObject* object, uint64_t offset) {
  VmPage* page = vm_page_alloc(object, offset);
  if (page) __builtin_memset(vm_page_address(page), 0, kPageSize);
  return page;
}

void vm_page_free(VmPage* page) {
  if (page->object->pageout_exempt) g_vm_page_counts.in_transit--;
  leave(page);
  if (page->wire_count) g_vm_page_counts.wired--;
  g_vm_page_counts.active--;
  vm_env_page_release(page->phys);
  page->~VmPage();
  vm_free(page);
}

void vm_page_rename(VmPage* page, VmObject* object, uint64_t offset) {
  if (page->object->pageout_exempt) g_vm_page_counts.in_transit--;
  leave(page);
  enter(page, object, offset);
  if (object->pageout_exempt) g_vm_page_counts.in_transit++;
}

void* vm_page_address(const VmPage* page) { return vm_env_page_address(page->phys); }

}  // namespace mk
