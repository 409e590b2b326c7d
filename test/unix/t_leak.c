/* Leak checks of the Unix server and the emulation library against the
 * kernel's counters (docs/robustness.md): the live IPC objects
 * (mach_ipc_stats: ports, port sets, messages, spaces, out-of-line and
 * kalloc bytes) and the VM's pages, objects and map entries (vm_statistics,
 * a vm.defs request to our own task port built by hand as t_forge builds
 * its messages) are read before and after
 *   (a) 100,000 getppid calls (an RPC to the server each), and
 *   (b) 1,000 fork / child _exit(0) / waitpid cycles,
 *   (c) 100 children that execve /true and 100 that kill themselves,
 * and must be back where they were: a server that kept a port, a message, a
 * task or memory per call or per process would show here. Pages the Unix
 * server takes for its own heap are in the page counts (free, active). */
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define MACH_TRAP(n) (0x4d41434800000000ull | (n))
#define TRAP_MACH_MSG 6
#define TRAP_REPLY_PORT 7
#define TRAP_TASK_SELF 8
#define TRAP_PORT_NAMES 22
#define TRAP_IPC_STATS 29
#define SEND_MSG 1u
#define RCV_MSG 2u
#define SEND_TIMEOUT 0x10u
#define RCV_TIMEOUT 0x100u
#define COPY_SEND 19u
#define MAKE_SEND_ONCE 21u

struct header {
	uint32_t bits, size, remote, local, voucher;
	int32_t id;
};
struct ipc_stats { /* struct mach_ipc_statistics (mach/mach_traps.h) */
	unsigned long ports, port_sets, kmsgs, spaces, ool_bytes, kalloc_bytes;
};
struct vm_stats { /* vm_statistics_data_t (mach/vm_statistics.h) */
	uint64_t page_size, total, free, active, wired, objects, map_entries, max_shadow_depth, faults, zero_fill,
		cow_faults, collapses, pages_copied, pageins, pageouts, pager_objects;
};
struct counters {
	struct ipc_stats ipc;
	struct vm_stats vm;
	unsigned long names; /* in our own space */
};

static long trap(unsigned n, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d, r8 __asm__("r8") = e, r9 __asm__("r9") = f;
	long ret;
	__asm__ volatile("syscall" : "=a"(ret)
			 : "a"(MACH_TRAP(n)), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

/* vm_statistics (vm.defs 4841) on our own task port: the request is the
 * header alone; the reply (id 4941, 160 bytes) the header, the return code,
 * 4 bytes of padding and the 16 counters. */
static uint32_t g_task;

static void vm_statistics(struct vm_stats *out)
{
	static uint32_t reply_port;
	if (!g_task) {
		g_task = (uint32_t)trap(TRAP_TASK_SELF, 0, 0, 0, 0, 0, 0);
		reply_port = (uint32_t)trap(TRAP_REPLY_PORT, 0, 0, 0, 0, 0, 0);
	}
	union {
		struct header h;
		uint64_t align;
		uint8_t bytes[256];
	} m;
	memset(&m, 0, sizeof m);
	m.h.bits = COPY_SEND | (MAKE_SEND_ONCE << 8);
	m.h.size = sizeof m.h;
	m.h.remote = g_task;
	m.h.local = reply_port;
	m.h.id = 4841;
	CHECK_EQ(trap(TRAP_MACH_MSG, (long)&m, SEND_MSG | RCV_MSG | SEND_TIMEOUT | RCV_TIMEOUT, sizeof m.h, sizeof m,
		      reply_port, 5000), 0);
	CHECK_EQ(m.h.id, 4941);
	CHECK_EQ(m.h.size, 160);
	int32_t code;
	memcpy(&code, m.bytes + 24, sizeof code);
	CHECK_EQ(code, 0);
	memcpy(out, m.bytes + 32, sizeof *out);
}

static void sleep_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000 };
	nanosleep(&t, 0);
}

static struct counters read_counters(void)
{
	struct counters c;
	/* Whatever is still ending settles first (a child's task is ended
	 * and reaped while we run on). */
	sleep_ms(50);
	CHECK_EQ(trap(TRAP_IPC_STATS, (long)&c.ipc, 0, 0, 0, 0, 0), 0);
	vm_statistics(&c.vm);
	static uint32_t names[4096], types[4096];
	uint32_t count = 0;
	CHECK_EQ(trap(TRAP_PORT_NAMES, (long)g_task, (long)names, (long)types, 4096, (long)&count, 0), 0);
	c.names = count;
	return c;
}

