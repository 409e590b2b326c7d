/*
 * Linux counterpart of this system's benchmarks. Runs as /init in an
 * initramfs on Debian's linux-image-amd64 kernel, booted by scripts/bench in
 * qemu-system-x86_64 -icount shift=0, where rdtsc advances one tick per guest
 * instruction: every figure is an instruction count (user and kernel, both
 * processes where two take part), deterministic and independent of host load.
 *
 * Each benchmark runs a warm-up, then N timed operations; the figure is the
 * median per operation, less the cost of an empty rdtsc/rdtsc pair. Output,
 * one line per benchmark (scripts/bench parses these and nothing else):
 *
 *   BENCH name=NAME system=linux instructions=N iterations=N
 *
 * INFO lines carry context (kernel, mitigations, spread of the samples).
 * At the end the VM is powered off so that QEMU exits.
 *
 * Build: musl-gcc -static -O2 -o bench bench.c
 *
 * The same source runs on this system as a Unix process (built with
 * -DBENCH_SYSTEM='"this"', in the boot archive as /bin/bench): there it is
 * started with the names of the benchmarks to run (`bench getppid`), runs
 * only those and exits instead of powering off.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef BENCH_SYSTEM
#define BENCH_SYSTEM "linux"
#endif

#define HELPER_PATH "/true"     /* the small static binary fork+exec runs */
#define DATA_PATH "/data"       /* the file the page-fault benchmark maps */
#define PAGE 4096

static uint64_t *samples;
static size_t samples_cap;
static uint64_t rdtsc_overhead;

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi)::"memory");
	return ((uint64_t)hi << 32) | lo;
}

static inline long raw_getppid(void)
{
	long ret;
	__asm__ volatile("syscall"
	                 : "=a"(ret)
	                 : "a"((long)SYS_getppid)
	                 : "rcx", "r11", "memory");
	return ret;
}

