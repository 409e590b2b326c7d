/* t_open: open, openat and their errors. */
#include "check.h"
#include <fcntl.h>

#define MOTD "Welcome to machina: this line comes from the boot archive.\n"

static char longpath[5001];

int main(void)
{
	char buf[128];

	/* The lowest free fd is returned: only 0, 1 and 2 are open at start. */
	int a = open("/etc/motd", O_RDONLY);
	CHECK_EQ(a, 3);
	int b = open("/etc/motd", O_RDONLY);
	CHECK_EQ(b, 4);
	int c = open("/etc/motd", O_RDONLY | O_CLOEXEC);   /* O_CLOEXEC accepted */
	CHECK_EQ(c, 5);
	CHECK_EQ(close(a), 0);
	CHECK_EQ(open("/etc/motd", O_RDONLY), 3);
	CHECK_EQ(close(c), 0);
	CHECK_EQ(close(3), 0);
	CHECK_EQ(open("/etc/motd", O_RDONLY), 3);          /* 3 < 5 */
	a = 3;

	/* Two opens of one file have independent offsets. */
	CHECK_EQ(read(a, buf, 5), 5);
	CHECK_EQ(read(b, buf, 3), 3);
	CHECK(memcmp(buf, "Wel", 3) == 0);
	CHECK_EQ(lseek(a, 0, SEEK_CUR), 5);
	CHECK_EQ(lseek(b, 0, SEEK_CUR), 3);
	CHECK_EQ(close(a), 0);
	CHECK_EQ(close(b), 0);

	/* openat with AT_FDCWD and with a directory fd */
	int fd = openat(AT_FDCWD, "/etc/motd", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(close(fd), 0);
	fd = openat(AT_FDCWD, "etc/motd", O_RDONLY);       /* cwd is / */
	CHECK(fd >= 0);
	CHECK_EQ(close(fd), 0);
	int dfd = open("/etc", O_RDONLY | O_DIRECTORY);
	CHECK(dfd >= 0);
	fd = openat(dfd, "motd", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(read(fd, buf, sizeof buf), 59);
	CHECK(memcmp(buf, MOTD, 59) == 0);
	CHECK_EQ(close(fd), 0);
	fd = openat(dfd, "/etc/motd", O_RDONLY);           /* absolute: dirfd ignored */
	CHECK(fd >= 0);
	CHECK_EQ(close(fd), 0);
	fd = openat(dfd, "../etc/./motd", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(close(fd), 0);
	fd = openat(dfd, "motd.link", O_RDONLY);           /* follows the symlink */
	CHECK(fd >= 0);
	CHECK_EQ(read(fd, buf, sizeof buf), 59);
	CHECK_EQ(close(fd), 0);
	CHECK_ERR(openat(dfd, "nosuchfile", O_RDONLY), ENOENT);
	CHECK_ERR(openat(99, "motd", O_RDONLY), EBADF);

	/* read() on a directory fd: EISDIR */
	CHECK_ERR(read(dfd, buf, 10), EISDIR);
	CHECK_EQ(close(dfd), 0);
	fd = open("/etc", O_RDONLY);                       /* O_DIRECTORY optional */
	CHECK(fd >= 0);
	CHECK_ERR(read(fd, buf, 10), EISDIR);
	CHECK_EQ(close(fd), 0);

	/* ENOENT / ENOTDIR */
	CHECK_ERR(open("/etc/nosuchfile", O_RDONLY), ENOENT);
	CHECK_ERR(open("/nosuchdir/motd", O_RDONLY), ENOENT);
	CHECK_ERR(open("", O_RDONLY), ENOENT);
	CHECK_ERR(open("/etc/motd/x", O_RDONLY), ENOTDIR);
	CHECK_ERR(open("/etc/motd", O_RDONLY | O_DIRECTORY), ENOTDIR);
	fd = open("/etc/motd", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_ERR(openat(fd, "x", O_RDONLY), ENOTDIR);     /* dirfd is a file */
	CHECK_EQ(close(fd), 0);

	/* bad pointer, too long a path */
	CHECK_ERR(syscall(SYS_open, (char *)8, O_RDONLY, 0), EFAULT);
	CHECK_ERR(syscall(SYS_openat, AT_FDCWD, (char *)8, O_RDONLY, 0), EFAULT);
	memset(longpath, 'a', sizeof longpath - 1);
	memcpy(longpath, "/etc/", 5);
	CHECK_ERR(open(longpath, O_RDONLY), ENAMETOOLONG);

	/* The root file system is read-only on machina (not so on a host). */
	if (!t_host()) {
		CHECK_ERR(open("/etc/motd", O_WRONLY), EROFS);
		CHECK_ERR(open("/etc/motd", O_RDWR), EROFS);
	}

	/* Nothing leaked: the next fd is 3 again. */
	fd = open("/etc/motd", O_RDONLY);
	CHECK_EQ(fd, 3);
	CHECK_EQ(close(fd), 0);
	t_pass();
}
