/* t_path: the name-space and metadata calls under /tmp: mkdir, mkdirat,
 * rmdir, unlink, unlinkat, rename, renameat, renameat2, link, linkat,
 * symlink, symlinkat, chdir, fchdir, truncate, ftruncate, chmod, fchmod,
 * fchmodat, chown, fchown, lchown, fchownat, utimensat, utimes, utime,
 * fsync, fdatasync, syncfs, sync, statfs, fstatfs, creat; their errors
 * (EEXIST, ENOENT, ENOTDIR, EISDIR, ENOTEMPTY, EINVAL, EFAULT, EBADF,
 * ENAMETOOLONG) and, on this system only, EROFS and EXDEV between the boot
 * archive and /tmp. */
#include "check.h"
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/time.h>
#include <time.h>
#include <utime.h>

#define BAD ((void *)8)

static char base[64];

/* base/name in one of a few rotating buffers. */
static const char *P(const char *name)
{
	static char bufs[8][128];
	static int next;
	char *b = bufs[next++ % 8];
	snprintf(b, sizeof bufs[0], "%s/%s", base, name);
	return b;
}

static struct stat st_of(const char *path)
{
	struct stat st;
	memset(&st, 0, sizeof st);
	CHECK_EQ(lstat(path, &st), 0);
	return st;
}

static void write_file(const char *path, const char *data)
{
	int fd = creat(path, 0644);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, data, strlen(data)), (long)strlen(data));
	CHECK_EQ(close(fd), 0);
}

static void check_mkdir_rmdir(void)
{
	CHECK_EQ(syscall(SYS_mkdir, P("d"), 0755), 0);
	struct stat st = st_of(P("d"));
	CHECK(S_ISDIR(st.st_mode));
	CHECK_EQ(st.st_mode & 07777, 0755);
	CHECK_ERR(syscall(SYS_mkdir, P("d"), 0755), EEXIST);
	CHECK_ERR(syscall(SYS_mkdir, P("d/"), 0755), EEXIST);
	CHECK_ERR(syscall(SYS_mkdir, P("none/x"), 0755), ENOENT);
	CHECK_ERR(syscall(SYS_mkdir, "", 0755), ENOENT);
	CHECK_ERR(syscall(SYS_mkdir, BAD, 0755), EFAULT);
	static char longpath[5000];
	memset(longpath, 'a', sizeof longpath - 1);
	CHECK_ERR(syscall(SYS_mkdir, longpath, 0755), ENAMETOOLONG);

	/* the umask applies; setuid/setgid are dropped, the sticky bit kept */
	CHECK_EQ(syscall(SYS_mkdir, P("sticky"), 07777), 0);
	CHECK_EQ(st_of(P("sticky")).st_mode & 07777, 01755);
	umask(077);
	CHECK_EQ(syscall(SYS_mkdir, P("private"), 0777), 0);
	CHECK_EQ(st_of(P("private")).st_mode & 07777, 0700);
	umask(022);

	/* mkdirat relative to a directory descriptor */
	int dfd = open(P("d"), O_RDONLY | O_DIRECTORY);
	CHECK(dfd >= 0);
	CHECK_EQ(syscall(SYS_mkdirat, dfd, "sub", 0700), 0);
	CHECK(S_ISDIR(st_of(P("d/sub")).st_mode));
	CHECK_ERR(syscall(SYS_mkdirat, dfd, "sub", 0700), EEXIST);
	CHECK_ERR(syscall(SYS_mkdirat, 99, "x", 0700), EBADF);

	/* a file where a directory is needed */
	write_file(P("file"), "0123456789");
	CHECK_ERR(syscall(SYS_mkdir, P("file/x"), 0755), ENOTDIR);
	CHECK_ERR(syscall(SYS_rmdir, P("file")), ENOTDIR);
	CHECK_ERR(syscall(SYS_mkdirat, open(P("file"), O_RDONLY), "x", 0700), ENOTDIR);

	/* rmdir */
	CHECK_ERR(syscall(SYS_rmdir, P("d")), ENOTEMPTY);
	CHECK_ERR(syscall(SYS_rmdir, P("d/sub/.")), EINVAL);
	CHECK_ERR(syscall(SYS_rmdir, P("d/sub/..")), ENOTEMPTY);
	CHECK_ERR(syscall(SYS_rmdir, P("missing")), ENOENT);
	CHECK_ERR(syscall(SYS_rmdir, BAD), EFAULT);
	CHECK_ERR(syscall(SYS_rmdir, ""), ENOENT);
	CHECK_ERR(syscall(SYS_unlinkat, dfd, "sub", 0x1), EINVAL);
	CHECK_ERR(syscall(SYS_unlinkat, dfd, "sub", 0), EISDIR);
	CHECK_EQ(syscall(SYS_unlinkat, dfd, "sub", AT_REMOVEDIR), 0);
	CHECK_ERR(syscall(SYS_unlinkat, dfd, "sub", AT_REMOVEDIR), ENOENT);
	CHECK_EQ(syscall(SYS_rmdir, P("d")), 0);
	CHECK_ERR(lstat(P("d"), &st), ENOENT);
	CHECK_EQ(syscall(SYS_rmdir, P("sticky")), 0);
	CHECK_EQ(syscall(SYS_rmdir, P("private/")), 0);
	close(dfd);

	/* unlink */
	CHECK_ERR(syscall(SYS_unlink, P("missing")), ENOENT);
	CHECK_ERR(syscall(SYS_unlink, BAD), EFAULT);
	CHECK_ERR(syscall(SYS_unlink, base), EISDIR);
	CHECK_ERR(syscall(SYS_unlink, P(".")), EISDIR);
	CHECK_ERR(syscall(SYS_unlink, P("file/x")), ENOTDIR);
}

