/* t_misc: uname, ids, clocks, nanosleep, getrandom, rlimits, arch_prctl,
 * set_tid_address, set_robust_list, rseq, prctl, rt_sigaction, rt_sigprocmask. */
#include "check.h"
#include <signal.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <time.h>

#define ARCH_SET_FS 0x1002   /* <asm/prctl.h>, not in musl's headers */
#define ARCH_GET_FS 0x1003

static long ns(const struct timespec *t) { return t->tv_sec * 1000000000L + t->tv_nsec; }

static void mono(struct timespec *t) { CHECK_EQ(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, t), 0); }

static uintptr_t fs0(void)
{
	uintptr_t v;
	__asm__ volatile("mov %%fs:0, %0" : "=r"(v));
	return v;
}

/* A raw syscall that touches no TLS (errno), for use while %fs is switched. */
static long raw2(long n, long a, long b)
{
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b) : "rcx", "r11", "memory");
	return r;
}

static void handler(int sig) { (void)sig; }
static void restorer(void) {}

struct ksigaction { void *handler; unsigned long flags; void *restorer; uint64_t mask; };

static void check_clocks(void)
{
	struct timespec a, b;
	mono(&a);
	for (int i = 0; i < 1000; i++) {
		mono(&b);
		CHECK(ns(&b) >= ns(&a));
		CHECK(b.tv_nsec >= 0 && b.tv_nsec < 1000000000L);
		a = b;
	}
	struct timespec rt;
	CHECK_EQ(syscall(SYS_clock_gettime, CLOCK_REALTIME, &rt), 0);
	CHECK(rt.tv_sec > 1577836800);                     /* 2020-01-01 */
	CHECK_ERR(syscall(SYS_clock_gettime, 12345, &rt), EINVAL);
	CHECK_ERR(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, (void *)8), EFAULT);
	CHECK_EQ(syscall(SYS_clock_getres, CLOCK_MONOTONIC, &a), 0);
	CHECK(a.tv_sec == 0 && a.tv_nsec > 0);

	struct timeval tv;
	CHECK_EQ(syscall(SYS_gettimeofday, &tv, NULL), 0);
	CHECK(tv.tv_sec > 1577836800 && tv.tv_usec >= 0 && tv.tv_usec < 1000000);
	CHECK(tv.tv_sec - rt.tv_sec >= 0 && tv.tv_sec - rt.tv_sec < 10);
	CHECK_EQ(gettimeofday(&tv, NULL), 0);

	struct timespec req = { 0, 50000000 };
	mono(&a);
	CHECK_EQ(syscall(SYS_nanosleep, &req, NULL), 0);
	mono(&b);
	CHECK(ns(&b) - ns(&a) >= 50000000L);
	CHECK(ns(&b) - ns(&a) < 5000000000L);
	req.tv_nsec = 2000000000L;
	CHECK_ERR(syscall(SYS_nanosleep, &req, NULL), EINVAL);
	req.tv_sec = -1; req.tv_nsec = 0;
	CHECK_ERR(syscall(SYS_nanosleep, &req, NULL), EINVAL);
	CHECK_ERR(syscall(SYS_nanosleep, (void *)8, NULL), EFAULT);
}

static void check_tls(void)
{
	unsigned long fs;
	CHECK_EQ(syscall(SYS_arch_prctl, ARCH_GET_FS, &fs), 0);
	CHECK(fs != 0);
	CHECK_EQ(fs, fs0());                               /* musl: self pointer */
	CHECK_EQ(fs, (uintptr_t)__builtin_thread_pointer());

	static uintptr_t block[64] __attribute__((aligned(64)));
	block[0] = (uintptr_t)block;
	unsigned long got = 0;
	long r1 = raw2(SYS_arch_prctl, ARCH_SET_FS, (long)block);
	uintptr_t seen = fs0();
	long r2 = raw2(SYS_arch_prctl, ARCH_GET_FS, (long)&got);
	long r3 = raw2(SYS_arch_prctl, ARCH_SET_FS, (long)fs);
	CHECK_EQ(r1, 0);
	CHECK_EQ(r2, 0);
	CHECK_EQ(r3, 0);
	CHECK_EQ(seen, (uintptr_t)block);
	CHECK_EQ(got, (uintptr_t)block);
	CHECK_EQ(fs0(), fs);
	CHECK_ERR(syscall(SYS_arch_prctl, 0x9999, 0), EINVAL);
	CHECK_ERR(syscall(SYS_arch_prctl, ARCH_GET_FS, (void *)8), EFAULT);
}

