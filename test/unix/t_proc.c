/* Processes: fork (the child is a copy: its writes stay its own), getppid,
 * exit statuses through waitpid and waitid, WNOHANG, ECHILD, zombies
 * (kill(pid, 0) works until reaped), vfork + execve, execve's errors,
 * descriptors shared across fork (a pipe), process groups and sessions. */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static int counter = 10;

static void nap(long ms)
{
	struct timespec t = {ms / 1000, (ms % 1000) * 1000000};
	nanosleep(&t, NULL);
}

int main(void)
{
	pid_t me = getpid();
	int st;

	/* fork: a copy. */
	pid_t c = fork();
	CHECK(c >= 0);
	if (c == 0) {
		counter = 99;
		_exit(getppid() == me ? 5 : 6);
	}
	CHECK_EQ(waitpid(c, &st, 0), c);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 5);
	CHECK(counter == 10);
	CHECK_ERR(waitpid(-1, &st, WNOHANG), ECHILD);
	CHECK_ERR(waitpid(c, &st, 0), ECHILD);

	/* WNOHANG on a running child; a zombie answers kill(pid, 0). */
	int p[2];
	CHECK_OK(pipe(p));
	c = fork();
	if (c == 0) {
		char b;
		read(p[0], &b, 1); /* until the parent says */
		_exit(7);
	}
	CHECK_EQ(waitpid(c, &st, WNOHANG), 0);
	CHECK_EQ(write(p[1], "go", 1), 1);
	nap(100);
	CHECK_OK(kill(c, 0)); /* a zombie now, still there */
	siginfo_t si;
	memset(&si, 0, sizeof si);
	CHECK_OK(waitid(P_PID, c, &si, WEXITED));
	CHECK(si.si_pid == c && si.si_code == CLD_EXITED && si.si_status == 7);
	CHECK_ERR(kill(c, 0), ESRCH);

	/* A pipe shared across fork: the child writes, the parent reads, EOF after. */
	close(p[0]);
	close(p[1]);
	CHECK_OK(pipe(p));
	c = fork();
	if (c == 0) {
		close(p[0]);
		write(p[1], "from child", 10);
		_exit(0);
	}
	close(p[1]);
	char buf[32] = {0};
	CHECK_EQ(read(p[0], buf, sizeof buf), 10);
	CHECK(memcmp(buf, "from child", 10) == 0);
	CHECK_EQ(read(p[0], buf, sizeof buf), 0);
	close(p[0]);
	CHECK_EQ(waitpid(c, &st, 0), c);

	/* vfork + execve: the program's status comes back. */
	c = vfork();
	if (c == 0) {
		char *argv[] = {"/bin/t_exit", "9", NULL};
		char *envp[] = {NULL};
		execve(argv[0], argv, envp);
		_exit(127);
	}
	CHECK_EQ(waitpid(c, &st, 0), c);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 9);

	/* execve's errors (the caller goes on). */
	char *noargs[] = {"x", NULL};
	CHECK_ERR(execve("/bin/nope", noargs, noargs + 1), ENOENT);
	CHECK_ERR(execve("/etc/motd", noargs, noargs + 1), EACCES); /* not executable */
	CHECK_ERR(execve("/etc", noargs, noargs + 1), EACCES);
	CHECK_ERR(syscall(SYS_execve, (char *)8, noargs, noargs + 1), EFAULT);

	/* Process groups and sessions. */
	c = fork();
	if (c == 0) {
		nap(200);
		_exit(0);
	}
	CHECK_OK(setpgid(c, c));
	CHECK_EQ(getpgid(c), c);
	CHECK_EQ(getsid(c), getsid(0));
	CHECK_ERR(setpgid(c, 12345), EPERM);
	CHECK_ERR(setpgid(99999, 0), ESRCH);
	CHECK_EQ(waitpid(c, &st, 0), c);
	c = fork();
	if (c == 0) {
		pid_t s = setsid();
		_exit(s == getpid() && getsid(0) == getpid() && getpgrp() == getpid() ? 0 : 1);
	}
	CHECK_EQ(waitpid(c, &st, 0), c);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* A group leader cannot start a session. */
	if (getpgrp() == getpid())
		CHECK_ERR(setsid(), EPERM);

	/* Many forks in a row, all reaped. */
	for (int i = 0; i < 20; i++) {
		c = fork();
		if (c == 0)
			_exit(i);
		CHECK_EQ(waitpid(c, &st, 0), c);
		CHECK(WEXITSTATUS(st) == i);
	}
	t_pass();
}