static void die(const char *what)
{
	printf("BENCHERROR %s: %s\n", what, strerror(errno));
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	_exit(1);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Sorts samples[0..n) and returns the median (lower middle for even n). */
static uint64_t median_sorted(size_t n)
{
	qsort(samples, n, sizeof samples[0], cmp_u64);
	return samples[(n - 1) / 2];
}

static void report(const char *name, size_t warmup, size_t n)
{
	if (n == 0)
		return;
	if (getenv("bench_debug")) { /* medians of successive blocks, to show drift */
		size_t block = n / 10 ? n / 10 : 1;
		uint64_t *tmp = mmap(NULL, block * sizeof tmp[0], PROT_READ | PROT_WRITE,
		                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		printf("DRIFT %s", name);
		for (size_t b = 0; tmp != MAP_FAILED && b + block <= n && b / block < 10; b += block) {
			memcpy(tmp, samples + b, block * sizeof tmp[0]);
			qsort(tmp, block, sizeof tmp[0], cmp_u64);
			printf(" %llu", (unsigned long long)tmp[(block - 1) / 2]);
		}
		printf("\n");
		if (tmp != MAP_FAILED)
			munmap(tmp, block * sizeof tmp[0]);
	}
	for (size_t i = 0; i < n; i++)
		samples[i] = samples[i] > rdtsc_overhead ? samples[i] - rdtsc_overhead : 0;
	uint64_t med = median_sorted(n);
	printf("INFO name=%s warmup=%zu min=%llu p10=%llu p90=%llu max=%llu\n", name, warmup,
	       (unsigned long long)samples[0], (unsigned long long)samples[n / 10],
	       (unsigned long long)samples[n - 1 - n / 10], (unsigned long long)samples[n - 1]);
	if (getenv("bench_debug")) {
		for (size_t i = 0; i < n;) {
			size_t j = i;
			while (j < n && samples[j] == samples[i])
				j++;
			if (j - i >= n / 100)
				printf("HIST %s %llu x%zu\n", name, (unsigned long long)samples[i], j - i);
			i = j;
		}
	}
	printf("BENCH name=%s system=" BENCH_SYSTEM " instructions=%llu iterations=%zu\n", name,
	       (unsigned long long)med, n);
	fflush(stdout);
}

static void measure_overhead(void)
{
	const size_t n = 1000;
	for (size_t i = 0; i < n; i++) {
		uint64_t t0 = rdtsc();
		uint64_t t1 = rdtsc();
		samples[i] = t1 - t0;
	}
	rdtsc_overhead = median_sorted(n);
	printf("INFO rdtsc_overhead=%llu\n", (unsigned long long)rdtsc_overhead);

	/* Check that rdtsc counts instructions: a loop of exactly 2000 (dec, jnz). */
	for (size_t i = 0; i < 101; i++) {
		uint64_t t0 = rdtsc();
		__asm__ volatile("mov $1000, %%ecx\n1: dec %%ecx\n jnz 1b" ::: "ecx", "cc");
		uint64_t t1 = rdtsc();
		samples[i] = t1 - t0 - rdtsc_overhead;
	}
	printf("INFO calibration loop of 2000 instructions: %llu ticks\n",
	       (unsigned long long)median_sorted(101));
}

/* A raw getppid system call (no libc wrapper). */
static void bench_getppid(size_t warmup, size_t n)
{
	for (size_t i = 0; i < warmup; i++)
		raw_getppid();
	for (size_t i = 0; i < n; i++) {
		uint64_t t0 = rdtsc();
		raw_getppid();
		uint64_t t1 = rdtsc();
		samples[i] = t1 - t0;
	}
	report("getppid", warmup, n);
}

/*
 * Pipe ping-pong between two processes: one round trip is the parent's
 * write of 1 byte and read of 1 byte, the child's read and write in between.
 */
static void bench_pipe(size_t warmup, size_t n)
{
	int ping[2], pong[2];
	char c = 'x';
	if (pipe(ping) || pipe(pong))
		die("pipe");
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		close(ping[1]);
		close(pong[0]);
		for (;;) {
			ssize_t r = read(ping[0], &c, 1);
			if (r != 1)
				_exit(r == 0 ? 0 : 1);
			if (write(pong[1], &c, 1) != 1)
				_exit(1);
		}
	}
	close(ping[0]);
	close(pong[1]);
	for (size_t i = 0; i < warmup + n; i++) {
		uint64_t t0 = rdtsc();
		if (write(ping[1], &c, 1) != 1 || read(pong[0], &c, 1) != 1)
			die("pipe round trip");
		uint64_t t1 = rdtsc();
		if (i >= warmup)
			samples[i - warmup] = t1 - t0;
	}
	close(ping[1]);
	close(pong[0]);
	int status;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		die("pipe child");
	report("pipe_pingpong", warmup, n);
}

/* fork, execve of a small static binary that exits at once, waitpid. */
static void bench_fork_exec(size_t warmup, size_t n)
{
	char *const argv[] = {HELPER_PATH, NULL};
	char *const envp[] = {NULL};
	for (size_t i = 0; i < warmup + n; i++) {
		uint64_t t0 = rdtsc();
		pid_t pid = fork();
		if (pid == 0) {
			execve(HELPER_PATH, argv, envp);
			_exit(127);
		}
		if (pid < 0)
			die("fork");
		int status;
		if (waitpid(pid, &status, 0) != pid)
			die("waitpid");
		uint64_t t1 = rdtsc();
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			errno = 0;
			die("helper exit status");
		}
		if (i >= warmup)
			samples[i - warmup] = t1 - t0;
	}
	report("fork_exec_wait", warmup, n);
}

/*
 * Turns off Linux's fault-around (which maps up to 16 neighbouring page-cache
 * pages on one read fault) so that every touched page is one fault.
 */
