/* check.h: tiny assertion helpers for the Linux-ABI test programs.
 *
 * Each program prints "NAME: PASS" and exits 0 when every check held, or
 * "NAME: FAIL file:line: what (ret=R errno=E NAME)" and exits 1 at the first
 * check that did not.  NAME is the source file name (__BASE_FILE__) without ".c".
 * Output goes straight to fd 1 with write(2), bypassing stdio buffering.
 */
#ifndef T_CHECK_H
#define T_CHECK_H

#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

static inline const char *t_name(void)
{
	static char name[64];
	const char *s = strrchr(__BASE_FILE__, '/');
	s = s ? s + 1 : __BASE_FILE__;
	size_t n = strcspn(s, ".");
	if (n >= sizeof name)
		n = sizeof name - 1;
	memcpy(name, s, n);
	name[n] = 0;
	return name;
}

static inline const char *t_errname(int e)
{
	switch (e) {
	case 0: return "0";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case ESRCH: return "ESRCH";
	case EINTR: return "EINTR";
	case EIO: return "EIO";
	case E2BIG: return "E2BIG";
	case EBADF: return "EBADF";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EEXIST: return "EEXIST";
	case ENODEV: return "ENODEV";
	case ENOTDIR: return "ENOTDIR";
	case EISDIR: return "EISDIR";
	case EINVAL: return "EINVAL";
	case EMFILE: return "EMFILE";
	case ENOTTY: return "ENOTTY";
	case ESPIPE: return "ESPIPE";
	case EROFS: return "EROFS";
	case ERANGE: return "ERANGE";
	case ENAMETOOLONG: return "ENAMETOOLONG";
	case ENOSYS: return "ENOSYS";
	case ELOOP: return "ELOOP";
	case EOVERFLOW: return "EOVERFLOW";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	default: return "?";
	}
}

static inline void t_print(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof buf - 1)
		n = sizeof buf - 1;
	if (n > 0 && write(1, buf, n) < 0)
		_exit(2);
}

static inline __attribute__((noreturn)) void t_fail(const char *file, int line,
		const char *what, long ret, int err)
{
	const char *f = strrchr(file, '/');
	t_print("%s: FAIL %s:%d: %s (ret=%ld errno=%d %s)\n", t_name(),
		f ? f + 1 : file, line, what, ret, err, t_errname(err));
	_exit(1);
}

static inline __attribute__((noreturn)) void t_pass(void)
{
	t_print("%s: PASS\n", t_name());
	_exit(0);
}

/* CHECK(cond): cond must be true (errno is left alone: cond may test it). */
#define CHECK(cond) do { \
	if (!(cond)) { int e_ = errno; t_fail(__FILE__, __LINE__, #cond, 0, e_); } \
} while (0)

/* CHECK_EQ(expr, want): expr (an integer or pointer) must equal want. */
#define CHECK_EQ(expr, want) do { \
	errno = 0; \
	long r_ = (long)(expr); int e_ = errno; \
	if (r_ != (long)(want)) \
		t_fail(__FILE__, __LINE__, #expr " == " #want, r_, e_); \
} while (0)

/* CHECK_OK(expr): expr must not return -1 (nor MAP_FAILED). */
#define CHECK_OK(expr) do { \
	errno = 0; \
	long r_ = (long)(expr); int e_ = errno; \
	if (r_ == -1) \
		t_fail(__FILE__, __LINE__, #expr " succeeds", r_, e_); \
} while (0)

/* CHECK_ERR(expr, err): expr must return -1 with errno == err. */
#define CHECK_ERR(expr, err) do { \
	errno = 0; \
	long r_ = (long)(expr); int e_ = errno; \
	if (r_ != -1 || e_ != (err)) \
		t_fail(__FILE__, __LINE__, #expr " fails with " #err, r_, e_); \
} while (0)

/* True when running as a host (real Linux) check rather than on machina. */
static inline int t_host(void) { return getenv("T_HOST") != NULL; }

#endif