static void check_creat_truncate(void)
{
	/* creat truncates and opens for writing only */
	int fd = syscall(SYS_creat, P("file"), 0600);
	CHECK(fd >= 0);
	struct stat st = st_of(P("file"));
	CHECK_EQ(st.st_size, 0);
	CHECK_EQ(st.st_mode & 07777, 0644);         /* existed: mode unchanged */
	char c;
	CHECK_ERR(read(fd, &c, 1), EBADF);
	CHECK_EQ(write(fd, "abcdef", 6), 6);
	CHECK_ERR(syscall(SYS_creat, BAD, 0600), EFAULT);
	CHECK_ERR(syscall(SYS_creat, P("none/x"), 0600), ENOENT);
	int fd2 = syscall(SYS_creat, P("new"), 0666);
	CHECK(fd2 >= 0);
	CHECK_EQ(st_of(P("new")).st_mode & 07777, 0644);  /* umask 022 */
	CHECK_EQ(close(fd2), 0);

	/* ftruncate */
	CHECK_EQ(syscall(SYS_ftruncate, fd, 3), 0);
	CHECK_EQ(st_of(P("file")).st_size, 3);
	CHECK_EQ(syscall(SYS_ftruncate, fd, 8192), 0);
	CHECK_EQ(st_of(P("file")).st_size, 8192);
	CHECK_ERR(syscall(SYS_ftruncate, fd, -1L), EINVAL);
	CHECK_ERR(syscall(SYS_ftruncate, -1, 0), EBADF);
	CHECK_ERR(syscall(SYS_ftruncate, 99, 0), EBADF);
	CHECK_EQ(close(fd), 0);
	fd = open(P("file"), O_RDONLY);
	CHECK(fd >= 0);
	CHECK_ERR(syscall(SYS_ftruncate, fd, 0), EINVAL);  /* not open for writing */
	char buf[16];
	CHECK_EQ(pread(fd, buf, 16, 0), 16);
	CHECK(memcmp(buf, "abc\0\0\0\0\0\0\0\0\0\0\0\0\0", 16) == 0);  /* zeros past the cut */
	CHECK_EQ(close(fd), 0);

	/* truncate */
	CHECK_EQ(syscall(SYS_truncate, P("file"), 5), 0);
	CHECK_EQ(st_of(P("file")).st_size, 5);
	CHECK_ERR(syscall(SYS_truncate, P("file"), -1L), EINVAL);
	CHECK_ERR(syscall(SYS_truncate, base, 0), EISDIR);
	CHECK_ERR(syscall(SYS_truncate, P("missing"), 0), ENOENT);
	CHECK_ERR(syscall(SYS_truncate, BAD, 0), EFAULT);
	CHECK_ERR(syscall(SYS_truncate, "", 0), ENOENT);
	CHECK_EQ(syscall(SYS_truncate, P("file"), 0), 0);
	CHECK_EQ(syscall(SYS_unlink, P("new")), 0);
}

