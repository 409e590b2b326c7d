/* t_sysfuzz SEED N [VERBOSE_FROM]: a Linux system-call fuzzer against the
 * emulation library and the Unix server (docs/robustness.md).
 *
 * N calls (default 5000) drawn from a xorshift64* generator seeded with SEED
 * (default 1): 70% from the calls the library implements, with arguments
 * shaped for each (file descriptors, paths from a table, buffers, flags,
 * lengths, sometimes wrong), 30% any number (0..460, beyond, x32-tagged,
 * random 64-bit) with random arguments. The sequence depends only on the
 * seed (no result feeds the generator), so a failure is replayed by running
 * the same seed; VERBOSE_FROM prints every call from that index on.
 *
 * The fuzzer must survive to report, so some calls are refused or tamed
 * before they are issued (sanitize()): nothing that ends, replaces or
 * duplicates the process, nothing that waits (no sleep over 1 ms, every poll
 * and select with a zero timeout, wait4/waitid with WNOHANG, pipes made
 * non-blocking, no blocking lock), no signal but 0 to itself, no handler but
 * SIG_IGN and SIG_DFL (SIGPIPE always SIG_IGN), no TLS base change, no
 * unmapping or reprotecting its own memory, and no pointer the kernel or the
 * server could write through into its own code or data: pointers are NULL,
 * small integers, kernel addresses, unmapped user addresses, a 64 KiB
 * scratch buffer with unmapped guard pages, a read-only page, and paths from
 * a read-only table. Name-space changes only go to /tmp/fz. fds 0, 1, 2 are
 * /dev/null (random writes cannot flood the console, and nothing reads the
 * console); the report goes to a copy of the console at fd 200, and no fd
 * from 190 up is ever passed.
 *
 * The end: the counts, then the server must still answer (getppid() is 0
 * for pid 1, a write to the saved console, /etc/motd read whole), which is
 * also checked every 250 calls. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define OUT_FD 200      /* the console, for the report */
#define FD_LIMIT 190    /* fds from here up are never passed */
#define SCRATCH_SIZE 0x10000ull
/* The fixture: below the library's mmap base (0x100000000000), so no mmap
 * without MAP_FIXED lands there, with unmapped pages between its parts. */
#define FIX_LO 0x0e0000000000ull
#define SCRATCH (FIX_LO)                 /* 64 KiB, read-write */
#define ROPAGE (FIX_LO + 0x100000000ull) /* 4 KiB, read-only, zeros then a pattern */
#define PATHS (FIX_LO + 0x200000000ull)  /* 8 KiB, read-only: the path table */
#define BUILT (FIX_LO + 0x300000000ull)  /* 4 KiB: structures built for a call */
#define FIX_HI (FIX_LO + 0x400000000ull)
#define FUZZ_ZONE 0x0f0000000000ull      /* where MAP_FIXED goes when it would hit us */
#define STACK_LO 0x7fd000000000ull       /* info page, library, stack: up to the top */
#define USER_TOP 0x800000000000ull

extern char __executable_start[], _end[];

static uint64_t g_seed, g_rng, g_index, g_verbose_from = ~0ull;
static long g_pid;
static unsigned long g_calls, g_enosys, g_efault, g_refused;
static uint8_t g_seen[1025];
static unsigned g_distinct;

/* ------------------------------------------------------------ output */

static long sys6(uint64_t nr, uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, uint64_t f)
{
	register uint64_t r10 __asm__("r10") = d, r8 __asm__("r8") = e, r9 __asm__("r9") = f;
	long ret;
	__asm__ volatile("syscall" : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}
#define SYS(...) sys_n(__VA_ARGS__, 0, 0, 0, 0, 0, 0)
#define sys_n(nr, a, b, c, d, e, f, ...) sys6((nr), (uint64_t)(a), (uint64_t)(b), (uint64_t)(c), \
					      (uint64_t)(d), (uint64_t)(e), (uint64_t)(f))

static void say(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof buf - 1)
		n = sizeof buf - 1;
	if (n > 0)
		(void)SYS(SYS_write, OUT_FD, buf, n);
}

static __attribute__((noreturn)) void fail(int line, const char *what, long ret)
{
	say("t_sysfuzz: FAIL line %d: %s (ret=%ld) after call %llu; reproduce: t_sysfuzz %llu %llu\n",
	    line, what, ret, (unsigned long long)g_index, (unsigned long long)g_seed,
	    (unsigned long long)g_index + 1);
	_exit(1);
}
#define EXPECT(cond, ret) do { if (!(cond)) fail(__LINE__, #cond, (long)(ret)); } while (0)

/* ------------------------------------------------------------ generator */

static uint64_t rnd(void)
{
	g_rng ^= g_rng >> 12;
	g_rng ^= g_rng << 25;
	g_rng ^= g_rng >> 27;
	return g_rng * 0x2545f4914f6cdd1dull;
}
static uint64_t below(uint64_t n) { return n ? rnd() % n : 0; }
static int pct(unsigned p) { return below(100) < p; }

/* The path table, in the read-only PATHS pages. tmp paths first: the only
 * ones name-space changes get. */
