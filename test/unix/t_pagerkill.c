/* Fault injection (docs/robustness.md): the file pager crashes in the
 * middle of the data request for /bin/t_exit's text (file_pager.elf
 * crash-on=bin/t_exit:0x1000). This program, the first process, first
 * makes every page of its own image and of the emulation library resident
 * (they come from that pager too), then runs /bin/t_exit: that child dies
 * with the pager ("memory error"). The Unix server, supervising the file
 * pager, starts it again; once it is back, /true runs. */
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

extern const char __executable_start[], _end[];

static long user_copy(void *dst, const void *src, unsigned long n)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret)
			 : "a"(0x4d41434800000000ull | 33), "D"(dst), "S"(src), "d"(n)
			 : "rcx", "r11", "memory");
	return ret;
}

static int run(char *path, char *arg)
{
	char *argv[] = {path, arg, NULL};
	char *envp[] = {NULL};
	pid_t c = fork();
	if (c == 0) {
		execve(path, argv, envp);
		_exit(100);
	}
	int st = -1;
	waitpid(c, &st, 0);
	return st;
}

int main(void)
{
	volatile char sink = 0;
	for (const char *p = __executable_start; p < _end; p += 4096)
		sink ^= *(volatile const char *)p;
	static char page[4096];
	for (uintptr_t a = 0x7fe000000000ull; a < 0x7fe000000000ull + (2u << 20); a += 4096)
		(void)user_copy(page, (const void *)a, 1); /* unmapped: an error, no fault */
	(void)sink;

	int st = run("/bin/t_exit", "0");
	t_print("t_pagerkill: /bin/t_exit with the pager crashing: status %#x\n", st);
	CHECK(!(WIFEXITED(st) && WEXITSTATUS(st) == 0));
	struct timespec t = {1, 0};
	int ok = 0;
	for (int i = 0; i < 10 && !ok; i++) { /* until the pager is back */
		nanosleep(&t, NULL);
		st = run("/true", NULL);
		ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
	}
	CHECK(ok);
	t_print("t_pagerkill: /true ran from the restarted file pager\n");
	t_pass();
}