static void check_rename(void)
{
	write_file(P("a"), "A");
	write_file(P("b"), "BB");
	CHECK_EQ(syscall(SYS_mkdir, P("dir"), 0755), 0);
	CHECK_EQ(syscall(SYS_mkdir, P("full"), 0755), 0);
	write_file(P("full/x"), "x");

	ino_t ino = st_of(P("a")).st_ino;
	CHECK_EQ(syscall(SYS_rename, P("a"), P("c")), 0);
	CHECK_ERR(syscall(SYS_rename, P("a"), P("c")), ENOENT);
	CHECK_EQ(st_of(P("c")).st_ino, ino);
	CHECK_EQ(syscall(SYS_rename, P("c"), P("b")), 0);        /* replaces b */
	CHECK_EQ(st_of(P("b")).st_size, 1);
	CHECK_EQ(st_of(P("b")).st_ino, ino);
	write_file(P("a"), "A");
	CHECK_ERR(syscall(SYS_renameat2, AT_FDCWD, P("a"), AT_FDCWD, P("b"), 1), EEXIST);
	CHECK_ERR(syscall(SYS_renameat2, AT_FDCWD, P("a"), AT_FDCWD, P("b"), 8), EINVAL);
	CHECK_ERR(syscall(SYS_renameat2, AT_FDCWD, P("a"), AT_FDCWD, P("b"), 3), EINVAL);
	CHECK_EQ(syscall(SYS_renameat2, AT_FDCWD, P("a"), AT_FDCWD, P("a2"), 1), 0);
	CHECK_EQ(syscall(SYS_renameat2, AT_FDCWD, P("a2"), AT_FDCWD, P("a"), 0), 0);

	/* directories */
	CHECK_ERR(syscall(SYS_rename, P("dir"), P("full")), ENOTEMPTY);
	CHECK_ERR(syscall(SYS_rename, P("dir"), P("a")), ENOTDIR);
	CHECK_ERR(syscall(SYS_rename, P("a"), P("dir")), EISDIR);
	CHECK_ERR(syscall(SYS_rename, P("full"), P("full/sub")), EINVAL);
	CHECK_ERR(syscall(SYS_rename, P("dir/."), P("dir2")), EBUSY);
	CHECK_ERR(syscall(SYS_rename, P("a/x"), P("dir2")), ENOTDIR);
	CHECK_EQ(syscall(SYS_rename, P("dir"), P("dir2")), 0);
	CHECK(S_ISDIR(st_of(P("dir2")).st_mode));
	CHECK_EQ(syscall(SYS_mkdir, P("empty"), 0755), 0);
	CHECK_EQ(syscall(SYS_rename, P("dir2"), P("empty")), 0);  /* over an empty directory */
	CHECK_ERR(syscall(SYS_rmdir, P("dir2")), ENOENT);

	/* renameat with descriptors */
	int dfd = open(P("full"), O_RDONLY | O_DIRECTORY);
	CHECK(dfd >= 0);
	int bfd = open(base, O_RDONLY | O_DIRECTORY);
	CHECK(bfd >= 0);
	CHECK_EQ(syscall(SYS_renameat, dfd, "x", bfd, "x2"), 0);
	CHECK_EQ(st_of(P("x2")).st_size, 1);
	CHECK_EQ(syscall(SYS_renameat, bfd, "x2", dfd, "x"), 0);
	CHECK_ERR(syscall(SYS_renameat, 99, "x", bfd, "y"), EBADF);
	close(dfd);
	close(bfd);

	CHECK_ERR(syscall(SYS_rename, BAD, P("z")), EFAULT);
	CHECK_ERR(syscall(SYS_rename, P("a"), BAD), EFAULT);
	CHECK_ERR(syscall(SYS_rename, "", P("z")), ENOENT);
	CHECK_EQ(syscall(SYS_unlink, P("full/x")), 0);
	CHECK_EQ(syscall(SYS_rmdir, P("full")), 0);
	CHECK_EQ(syscall(SYS_rmdir, P("empty")), 0);
	CHECK_EQ(syscall(SYS_unlink, P("b")), 0);
}