static const char *const kTmpPaths[] = {
	"/tmp/fz/a", "/tmp/fz/b", "/tmp/fz/d", "/tmp/fz/d/e", "/tmp/fz/l", "/tmp/fz", "/tmp/fz/d/../c",
	"a", "b", "c", "d", "d/e", "l", "../fz/b", "/tmp/fz/a/x", "/tmp/fz/l/x", "/tmp/fz/",
};
static const char *const kOtherPaths[] = {
	"/etc/motd", "/nope", "", "/dev/null", "/dev/zero", "/", "/tmp", "/etc", "/dev", "/bin",
	"/proc/self/exe", "/proc/1/exe", "/bin/t_sysfuzz", ".", "..", "/etc/motd/", "//etc///motd",
	"/dev/nope", "/tmp/nope/x",
};
#define NTMP (sizeof kTmpPaths / sizeof *kTmpPaths)
#define NOTHER (sizeof kOtherPaths / sizeof *kOtherPaths)
static uint64_t g_tmp_path[NTMP], g_other_path[NOTHER + 3];

static void build_paths(void)
{
	char *p = (char *)PATHS, *at = p;
	for (unsigned i = 0; i < NTMP; ++i) {
		g_tmp_path[i] = (uint64_t)at;
		at = stpcpy(at, kTmpPaths[i]) + 1;
	}
	for (unsigned i = 0; i < NOTHER; ++i) {
		g_other_path[i] = (uint64_t)at;
		at = stpcpy(at, kOtherPaths[i]) + 1;
	}
	/* 5000 bytes with no NUL in the first 4096: ENAMETOOLONG. */
	at = (char *)((uint64_t)(at + 15) & ~15ull);
	g_other_path[NOTHER] = (uint64_t)at;
	memcpy(at, "/tmp/fz/", 8);
	memset(at + 8, 'x', 4992);
	at[5000] = 0;
	/* A path whose NUL is the last byte before the unmapped page, and one
	 * that runs into it (EFAULT). */
	const char *edge = "/tmp/fz/a";
	g_other_path[NOTHER + 1] = PATHS + 0x2000 - strlen(edge) - 1;
	strcpy((char *)g_other_path[NOTHER + 1], edge);
	g_other_path[NOTHER + 2] = PATHS + 0x2000 - 3 - 0x20;
	memset((char *)g_other_path[NOTHER + 2], 'y', 3);
}

static int in_fixture(uint64_t v) { return v >= FIX_LO && v < FIX_HI; }
static int in_paths(uint64_t v) { return v >= PATHS && v < PATHS + 0x2000; }

static uint64_t scratch_ptr(void)
{
	/* 8-aligned: a directory entry's name (odd offsets) is never a path. */
	switch (below(6)) {
	case 0: return SCRATCH;
	case 1: return SCRATCH + SCRATCH_SIZE - 8 * (1 + below(32)); /* near the guard */
	default: return SCRATCH + (below(SCRATCH_SIZE) & ~7ull);
	}
}
static uint64_t bad_ptr(void)
{
	switch (below(6)) {
	case 0: return 0;
	case 1: return 1 + below(4095);
	case 2: return 0xffff800000000000ull + (below(1u << 30) << 12);
	case 3: return 0xffffffff80000000ull + below(1u << 20);
	case 4: return 0x0a0000000000ull + (below(1ull << 32) & ~7ull); /* unmapped user */
	default: return USER_TOP + below(4096);                        /* non-canonical */
	}
}
static uint64_t path_any(void)
{
	unsigned r = below(100);
	if (r < 35) return g_tmp_path[below(NTMP)];
	if (r < 85) return g_other_path[below(NOTHER + 3)];
	if (r < 92) return bad_ptr();
	return scratch_ptr();
}
static uint64_t path_tmp(void)
{
	unsigned r = below(100);
	if (r < 85) return g_tmp_path[below(NTMP)];
	if (r < 90) return g_other_path[NOTHER + below(3)];
	if (r < 95) return g_other_path[2]; /* "" */
	return bad_ptr();
}
/* Memory the call writes. */
static uint64_t ptr_out(void)
{
	unsigned r = below(100);
	if (r < 75) return scratch_ptr();
	if (r < 85) return ROPAGE + (below(4096) & ~7ull);
	return bad_ptr();
}
/* Memory the call reads. */
static uint64_t ptr_in(void)
{
	unsigned r = below(100);
	if (r < 60) return scratch_ptr();
	if (r < 70) return ROPAGE + (below(4096) & ~7ull);
	if (r < 80) return path_any();
	return bad_ptr();
}
static uint64_t ptr_any(void) { return pct(50) ? ptr_out() : ptr_in(); }

static uint64_t fd(void)
{
	unsigned r = below(100);
	if (r < 60) return below(10);
	if (r < 75) return 3 + below(6);
	if (r < 82) return below(FD_LIMIT);
	if (r < 86) return (uint64_t)-1;
	if (r < 90) return (uint64_t)-100; /* AT_FDCWD */
	if (r < 93) return FD_LIMIT - 1;
	if (r < 96) return 256 + below(1000);
	return rnd();
}
static uint64_t dirfd(void) { return pct(50) ? (uint64_t)-100 : fd(); }

