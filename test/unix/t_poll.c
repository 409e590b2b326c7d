/* t_poll: poll, ppoll, select, pselect6, nanosleep, clock_nanosleep and
 * pause: pipes with and without data, POLLHUP after the writer closes,
 * timeouts measured on CLOCK_MONOTONIC, what is left of a timeout, EINTR
 * from a signal sent by a child, and the EINVAL, EFAULT and EBADF cases. */
#include "check.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <time.h>

#define BAD ((void *)8)
/* The clock may tick at 100 Hz: a measured wait may look a tick short. */
#define SLACK_MS 10

static long now_ms(void)
{
	struct timespec t;
	CHECK_EQ(clock_gettime(CLOCK_MONOTONIC, &t), 0);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static volatile sig_atomic_t got_signal;
static void on_usr1(int sig) { (void)sig; got_signal = 1; }

/* A child that sends SIGUSR1 to this process after ms milliseconds. */
static pid_t signal_me_in(int ms)
{
	pid_t parent = getpid();
	pid_t child = fork();
	CHECK(child >= 0);
	if (child == 0) {
		struct timespec t = { 0, ms * 1000000L };
		nanosleep(&t, NULL);
		kill(parent, SIGUSR1);
		_exit(0);
	}
	return child;
}

static void reap(pid_t child)
{
	int status;
	CHECK_EQ(waitpid(child, &status, 0), child);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void check_poll(void)
{
	int p[2];
	CHECK_EQ(pipe2(p, 0), 0);
	struct pollfd fds[3] = { { p[0], POLLIN, -1 }, { p[1], POLLOUT, -1 }, { -1, POLLIN, -1 } };

	/* empty pipe: only the write end is ready; a negative fd is skipped */
	CHECK_EQ(poll(fds, 3, 0), 1);
	CHECK_EQ(fds[0].revents, 0);
	CHECK_EQ(fds[1].revents, POLLOUT);
	CHECK_EQ(fds[2].revents, 0);
	CHECK_EQ(poll(fds, 1, 0), 0);

	/* the timeout */
	long t0 = now_ms();
	CHECK_EQ(poll(fds, 1, 50), 0);
	long dt = now_ms() - t0;
	CHECK(dt >= 50 - SLACK_MS && dt < 5000);
	t0 = now_ms();
	CHECK_EQ(poll(NULL, 0, 30), 0);
	dt = now_ms() - t0;
	CHECK(dt >= 30 - SLACK_MS && dt < 5000);

	/* with data */
	CHECK_EQ(write(p[1], "x", 1), 1);
	CHECK_EQ(poll(fds, 3, -1), 2);
	CHECK_EQ(fds[0].revents, POLLIN);
	CHECK_EQ(fds[1].revents, POLLOUT);
	CHECK_EQ(fds[2].revents, 0);
	char c;
	CHECK_EQ(read(p[0], &c, 1), 1);

	/* events not asked for are not reported; a bad fd is POLLNVAL */
	struct pollfd nv[2] = { { p[1], POLLIN, 0 }, { 99, POLLIN, 0 } };
	CHECK_EQ(poll(nv, 2, 0), 1);
	CHECK_EQ(nv[0].revents, 0);
	CHECK_EQ(nv[1].revents, POLLNVAL);

	/* the writer closes: POLLHUP on the read end, whatever was asked */
	CHECK_EQ(close(p[1]), 0);
	fds[0].events = POLLIN;
	CHECK_EQ(poll(fds, 1, 1000), 1);
	CHECK_EQ(fds[0].revents, POLLHUP);
	fds[0].events = 0;
	CHECK_EQ(poll(fds, 1, 1000), 1);
	CHECK_EQ(fds[0].revents, POLLHUP);
	CHECK_EQ(close(p[0]), 0);

	/* the reader closes: POLLERR on the write end */
	CHECK_EQ(pipe2(p, O_CLOEXEC), 0);
	CHECK_EQ(close(p[0]), 0);
	struct pollfd w = { p[1], POLLOUT, 0 };
	CHECK_EQ(poll(&w, 1, 0), 1);
	CHECK(w.revents & POLLERR);
	CHECK_EQ(close(p[1]), 0);

	/* errors */
	CHECK_ERR(syscall(SYS_poll, BAD, 1, 0), EFAULT);
	CHECK_EQ(syscall(SYS_poll, BAD, 0, 0), 0);
	CHECK_ERR(syscall(SYS_poll, fds, 0xffffffffu, 0), EINVAL);
}

static void check_ppoll(void)
{
	int p[2];
	CHECK_EQ(pipe2(p, 0), 0);
	struct pollfd fds[1] = { { p[0], POLLIN, 0 } };
	struct timespec ts = { 0, 50000000 };
	long t0 = now_ms();
	CHECK_EQ(syscall(SYS_ppoll, fds, 1, &ts, NULL, 8), 0);
	long dt = now_ms() - t0;
	CHECK(dt >= 50 - SLACK_MS && dt < 5000);
	CHECK(ts.tv_sec == 0 && ts.tv_nsec < 50000000);   /* what is left: written back */

	CHECK_EQ(write(p[1], "y", 1), 1);
	uint64_t mask = 0;
	CHECK_EQ(syscall(SYS_ppoll, fds, 1, NULL, &mask, 8), 1);
	CHECK_EQ(fds[0].revents, POLLIN);
	ts.tv_sec = 10;
	ts.tv_nsec = 0;
	CHECK_EQ(syscall(SYS_ppoll, fds, 1, &ts, NULL, 0), 1);
	CHECK(ts.tv_sec <= 10 && ts.tv_sec >= 5);

	/* errors */
	CHECK_ERR(syscall(SYS_ppoll, fds, 1, NULL, &mask, 4), EINVAL);
	CHECK_ERR(syscall(SYS_ppoll, fds, 1, NULL, BAD, 8), EFAULT);
	struct timespec bad = { 0, 1000000000 };
	CHECK_ERR(syscall(SYS_ppoll, fds, 1, &bad, NULL, 8), EINVAL);
	bad.tv_sec = -1;
	bad.tv_nsec = 0;
	CHECK_ERR(syscall(SYS_ppoll, fds, 1, &bad, NULL, 8), EINVAL);
	CHECK_ERR(syscall(SYS_ppoll, fds, 1, BAD, NULL, 8), EFAULT);
	CHECK_ERR(syscall(SYS_ppoll, BAD, 1, NULL, NULL, 8), EFAULT);
	close(p[0]);
	close(p[1]);
}

static void check_select(void)
{
	int p[2];
	CHECK_EQ(pipe2(p, 0), 0);
	int n = (p[0] > p[1] ? p[0] : p[1]) + 1;
	fd_set r, w;

	/* empty: the timeout passes; the sets come back empty */
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	struct timeval tv = { 0, 50000 };
	long t0 = now_ms();
	CHECK_EQ(syscall(SYS_select, n, &r, NULL, NULL, &tv), 0);
	long dt = now_ms() - t0;
	CHECK(dt >= 50 - SLACK_MS && dt < 5000);
	CHECK(!FD_ISSET(p[0], &r));
	CHECK(tv.tv_sec == 0 && tv.tv_usec < 50000);      /* updated */

	/* readable and writable */
	CHECK_EQ(write(p[1], "z", 1), 1);
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(p[0], &r);
	FD_SET(p[1], &r);
	FD_SET(p[0], &w);
	FD_SET(p[1], &w);
	tv.tv_sec = 10;
	tv.tv_usec = 0;
	CHECK_EQ(syscall(SYS_select, n, &r, &w, NULL, &tv), 2);
	CHECK(FD_ISSET(p[0], &r));
	CHECK(!FD_ISSET(p[1], &r));
	CHECK(!FD_ISSET(p[0], &w));
	CHECK(FD_ISSET(p[1], &w));
	CHECK(tv.tv_sec <= 10 && tv.tv_sec >= 5);

	/* microseconds past a second carry over; no timeout at all */
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	tv.tv_sec = 0;
	tv.tv_usec = 1500000;
	CHECK_EQ(syscall(SYS_select, n, &r, NULL, NULL, &tv), 1);
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	CHECK_EQ(syscall(SYS_select, n, &r, NULL, NULL, NULL), 1);
	CHECK(FD_ISSET(p[0], &r));

	/* errors */
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	FD_SET(99, &r);
	tv.tv_sec = 0;
	tv.tv_usec = 0;
	CHECK_ERR(syscall(SYS_select, 100, &r, NULL, NULL, &tv), EBADF);
	CHECK_ERR(syscall(SYS_select, -1, NULL, NULL, NULL, &tv), EINVAL);
	CHECK_ERR(syscall(SYS_select, n, BAD, NULL, NULL, &tv), EFAULT);
	CHECK_ERR(syscall(SYS_select, n, &r, NULL, NULL, BAD), EFAULT);
	tv.tv_usec = -1;
	CHECK_ERR(syscall(SYS_select, n, &r, NULL, NULL, &tv), EINVAL);
	tv.tv_sec = -1;
	tv.tv_usec = 0;
	CHECK_ERR(syscall(SYS_select, n, &r, NULL, NULL, &tv), EINVAL);

	/* pselect6: a timespec; sig is { mask, size } */
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	struct timespec ts = { 0, 50000000 };
	CHECK_EQ(syscall(SYS_pselect6, n, &r, NULL, NULL, &ts, NULL), 1);
	CHECK(FD_ISSET(p[0], &r));
	char c;
	CHECK_EQ(read(p[0], &c, 1), 1);
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	ts.tv_sec = 0;
	ts.tv_nsec = 50000000;
	uint64_t mask = 0;
	struct { void *mask; size_t size; } pack = { &mask, 8 };
	t0 = now_ms();
	CHECK_EQ(syscall(SYS_pselect6, n, &r, NULL, NULL, &ts, &pack), 0);
	dt = now_ms() - t0;
	CHECK(dt >= 50 - SLACK_MS && dt < 5000);
	CHECK(!FD_ISSET(p[0], &r));
	pack.size = 4;
	CHECK_ERR(syscall(SYS_pselect6, n, &r, NULL, NULL, &ts, &pack), EINVAL);
	pack.size = 8;
	pack.mask = BAD;
	CHECK_ERR(syscall(SYS_pselect6, n, &r, NULL, NULL, &ts, &pack), EFAULT);
	CHECK_ERR(syscall(SYS_pselect6, n, &r, NULL, NULL, &ts, BAD), EFAULT);
	ts.tv_nsec = 1000000000;
	CHECK_ERR(syscall(SYS_pselect6, n, &r, NULL, NULL, &ts, NULL), EINVAL);

	/* the writer closes: readable (end of file) */
	CHECK_EQ(close(p[1]), 0);
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	CHECK_EQ(syscall(SYS_select, n, &r, NULL, NULL, NULL), 1);
	CHECK(FD_ISSET(p[0], &r));
	close(p[0]);
}

static void check_sleep(void)
{
	struct timespec ts = { 0, 30000000 };
	long t0 = now_ms();
	CHECK_EQ(syscall(SYS_nanosleep, &ts, NULL), 0);
	long dt = now_ms() - t0;
	CHECK(dt >= 30 - SLACK_MS && dt < 5000);
	struct timespec zero = { 0, 0 };
	CHECK_EQ(syscall(SYS_nanosleep, &zero, NULL), 0);
	struct timespec bad = { 0, 1000000000 };
	CHECK_ERR(syscall(SYS_nanosleep, &bad, NULL), EINVAL);
	bad.tv_sec = -1;
	bad.tv_nsec = 0;
	CHECK_ERR(syscall(SYS_nanosleep, &bad, NULL), EINVAL);
	CHECK_ERR(syscall(SYS_nanosleep, BAD, NULL), EFAULT);

	/* clock_nanosleep: relative, absolute, one in the past */
	t0 = now_ms();
	CHECK_EQ(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &ts, NULL), 0);
	dt = now_ms() - t0;
	CHECK(dt >= 30 - SLACK_MS && dt < 5000);
	struct timespec until;
	CHECK_EQ(clock_gettime(CLOCK_MONOTONIC, &until), 0);
	until.tv_nsec += 30000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	t0 = now_ms();
	CHECK_EQ(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL), 0);
	dt = now_ms() - t0;
	CHECK(dt >= 30 - SLACK_MS && dt < 5000);
	CHECK_EQ(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL), 0);
	CHECK_EQ(syscall(SYS_clock_nanosleep, CLOCK_REALTIME, 0, &ts, NULL), 0);
	CHECK_ERR(syscall(SYS_clock_nanosleep, 99, 0, &ts, NULL), EINVAL);
	CHECK_ERR(syscall(SYS_clock_nanosleep, CLOCK_THREAD_CPUTIME_ID, 0, &ts, NULL), EOPNOTSUPP);
	CHECK_ERR(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC_COARSE, 0, &ts, NULL), EOPNOTSUPP);
	CHECK_ERR(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, BAD, NULL), EFAULT);
	bad.tv_sec = 0;
	bad.tv_nsec = -1;
	CHECK_ERR(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &bad, NULL), EINVAL);
}