static void check_links(void)
{
	/* a is "A" from check_rename */
	CHECK_EQ(syscall(SYS_link, P("a"), P("h")), 0);
	struct stat a = st_of(P("a")), h = st_of(P("h"));
	CHECK_EQ(a.st_ino, h.st_ino);
	CHECK_EQ(a.st_nlink, 2);
	CHECK_ERR(syscall(SYS_link, P("a"), P("h")), EEXIST);
	CHECK_ERR(syscall(SYS_link, P("missing"), P("h2")), ENOENT);
	CHECK_ERR(syscall(SYS_link, base, P("h2")), EPERM);      /* a directory */
	CHECK_ERR(syscall(SYS_link, BAD, P("h2")), EFAULT);
	CHECK_ERR(syscall(SYS_link, P("a"), BAD), EFAULT);
	CHECK_ERR(syscall(SYS_linkat, AT_FDCWD, P("a"), AT_FDCWD, P("h2"), 0x1), EINVAL);
	CHECK_EQ(syscall(SYS_unlink, P("h")), 0);
	CHECK_EQ(st_of(P("a")).st_nlink, 1);

	/* symlinks */
	CHECK_EQ(syscall(SYS_symlink, "a", P("s")), 0);
	struct stat s = st_of(P("s"));
	CHECK(S_ISLNK(s.st_mode));
	char buf[64];
	CHECK_EQ(readlink(P("s"), buf, sizeof buf), 1);
	CHECK(buf[0] == 'a');
	CHECK_ERR(syscall(SYS_symlink, "a", P("s")), EEXIST);
	CHECK_ERR(syscall(SYS_symlink, "a", P("a")), EEXIST);
	CHECK_ERR(syscall(SYS_symlink, "", P("s2")), ENOENT);
	CHECK_ERR(syscall(SYS_symlink, BAD, P("s2")), EFAULT);
	CHECK_ERR(syscall(SYS_symlink, "a", BAD), EFAULT);
	CHECK_ERR(syscall(SYS_symlink, "a", P("none/s")), ENOENT);
	int bfd = open(base, O_RDONLY | O_DIRECTORY);
	CHECK(bfd >= 0);
	CHECK_EQ(syscall(SYS_symlinkat, "dangling", bfd, "s3"), 0);
	CHECK_EQ(readlink(P("s3"), buf, sizeof buf), 8);
	CHECK_ERR(stat(P("s3"), &s), ENOENT);

	/* link of a symbolic link: itself, or with AT_SYMLINK_FOLLOW its target */
	CHECK_EQ(syscall(SYS_linkat, bfd, "s", bfd, "ls", 0), 0);
	CHECK(S_ISLNK(st_of(P("ls")).st_mode));
	CHECK_EQ(syscall(SYS_linkat, bfd, "s", bfd, "lf", AT_SYMLINK_FOLLOW), 0);
	CHECK(S_ISREG(st_of(P("lf")).st_mode));
	CHECK_EQ(st_of(P("lf")).st_ino, st_of(P("a")).st_ino);
	close(bfd);
	CHECK_EQ(syscall(SYS_unlink, P("ls")), 0);
	CHECK_EQ(syscall(SYS_unlink, P("lf")), 0);
	CHECK_EQ(syscall(SYS_unlink, P("s3")), 0);
	/* s stays for lchown */
}