static uint64_t len(void)
{
	unsigned r = below(100);
	if (r < 5) return 0;
	if (r < 45) return 1 + below(64);
	if (r < 75) return 1 + below(4096);
	if (r < 88) return 1 + below(SCRATCH_SIZE);
	if (r < 92) return SCRATCH_SIZE + below(SCRATCH_SIZE);
	switch (below(4)) {
	case 0: return 1ull << 31;
	case 1: return ~0ull;
	case 2: return 1ull << 63;
	default: return rnd();
	}
}
static uint64_t offset(void)
{
	unsigned r = below(100);
	if (r < 40) return below(4096);
	if (r < 70) return below(1 << 20);
	if (r < 80) return (uint64_t)-1 - below(4096);
	if (r < 90) return 1ull << below(64);
	return rnd();
}
static uint64_t flags_from(const uint64_t *bits, unsigned n)
{
	uint64_t f = 0;
	for (unsigned i = 0; i < n; ++i)
		if (pct(30))
			f |= bits[i];
	if (pct(5))
		f |= 1ull << below(32);
	return f;
}
static uint64_t open_flags(void)
{
	static const uint64_t b[] = { O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_NONBLOCK,
				      O_DIRECTORY, O_NOFOLLOW, O_CLOEXEC, O_PATH, O_NOCTTY, O_TMPFILE, O_SYNC };
	uint64_t f = flags_from(b, sizeof b / sizeof *b);
	if (pct(50))
		f &= ~(uint64_t)(O_WRONLY | O_RDWR | O_TMPFILE | O_TRUNC);
	return f;
}
static uint64_t any_arg(void)
{
	unsigned r = below(100);
	if (r < 15) return below(17);
	if (r < 25) return below(FD_LIMIT);
	if (r < 30) return (uint64_t)-1;
	if (r < 33) return (uint64_t)-100;
	if (r < 43) return (uint32_t)rnd();
	if (r < 53) return rnd();
	if (r < 58) return (1ull << below(64)) + below(3) - 1;
	if (r < 60) return pct(50) ? 0x7fffffff : 0x80000000;
	return ptr_any();
}

/* ------------------------------------------------------------ built structures */

static uint64_t *built(void)
{
	memset((void *)BUILT, 0, 4096);
	return (uint64_t *)BUILT;
}
static uint64_t built_zero_time(void) { built(); return BUILT; }
static uint64_t built_short_sleep(void)
{
	uint64_t *t = built();
	t[0] = 0;
	t[1] = below(1000001); /* at most 1 ms */
	return BUILT;
}
static uint64_t built_sigaction(int sig)
{
	uint64_t *a = built();
	a[0] = (sig == SIGPIPE || pct(50)) ? (uint64_t)SIG_IGN : (uint64_t)SIG_DFL;
	a[1] = pct(50) ? 0 : (rnd() & 0xffffffff & ~0x04000000ull) /* SA_RESTORER */;
	a[2] = 0;
	a[3] = rnd();
	return BUILT;
}
static uint64_t built_rlimit(void)
{
	uint64_t *l = built();
	l[0] = l[1] = ~0ull;
	return BUILT;
}
static uint64_t built_iov(unsigned n)
{
	uint64_t *v = built();
	for (unsigned i = 0; i < n && i < 16; ++i) {
		unsigned r = below(100);
		if (r < 70) {
			uint64_t p = scratch_ptr();
			v[2 * i] = p;
			v[2 * i + 1] = below(SCRATCH + SCRATCH_SIZE - p + 1);
		} else if (r < 80) {
			v[2 * i] = ROPAGE;
			v[2 * i + 1] = below(4097);
		} else {
			v[2 * i] = bad_ptr();
			v[2 * i + 1] = len();
		}
	}
	return BUILT;
}
static uint64_t built_pollfds(unsigned n)
{
	uint32_t *p = (uint32_t *)built();
	for (unsigned i = 0; i < n && i < 64; ++i) {
		p[2 * i] = (uint32_t)fd();
		p[2 * i + 1] = (uint32_t)below(0x10000);
	}
	return BUILT;
}

/* ------------------------------------------------------------ the calls */

struct call {
	uint64_t nr, a[6];
};

