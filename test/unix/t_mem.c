/* t_mem: brk, mmap, munmap, mprotect. */
#include "check.h"
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>

#define PG 4096L
#define PATTERN_SIZE 40960

static unsigned char pat(long i) { return (i * 131 + (i >> 12) * 7 + 17) & 0xff; }

/* raw mmap: musl's wrapper checks the offset itself */
static long rmmap(void *a, long len, int prot, int flags, int fd, long off)
{
	return syscall(SYS_mmap, a, len, prot, flags, fd, off);
}

static void check_brk(void)
{
	/* musl's brk() always fails, so use the raw call; run this first,
	 * before anything could have used the heap. */
	long cur = syscall(SYS_brk, 0);
	CHECK(cur > 0);
	CHECK_EQ(syscall(SYS_brk, 0), cur);
	long top = cur + 3 * PG;
	CHECK_EQ(syscall(SYS_brk, top), top);
	CHECK_EQ(syscall(SYS_brk, 0), top);
	unsigned char *p = (unsigned char *)cur;
	for (long i = 0; i < 3 * PG; i++)
		CHECK(p[i] == 0);
	for (long i = 0; i < 3 * PG; i++)
		p[i] = i * 7;
	for (long i = 0; i < 3 * PG; i++)
		if (p[i] != (unsigned char)(i * 7))
			CHECK_EQ(p[i], (unsigned char)(i * 7));
	CHECK_EQ(syscall(SYS_brk, cur + PG), cur + PG);     /* shrink */
	CHECK_EQ(syscall(SYS_brk, 0), cur + PG);
	CHECK(p[100] == (unsigned char)700);
	CHECK_EQ(syscall(SYS_brk, top), top);               /* grow again: zeros */
	long z = (cur + 2 * PG + PG - 1) & -PG;              /* first page freed */
	for (long a = z; a < top; a++)
		CHECK(*(unsigned char *)a == 0);
	CHECK_EQ(syscall(SYS_brk, 4096), top);              /* refused: unchanged */
	CHECK_EQ(syscall(SYS_brk, cur), cur);
}

static void check_anon(void)
{
	unsigned char *p = mmap(NULL, 8 * PG, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED);
	CHECK((uintptr_t)p % PG == 0);
	for (long i = 0; i < 8 * PG; i++)
		CHECK(p[i] == 0);
	memset(p, 0xa5, 8 * PG);

	/* MAP_FIXED over pages 2-3 replaces them with fresh zero pages */
	void *q = mmap(p + 2 * PG, 2 * PG, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK(q == p + 2 * PG);
	for (long i = 0; i < 8 * PG; i++)
		CHECK(p[i] == ((i >= 2 * PG && i < 4 * PG) ? 0 : 0xa5));

	/* mprotect to read-only and back */
	CHECK_EQ(mprotect(p, 2 * PG, PROT_READ), 0);
	CHECK(p[0] == 0xa5 && p[2 * PG - 1] == 0xa5);
	CHECK_EQ(mprotect(p, 2 * PG, PROT_READ | PROT_WRITE), 0);
	p[0] = 1;
	p[2 * PG - 1] = 2;
	CHECK(p[0] == 1 && p[2 * PG - 1] == 2);
	CHECK_ERR(syscall(SYS_mprotect, p + 1, PG, PROT_READ), EINVAL); /* musl rounds */

	/* munmap pages 4-5 (never touched again), then the rest */
	CHECK_EQ(munmap(p + 4 * PG, 2 * PG), 0);
	CHECK(p[3 * PG] == 0 && p[6 * PG] == 0xa5);
	CHECK_ERR(munmap(p + 1, PG), EINVAL);
	CHECK_EQ(munmap(p + 4 * PG, 2 * PG), 0);              /* already gone: fine */
	CHECK_EQ(munmap(p, 8 * PG), 0);

	/* 16 MiB, every page touched */
	long big = 16L << 20;
	unsigned char *b = mmap(NULL, big, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(b != MAP_FAILED);
	for (long i = 0; i < big; i += PG)
		b[i + (i / PG) % PG] = (unsigned char)(i / PG);
	for (long i = 0; i < big; i += PG)
		CHECK(b[i + (i / PG) % PG] == (unsigned char)(i / PG));
	CHECK(b[1] == 0 && b[big - 2] == 0);
	CHECK_EQ(munmap(b, big), 0);
}

static void check_file(void)
{
	int fd = open("/data/pattern", O_RDONLY);
	CHECK(fd >= 0);
	unsigned char *p = mmap(NULL, PATTERN_SIZE, PROT_READ, MAP_PRIVATE, fd, 0);
	CHECK(p != MAP_FAILED);
	for (long i = 0; i < PATTERN_SIZE; i++)
		if (p[i] != pat(i))
			CHECK_EQ(p[i], pat(i));
	CHECK_EQ(munmap(p, PATTERN_SIZE), 0);

	p = mmap(NULL, 5000, PROT_READ, MAP_PRIVATE, fd, 8192);
	CHECK(p != MAP_FAILED);
	for (long i = 0; i < 5000; i++)
		if (p[i] != pat(8192 + i))
			CHECK_EQ(p[i], pat(8192 + i));
	for (long i = 5000; i < 2 * PG; i++)                /* rest of last page */
		CHECK(p[i] == pat(8192 + i));
	CHECK_EQ(munmap(p, 5000), 0);

	/* private writable mapping: copy on write, the file is unchanged */
	p = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, PG);
	CHECK(p != MAP_FAILED);
	for (long i = 0; i < 100; i++)
		p[PG + i] = ~pat(2 * PG + i);
	for (long i = 0; i < 100; i++)
		CHECK(p[PG + i] == (unsigned char)~pat(2 * PG + i));
	CHECK(p[0] == pat(PG) && p[2 * PG] == pat(3 * PG));
	unsigned char buf[100];
	CHECK_EQ(pread(fd, buf, 100, 2 * PG), 100);
	for (long i = 0; i < 100; i++)
		CHECK(buf[i] == pat(2 * PG + i));
	unsigned char *p2 = mmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, 2 * PG);
	CHECK(p2 != MAP_FAILED);
	CHECK(p2[0] == pat(2 * PG));                        /* fresh mapping too */
	CHECK_EQ(munmap(p2, PG), 0);
	CHECK_EQ(munmap(p, 3 * PG), 0);

	/* errors */
	CHECK_ERR(rmmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), EINVAL);
	CHECK_ERR(rmmap(NULL, 0, PROT_READ, MAP_PRIVATE, fd, 0), EINVAL);
	CHECK_ERR(rmmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, 100), EINVAL);
	CHECK_ERR(rmmap(NULL, PG, PROT_READ, MAP_ANONYMOUS, -1, 0), EINVAL); /* no type */
	CHECK_ERR(rmmap(NULL, PG, PROT_READ, MAP_PRIVATE, 99, 0), EBADF);
	CHECK_ERR(rmmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), EACCES);
	CHECK_ERR(rmmap((void *)(PG + 1), PG, PROT_READ,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), EINVAL);
	CHECK_ERR(syscall(SYS_munmap, PG + 1, PG), EINVAL);
	CHECK_ERR(syscall(SYS_munmap, PG, 0), EINVAL);
	CHECK_EQ(close(fd), 0);
}

int main(void)
{
	check_brk();
	check_anon();
	check_file();
	t_pass();
}
