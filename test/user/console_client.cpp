// A client of the serial console driver (drivers/console, chardev.defs):
// writes through it (inline, out of line, and more than its output buffer
// holds, and a drain), then reads what is typed on the serial line and writes each line
// back as "console: got <line>". Case console-echo (test/qemu/cases.py)
// types the lines once "console-client: ready for input" appears.
//
// Usage: console_client.elf [LINES [FLOOD]]: LINES lines to read back
// (default 2), then, with FLOOD, that many bytes typed while it does not
// read (an input overrun).
#include <chardev.h>

#include "ipc_util.h"

const char* g_role = "console-client";

namespace {

mach_port_t g_dev;

void write_str(const char* s) {
  uint32_t written = 0;
  uint32_t n = uint32_t(strlen(s));
  CHECK_KR(char_write(g_dev, const_cast<char*>(s), n, &written), KERN_SUCCESS);
  CHECK(written == n);
}

// The next non-empty line of input, without its end ('\r' or '\n': a
// terminal sends CR, and a CR LF gives an empty line, skipped). Bytes after
// the end stay in g_pending for the next line.
char g_pending[CHARDEV_INLINE_MAX];
uint32_t g_pending_len = 0;

uint32_t read_line(char* line, uint32_t cap) {
  for (;;) {
    uint32_t i = 0;
    while (i < g_pending_len && g_pending[i] != '\r' && g_pending[i] != '\n') ++i;
    if (i == g_pending_len) {  // no line end yet: wait for more input
      mach_msg_type_number_t got = CHARDEV_INLINE_MAX - g_pending_len;
      CHECK(got > 0);
      CHECK_KR(char_read(g_dev, 0, g_pending + g_pending_len, &got), KERN_SUCCESS);
      CHECK(got > 0);
      g_pending_len += got;
      continue;
    }
    uint32_t n = i < cap - 1 ? i : cap - 1;
    memcpy(line, g_pending, n);
    line[n] = 0;
    memmove(g_pending, g_pending + i + 1, g_pending_len - i - 1);
    g_pending_len -= i + 1;
    if (i > 0) return n;
  }
}

long number(const char* s) {
  long v = 0;
  for (; *s >= '0' && *s <= '9'; ++s) v = v * 10 + (*s - '0');
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  long lines = argc > 1 ? number(argv[1]) : 2;
  long flood = argc > 2 ? number(argv[2]) : 0;
  g_dev = ns_lookup("console");

  write_str("console-client: hello through the console driver\n");

  // Out of line: the region is the driver's until it answers.
  static char ool[] = "console-client: out-of-line write through the driver\n";
  uint32_t written = 0;
  CHECK_KR(char_write_ool(g_dev, ool, uint32_t(strlen(ool)), &written), KERN_SUCCESS);
  CHECK(written == strlen(ool));

  // More than the driver's 4 KiB output buffer: the reply waits until the
  // last bytes are in it.
  static char fill[6000];
  uint32_t len = 0;
  for (int line = 0; line < 60; ++line) {
    int n = snprintf(fill + len, sizeof fill - len, "console-fill %02d ", line);
    len += uint32_t(n);
    while (len % 100 != 99) fill[len++] = char('a' + line % 26);
    fill[len++] = '\n';
  }
  CHECK_KR(char_write_ool(g_dev, fill, len, &written), KERN_SUCCESS);
  CHECK(written == len);

  // Nothing typed yet: a NOWAIT read answers at once with nothing; a read
  // with no room answers at once too.
  char buf[64];
  mach_msg_type_number_t got = sizeof buf;
  CHECK_KR(char_read(g_dev, CHARDEV_READ_NOWAIT, buf, &got), KERN_SUCCESS);
  CHECK(got == 0);
  got = sizeof buf;
  CHECK_KR(char_read(g_dev, 0x80, buf, &got), KERN_INVALID_ARGUMENT);

  // Our own lines (printf: the kernel's log) only once the driver's are out,
  // so that neither cuts into the other on the line.
  CHECK_KR(char_drain(g_dev), KERN_SUCCESS);
  chardev_status_t st;
  CHECK_KR(char_get_status(g_dev, &st), KERN_SUCCESS);
  CHECK(st.rx_bytes == 0 && st.rx_dropped == 0);
  CHECK(st.output_pending == 0 && st.tx_bytes > len);
  printf("console-client: ready for input\n");

  for (long i = 0; i < lines; ++i) {
    char line[256];
    uint32_t n = read_line(line, sizeof line);
    char echo[300];
    int m = snprintf(echo, sizeof echo, "console: got %s\n", line);
    CHECK_KR(char_write(g_dev, echo, uint32_t(m), &written), KERN_SUCCESS);
    CHECK_KR(char_drain(g_dev), KERN_SUCCESS);
    printf("console-client: line %ld, %u bytes, written back\n", i + 1, n);
  }

  CHECK_KR(char_get_status(g_dev, &st), KERN_SUCCESS);
  CHECK(st.rx_bytes > 0 && st.interrupts > 0 && st.rx_dropped == 0 && st.line_errors == 0);
  printf("console-client: status: %lu bytes in, %lu out, %lu interrupts, %lu waiting\n",
         (unsigned long)st.rx_bytes, (unsigned long)st.tx_bytes, (unsigned long)st.interrupts,
         (unsigned long)st.waiting);

  // Overrun: while we do not read, the driver keeps what its 1 KiB input
  // buffer holds (the oldest bytes) and counts the rest as dropped. The
  // runner types `flood` bytes of "0123456789..." after the next line.
  if (flood > 0) {
    uint64_t before = st.rx_bytes;
    printf("console-client: not reading now\n");
    mach_port_t sleeper;
    CHECK_KR(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &sleeper), KERN_SUCCESS);
    for (int tries = 0; st.rx_bytes + st.rx_dropped < before + uint64_t(flood); ++tries) {
      CHECK(tries < 3000);  // 30 s
      mach_msg_header_t h{};
      CHECK_KR(mach_msg(&h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof h, sleeper, 10), MACH_RCV_TIMED_OUT);
      CHECK_KR(char_get_status(g_dev, &st), KERN_SUCCESS);
    }
    uint32_t kept = 0;
    for (;;) {
      got = CHARDEV_INLINE_MAX;
      CHECK_KR(char_read(g_dev, CHARDEV_READ_NOWAIT, g_pending, &got), KERN_SUCCESS);
      if (got == 0) break;
      for (uint32_t i = 0; i < got; ++i) CHECK(g_pending[i] == char('0' + (kept + i) % 10));
      kept += got;
    }
    CHECK(kept == 1024 && st.rx_dropped == uint64_t(flood) - kept);
    printf("console-client: %ld bytes typed while not reading: %u kept (the oldest), %lu dropped\n", flood, kept,
           (unsigned long)st.rx_dropped);
  }
  printf("console-client: done\n");
  return 0;
}