static void gen_implemented(struct call *c)
{
	uint64_t *a = c->a;
	switch (below(52)) {
	case 0: c->nr = SYS_read; a[0] = fd(); a[1] = ptr_out(); a[2] = len(); break;
	case 1: c->nr = SYS_write; a[0] = fd(); a[1] = ptr_in(); a[2] = len(); break;
	case 2: c->nr = SYS_openat; a[0] = dirfd(); a[1] = path_any(); a[2] = open_flags(); a[3] = below(01000); break;
	case 3: c->nr = SYS_open; a[0] = path_any(); a[1] = open_flags(); a[2] = below(01000); break;
	case 4: c->nr = SYS_close; a[0] = fd(); break;
	case 5: c->nr = SYS_lseek; a[0] = fd(); a[1] = offset(); a[2] = pct(90) ? below(5) : rnd(); break;
	case 6: c->nr = SYS_fstat; a[0] = fd(); a[1] = ptr_out(); break;
	case 7: c->nr = SYS_newfstatat; a[0] = dirfd(); a[1] = path_any(); a[2] = ptr_out();
		a[3] = pct(80) ? (uint64_t[]){ 0, 0x100, 0x1000, 0x800 }[below(4)] : rnd(); break;
	case 8: c->nr = pct(80) ? SYS_getdents64 : SYS_getdents; a[0] = fd(); a[1] = ptr_out(); a[2] = len(); break;
	case 9: c->nr = SYS_readlinkat; a[0] = dirfd(); a[1] = path_any(); a[2] = ptr_out(); a[3] = len(); break;
	case 10: c->nr = pct(70) ? SYS_faccessat : 439 /* faccessat2 */; a[0] = dirfd(); a[1] = path_any();
		a[2] = pct(90) ? below(8) : rnd(); a[3] = pct(70) ? 0 : (pct(50) ? 0x200 : rnd()); break;
	case 11: {
		static const uint64_t cmds[] = { 0x5401, 0x5402, 0x5403, 0x5404, 0x5413, 0x5414, 0x540f, 0x5410,
						 0x541b, 0x5451, 0x5450, 0x5409, 0x540b, 0x5422, 0x80045430 };
		c->nr = SYS_ioctl; a[0] = fd(); a[1] = pct(80) ? cmds[below(sizeof cmds / sizeof *cmds)] : rnd();
		a[2] = ptr_any(); break;
	}
	case 12: {
		static const uint64_t b[] = { MAP_PRIVATE, MAP_SHARED, MAP_ANONYMOUS, MAP_FIXED, MAP_FIXED_NOREPLACE,
					      MAP_NORESERVE, MAP_POPULATE, MAP_GROWSDOWN, MAP_STACK };
		c->nr = SYS_mmap; a[0] = pct(50) ? 0 : FUZZ_ZONE + (below(1 << 20) << 12);
		a[1] = pct(80) ? 1 + below(1 << 20) : len(); a[2] = pct(90) ? below(8) : rnd();
		a[3] = flags_from(b, sizeof b / sizeof *b); a[4] = pct(50) ? (uint64_t)-1 : fd();
		a[5] = pct(80) ? below(4) << 12 : offset(); break;
	}
	case 13: c->nr = SYS_munmap; a[0] = pct(70) ? FUZZ_ZONE + (below(1 << 20) << 12) : any_arg(); a[1] = len(); break;
	case 14: c->nr = SYS_mprotect; a[0] = pct(70) ? FUZZ_ZONE + (below(1 << 20) << 12) : any_arg(); a[1] = len();
		a[2] = pct(90) ? below(8) : rnd(); break;
	case 15: c->nr = SYS_brk; a[0] = pct(30) ? 0 : (uint64_t)_end + below(1 << 24) - (1 << 20); break;
	case 16: c->nr = pct(70) ? SYS_pipe2 : SYS_pipe; a[0] = ptr_out();
		a[1] = pct(80) ? (uint64_t[]){ 0, O_CLOEXEC, O_NONBLOCK, O_DIRECT }[below(4)] : rnd(); break;
	case 17: c->nr = SYS_dup; a[0] = fd(); break;
	case 18: c->nr = pct(50) ? SYS_dup3 : SYS_dup2; a[0] = fd(); a[1] = fd(); a[2] = pct(70) ? 0 : (pct(50) ? O_CLOEXEC : rnd()); break;
	case 19: c->nr = SYS_fcntl; a[0] = fd(); a[1] = pct(80) ? below(12) : (pct(50) ? 1024 + below(20) : rnd());
		a[2] = pct(50) ? below(300) : any_arg(); break;
	case 20: { unsigned n = pct(80) ? below(9) : (unsigned)below(300);
		c->nr = SYS_poll; a[0] = pct(70) ? built_pollfds(n) : ptr_any(); a[1] = n; a[2] = 0; break; }
	case 21: c->nr = SYS_getcwd; a[0] = ptr_out(); a[1] = len(); break;
	case 22: c->nr = SYS_chdir; a[0] = path_tmp(); break;
	case 23: c->nr = pct(50) ? SYS_mkdirat : SYS_mkdir;
		if (c->nr == SYS_mkdir) { a[0] = path_tmp(); a[1] = below(010000); }
		else { a[0] = dirfd(); a[1] = path_tmp(); a[2] = below(010000); }
		break;
	case 24: c->nr = SYS_unlinkat; a[0] = dirfd(); a[1] = path_tmp(); a[2] = pct(80) ? (pct(50) ? 0 : 0x200) : rnd(); break;
	case 25: c->nr = pct(60) ? SYS_renameat : 316 /* renameat2 */; a[0] = dirfd(); a[1] = path_tmp(); a[2] = dirfd();
		a[3] = path_tmp(); a[4] = pct(70) ? below(8) : rnd(); break;
	case 26: c->nr = SYS_symlinkat; a[0] = path_any(); a[1] = dirfd(); a[2] = path_tmp(); break;
	case 27: c->nr = SYS_linkat; a[0] = dirfd(); a[1] = path_tmp(); a[2] = dirfd(); a[3] = path_tmp();
		a[4] = pct(70) ? (pct(50) ? 0 : 0x400) : rnd(); break;
	case 28: if (pct(50)) { c->nr = SYS_truncate; a[0] = path_tmp(); } else { c->nr = SYS_ftruncate; a[0] = fd(); }
		a[1] = pct(70) ? below(1 << 16) : offset(); break;
	case 29: c->nr = SYS_uname; a[0] = ptr_out(); break;
	case 30: c->nr = SYS_getrandom; a[0] = ptr_out(); a[1] = len(); a[2] = pct(80) ? below(8) : rnd(); break;
	case 31: c->nr = pct(70) ? SYS_clock_gettime : SYS_clock_getres; a[0] = pct(80) ? below(12) : rnd(); a[1] = ptr_out(); break;
	case 32: c->nr = pct(70) ? SYS_prlimit64 : (pct(50) ? SYS_getrlimit : SYS_setrlimit);
		if (c->nr == SYS_prlimit64) {
			a[0] = pct(60) ? 0 : (pct(50) ? (uint64_t)g_pid : below(100)); a[1] = pct(90) ? below(17) : rnd();
			a[2] = pct(60) ? 0 : (pct(50) ? built_rlimit() : bad_ptr()); a[3] = pct(20) ? 0 : ptr_out();
		} else {
			a[0] = pct(90) ? below(17) : rnd();
			a[1] = c->nr == SYS_setrlimit ? (pct(50) ? built_rlimit() : bad_ptr()) : ptr_out();
		}
		break;
	case 33: c->nr = SYS_rt_sigprocmask; a[0] = pct(90) ? below(4) : rnd(); a[1] = pct(30) ? 0 : ptr_in();
		a[2] = pct(30) ? 0 : ptr_out(); a[3] = pct(90) ? 8 : below(64); break;
	case 34: { int sig = (int)(pct(90) ? below(66) : rnd());
		c->nr = SYS_rt_sigaction; a[0] = (uint64_t)sig; a[1] = pct(30) ? 0 : (pct(80) ? built_sigaction(sig) : bad_ptr());
		a[2] = pct(30) ? 0 : ptr_out(); a[3] = pct(90) ? 8 : below(64); break; }
	case 35: { static const uint64_t ids[] = { SYS_getpid, SYS_getppid, SYS_gettid, SYS_getuid, SYS_geteuid, SYS_getgid,
						   SYS_getegid, SYS_getpgrp, SYS_setsid, SYS_sched_yield, SYS_sync };
		c->nr = ids[below(sizeof ids / sizeof *ids)]; break; }
	case 36: c->nr = SYS_sendfile; a[0] = fd(); a[1] = fd(); a[2] = pct(50) ? 0 : ptr_any(); a[3] = len(); break;
	case 37: c->nr = pct(50) ? SYS_pread64 : SYS_pwrite64; a[0] = fd(); a[1] = c->nr == SYS_pread64 ? ptr_out() : ptr_in();
		a[2] = len(); a[3] = offset(); break;
	case 38: { static const uint64_t ids[] = { SYS_readv, SYS_writev, SYS_preadv, SYS_pwritev };
		unsigned n = pct(90) ? below(17) : (unsigned)below(2000);
		c->nr = ids[below(4)]; a[0] = fd(); a[1] = pct(85) ? built_iov(n) : bad_ptr(); a[2] = n; a[3] = offset(); a[4] = 0; break; }
	case 39: { unsigned n = pct(80) ? below(16) : (unsigned)below(2048);
		switch (below(3)) {
		case 0: c->nr = SYS_select; break;
		case 1: c->nr = SYS_pselect6; break;
		default: c->nr = SYS_ppoll; break;
		}
		if (c->nr == SYS_ppoll) { a[0] = pct(50) ? built_pollfds(n) : ptr_any(); a[1] = n; a[3] = pct(50) ? 0 : ptr_in(); a[4] = 8; }
		else { a[0] = n; a[1] = pct(30) ? 0 : ptr_out(); a[2] = pct(50) ? 0 : ptr_out(); a[3] = pct(70) ? 0 : ptr_out(); a[5] = 0; }
		break; }
	case 40: if (pct(50)) { c->nr = SYS_nanosleep; a[0] = pct(80) ? 1 : bad_ptr(); a[1] = pct(50) ? 0 : ptr_out(); }
		else { c->nr = SYS_clock_nanosleep; a[0] = pct(80) ? below(2) : rnd(); a[1] = pct(80) ? 0 : below(4);
			a[2] = pct(80) ? 1 : bad_ptr(); a[3] = pct(50) ? 0 : ptr_out(); }
		break;
	case 41: if (pct(50)) { c->nr = SYS_wait4; a[0] = pct(50) ? (uint64_t)-1 : rnd(); a[1] = pct(50) ? 0 : ptr_out();
			a[2] = below(16); a[3] = pct(50) ? 0 : ptr_out(); }
		else { c->nr = SYS_waitid; a[0] = below(4); a[1] = below(100); a[2] = pct(50) ? 0 : ptr_out();
			a[3] = below(0x10) | (pct(80) ? 4 : 0); a[4] = pct(50) ? 0 : ptr_out(); }
		break;
	case 42: c->nr = (uint64_t[]){ SYS_kill, SYS_tkill, SYS_tgkill }[below(3)]; break; /* tamed below */
	case 43: { static const uint64_t ids[] = { SYS_umask, SYS_sysinfo, SYS_times, SYS_getrusage, SYS_gettimeofday, SYS_time };
		c->nr = ids[below(6)]; a[0] = c->nr == SYS_umask ? below(01000) : (c->nr == SYS_getrusage ? below(3) - 1 : ptr_out());
		a[1] = ptr_out(); break; }
	case 44: c->nr = SYS_fchdir; a[0] = fd(); break;
	case 45: if (pct(50)) { c->nr = SYS_statfs; a[0] = path_any(); } else { c->nr = SYS_fstatfs; a[0] = fd(); } a[1] = ptr_out(); break;
	case 46: c->nr = (uint64_t[]){ SYS_fsync, SYS_fdatasync, SYS_syncfs }[below(3)]; a[0] = fd(); break;
	case 47: switch (below(4)) {
		case 0: c->nr = SYS_chmod; a[0] = path_tmp(); a[1] = below(010000); break;
		case 1: c->nr = SYS_fchmodat; a[0] = dirfd(); a[1] = path_tmp(); a[2] = below(010000); break;
		case 2: c->nr = SYS_fchmod; a[0] = fd(); a[1] = below(010000); break;
		default: c->nr = SYS_utimensat; a[0] = dirfd(); a[1] = pct(80) ? path_tmp() : 0; a[2] = pct(50) ? 0 : ptr_in();
			a[3] = pct(80) ? (pct(50) ? 0 : 0x100) : rnd(); break;
		}
		break;
	case 48: if (pct(50)) { c->nr = SYS_madvise; a[0] = FUZZ_ZONE + (below(1 << 20) << 12); a[1] = len(); a[2] = below(30); }
		else { c->nr = SYS_mremap; a[0] = FUZZ_ZONE + (below(1 << 20) << 12); a[1] = len(); a[2] = len(); a[3] = below(8);
			a[4] = FUZZ_ZONE + (below(1 << 20) << 12); }
		break;
	case 49: c->nr = SYS_prctl; a[0] = pct(70) ? (pct(50) ? 15 : 16) : below(60); a[1] = ptr_any(); break;
	case 50: c->nr = SYS_sigaltstack; a[0] = pct(30) ? 0 : ptr_in(); a[1] = pct(30) ? 0 : ptr_out(); break;
	default: c->nr = (uint64_t[]){ SYS_stat, SYS_lstat, SYS_access, SYS_readlink }[below(4)]; a[0] = path_any();
		a[1] = c->nr == SYS_access ? below(8) : ptr_out(); a[2] = len(); break;
	}
}

