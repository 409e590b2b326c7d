/* Bad messages to the Unix server, sent with raw Mach traps from a Linux
 * program: an unknown request id, a request too short for its id, a path
 * without its NUL, a port name the process does not hold. Each is refused
 * (MIG_BAD_ID / MIG_BAD_ARGUMENTS answered, MACH_SEND_INVALID_DEST) and the
 * server goes on serving the process's system calls. */
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

#define MACH_TRAP(n) (0x4d41434800000000ull | (n))
#define TRAP_MACH_MSG 6
#define TRAP_REPLY_PORT 7
#define SEND_MSG 1u
#define RCV_MSG 2u
#define SEND_TIMEOUT 0x10u
#define RCV_TIMEOUT 0x100u
#define COPY_SEND 19u
#define MAKE_SEND_ONCE 21u
#define SEND_INVALID_DEST 0x10000003
#define MIG_BAD_ID (-303)
#define MIG_BAD_ARGUMENTS (-304)
#define INFO_PAGE 0x7fdffffff000ull /* EmulationInfo: magic, then the port's name */

struct header {
	uint32_t bits, size, remote, local, voucher;
	int32_t id;
};
struct reply {
	struct header h;
	int32_t code;
	char pad[256];
};

static long trap(unsigned n, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d, r8 __asm__("r8") = e, r9 __asm__("r9") = f;
	long ret;
	__asm__ volatile("syscall" : "=a"(ret)
			 : "a"(MACH_TRAP(n)), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

/* Sends size bytes of msg (header filled here) to port and returns the
 * reply's code, or the send's error. */
static long rpc(uint32_t port, void *msg, uint32_t size, int32_t id)
{
	static uint32_t reply_port;
	if (!reply_port)
		reply_port = (uint32_t)trap(TRAP_REPLY_PORT, 0, 0, 0, 0, 0, 0);
	struct header *h = msg;
	h->bits = COPY_SEND | (MAKE_SEND_ONCE << 8);
	h->size = size;
	h->remote = port;
	h->local = reply_port;
	h->voucher = 0;
	h->id = id;
	struct reply r;
	long mr = trap(TRAP_MACH_MSG, (long)msg, SEND_MSG | SEND_TIMEOUT, size, 0, 0, 1000);
	if (mr)
		return mr;
	mr = trap(TRAP_MACH_MSG, (long)&r, RCV_MSG | RCV_TIMEOUT, 0, sizeof r, reply_port, 5000);
	if (mr)
		return mr;
	CHECK(r.h.id == id + 100);
	return r.code;
}

int main(void)
{
	uint32_t port = *(volatile uint32_t *)(INFO_PAGE + 8);
	char msg[512];
	memset(msg, 0, sizeof msg);
	CHECK_EQ(rpc(port, msg, 24, 6999), MIG_BAD_ID);       /* not a unix.defs id */
	CHECK_EQ(rpc(port, msg, 24, 7002), MIG_BAD_ARGUMENTS); /* openat without its arguments */
	memset(msg + 24, 'x', sizeof msg - 24);                 /* a "path" with no NUL */
	CHECK_EQ(rpc(port, msg, sizeof msg, 7002), MIG_BAD_ARGUMENTS);
	CHECK_EQ(rpc(0x12345, msg, 24, 7001), SEND_INVALID_DEST); /* a name it does not hold */
	/* The server still answers. */
	CHECK(getppid() == 0);
	CHECK_EQ(write(1, "t_forge: still served\n", 22), 22);
	t_pass();
}