static void check_chdir(void)
{
	char cwd[256];
	CHECK_EQ(syscall(SYS_chdir, base), 0);
	CHECK(getcwd(cwd, sizeof cwd) != NULL);
	CHECK(strcmp(cwd, base) == 0);
	CHECK_EQ(syscall(SYS_mkdir, "rel", 0755), 0);       /* relative to the new cwd */
	CHECK_EQ(syscall(SYS_chdir, "rel"), 0);
	CHECK(getcwd(cwd, sizeof cwd) != NULL);
	CHECK(strcmp(cwd, P("rel")) == 0);
	CHECK_EQ(syscall(SYS_chdir, ".."), 0);
	CHECK_EQ(syscall(SYS_rmdir, "rel"), 0);
	CHECK_ERR(syscall(SYS_chdir, "a"), ENOTDIR);
	CHECK_ERR(syscall(SYS_chdir, "missing"), ENOENT);
	CHECK_ERR(syscall(SYS_chdir, ""), ENOENT);
	CHECK_ERR(syscall(SYS_chdir, BAD), EFAULT);

	int rfd = open("/", O_RDONLY | O_DIRECTORY);
	CHECK(rfd >= 0);
	CHECK_EQ(syscall(SYS_fchdir, rfd), 0);
	CHECK(getcwd(cwd, sizeof cwd) != NULL);
	CHECK(strcmp(cwd, "/") == 0);
	close(rfd);
	CHECK_ERR(syscall(SYS_fchdir, -1), EBADF);
	CHECK_ERR(syscall(SYS_fchdir, 99), EBADF);
	int ffd = open(P("a"), O_RDONLY);
	CHECK(ffd >= 0);
	CHECK_ERR(syscall(SYS_fchdir, ffd), ENOTDIR);
	close(ffd);
}