static void gen_any(struct call *c)
{
	unsigned r = below(100);
	if (r < 70) c->nr = below(461);
	else if (r < 82) c->nr = 461 + below(600);
	else if (r < 88) c->nr = 0x40000000 | below(550); /* x32 numbers */
	else if (r < 95) c->nr = (uint32_t)rnd();
	else {
		c->nr = rnd();
		if ((c->nr >> 32) == 0x4d414348) /* the Mach trap tag: not a system call */
			c->nr ^= 1ull << 40;
	}
	for (int i = 0; i < 6; ++i)
		c->a[i] = any_arg();
}

/* [lo, lo + n) (page-rounded, n may be huge) meets the fuzzer's own memory */
static int hits_us(uint64_t lo, uint64_t n)
{
	lo &= ~4095ull;
	uint64_t rn = (n + 4095) & ~4095ull;
	if (rn < n)
		rn = ~4095ull;
	uint64_t hi = lo + rn + 4096;
	if (hi < lo)
		hi = ~0ull;
	uint64_t img_lo = (uint64_t)__executable_start & ~4095ull, img_hi = ((uint64_t)_end + 4095) & ~4095ull;
	return (lo < img_hi && hi > img_lo) || (lo < FIX_HI && hi > FIX_LO) || hi > STACK_LO;
}