static void show(const char *when, const struct counters *c)
{
	t_print("t_leak: %s: ports %lu, port sets %lu, messages %lu, spaces %lu, ool bytes %lu, kalloc bytes %lu; "
		"pages free %lu, active %lu, wired %lu; objects %lu, map entries %lu; our names %lu\n",
		when, c->ipc.ports, c->ipc.port_sets, c->ipc.kmsgs, c->ipc.spaces, c->ipc.ool_bytes,
		c->ipc.kalloc_bytes, (unsigned long)c->vm.free, (unsigned long)c->vm.active,
		(unsigned long)c->vm.wired, (unsigned long)c->vm.objects, (unsigned long)c->vm.map_entries, c->names);
}

/* Counters that must come back exactly, and the slack of the others. */
static int differ(const char *phase, const struct counters *b, const struct counters *a)
{
	int bad = 0;
#define SAME(f) do { if (a->f != b->f) { \
	t_print("t_leak: %s: %s %ld -> %ld\n", phase, #f, (long)b->f, (long)a->f); bad = 1; } } while (0)
#define NEAR(f, slack) do { long d_ = (long)a->f - (long)b->f; if (d_ > (slack) || d_ < -(slack)) { \
	t_print("t_leak: %s: %s %ld -> %ld (more than %d apart)\n", phase, #f, (long)b->f, (long)a->f, (slack)); \
	bad = 1; } } while (0)
	SAME(ipc.ports);
	SAME(ipc.port_sets);
	SAME(ipc.kmsgs);
	SAME(ipc.spaces);
	SAME(ipc.ool_bytes);
	SAME(vm.wired);
	SAME(names);
	/* The rest may move a little without a leak: the kernel's kalloc
	 * blocks and its zones (a page of them) are taken as needed, and
	 * copy-on-write after a fork leaves shadow objects and entries
	 * that collapse later; the server's and our own stacks and heaps
	 * touch a page or two more. A leak per call or per process would be
	 * thousands. */
	NEAR(ipc.kalloc_bytes, 16384);
	NEAR(vm.free, 8);
	NEAR(vm.active, 8);
	NEAR(vm.objects, 4);
	NEAR(vm.map_entries, 4);
	return bad;
}

/* Reads the counters again (a few times: a child's end settles in the
 * background) until they are back at the baseline. */
static void expect_baseline(const char *phase, const struct counters *base)
{
	struct counters now = read_counters();
	for (int i = 0; i < 5 && differ(phase, base, &now); ++i) {
		sleep_ms(200);
		now = read_counters();
	}
	show(phase, &now);
	if (differ(phase, base, &now))
		t_fail(__FILE__, __LINE__, phase, 0, 0);
}

/* n children, each ending as how says: 0 _exit(0), 1 execve of /true
 * (which exits 0), 2 kill(getpid(), SIGTERM). The last two end a request
 * the server answers nothing to, as exit does (the reply right it must let
 * go: docs/robustness.md). */
static void forks(int n, int how)
{
	static char *const argv[] = { "/true", 0 }, *const envp[] = { 0 };
	for (int i = 0; i < n; ++i) {
		pid_t pid = fork();
		if (pid == 0) {
			if (how == 1)
				execve("/true", argv, envp);
			if (how == 2)
				kill(getpid(), SIGTERM);
			_exit(how == 0 ? 0 : 99);
		}
		CHECK(pid > 0);
		int status = -1;
		CHECK_EQ(waitpid(pid, &status, 0), pid);
		CHECK_EQ(status, how == 2 ? SIGTERM : 0);
	}
}

int main(void)
{
	/* First use: the server's and the library's caches (reply ports,
	 * heap blocks, process table slots) grow once, before the baseline;
	 * so does our own reply port for vm_statistics. */
	struct vm_stats first;
	vm_statistics(&first);
	for (int i = 0; i < 1000; ++i)
		(void)getppid();
	forks(20, 0);
	forks(5, 1);
	forks(5, 2);

	struct counters base = read_counters();
	show("baseline", &base);
	for (long i = 0; i < 100000; ++i)
		if (getppid() != 0)
			t_fail(__FILE__, __LINE__, "getppid() == 0", i, 0);
	expect_baseline("after 100000 getppid", &base);

	base = read_counters();
	forks(1000, 0);
	expect_baseline("after 1000 fork/exit/wait", &base);

	base = read_counters();
	forks(100, 1);
	forks(100, 2);
	expect_baseline("after 100 fork/execve/wait and 100 fork/kill self/wait", &base);
	t_pass();
}
