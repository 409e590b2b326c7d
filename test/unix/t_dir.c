/* t_dir: getdents64 and getcwd. */
#include "check.h"
#include <dirent.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>

struct d64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

#define NAMEOFF offsetof(struct d64, d_name)   /* 19 */
#define MAXENT 1024
struct ent { char name[64]; int type; int seen; };

/* Read a whole directory with buffers of bufsize bytes; every record must
 * be well formed and every name must come exactly once. */
static int list(const char *path, size_t bufsize, struct ent *e)
{
	static char buf[4096] __attribute__((aligned(8)));
	int n = 0;
	int fd = open(path, O_RDONLY | O_DIRECTORY);
	CHECK(fd >= 0);
	for (;;) {
		long got = syscall(SYS_getdents64, fd, buf, bufsize);
		CHECK_OK(got);
		if (got == 0)
			break;
		CHECK(got <= (long)bufsize);
		for (long off = 0; off < got;) {
			struct d64 *d = (struct d64 *)(buf + off);
			CHECK(d->d_reclen >= NAMEOFF + 2 && off + d->d_reclen <= got);
			CHECK(d->d_reclen % 8 == 0);
			size_t len = strnlen(d->d_name, d->d_reclen - NAMEOFF);
			CHECK(len > 0 && len < d->d_reclen - NAMEOFF);   /* NUL-terminated */
			CHECK(len < sizeof e->name);
			for (int i = 0; i < n; i++)
				CHECK(strcmp(e[i].name, d->d_name) != 0);    /* no repeats */
			CHECK(n < MAXENT);
			memcpy(e[n].name, d->d_name, len + 1);
			e[n].type = d->d_type;
			e[n].seen = 0;
			n++;
			off += d->d_reclen;
		}
	}
	CHECK_EQ(syscall(SYS_getdents64, fd, buf, bufsize), 0);      /* stays at end */
	CHECK_EQ(close(fd), 0);
	return n;
}

static void expect(struct ent *e, int n, const char *name, int type)
{
	for (int i = 0; i < n; i++)
		if (strcmp(e[i].name, name) == 0) {
			if (e[i].type != type)
				t_print("%s: type %d, want %d\n", name, e[i].type, type);
			CHECK(e[i].type == type);
			return;
		}
	t_print("missing entry: %s\n", name);
	CHECK(!"entry present");
}

static void same(struct ent *a, int na, struct ent *b, int nb)
{
	CHECK_EQ(na, nb);
	for (int i = 0; i < na; i++)
		expect(b, nb, a[i].name, a[i].type);
}

int main(void)
{
	static struct ent big[MAXENT], small[MAXENT];
	static char buf[4096] __attribute__((aligned(8)));

	int n = list("/", sizeof buf, big);
	expect(big, n, ".", DT_DIR);
	expect(big, n, "..", DT_DIR);
	expect(big, n, "etc", DT_DIR);
	expect(big, n, "usr", DT_DIR);
	expect(big, n, "data", DT_DIR);
	expect(big, n, "bin", DT_DIR);
	expect(big, n, "doc", DT_LNK);
	same(big, n, small, list("/", 64, small));

	n = list("/etc", sizeof buf, big);
	expect(big, n, "motd", DT_REG);
	expect(big, n, "motd.link", DT_LNK);
	same(big, n, small, list("/etc", 64, small));
	n = list("/bin", sizeof buf, big);
	expect(big, n, "t_dir", DT_REG);
	same(big, n, small, list("/bin", 64, small));

	/* rewinding a directory with lseek(0) starts the listing again */
	int fd = open("/etc", O_RDONLY | O_DIRECTORY);
	CHECK(fd >= 0);
	long first = syscall(SYS_getdents64, fd, buf, sizeof buf);
	CHECK(first > 0);
	CHECK_EQ(syscall(SYS_getdents64, fd, buf, sizeof buf), 0);
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	CHECK_EQ(syscall(SYS_getdents64, fd, buf, sizeof buf), first);
	CHECK_EQ(close(fd), 0);

	/* errors */
	fd = open("/etc", O_RDONLY | O_DIRECTORY);
	CHECK(fd >= 0);
	CHECK_ERR(syscall(SYS_getdents64, fd, buf, 8), EINVAL);      /* too small */
	CHECK_ERR(syscall(SYS_getdents64, fd, (void *)8, 4096), EFAULT);
	CHECK_ERR(syscall(SYS_getdents64, 99, buf, sizeof buf), EBADF);
	int ffd = open("/etc/motd", O_RDONLY);
	CHECK(ffd >= 0);
	CHECK_ERR(syscall(SYS_getdents64, ffd, buf, sizeof buf), ENOTDIR);
	CHECK_EQ(close(ffd), 0);
	CHECK_EQ(close(fd), 0);

	/* getcwd: the raw call returns the length including the NUL */
	memset(buf, 'X', 16);
	CHECK(getcwd(buf, sizeof buf) == buf);
	CHECK(strcmp(buf, "/") == 0);
	memset(buf, 'X', 16);
	CHECK_EQ(syscall(SYS_getcwd, buf, sizeof buf), 2);
	CHECK(memcmp(buf, "/\0", 2) == 0);
	CHECK_EQ(syscall(SYS_getcwd, buf, 2), 2);
	CHECK_ERR(syscall(SYS_getcwd, buf, 1), ERANGE);
	CHECK_ERR(syscall(SYS_getcwd, buf, 0), ERANGE);
	CHECK_ERR(syscall(SYS_getcwd, (void *)8, 4096), EFAULT);
	t_pass();
}