/* A path name-space changes may get: /tmp ones, "", the long and the edge ones. */
static int tmp_ok(uint64_t v)
{
	for (unsigned i = 0; i < NTMP; ++i)
		if (v == g_tmp_path[i])
			return 1;
	return v == g_other_path[2] || v == g_other_path[NOTHER] || v == g_other_path[NOTHER + 1] ||
	       v == g_other_path[NOTHER + 2];
}

static int is_mutating(uint64_t nr)
{
	switch (nr) {
	case SYS_unlink: case SYS_unlinkat: case SYS_rmdir: case SYS_rename: case SYS_renameat: case 316:
	case SYS_link: case SYS_linkat: case SYS_symlink: case SYS_symlinkat: case SYS_mkdir: case SYS_mkdirat:
	case SYS_truncate: case SYS_chmod: case SYS_fchmodat: case SYS_chown: case SYS_lchown: case SYS_fchownat:
	case SYS_utimensat: case SYS_utime: case SYS_utimes: case SYS_creat: case SYS_mknod: case SYS_mknodat:
	case SYS_chdir:
		return 1;
	}
	return 0;
}

/* Makes c harmless to the fuzzer (see the top comment); 0: not issued. */
static int sanitize(struct call *c)
{
	uint64_t *a = c->a;
	for (int i = 0; i < 6; ++i) {
		uint32_t lo = (uint32_t)a[i];
		if (lo >= FD_LIMIT && lo < 256)
			a[i] ^= 0x100; /* as an fd: 446..511, never ours */
		uint64_t img_lo = (uint64_t)__executable_start, img_hi = (uint64_t)_end;
		if ((a[i] >= img_lo && a[i] < img_hi) || (a[i] >= STACK_LO && a[i] < USER_TOP))
			a[i] = SCRATCH + (a[i] & (SCRATCH_SIZE - 8));
		if (is_mutating(c->nr) && !(i == 0 && (c->nr == SYS_symlink || c->nr == SYS_symlinkat)) &&
		    (in_paths(a[i]) || (a[i] >= SCRATCH && a[i] < SCRATCH + SCRATCH_SIZE)) && !tmp_ok(a[i]))
			a[i] = g_tmp_path[below(NTMP)];
	}
	switch (c->nr) {
	/* Ending, replacing or duplicating the process; waiting for good. */
	case SYS_exit: case SYS_exit_group: case SYS_execve: case SYS_execveat: case SYS_fork: case SYS_vfork:
	case SYS_clone: case 435 /* clone3 */: case SYS_pause: case SYS_rt_sigsuspend: case SYS_rt_sigtimedwait:
	case SYS_reboot: case SYS_rt_sigreturn: case SYS_futex: case SYS_epoll_wait: case SYS_epoll_pwait: case 441:
	case SYS_accept: case SYS_accept4: case SYS_connect: case SYS_recvmsg: case SYS_recvmmsg: case SYS_flock:
	/* Signals and timers that could end it; other processes' memory. */
	case SYS_alarm: case SYS_setitimer: case SYS_timer_create: case SYS_timer_settime: case SYS_rt_sigqueueinfo:
	case SYS_rt_tgsigqueueinfo: case 424 /* pidfd_send_signal */: case SYS_process_vm_readv:
	case SYS_process_vm_writev: case SYS_ptrace:
	/* The system's setup. */
	case SYS_kexec_load: case 320: case SYS_init_module: case SYS_finit_module: case SYS_delete_module:
	case SYS_swapon: case SYS_swapoff: case SYS_mount: case SYS_umount2: case SYS_pivot_root: case SYS_chroot:
	case 425: case 426: case 427: /* io_uring */
		return 0;
	case SYS_kill: a[0] = (uint64_t)g_pid; a[1] = 0; break;
	case SYS_tkill: a[0] = (uint64_t)g_pid; a[1] = 0; break;
	case SYS_tgkill: a[0] = a[1] = (uint64_t)g_pid; a[2] = 0; break;
	case SYS_wait4: a[2] |= 1; break;  /* WNOHANG */
	case SYS_waitid: a[3] |= 1; break; /* WNOHANG */
	case SYS_poll: a[2] = 0; break;
	case SYS_select: a[4] = built_zero_time(); break;
	case SYS_pselect6: a[4] = built_zero_time(); break;
	case SYS_ppoll: {
		uint64_t fds = a[0];
		a[2] = BUILT + 2048; /* after any built pollfds (64 at most) */
		memset((void *)(BUILT + 2048), 0, 16);
		a[0] = fds;
		break;
	}
	case SYS_nanosleep:
		if (in_fixture(a[0]) || a[0] == 1)
			a[0] = built_short_sleep();
		break;
	case SYS_clock_nanosleep:
		if (in_fixture(a[2]) || a[2] == 1) {
			a[2] = built_short_sleep();
			if (a[1] & 1) /* TIMER_ABSTIME: time 0 is past */
				((uint64_t *)BUILT)[1] = 0;
		}
		break;
	case SYS_rt_sigaction:
		if (in_fixture(a[1]) && a[1] != BUILT)
			a[1] = built_sigaction((int)a[0]);
		else if (a[1] == BUILT && (int)a[0] == SIGPIPE)
			((uint64_t *)BUILT)[0] = (uint64_t)SIG_IGN;
		break;
	case SYS_setrlimit: if (in_fixture(a[1])) a[1] = built_rlimit(); break;
	case SYS_prlimit64: if (in_fixture(a[2])) a[2] = built_rlimit(); break;
	case SYS_fcntl:
		if ((uint32_t)a[1] == F_SETLKW || (uint32_t)a[1] == 38 /* F_OFD_SETLKW */)
			return 0;
		if ((uint32_t)a[1] == F_SETFL)
			a[2] |= O_NONBLOCK;
		break;
	case SYS_ioctl: if ((uint32_t)a[1] == 0x5421 /* FIONBIO */) return 0; break;
	case SYS_pipe2: a[1] |= O_NONBLOCK; break;
	case SYS_readv: case SYS_preadv: case 327 /* preadv2 */: case SYS_writev: case SYS_pwritev: case 328:
		if (in_fixture(a[1]) && a[1] != BUILT)
			a[1] = built_iov((unsigned)a[2]);
		break;
	case SYS_sendfile: if (a[3] > (1u << 20)) a[3] &= 0xfffff; break;
	case SYS_arch_prctl: if (a[0] == 0x1001 || a[0] == 0x1002) return 0; break;
	case SYS_mmap:
		if (a[0] >= FIX_LO - (1ull << 32) && a[0] < FIX_HI)
			a[0] = FUZZ_ZONE; /* not even as a hint */
		if ((a[3] & (MAP_FIXED | MAP_FIXED_NOREPLACE)) && hits_us(a[0], a[1])) {
			a[0] = FUZZ_ZONE + (a[0] & 0xffffff000ull);
			if (hits_us(a[0], a[1]))
				return 0;
		}
		break;
	case SYS_munmap: case SYS_mprotect: case SYS_madvise: case SYS_mlock: case SYS_munlock: case SYS_msync:
	case SYS_remap_file_pages: case SYS_pkey_mprotect: case SYS_mbind:
		if (hits_us(a[0], a[1]))
			return 0;
		break;
	case SYS_mremap:
		if (hits_us(a[0], a[1]) || ((a[3] & 2) && hits_us(a[4], a[2])))
			return 0;
		break;
	case SYS_brk: if (a[0] >= FIX_LO - (1ull << 32)) a[0] = 0; break;
	}
	return 1;
}