static void disable_fault_around(void)
{
	mkdir("/debug", 0700);
	if (mount("debugfs", "/debug", "debugfs", 0, NULL) != 0) {
		printf("INFO fault_around=unchanged (debugfs: %s)\n", strerror(errno));
		return;
	}
	int fd = open("/debug/fault_around_bytes", O_WRONLY);
	if (fd < 0 || write(fd, "4096\n", 5) != 5)
		printf("INFO fault_around=unchanged (%s)\n", strerror(errno));
	else
		printf("INFO fault_around_bytes=4096\n");
	if (fd >= 0)
		close(fd);
}

static long minor_faults(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

/*
 * Read fault on a file in the initramfs (tmpfs, so the page is already in the
 * page cache): the file is mapped read-only, one new page touched per
 * operation; each pass maps the whole file afresh.
 */
static void bench_file_fault(size_t warmup_passes, size_t passes)
{
	int fd = open(DATA_PATH, O_RDONLY);
	if (fd < 0)
		die("open " DATA_PATH);
	struct stat st;
	if (fstat(fd, &st))
		die("fstat");
	size_t pages = st.st_size / PAGE;
	size_t n = 0;
	long faults = 0;
	for (size_t pass = 0; pass < warmup_passes + passes; pass++) {
		volatile const char *p = mmap(NULL, pages * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED)
			die("mmap");
		long before = minor_faults();
		for (size_t i = 0; i < pages; i++) {
			uint64_t t0 = rdtsc();
			(void)p[i * PAGE];
			uint64_t t1 = rdtsc();
			if (pass >= warmup_passes)
				samples[n++] = t1 - t0;
		}
		if (pass >= warmup_passes)
			faults += minor_faults() - before;
		munmap((void *)p, pages * PAGE);
	}
	close(fd);
	printf("INFO name=file_page_fault file_pages=%zu passes=%zu minor_faults=%ld\n", pages, passes,
	       faults);
	if (faults != (long)n) { /* fault-around still on, or faults outside the touches */
		errno = 0;
		die("file_page_fault: not one minor fault per touched page");
	}
	report("file_page_fault", warmup_passes * pages, n);
}

static void print_context(void)
{
	struct utsname u;
	if (uname(&u) == 0)
		printf("INFO kernel=%s %s %s\n", u.sysname, u.release, u.version);
	mkdir("/sys", 0755);
	if (mount("sysfs", "/sys", "sysfs", 0, NULL) != 0)
		return;
	static const char *const v[] = {"meltdown", "spectre_v1", "spectre_v2", "retbleed",
	                                "spec_store_bypass", "mds"};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		char path[128], buf[160];
		snprintf(path, sizeof path, "/sys/devices/system/cpu/vulnerabilities/%s", v[i]);
		int fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		ssize_t r = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (r <= 0)
			continue;
		buf[r] = 0;
		buf[strcspn(buf, "\n")] = 0;
		printf("INFO vulnerability %s: %s\n", v[i], buf);
	}
}

static size_t arg(const char *name, size_t dflt)
{
	const char *s = getenv(name); /* kernel command line NAME=VALUE reaches init's environment */
	return s && *s ? strtoull(s, NULL, 10) : dflt;
}

/*
 * `bench NAME... [KEY=VALUE...]` (this system's Unix server starts it so):
 * only the named benchmarks (getppid, pipe, fork), then exit. KEY=VALUE
 * words set the iteration counts as the kernel command line does on Linux
 * (bench_fork=300).
 */
