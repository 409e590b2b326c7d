#include "kern/selftest.h"

#include "kern/arch.h"
#include "kern/clock.h"
#include "kern/console.h"
#include "kern/kalloc.h"
#include "kern/panic.h"
#include "kern/sched.h"
#include "kern/task.h"
#include "lib/zone.h"
#include "vm/vm_resident.h"

namespace mk {
namespace {

constinit int g_failures = 0;

#define CHECK(cond, ...)                                   \
  do {                                                     \
    if (!(cond)) {                                         \
      ++g_failures;                                        \
      kprintf("selftest: FAILED %s: ", #cond);             \
      kprintf(__VA_ARGS__);                                \
      kprintf("\n");                                       \
    }                                                      \
  } while (0)

[[noreturn]] void finish(const char* name) {
  if (g_failures) {
    kprintf("selftest %s: %d check(s) failed\n", name, g_failures);
    arch::emulator_exit(arch::ExitStatus::kFail);
  } else {
    kprintf("selftest %s: passed\n", name);
    arch::emulator_exit(arch::ExitStatus::kPass);
  }
  arch::halt_forever();
}

void wait_ticks(uint64_t n) {
  uint64_t until = clock_ticks() + n;
  while (clock_ticks() < until) arch::wait_for_interrupt();
}

// --- boot: the clock ticks --------------------------------------------------
void test_boot() {
  uint64_t start = clock_ticks();
  for (int i = 1; i <= 3; ++i) {
    wait_ticks(10);
    kprintf("timer: tick %lu (%s, %u Hz)\n", clock_ticks(), arch::timer_source(), arch::timer_hz());
  }
  CHECK(clock_ticks() >= start + 30, "clock advanced only %lu ticks", clock_ticks() - start);
}

// --- exceptions: deliberately fault; the exception dump must name them ------
// noinline keeps these as real frames so the backtrace can name them.
[[gnu::noinline]] void provoke_page_fault() {
  volatile uint64_t* bad = reinterpret_cast<volatile uint64_t*>(0xdead0000ull);
  *bad = 0x1234;  // nothing is mapped in the lower half of the kernel's space
}

[[gnu::noinline]] void provoke_divide_error() {
  volatile int zero = 0;
  volatile int result = 42 / zero;
  (void)result;
}

[[gnu::noinline]] void provoke_panic() { panic("selftest: deliberate panic with value %d", 42); }

// --- memory: every page through each allocator, and back --------------------
struct FreeLink {
  FreeLink* next;
};

void test_pages(size_t baseline) {
  // Chain the pages through their own first word (via the direct map).
  FreeLink* chain = nullptr;
  size_t got = 0;
  paddr_t pa;
  while (vm_page_grab(&pa) == KERN_SUCCESS) {
    auto* link = static_cast<FreeLink*>(arch::phys_to_virt(pa));
    link->next = chain;
    chain = link;
    ++got;
  }
  kprintf("memory: grabbed %zu pages until exhaustion\n", got);
  CHECK(got == baseline, "grabbed %zu of %zu free pages", got, baseline);
  CHECK(vm_page_free_count() == 0, "%zu pages still free", vm_page_free_count());
  while (chain) {
    FreeLink* next = chain->next;
    vm_page_release(arch::virt_to_phys(chain));
    chain = next;
  }
  CHECK(vm_page_free_count() == baseline, "free count %zu after release, expected %zu", vm_page_free_count(),
        baseline);
}

struct TestObject {
  TestObject* next;
  uint64_t payload[5];
  static int live;
  TestObject() { ++live; }
  ~TestObject() { --live; }
};
int TestObject::live = 0;

void test_zone(size_t baseline) {
  TypedZone<TestObject> zone;
  CHECK(zone.init("selftest.objects", kernel_page_source()) == KERN_SUCCESS, "zone init");
  TestObject* list = nullptr;
  size_t n = 0;
  while (TestObject* o = zone.create()) {
    o->next = list;
    o->payload[0] = n++;
    list = o;
  }
  kprintf("memory: zone held %zu objects of %zu bytes at exhaustion\n", n, sizeof(TestObject));
  CHECK(n > 0 && TestObject::live == int(n), "created %zu, live %d", n, TestObject::live);
  CHECK(vm_page_free_count() < 16, "zone stopped with %zu pages still free", vm_page_free_count());
  size_t expect = n;
  bool intact = true;
  while (list) {
    TestObject* next = list->next;
    intact &= list->payload[0] == --expect;
    zone.destroy(list);
    list = next;
  }
  CHECK(intact, "zone objects overlapped");
  CHECK(TestObject::live == 0, "%d objects not destroyed", TestObject::live);
  CHECK(vm_page_free_count() == baseline, "free count %zu after zone drain, expected %zu", vm_page_free_count(),
        baseline);
}

void test_kalloc(size_t baseline) {
  static const size_t kSizes[] = {24, 200, 1000, 3000, 16, 9000, 512, 40000};
  FreeLink* list = nullptr;
  size_t n = 0;
  size_t heap_before = kalloc_bytes_in_use();
  for (;;) {
    size_t size = kSizes[n % (sizeof kSizes / sizeof kSizes[0])];
    auto* link = static_cast<FreeLink*>(kalloc(size));
    if (!link) {
      if (size <= 16) break;  // even the smallest class is exhausted
      ++n;
      continue;
    }
    link->next = list;
    list = link;
    ++n;
  }
  kprintf("memory: kalloc served %zu requests until exhaustion\n", n);
  while (list) {
    FreeLink* next = list->next;
    kfree(list);
    list = next;
  }
  CHECK(kalloc_bytes_in_use() == heap_before, "heap holds %zu bytes, expected %zu", kalloc_bytes_in_use(),
        heap_before);
  CHECK(vm_page_free_count() == baseline, "free count %zu after kalloc drain, expected %zu",
        vm_page_free_count(), baseline);
}

void test_memory() {
  size_t baseline = vm_page_free_count();
  kprintf("memory: %zu pages free at start\n", baseline);
  CHECK(baseline > 1000, "only %zu free pages", baseline);
  test_pages(baseline);
  test_zone(baseline);
  test_kalloc(baseline);
  kprintf("memory: %zu pages free at end\n", vm_page_free_count());
}

// --- scheduler: handoff runs the target at once; sleeping honours deadlines --
struct SchedLog {
  char order[8];
  int n;
  uint64_t slept_from, woke_at;
  bool done;
};
constinit SchedLog g_sched_log{};

void handoff_target(void*) { g_sched_log.order[g_sched_log.n++] = 'B'; }

void sleeper(void*) {
  g_sched_log.slept_from = clock_ticks();
  thread_sleep_ticks(5);
  g_sched_log.woke_at = clock_ticks();
  g_sched_log.done = true;
}

void test_scheduler() {
  Thread* target = nullptr;
  CHECK(thread_create_kernel("handoff", handoff_target, nullptr, 10, &target) == KERN_SUCCESS, "create");
  g_sched_log.order[g_sched_log.n++] = 'A';
  bool switched = thread_handoff(target);
  g_sched_log.order[g_sched_log.n++] = 'C';
  g_sched_log.order[g_sched_log.n] = 0;
  kprintf("sched: handoff %s, order %s\n", switched ? "switched" : "refused", g_sched_log.order);
  CHECK(switched, "handoff refused");
  CHECK(__builtin_strcmp(g_sched_log.order, "ABC") == 0, "order %s, expected ABC", g_sched_log.order);
  CHECK(!thread_handoff(current_thread()), "handoff to self accepted");

  CHECK(thread_create_kernel("sleeper", sleeper, nullptr, 10, nullptr) == KERN_SUCCESS, "create sleeper");
  uint64_t deadline = clock_ticks() + 200;
  while (!g_sched_log.done && clock_ticks() < deadline) arch::wait_for_interrupt(), sched_preempt_point();
  kprintf("sched: sleeper slept from tick %lu to %lu\n", g_sched_log.slept_from, g_sched_log.woke_at);
  CHECK(g_sched_log.done, "the sleeper never woke");
  CHECK(g_sched_log.woke_at >= g_sched_log.slept_from + 5, "woke after %lu ticks", g_sched_log.woke_at - g_sched_log.slept_from);
}

}  // namespace

void run_selftest(const char* name) {
  kprintf("selftest %s: start\n", name);
  if (__builtin_strcmp(name, "boot") == 0) {
    test_boot();
  } else if (__builtin_strcmp(name, "pagefault") == 0) {
    provoke_page_fault();
    CHECK(false, "the page fault returned");
  } else if (__builtin_strcmp(name, "divide") == 0) {
    provoke_divide_error();
    CHECK(false, "the divide error returned");
  } else if (__builtin_strcmp(name, "panic") == 0) {
    provoke_panic();
  } else if (__builtin_strcmp(name, "scheduler") == 0) {
    test_scheduler();
  } else if (__builtin_strcmp(name, "memory") == 0) {
    test_memory();
  } else {
    kprintf("selftest: unknown test \"%s\"\n", name);
    ++g_failures;
  }
  finish(name);
}

}  // namespace mk
