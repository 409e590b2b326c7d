/* t_ioctl: terminal ioctls on the console (stdin/stdout must be a tty). */
#include "check.h"
#include <fcntl.h>
#include <sys/ioctl.h>
#include <termios.h>

int main(void)
{
	struct termios t;
	struct winsize ws;

	CHECK_EQ(ioctl(1, TCGETS, &t), 0);
	CHECK_EQ(ioctl(0, TCGETS, &t), 0);
	CHECK_EQ(tcgetattr(1, &t), 0);
	CHECK_EQ(ioctl(1, TIOCGWINSZ, &ws), 0);
	CHECK(isatty(0));
	CHECK(isatty(1));

	int fd = open("/etc/motd", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_ERR(ioctl(fd, TCGETS, &t), ENOTTY);
	CHECK_ERR(ioctl(fd, TIOCGWINSZ, &ws), ENOTTY);
	CHECK(!isatty(fd));
	CHECK_EQ(close(fd), 0);

	CHECK_ERR(ioctl(99, TCGETS, &t), EBADF);
	CHECK_ERR(ioctl(-1, TCGETS, &t), EBADF);
	CHECK(!isatty(99));
	CHECK_ERR(syscall(SYS_ioctl, 1, TCGETS, (void *)8), EFAULT);
	CHECK_ERR(syscall(SYS_ioctl, 1, TIOCGWINSZ, (void *)8), EFAULT);
	t_pass();
}