/* After a call: keeps the fuzzer's fds from blocking it. */
static void after(const struct call *c, long ret)
{
	if (ret < 0)
		return;
	if ((c->nr == SYS_pipe || c->nr == SYS_pipe2) && in_fixture(c->a[0])) {
		int fds[2];
		memcpy(fds, (void *)c->a[0], sizeof fds);
		for (int i = 0; i < 2; ++i)
			if (fds[i] >= 0 && fds[i] < FD_LIMIT)
				(void)SYS(SYS_fcntl, fds[i], F_SETFL, O_NONBLOCK);
	}
	if ((c->nr == SYS_open || c->nr == SYS_openat || c->nr == SYS_creat) && ret < FD_LIMIT) {
		char t[64];
		if (SYS(SYS_ioctl, ret, 0x5401 /* TCGETS */, t) == 0)
			(void)SYS(SYS_close, ret); /* a terminal: reading it would wait for typing */
	}
}

/* The fuzzer's starting state, again every 500 calls: fds 0-2 on
 * /dev/null, no other (below 190), /tmp/fz as it was, SIGPIPE ignored. */
static void reset(void)
{
	for (int f = 0; f < FD_LIMIT; ++f)
		(void)SYS(SYS_close, f);
	for (int f = 0; f < 3; ++f) {
		long r = SYS(SYS_open, "/dev/null", O_RDWR);
		EXPECT(r == f, r);
	}
	(void)SYS(SYS_mkdir, "/tmp/fz", 0755);
	(void)SYS(SYS_chmod, "/tmp/fz", 0755);
	(void)SYS(SYS_chdir, "/tmp/fz");
	(void)SYS(SYS_mkdir, "/tmp/fz/d", 0755);
	long f = SYS(SYS_open, "/tmp/fz/a", O_WRONLY | O_CREAT, 0644);
	if (f >= 0) {
		(void)SYS(SYS_write, f, "some bytes of /tmp/fz/a\n", 24);
		(void)SYS(SYS_close, f);
	}
	(void)SYS(SYS_symlink, "a", "/tmp/fz/l");
	struct { uint64_t handler, flags, restorer, mask; } sa = { (uint64_t)SIG_IGN, 0, 0, 0 };
	(void)SYS(SYS_rt_sigaction, SIGPIPE, &sa, 0, 8);
	uint64_t none = 0;
	(void)SYS(SYS_rt_sigprocmask, SIG_SETMASK, &none, 0, 8);
}

