/* t_sendfile: sendfile from a file to fd 1. */
#include "check.h"
#include <fcntl.h>
#include <sys/sendfile.h>

int main(void)
{
	int in = open("/etc/motd", O_RDONLY);
	CHECK(in >= 0);

	/* no offset pointer: uses and advances the file position */
	CHECK_EQ(sendfile(1, in, NULL, 59), 59);
	CHECK_EQ(lseek(in, 0, SEEK_CUR), 59);
	CHECK_EQ(sendfile(1, in, NULL, 100), 0);           /* at EOF */

	/* with an offset pointer: it advances, the file position does not */
	CHECK_EQ(lseek(in, 5, SEEK_SET), 5);
	off_t off = 11;
	CHECK_EQ(sendfile(1, in, &off, 7), 7);             /* "machina" */
	CHECK_EQ(off, 18);
	CHECK_EQ(write(1, "\n", 1), 1);
	CHECK_EQ(lseek(in, 0, SEEK_CUR), 5);

	/* count larger than what is left gives what is left */
	off = 50;
	CHECK_EQ(sendfile(1, in, &off, 1000), 9);
	CHECK_EQ(off, 59);
	CHECK_EQ(sendfile(1, in, &off, 1000), 0);
	CHECK_EQ(off, 59);
	CHECK_EQ(lseek(in, 0, SEEK_SET), 0);
	CHECK_EQ(sendfile(1, in, NULL, 1 << 20), 59);
	CHECK_EQ(lseek(in, 0, SEEK_CUR), 59);

	/* errors */
	CHECK_ERR(sendfile(1, 99, NULL, 10), EBADF);
	CHECK_ERR(sendfile(99, in, NULL, 10), EBADF);
	int ro = open("/etc/motd", O_RDONLY);
	CHECK(ro >= 0);
	CHECK_ERR(sendfile(ro, in, NULL, 10), EBADF);      /* out not writable */
	CHECK_ERR(syscall(SYS_sendfile, 1, in, (void *)8, 10), EFAULT);
	off = -1;
	CHECK_ERR(sendfile(1, in, &off, 10), EINVAL);
	CHECK_EQ(close(ro), 0);
	CHECK_EQ(close(in), 0);
	t_pass();
}
