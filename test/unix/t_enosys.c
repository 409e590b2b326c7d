/* t_enosys: an unknown system call fails with ENOSYS and the program goes on. */
#include "check.h"

int main(void)
{
	CHECK_ERR(syscall(999), ENOSYS);
	CHECK_ERR(syscall(999, 1, 2, 3, 4, 5, 6), ENOSYS);
	CHECK_ERR(syscall(100000), ENOSYS);
	/* Linux has io_uring; machina will not. */
	if (!t_host())
		CHECK_ERR(syscall(SYS_io_uring_setup, 1, (void *)0), ENOSYS);
	CHECK_EQ(write(1, "t_enosys: still alive\n", 22), 22);
	CHECK_EQ(getpid() > 0, 1);
	t_pass();
}
