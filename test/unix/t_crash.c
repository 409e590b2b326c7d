/* A program that faults: a store through a null pointer. The kernel ends
 * the task (no exception handler); the Unix server reports the process as
 * killed by SIGSEGV (status 139) and the system goes on. */
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	static const char msg[] = "t_crash: about to fault\n";
	write(1, msg, sizeof msg - 1);
	*(volatile int *)0 = 1;
	write(1, "t_crash: still alive\n", 21);
	return 0;
}
