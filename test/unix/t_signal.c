/* Signals: handlers run with the right arguments and mask and return
 * through rt_sigreturn with every register intact; SA_RESETHAND, SA_NODEFER,
 * sigaltstack, sigprocmask keeping a signal pending until unblocked,
 * sigsuspend, SIGCHLD, SIGPIPE, EINTR for a read blocked in a pipe (the
 * signal sent by a child), SA_RESTART restarting it, default actions
 * (SIGTERM ends a child with status 15), ignored signals. */
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static volatile int hits, last_sig, nested;
static volatile uintptr_t handler_sp;
static volatile sigset_t mask_in_handler;

static void on_usr1(int sig, siginfo_t *info, void *uc)
{
	(void)uc;
	hits++;
	last_sig = sig == SIGUSR1 && info->si_signo == SIGUSR1 ? sig : -1;
	handler_sp = (uintptr_t)&sig;
	sigprocmask(SIG_BLOCK, NULL, (sigset_t *)&mask_in_handler);
}

static void on_usr2(int sig)
{
	(void)sig;
	hits++;
	if (hits == 1)
		raise(SIGUSR2); /* SA_NODEFER: runs again, nested */
	else
		nested = 1;
}

static void count(int sig)
{
	(void)sig;
	hits++;
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);

	/* A handler with SA_SIGINFO; the signal is blocked while it runs. */
	sa.sa_sigaction = on_usr1;
	sa.sa_flags = SA_SIGINFO;
	CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
	double x = 1.5; /* an SSE value live across the signal */
	CHECK_OK(kill(getpid(), SIGUSR1));
	CHECK(hits == 1 && last_sig == SIGUSR1);
	CHECK(sigismember((sigset_t *)&mask_in_handler, SIGUSR1));
	CHECK(x * 2 == 3.0);
	sigset_t now;
	CHECK_OK(sigprocmask(SIG_BLOCK, NULL, &now));
	CHECK(!sigismember(&now, SIGUSR1)); /* restored by rt_sigreturn */

	/* Blocked: pending until unblocked, then delivered once. */
	sigset_t block;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	CHECK_OK(sigprocmask(SIG_BLOCK, &block, NULL));
	CHECK_OK(kill(getpid(), SIGUSR1));
	CHECK_OK(kill(getpid(), SIGUSR1));
	CHECK(hits == 1);
	sigset_t pend;
	CHECK_OK(sigpending(&pend));
	CHECK(sigismember(&pend, SIGUSR1));
	CHECK_OK(sigprocmask(SIG_UNBLOCK, &block, NULL));
	CHECK(hits == 2);

	/* An alternate stack. */
	static char alt[65536];
	stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt, .ss_flags = 0};
	CHECK_OK(sigaltstack(&ss, NULL));
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
	CHECK_OK(raise(SIGUSR1));
	CHECK(hits == 3);
	CHECK(handler_sp >= (uintptr_t)alt && handler_sp < (uintptr_t)alt + sizeof alt);

	/* SA_NODEFER | SA_RESETHAND: nested once, then the default (ignored here). */
	hits = 0;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr2;
	sa.sa_flags = SA_NODEFER;
	CHECK_OK(sigaction(SIGUSR2, &sa, NULL));
	CHECK_OK(raise(SIGUSR2));
	CHECK(hits == 2 && nested);
	sa.sa_handler = count;
	sa.sa_flags = SA_RESETHAND;
	CHECK_OK(sigaction(SIGWINCH, &sa, NULL)); /* default: ignored */
	hits = 0;
	CHECK_OK(raise(SIGWINCH));
	CHECK_OK(raise(SIGWINCH));
	CHECK(hits == 1);

	/* Ignored: nothing happens. */
	signal(SIGUSR2, SIG_IGN);
	hits = 0;
	CHECK_OK(raise(SIGUSR2));
	CHECK(hits == 0);

	/* SIGPIPE: ignored, a write to a pipe without reader is EPIPE. */
	int p[2];
	CHECK_OK(pipe(p));
	signal(SIGPIPE, SIG_IGN);
	close(p[0]);
	CHECK_ERR(write(p[1], "x", 1), EPIPE);
	close(p[1]);

	/* A read blocked in an empty pipe, interrupted by a signal a child sends:
	 * EINTR without SA_RESTART; with it, the read goes on and gets the byte. */
	sa.sa_handler = count;
	sa.sa_flags = 0;
	sigemptyset(&sa.sa_mask);
	CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
	for (int restart = 0; restart < 2; restart++) {
		sa.sa_flags = restart ? SA_RESTART : 0;
		CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
		CHECK_OK(pipe(p));
		pid_t parent = getpid(), child = fork();
		CHECK(child >= 0);
		if (child == 0) {
			struct timespec t = {0, 200 * 1000 * 1000};
			nanosleep(&t, NULL);
			kill(parent, SIGUSR1);
			nanosleep(&t, NULL);
			write(p[1], "y", 1);
			_exit(0);
		}
		hits = 0;
		char c = 0;
		ssize_t r = read(p[0], &c, 1);
		CHECK(hits == 1);
		if (restart)
			CHECK(r == 1 && c == 'y');
		else
			CHECK(r == -1 && errno == EINTR);
		int st;
		CHECK_EQ(waitpid(child, &st, 0), child);
		close(p[0]);
		close(p[1]);
	}

	/* SIGCHLD with a handler; sigsuspend waits for it. */
	sa.sa_handler = count;
	sa.sa_flags = 0;
	CHECK_OK(sigaction(SIGCHLD, &sa, NULL));
	sigset_t chld, old;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	CHECK_OK(sigprocmask(SIG_BLOCK, &chld, &old));
	hits = 0;
	pid_t c = fork();
	if (c == 0)
		_exit(3);
	sigset_t wait_mask = old;
	sigdelset(&wait_mask, SIGCHLD);
	CHECK_ERR(sigsuspend(&wait_mask), EINTR);
	CHECK(hits == 1);
	CHECK_OK(sigprocmask(SIG_SETMASK, &old, NULL));
	int st;
	CHECK_EQ(waitpid(c, &st, 0), c);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 3);

	/* Default action: SIGTERM ends a child; the status says which signal. */
	c = fork();
	if (c == 0) {
		for (;;)
			pause();
	}
	struct timespec t = {0, 50 * 1000 * 1000};
	nanosleep(&t, NULL);
	CHECK_OK(kill(c, SIGTERM));
	CHECK_EQ(waitpid(c, &st, 0), c);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
	CHECK_ERR(kill(c, 0), ESRCH);
	CHECK_ERR(kill(getpid(), 99), EINVAL);
	t_pass();
}
