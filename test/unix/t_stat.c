/* t_stat: fstat, stat, lstat, newfstatat, readlink(at), access, faccessat. */
#include "check.h"
#include <fcntl.h>
#include <sys/stat.h>

int main(void)
{
	struct stat st, motd, dir, link;
	char buf[64];

	/* stat / fstat / lstat on the file */
	CHECK_EQ(stat("/etc/motd", &motd), 0);
	CHECK(S_ISREG(motd.st_mode));
	CHECK_EQ(motd.st_size, 59);
	CHECK(motd.st_nlink >= 1);
	int fd = open("/etc/motd", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK(S_ISREG(st.st_mode));
	CHECK_EQ(st.st_size, 59);
	CHECK(st.st_ino == motd.st_ino && st.st_dev == motd.st_dev);
	CHECK_EQ(lstat("/etc/motd", &st), 0);
	CHECK(S_ISREG(st.st_mode) && st.st_ino == motd.st_ino);

	/* the directory */
	CHECK_EQ(stat("/etc", &dir), 0);
	CHECK(S_ISDIR(dir.st_mode));
	CHECK(dir.st_ino != motd.st_ino);
	CHECK_EQ(stat("/", &st), 0);
	CHECK(S_ISDIR(st.st_mode));

	/* the symlink: lstat sees it, stat follows it */
	CHECK_EQ(lstat("/etc/motd.link", &link), 0);
	CHECK(S_ISLNK(link.st_mode));
	CHECK_EQ(link.st_size, 4);
	CHECK(link.st_ino != motd.st_ino);
	CHECK_EQ(stat("/etc/motd.link", &st), 0);
	CHECK(S_ISREG(st.st_mode));
	CHECK_EQ(st.st_size, 59);
	CHECK(st.st_ino == motd.st_ino && st.st_dev == motd.st_dev);
	CHECK_EQ(lstat("/doc", &st), 0);
	CHECK(S_ISLNK(st.st_mode));
	CHECK_EQ(st.st_size, 14);                          /* "/usr/share/doc" */
	CHECK_EQ(stat("/doc", &st), 0);
	CHECK(S_ISDIR(st.st_mode));
	CHECK_EQ(stat("/doc/readme.txt", &st), 0);
	CHECK(S_ISREG(st.st_mode) && st.st_size > 0);

	/* newfstatat, raw (musl turns AT_EMPTY_PATH into fstat) */
	int dfd = open("/etc", O_RDONLY | O_DIRECTORY);
	CHECK(dfd >= 0);
	CHECK_EQ(syscall(SYS_newfstatat, AT_FDCWD, "/etc/motd.link", &st, AT_SYMLINK_NOFOLLOW), 0);
	CHECK(S_ISLNK(st.st_mode) && st.st_ino == link.st_ino);
	CHECK_EQ(syscall(SYS_newfstatat, AT_FDCWD, "/etc/motd.link", &st, 0), 0);
	CHECK(S_ISREG(st.st_mode) && st.st_ino == motd.st_ino);
	CHECK_EQ(syscall(SYS_newfstatat, dfd, "motd.link", &st, AT_SYMLINK_NOFOLLOW), 0);
	CHECK(S_ISLNK(st.st_mode) && st.st_size == 4);
	CHECK_EQ(syscall(SYS_newfstatat, dfd, "motd", &st, 0), 0);
	CHECK(S_ISREG(st.st_mode) && st.st_ino == motd.st_ino);
	CHECK_EQ(syscall(SYS_newfstatat, fd, "", &st, AT_EMPTY_PATH), 0);
	CHECK(S_ISREG(st.st_mode) && st.st_size == 59 && st.st_ino == motd.st_ino);
	CHECK_EQ(syscall(SYS_newfstatat, dfd, "", &st, AT_EMPTY_PATH), 0);
	CHECK(S_ISDIR(st.st_mode) && st.st_ino == dir.st_ino);
	CHECK_ERR(syscall(SYS_newfstatat, fd, "", &st, 0), ENOENT);
	CHECK_ERR(syscall(SYS_newfstatat, dfd, "nosuch", &st, 0), ENOENT);
	CHECK_ERR(syscall(SYS_newfstatat, 99, "motd", &st, 0), EBADF);
	CHECK_ERR(syscall(SYS_newfstatat, fd, "x", &st, 0), ENOTDIR);

	/* stat errors */
	CHECK_ERR(stat("/etc/nosuch", &st), ENOENT);
	CHECK_ERR(stat("/etc/motd/x", &st), ENOTDIR);
	CHECK_ERR(syscall(SYS_fstat, 99, &st), EBADF);
	CHECK_ERR(syscall(SYS_stat, "/etc/motd", (void *)8), EFAULT);
	CHECK_ERR(syscall(SYS_lstat, "/etc/motd", (void *)8), EFAULT);
	CHECK_ERR(syscall(SYS_fstat, fd, (void *)8), EFAULT);
	CHECK_ERR(syscall(SYS_stat, (char *)8, &st), EFAULT);

	/* readlink: no NUL is written after the target */
	memset(buf, 'X', sizeof buf);
	CHECK_EQ(readlink("/etc/motd.link", buf, sizeof buf), 4);
	CHECK(memcmp(buf, "motdX", 5) == 0);
	memset(buf, 'X', sizeof buf);
	CHECK_EQ(readlink("/etc/motd.link", buf, 2), 2);   /* truncated */
	CHECK(memcmp(buf, "moX", 3) == 0);
	memset(buf, 'X', sizeof buf);
	CHECK_EQ(readlinkat(dfd, "motd.link", buf, sizeof buf), 4);
	CHECK(memcmp(buf, "motdX", 5) == 0);
	CHECK_EQ(readlink("/doc", buf, sizeof buf), 14);
	CHECK(memcmp(buf, "/usr/share/doc", 14) == 0);
	CHECK_ERR(readlink("/etc/motd", buf, sizeof buf), EINVAL);
	CHECK_ERR(readlink("/etc", buf, sizeof buf), EINVAL);
	CHECK_ERR(readlink("/etc/nosuch", buf, sizeof buf), ENOENT);
	CHECK_ERR(syscall(SYS_readlink, "/etc/motd.link", buf, 0), EINVAL);
	CHECK_ERR(syscall(SYS_readlink, "/etc/motd.link", (void *)8, 64), EFAULT);
	CHECK_ERR(syscall(SYS_readlink, (char *)8, buf, 64), EFAULT);
	memset(buf, 0, sizeof buf);
	CHECK_EQ(readlink("/proc/self/exe", buf, sizeof buf - 1), 11);
	CHECK(strcmp(buf, "/bin/t_stat") == 0);

	/* access / faccessat */
	CHECK_EQ(access("/etc/motd", F_OK), 0);
	CHECK_EQ(access("/etc/motd", R_OK), 0);
	CHECK_EQ(access("/etc/motd.link", R_OK), 0);
	CHECK_EQ(access("/etc", R_OK | X_OK), 0);
	CHECK_ERR(access("/etc/nosuch", F_OK), ENOENT);
	CHECK_ERR(access("/etc/motd/x", F_OK), ENOTDIR);
	CHECK_ERR(syscall(SYS_access, (char *)8, F_OK), EFAULT);
	CHECK_EQ(faccessat(AT_FDCWD, "/etc/motd", R_OK, 0), 0);
	CHECK_EQ(faccessat(dfd, "motd", F_OK, 0), 0);
	CHECK_ERR(faccessat(dfd, "nosuch", F_OK, 0), ENOENT);
	CHECK_ERR(syscall(SYS_faccessat, AT_FDCWD, (char *)8, F_OK), EFAULT);
	CHECK_ERR(syscall(SYS_access, "/etc/motd", 0x100), EINVAL);   /* bad mode */

	CHECK_EQ(close(fd), 0);
	CHECK_EQ(close(dfd), 0);
	t_pass();
}