static void check_modes_owners(void)
{
	CHECK_EQ(syscall(SYS_chmod, P("a"), 0600), 0);
	CHECK_EQ(st_of(P("a")).st_mode & 07777, 0600);
	CHECK_EQ(syscall(SYS_chmod, P("a"), 0100755), 0);    /* the type bits are ignored */
	CHECK(S_ISREG(st_of(P("a")).st_mode));
	CHECK_EQ(st_of(P("a")).st_mode & 07777, 0755);
	CHECK_ERR(syscall(SYS_chmod, P("missing"), 0600), ENOENT);
	CHECK_ERR(syscall(SYS_chmod, BAD, 0600), EFAULT);
	CHECK_EQ(syscall(SYS_fchmodat, AT_FDCWD, P("s"), 0640), 0);  /* follows the link */
	CHECK_EQ(st_of(P("a")).st_mode & 07777, 0640);
	int fd = open(P("a"), O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(syscall(SYS_fchmod, fd, 01604), 0);
	CHECK_EQ(st_of(P("a")).st_mode & 07777, 01604);
	CHECK_ERR(syscall(SYS_fchmod, -1, 0600), EBADF);
	CHECK_ERR(syscall(SYS_fchmod, 99, 0600), EBADF);

	CHECK_EQ(syscall(SYS_chown, P("a"), 1000, 1001), 0);
	struct stat st = st_of(P("a"));
	CHECK_EQ(st.st_uid, 1000);
	CHECK_EQ(st.st_gid, 1001);
	CHECK_EQ(syscall(SYS_chown, P("a"), -1, -1), 0);
	CHECK_EQ(st_of(P("a")).st_uid, 1000);
	CHECK_EQ(st_of(P("a")).st_gid, 1001);
	CHECK_EQ(syscall(SYS_fchown, fd, -1, 5), 0);
	CHECK_EQ(st_of(P("a")).st_uid, 1000);
	CHECK_EQ(st_of(P("a")).st_gid, 5);
	CHECK_EQ(syscall(SYS_lchown, P("s"), 7, 8), 0);      /* the link, not a */
	CHECK_EQ(st_of(P("s")).st_uid, 7);
	CHECK_EQ(st_of(P("s")).st_gid, 8);
	CHECK_EQ(st_of(P("a")).st_uid, 1000);
	CHECK_EQ(syscall(SYS_chown, P("s"), 9, -1), 0);      /* follows */
	CHECK_EQ(st_of(P("a")).st_uid, 9);
	CHECK_EQ(st_of(P("s")).st_uid, 7);
	CHECK_EQ(syscall(SYS_fchownat, fd, "", 0, 0, AT_EMPTY_PATH), 0);
	CHECK_EQ(st_of(P("a")).st_uid, 0);
	CHECK_EQ(st_of(P("a")).st_gid, 0);
	CHECK_ERR(syscall(SYS_fchownat, fd, "", 0, 0, 0), ENOENT);
	CHECK_ERR(syscall(SYS_fchownat, AT_FDCWD, P("a"), 0, 0, 0x1), EINVAL);
	CHECK_EQ(syscall(SYS_fchownat, AT_FDCWD, P("s"), 0, 0, AT_SYMLINK_NOFOLLOW), 0);
	CHECK_EQ(st_of(P("s")).st_uid, 0);
	CHECK_ERR(syscall(SYS_chown, P("missing"), 0, 0), ENOENT);
	CHECK_ERR(syscall(SYS_lchown, BAD, 0, 0), EFAULT);
	CHECK_ERR(syscall(SYS_fchown, 99, 0, 0), EBADF);
	close(fd);
}

static void check_times(void)
{
	struct timespec ts[2] = { { 1000000000, 5 }, { 1100000000, 0 } };
	CHECK_EQ(syscall(SYS_utimensat, AT_FDCWD, P("a"), ts, 0), 0);
	struct stat st = st_of(P("a"));
	CHECK_EQ(st.st_atime, 1000000000);
	CHECK_EQ(st.st_mtime, 1100000000);

	/* UTIME_OMIT keeps a time, UTIME_NOW sets the clock's */
	time_t now = time(NULL);
	struct timespec t2[2] = { { 0, UTIME_OMIT }, { 0, UTIME_NOW } };
	CHECK_EQ(syscall(SYS_utimensat, AT_FDCWD, P("a"), t2, 0), 0);
	st = st_of(P("a"));
	CHECK_EQ(st.st_atime, 1000000000);
	CHECK(st.st_mtime >= now - 5 && st.st_mtime <= now + 5);
	CHECK_EQ(syscall(SYS_utimensat, AT_FDCWD, P("a"), NULL, 0), 0);  /* both now */
	st = st_of(P("a"));
	CHECK(st.st_atime >= now - 5 && st.st_atime <= now + 5);

	/* futimens: the descriptor with a null path */
	int fd = open(P("a"), O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(syscall(SYS_utimensat, fd, NULL, ts, 0), 0);
	CHECK_EQ(st_of(P("a")).st_mtime, 1100000000);
	CHECK_ERR(syscall(SYS_utimensat, fd, NULL, ts, AT_SYMLINK_NOFOLLOW), EINVAL);
	CHECK_ERR(syscall(SYS_utimensat, 99, NULL, ts, 0), EBADF);
	struct timespec t3[2] = { { 1200000000, 0 }, { 0, UTIME_OMIT } };
	CHECK_EQ(syscall(SYS_utimensat, fd, "", t3, AT_EMPTY_PATH), 0);
	CHECK_EQ(st_of(P("a")).st_atime, 1200000000);
	CHECK_EQ(st_of(P("a")).st_mtime, 1100000000);
	close(fd);

	/* the link itself */
	CHECK_EQ(syscall(SYS_utimensat, AT_FDCWD, P("s"), ts, AT_SYMLINK_NOFOLLOW), 0);
	CHECK_EQ(st_of(P("s")).st_mtime, 1100000000);

	/* errors */
	struct timespec bad[2] = { { 0, 1000000000 }, { 0, 0 } };
	CHECK_ERR(syscall(SYS_utimensat, AT_FDCWD, P("a"), bad, 0), EINVAL);
	CHECK_ERR(syscall(SYS_utimensat, AT_FDCWD, P("missing"), bad, 0), ENOENT);  /* lookup first */
	struct timespec omit[2] = { { 0, UTIME_OMIT }, { 0, UTIME_OMIT } };
	CHECK_EQ(syscall(SYS_utimensat, AT_FDCWD, P("missing"), omit, 0), 0);       /* no lookup */
	CHECK_ERR(syscall(SYS_utimensat, AT_FDCWD, P("missing"), ts, 0), ENOENT);
	CHECK_ERR(syscall(SYS_utimensat, AT_FDCWD, P("a"), ts, 0x1), EINVAL);
	CHECK_ERR(syscall(SYS_utimensat, AT_FDCWD, NULL, ts, 0), EFAULT);
	CHECK_ERR(syscall(SYS_utimensat, AT_FDCWD, BAD, ts, 0), EFAULT);
	CHECK_ERR(syscall(SYS_utimensat, AT_FDCWD, P("a"), BAD, 0), EFAULT);
	CHECK_ERR(syscall(SYS_utimensat, AT_FDCWD, "", ts, 0), ENOENT);

	/* utimes: struct timeval */
	struct timeval tv[2] = { { 1300000000, 999999 }, { 1400000000, 0 } };
	CHECK_EQ(syscall(SYS_utimes, P("a"), tv), 0);
	CHECK_EQ(st_of(P("a")).st_atime, 1300000000);
	CHECK_EQ(st_of(P("a")).st_mtime, 1400000000);
	tv[1].tv_usec = 1000000;
	CHECK_ERR(syscall(SYS_utimes, P("a"), tv), EINVAL);
	tv[1].tv_usec = -1;
	CHECK_ERR(syscall(SYS_utimes, P("a"), tv), EINVAL);
	CHECK_ERR(syscall(SYS_utimes, P("a"), BAD), EFAULT);
	CHECK_ERR(syscall(SYS_utimes, BAD, NULL), EFAULT);
	CHECK_EQ(syscall(SYS_utimes, P("a"), NULL), 0);
	CHECK(st_of(P("a")).st_mtime >= now - 5);

	/* utime: struct utimbuf */
	struct utimbuf ub = { 1500000000, 1600000000 };
	CHECK_EQ(syscall(SYS_utime, P("a"), &ub), 0);
	CHECK_EQ(st_of(P("a")).st_atime, 1500000000);
	CHECK_EQ(st_of(P("a")).st_mtime, 1600000000);
	CHECK_ERR(syscall(SYS_utime, P("a"), BAD), EFAULT);
	CHECK_ERR(syscall(SYS_utime, P("missing"), &ub), ENOENT);
	CHECK_EQ(syscall(SYS_utime, P("a"), NULL), 0);
	CHECK(st_of(P("a")).st_mtime >= now - 5);
}

static void check_sync_statfs(void)
{
	int fd = open(P("a"), O_RDWR);
	CHECK(fd >= 0);
	CHECK_EQ(syscall(SYS_fsync, fd), 0);
	CHECK_EQ(syscall(SYS_fdatasync, fd), 0);
	CHECK_EQ(syscall(SYS_syncfs, fd), 0);
	CHECK_ERR(syscall(SYS_fsync, -1), EBADF);
	CHECK_ERR(syscall(SYS_fsync, 99), EBADF);
	CHECK_ERR(syscall(SYS_fdatasync, 99), EBADF);
	CHECK_ERR(syscall(SYS_syncfs, 99), EBADF);
	int p[2];
	CHECK_EQ(pipe(p), 0);
	CHECK_ERR(syscall(SYS_fsync, p[0]), EINVAL);         /* a pipe has nothing to sync */
	close(p[0]);
	close(p[1]);
	CHECK_EQ(syscall(SYS_sync), 0);

	struct statfs sf;
	memset(&sf, 0, sizeof sf);
	CHECK_EQ(syscall(SYS_statfs, base, &sf), 0);
	CHECK(sf.f_bsize > 0);
	CHECK(sf.f_namelen > 0);
	CHECK(sf.f_blocks >= sf.f_bfree);
	struct statfs sf2;
	memset(&sf2, 0, sizeof sf2);
	CHECK_EQ(syscall(SYS_fstatfs, fd, &sf2), 0);
	CHECK_EQ(sf2.f_type, sf.f_type);
	CHECK_EQ(sf2.f_bsize, sf.f_bsize);
	CHECK_ERR(syscall(SYS_statfs, P("missing"), &sf), ENOENT);
	CHECK_ERR(syscall(SYS_statfs, P("missing"), BAD), ENOENT);  /* the lookup's error first */
	CHECK_ERR(syscall(SYS_statfs, base, BAD), EFAULT);
	CHECK_ERR(syscall(SYS_statfs, BAD, &sf), EFAULT);
	CHECK_ERR(syscall(SYS_statfs, "", &sf), ENOENT);
	CHECK_ERR(syscall(SYS_fstatfs, fd, BAD), EFAULT);
	CHECK_ERR(syscall(SYS_fstatfs, 99, &sf), EBADF);
	CHECK_ERR(syscall(SYS_fstatfs, -1, &sf), EBADF);
	close(fd);

	if (!t_host()) {
		/* the boot archive is read-only, and another file system */
		CHECK_EQ(syscall(SYS_statfs, "/", &sf), 0);
		CHECK(sf.f_flags & ST_RDONLY);
		CHECK_ERR(syscall(SYS_mkdir, "/newdir", 0755), EROFS);
		CHECK_ERR(syscall(SYS_creat, "/newfile", 0644), EROFS);
		CHECK_ERR(syscall(SYS_mkdir, "/etc", 0755), EEXIST);
		CHECK_ERR(syscall(SYS_rename, "/etc/motd", P("motd")), EXDEV);
		CHECK_ERR(syscall(SYS_link, "/etc/motd", P("motd")), EXDEV);
	}
}

static void cleanup(void)
{
	CHECK_EQ(syscall(SYS_unlink, P("s")), 0);
	CHECK_EQ(syscall(SYS_unlink, P("a")), 0);
	CHECK_EQ(syscall(SYS_unlink, P("file")), 0);
	CHECK_EQ(syscall(SYS_rmdir, base), 0);
	struct stat st;
	CHECK_ERR(lstat(base, &st), ENOENT);
}

int main(void)
{
	umask(022);
	snprintf(base, sizeof base, "/tmp/t_path.%d", (int)getpid());
	CHECK_EQ(syscall(SYS_mkdir, base, 0755), 0);
	CHECK_ERR(syscall(SYS_mkdirat, AT_FDCWD, "/tmp", 0755), EEXIST);
	check_mkdir_rmdir();
	check_creat_truncate();
	check_rename();
	check_links();
	check_chdir();
	check_modes_owners();
	check_times();
	check_sync_statfs();
	cleanup();
	t_pass();
}