static void map_fixture(void)
{
	long r = SYS(SYS_mmap, SCRATCH, SCRATCH_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	EXPECT(r == (long)SCRATCH, r);
	r = SYS(SYS_mmap, ROPAGE, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	EXPECT(r == (long)ROPAGE, r);
	for (int i = 0; i < 4096; i += 8) /* half zeros, half a pattern */
		*(uint64_t *)(ROPAGE + i) = i < 2048 ? 0 : 0x0101010101010101ull * (uint8_t)i;
	EXPECT((r = SYS(SYS_mprotect, ROPAGE, 4096, PROT_READ)) == 0, r);
	r = SYS(SYS_mmap, PATHS, 0x2000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	EXPECT(r == (long)PATHS, r);
	build_paths();
	EXPECT((r = SYS(SYS_mprotect, PATHS, 0x2000, PROT_READ)) == 0, r);
	r = SYS(SYS_mmap, BUILT, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	EXPECT(r == (long)BUILT, r);
	for (uint64_t i = 0; i < SCRATCH_SIZE; i += 8)
		*(uint64_t *)(SCRATCH + i) = i * 0x9e3779b97f4a7c15ull;
}

static void check_server(void)
{
	long r = SYS(SYS_getppid);
	EXPECT(r == 0, r);
}

int main(int argc, char **argv)
{
	g_seed = argc > 1 ? strtoull(argv[1], 0, 0) : 1;
	uint64_t n = argc > 2 ? strtoull(argv[2], 0, 0) : 5000;
	if (argc > 3)
		g_verbose_from = strtoull(argv[3], 0, 0);
	g_rng = g_seed * 0x9e3779b97f4a7c15ull ^ 0x5eed5eed5eed5eedull;
	if (!g_rng)
		g_rng = 1;
	g_pid = SYS(SYS_getpid);

	if (SYS(SYS_dup2, 1, OUT_FD) != OUT_FD)
		return 2;
	say("t_sysfuzz: seed %llu, %llu iterations\n", (unsigned long long)g_seed, (unsigned long long)n);
	map_fixture();
	reset();

	for (g_index = 0; g_index < n; ++g_index) {
		if (g_index && g_index % 500 == 0)
			reset();
		if (g_index && g_index % 250 == 0)
			check_server();
		if (g_index && g_index % 1000 == 0)
			say("t_sysfuzz: %llu calls\n", (unsigned long long)g_index);
		struct call c;
		memset(&c, 0, sizeof c);
		if (pct(70))
			gen_implemented(&c);
		else
			gen_any(&c);
		if (!sanitize(&c)) {
			++g_refused;
			continue;
		}
		if (g_index >= g_verbose_from)
			say("t_sysfuzz: #%llu: %llu(%#llx, %#llx, %#llx, %#llx, %#llx, %#llx)\n", (unsigned long long)g_index,
			    (unsigned long long)c.nr, (unsigned long long)c.a[0], (unsigned long long)c.a[1],
			    (unsigned long long)c.a[2], (unsigned long long)c.a[3], (unsigned long long)c.a[4],
			    (unsigned long long)c.a[5]);
		long ret = sys6(c.nr, c.a[0], c.a[1], c.a[2], c.a[3], c.a[4], c.a[5]);
		if (g_index >= g_verbose_from)
			say("t_sysfuzz: #%llu -> %ld\n", (unsigned long long)g_index, ret);
		++g_calls;
		unsigned slot = c.nr < 1024 ? (unsigned)c.nr : 1024;
		if (!g_seen[slot]) {
			g_seen[slot] = 1;
			++g_distinct;
		}
		if (ret == -ENOSYS)
			++g_enosys;
		if (ret == -EFAULT)
			++g_efault;
		after(&c, ret);
	}
	g_index = n ? n - 1 : 0;
	say("t_sysfuzz: done: %lu calls, %u distinct numbers, %lu ENOSYS, %lu EFAULT (%lu refused)\n", g_calls,
	    g_distinct, g_enosys, g_efault, g_refused);

	/* The server still answers. */
	check_server();
	reset();
	static const char line[] = "t_sysfuzz: the console still answers\n";
	long r = SYS(SYS_write, OUT_FD, line, sizeof line - 1);
	EXPECT(r == (long)sizeof line - 1, r);
	long f = SYS(SYS_open, "/etc/motd", O_RDONLY);
	EXPECT(f >= 0, f);
	char motd[128];
	r = SYS(SYS_read, f, motd, sizeof motd);
	EXPECT(r == 59, r);
	EXPECT(memcmp(motd, "Welcome to machina", 18) == 0, r);
	EXPECT((r = SYS(SYS_close, f)) == 0, r);
	say("t_sysfuzz: PASS\n");
	return 0;
}