static int run_selected(char **names)
{
	for (char **a = names; *a; a++)
		if (strchr(*a, '='))
			putenv(*a);
	size_t getppid_n = arg("bench_getppid", 100000), getppid_w = arg("bench_getppid_warmup", 1000);
	size_t pipe_n = arg("bench_pipe", 20000), pipe_w = arg("bench_pipe_warmup", 2000);
	size_t fork_n = arg("bench_fork", 3000), fork_w = arg("bench_fork_warmup", 100);
	samples_cap = getppid_n;
	if (pipe_n > samples_cap)
		samples_cap = pipe_n;
	if (fork_n > samples_cap)
		samples_cap = fork_n;
	size_t bytes = (samples_cap * sizeof samples[0] + PAGE - 1) / PAGE * PAGE;
	samples = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (samples == MAP_FAILED) {
		printf("BENCHERROR mmap samples: %s\n", strerror(errno));
		return 1;
	}
	memset(samples, 0, bytes); /* fault in before timing */
	setvbuf(stdout, NULL, _IOLBF, 0);
	measure_overhead();
	for (; *names; names++) {
		if (strchr(*names, '=')) {
			continue;
		} else if (strcmp(*names, "getppid") == 0) {
			bench_getppid(getppid_w, getppid_n);
		} else if (strcmp(*names, "pipe") == 0) {
			bench_pipe(pipe_w, pipe_n);
		} else if (strcmp(*names, "fork") == 0) {
			bench_fork_exec(fork_w, fork_n);
		} else {
			printf("BENCHERROR unknown benchmark %s\n", *names);
			return 1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		return run_selected(argv + 1);
	/*
	 * Without address-space randomization: with it, where the stack and the
	 * mappings land differs from boot to boot, and with it the page-table
	 * work of fork and exec (fork_exec_wait moved by up to 4% between
	 * boots). The setting is inherited by the children.
	 */
	int pers = personality(0xffffffff);
	if (pers != -1 && !(pers & ADDR_NO_RANDOMIZE)) {
		personality(pers | ADDR_NO_RANDOMIZE);
		extern char **environ;
		execve("/init", argv, environ);
		/* Still here: measure with randomization. */
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("INFO address-space randomization: %s\n",
	       personality(0xffffffff) & ADDR_NO_RANDOMIZE ? "off" : "on");
	printf("INFO bench start\n");
	print_context();

	/*
	 * Iterations and warm-ups; the kernel command line may override them
	 * (bench_getppid=N bench_getppid_warmup=N ...). The pipe needs about a
	 * thousand round trips before the scheduler settles into its steady
	 * state, so its warm-up is 2000.
	 */
	size_t getppid_n = arg("bench_getppid", 100000), getppid_w = arg("bench_getppid_warmup", 1000);
	size_t pipe_n = arg("bench_pipe", 20000), pipe_w = arg("bench_pipe_warmup", 2000);
	size_t fork_n = arg("bench_fork", 3000), fork_w = arg("bench_fork_warmup", 100);
	size_t fault_passes = arg("bench_fault_passes", 16), fault_w = arg("bench_fault_warmup", 1);

	struct stat st;
	if (stat(DATA_PATH, &st))
		die("stat " DATA_PATH);
	samples_cap = getppid_n;
	if (pipe_n > samples_cap)
		samples_cap = pipe_n;
	if (fork_n > samples_cap)
		samples_cap = fork_n;
	if (st.st_size / PAGE * fault_passes > samples_cap)
		samples_cap = st.st_size / PAGE * fault_passes;
	if (samples_cap < 1000)
		samples_cap = 1000;
	/*
	 * Kept out of every fork: otherwise fork would copy page tables for it,
	 * and fork_exec_wait would depend on the other benchmarks' iterations.
	 */
	size_t bytes = (samples_cap * sizeof samples[0] + PAGE - 1) / PAGE * PAGE;
	samples = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (samples == MAP_FAILED)
		die("mmap samples");
	if (madvise(samples, bytes, MADV_DONTFORK))
		die("madvise");
	memset(samples, 0, bytes); /* fault in before timing */

	measure_overhead();
	bench_getppid(getppid_w, getppid_n);
	bench_pipe(pipe_w, pipe_n);
	bench_fork_exec(fork_w, fork_n);
	disable_fault_around();
	bench_file_fault(fault_w, fault_passes);

	printf("INFO bench done\n");
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