/* Signals end waits with EINTR (no SA_RESTART, and these are never
 * restarted anyway). */
static void check_eintr(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;
	CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);

	got_signal = 0;
	pid_t child = signal_me_in(50);
	CHECK_ERR(syscall(SYS_pause), EINTR);
	CHECK(got_signal);
	reap(child);

	got_signal = 0;
	child = signal_me_in(50);
	struct timespec ts = { 5, 0 }, rem = { -1, -1 };
	CHECK_ERR(syscall(SYS_nanosleep, &ts, &rem), EINTR);
	CHECK(got_signal);
	CHECK(rem.tv_sec >= 2 && rem.tv_sec <= 5 && rem.tv_nsec >= 0 && rem.tv_nsec < 1000000000);
	reap(child);

	got_signal = 0;
	child = signal_me_in(50);
	int p[2];
	CHECK_EQ(pipe2(p, 0), 0);
	struct pollfd fds[1] = { { p[0], POLLIN, 0 } };
	CHECK_ERR(poll(fds, 1, 5000), EINTR);
	CHECK(got_signal);
	reap(child);

	got_signal = 0;
	child = signal_me_in(50);
	fd_set r;
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	CHECK_ERR(syscall(SYS_select, p[0] + 1, &r, NULL, NULL, NULL), EINTR);
	CHECK(got_signal);
	reap(child);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	check_poll();
	check_ppoll();
	check_select();
	check_sleep();
	check_eintr();
	t_pass();
}