static void check_signals(void)
{
	struct ksigaction act = { (void *)handler, SA_RESTORER | SA_RESTART,
				  (void *)restorer, 1UL << (SIGUSR2 - 1) }, old;
	CHECK_EQ(syscall(SYS_rt_sigaction, SIGUSR1, &act, &old, 8), 0);
	CHECK(old.handler == SIG_DFL);
	memset(&old, 0, sizeof old);
	CHECK_EQ(syscall(SYS_rt_sigaction, SIGUSR1, NULL, &old, 8), 0);
	CHECK(old.handler == (void *)handler);
	CHECK(old.flags == (SA_RESTORER | SA_RESTART));
	CHECK(old.restorer == (void *)restorer);
	CHECK_EQ(old.mask, 1UL << (SIGUSR2 - 1));
	act.handler = SIG_IGN;
	CHECK_EQ(syscall(SYS_rt_sigaction, SIGUSR1, &act, &old, 8), 0);
	CHECK(old.handler == (void *)handler);
	act.handler = SIG_DFL;
	CHECK_EQ(syscall(SYS_rt_sigaction, SIGUSR1, &act, NULL, 8), 0);
	CHECK_ERR(syscall(SYS_rt_sigaction, SIGKILL, &act, NULL, 8), EINVAL);
	CHECK_ERR(syscall(SYS_rt_sigaction, SIGSTOP, &act, NULL, 8), EINVAL);
	CHECK_ERR(syscall(SYS_rt_sigaction, 0, &act, NULL, 8), EINVAL);
	CHECK_ERR(syscall(SYS_rt_sigaction, 65, &act, NULL, 8), EINVAL);
	CHECK_ERR(syscall(SYS_rt_sigaction, SIGUSR1, &act, NULL, 4), EINVAL);
	CHECK_ERR(syscall(SYS_rt_sigaction, SIGUSR1, (void *)8, NULL, 8), EFAULT);

	uint64_t set = 1UL << (SIGUSR1 - 1), o = ~0UL, cur;
	CHECK_EQ(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, &o, 8), 0);
	CHECK_EQ(o & set, 0);
	CHECK_EQ(syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &cur, 8), 0);
	CHECK_EQ(cur & set, set);
	CHECK_EQ(syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, &set, &o, 8), 0);
	CHECK_EQ(o & set, set);
	CHECK_EQ(syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &cur, 8), 0);
	CHECK_EQ(cur & set, 0);
	uint64_t kill = (1UL << (SIGKILL - 1)) | (1UL << (SIGSTOP - 1));
	CHECK_EQ(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &kill, NULL, 8), 0);
	CHECK_EQ(syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &cur, 8), 0);
	CHECK_EQ(cur & kill, 0);                           /* silently not blocked */
	CHECK_EQ(syscall(SYS_rt_sigprocmask, SIG_SETMASK, &cur, &o, 8), 0);
	CHECK_EQ(o, cur);
	CHECK_ERR(syscall(SYS_rt_sigprocmask, 99, &set, NULL, 8), EINVAL);
	CHECK_ERR(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 4), EINVAL);
	CHECK_ERR(syscall(SYS_rt_sigprocmask, SIG_BLOCK, (void *)8, NULL, 8), EFAULT);
}

int main(void)
{
	struct utsname u;
	CHECK_EQ(uname(&u), 0);
	CHECK(strcmp(u.sysname, "Linux") == 0);
	CHECK(strcmp(u.machine, "x86_64") == 0);
	CHECK(memchr(u.sysname, 0, sizeof u.sysname) && memchr(u.nodename, 0, sizeof u.nodename));
	CHECK(memchr(u.release, 0, sizeof u.release) && memchr(u.version, 0, sizeof u.version));
	CHECK(memchr(u.machine, 0, sizeof u.machine) && memchr(u.domainname, 0, sizeof u.domainname));
	CHECK(u.release[0] != 0);
	CHECK_ERR(syscall(SYS_uname, (void *)8), EFAULT);

	pid_t pid = getpid();
	CHECK(pid > 0);
	CHECK_EQ(getpid(), pid);
	CHECK_EQ(syscall(SYS_gettid), pid);
	CHECK(getppid() >= 0);
	CHECK_EQ(getuid(), 0);
	CHECK_EQ(geteuid(), 0);
	CHECK_EQ(getgid(), 0);
	CHECK_EQ(getegid(), 0);

	check_clocks();

	unsigned char r1[64], r2[64];
	CHECK_EQ(syscall(SYS_getrandom, r1, 64, 0), 64);
	CHECK_EQ(syscall(SYS_getrandom, r2, 64, 0), 64);
	CHECK(memcmp(r1, r2, 64) != 0);
	CHECK_ERR(syscall(SYS_getrandom, (void *)8, 64, 0), EFAULT);

	struct rlimit rl;
	CHECK_EQ(syscall(SYS_prlimit64, 0, RLIMIT_STACK, NULL, &rl), 0);
	CHECK(rl.rlim_cur != 0 && rl.rlim_cur <= rl.rlim_max);
	CHECK_EQ(getrlimit(RLIMIT_STACK, &rl), 0);
	CHECK(rl.rlim_cur != 0 && rl.rlim_cur <= rl.rlim_max);
	CHECK_EQ(syscall(SYS_getrlimit, RLIMIT_NOFILE, &rl), 0);
	CHECK(rl.rlim_cur >= 3 && rl.rlim_cur <= rl.rlim_max);
	CHECK_EQ(syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &rl), 0);
	CHECK(rl.rlim_cur >= 3 && rl.rlim_cur <= rl.rlim_max);
	CHECK_ERR(syscall(SYS_prlimit64, 0, 9999, NULL, &rl), EINVAL);

	check_tls();

	static int ctid;
	CHECK_EQ(syscall(SYS_set_tid_address, &ctid), pid);

	static struct { void *next; long off; void *pending; } head = { &head, 0, NULL };
	long r = syscall(SYS_set_robust_list, &head, sizeof head);
	CHECK(r == 0 || errno == ENOSYS);
	if (r == 0)
		CHECK_ERR(syscall(SYS_set_robust_list, &head, sizeof head + 1), EINVAL);

	static struct { uint32_t cpu_id_start, cpu_id; uint64_t cs; uint32_t flags, pad[3]; }
		rs __attribute__((aligned(32))) = { 0, (uint32_t)-1, 0, 0, { 0 } };
	r = syscall(SYS_rseq, &rs, sizeof rs, 0, 0x53053053);
	CHECK(r == 0 || errno == ENOSYS);

	char name[16] = { 0 };
	CHECK_EQ(prctl(PR_SET_NAME, "abc", 0, 0, 0), 0);
	CHECK_EQ(prctl(PR_GET_NAME, name, 0, 0, 0), 0);
	CHECK(strcmp(name, "abc") == 0);

	check_signals();
	t_pass();
}
