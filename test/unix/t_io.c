/* t_io: read, write, readv, writev, pread64, lseek, close. */
#include "check.h"
#include <fcntl.h>
#include <sys/uio.h>

#define MOTD "Welcome to machina: this line comes from the boot archive.\n"
#define PATTERN_SIZE 40960

static unsigned char pat(long i) { return (i * 131 + (i >> 12) * 7 + 17) & 0xff; }

static void check_motd(void)
{
	char buf[128];
	int fd = open("/etc/motd", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(read(fd, buf, sizeof buf), 59);
	CHECK(memcmp(buf, MOTD, 59) == 0);
	CHECK_EQ(read(fd, buf, sizeof buf), 0);         /* at EOF */
	CHECK_EQ(read(fd, buf, 0), 0);

	/* lseek */
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 59);
	CHECK_EQ(lseek(fd, 11, SEEK_SET), 11);
	CHECK_EQ(read(fd, buf, 7), 7);
	CHECK(memcmp(buf, "machina", 7) == 0);
	CHECK_EQ(lseek(fd, -3, SEEK_CUR), 15);
	CHECK_EQ(read(fd, buf, 3), 3);
	CHECK(memcmp(buf, "ina", 3) == 0);
	CHECK_EQ(lseek(fd, -1, SEEK_END), 58);
	CHECK_EQ(read(fd, buf, 10), 1);
	CHECK(buf[0] == '\n');
	CHECK_EQ(lseek(fd, 100, SEEK_END), 159);        /* past EOF is allowed */
	CHECK_EQ(read(fd, buf, 10), 0);
	CHECK_ERR(lseek(fd, 0, 7), EINVAL);             /* bad whence */
	CHECK_ERR(lseek(fd, -1, SEEK_SET), EINVAL);     /* negative result */
	CHECK_ERR(lseek(fd, -200, SEEK_CUR), EINVAL);
	CHECK_ERR(lseek(fd, -60, SEEK_END), EINVAL);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 159);          /* unchanged by errors */

	/* pread64: positioned, file offset untouched */
	memset(buf, 0, sizeof buf);
	CHECK_EQ(pread(fd, buf, 7, 11), 7);
	CHECK(memcmp(buf, "machina", 7) == 0);
	CHECK_EQ(pread(fd, buf, 100, 50), 9);
	CHECK(memcmp(buf, MOTD + 50, 9) == 0);
	CHECK_EQ(pread(fd, buf, 10, 59), 0);
	CHECK_ERR(pread(fd, buf, 10, -1), EINVAL);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 159);

	/* readv */
	char a[11], b[7], c[100];
	struct iovec iov[3] = { { a, sizeof a }, { b, sizeof b }, { c, sizeof c } };
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	CHECK_EQ(readv(fd, iov, 3), 59);
	CHECK(memcmp(a, MOTD, 11) == 0);
	CHECK(memcmp(b, "machina", 7) == 0);
	CHECK(memcmp(c, MOTD + 18, 41) == 0);
	CHECK_EQ(readv(fd, iov, 3), 0);

	/* errors on an open read-only file */
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	CHECK_ERR(syscall(SYS_read, fd, (void *)8, 10), EFAULT);
	CHECK_ERR(syscall(SYS_readv, fd, (void *)8, 2), EFAULT);
	CHECK_ERR(write(fd, "x", 1), EBADF);            /* O_RDONLY fd */
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 0);
	CHECK_EQ(read(fd, buf, 8), 8);
	CHECK(memcmp(buf, MOTD, 8) == 0);

	CHECK_EQ(syscall(SYS_close, fd), 0);
	CHECK_ERR(syscall(SYS_close, fd), EBADF);       /* closed twice */
	CHECK_ERR(read(fd, buf, 1), EBADF);
}

static void check_pattern(void)
{
	static unsigned char buf[8192];
	static const size_t sizes[] = { 1, 3, 17, 255, 4097, 7, 8191, 333, 4095, 12 };
	int fd = open("/data/pattern", O_RDONLY);
	CHECK(fd >= 0);
	long off = 0;
	for (int k = 0; off < PATTERN_SIZE; k++) {
		size_t want = sizes[k % 10];
		long left = PATTERN_SIZE - off;
		ssize_t n = read(fd, buf, want);
		CHECK_EQ(n, (long)want < left ? (long)want : left);
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] != pat(off + i))
				CHECK_EQ(buf[i], pat(off + i));
		off += n;
	}
	CHECK_EQ(read(fd, buf, 1), 0);
	CHECK_EQ(lseek(fd, 0, SEEK_END), PATTERN_SIZE);
	CHECK_EQ(pread(fd, buf, 5000, 12345), 5000);
	for (int i = 0; i < 5000; i++)
		if (buf[i] != pat(12345 + i))
			CHECK_EQ(buf[i], pat(12345 + i));
	CHECK_EQ(close(fd), 0);
}

int main(void)
{
	check_motd();
	check_pattern();

	/* write / writev to fd 1 */
	CHECK_EQ(write(1, "t_io: write\n", 12), 12);
	struct iovec wv[3] = {
		{ "t_io: ", 6 }, { "writev ", 7 }, { "of three iovecs\n", 16 },
	};
	CHECK_EQ(writev(1, wv, 3), 29);
	CHECK_EQ(write(1, "", 0), 0);

	/* bad fds */
	char c;
	CHECK_ERR(read(99, &c, 1), EBADF);
	CHECK_ERR(read(-1, &c, 1), EBADF);
	CHECK_ERR(write(99, "x", 1), EBADF);
	CHECK_ERR(write(-1, "x", 1), EBADF);
	CHECK_ERR(syscall(SYS_close, 99), EBADF);
	CHECK_ERR(syscall(SYS_close, -1), EBADF);
	CHECK_ERR(lseek(99, 0, SEEK_SET), EBADF);

	/* bad buffers */
	CHECK_ERR(syscall(SYS_write, 1, (void *)8, 10), EFAULT);
	CHECK_ERR(syscall(SYS_writev, 1, (void *)8, 3), EFAULT);

	t_pass();
}
