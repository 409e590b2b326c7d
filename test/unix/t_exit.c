/* t_exit: exits (exit_group, through libc's _exit) with the status given as
 * argv[1]; with no argument, with 0.  Prints nothing. */
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	_exit(argc > 1 ? atoi(argv[1]) : 0);
}
