// The serial console driver's buffering (drivers/console/ring_buffer.h,
// console_buffers.h): rings that fill, empty and wrap, input that overruns,
// output with CR/LF translation that never splits a "\r\n".
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "../../drivers/console/console_buffers.h"
#include "../../drivers/console/ring_buffer.h"

using console::ConsoleBuffers;
using console::RingBuffer;

namespace {

std::string drain_output(ConsoleBuffers& b, uint32_t burst = 16) {
  std::string out;
  uint8_t fifo[64];
  while (uint32_t n = b.transmit(fifo, burst)) out.append(reinterpret_cast<char*>(fifo), n);
  return out;
}

uint32_t write_str(ConsoleBuffers& b, const char* s) {
  return b.write(reinterpret_cast<const uint8_t*>(s), uint32_t(strlen(s)));
}

}  // namespace

TEST_CASE("console ring: push and pop in order until full, then refused") {
  RingBuffer<uint8_t, 8> r;
  CHECK(r.empty());
  CHECK(r.space() == 8);
  for (uint8_t i = 0; i < 8; ++i) CHECK(r.push(i));
  CHECK(r.full());
  CHECK(!r.push(99));
  CHECK(r.size() == 8);
  uint8_t v = 0;
  for (uint8_t i = 0; i < 8; ++i) {
    CHECK(r.front() == i);
    CHECK(r.pop(&v));
    CHECK(v == i);
  }
  CHECK(r.empty());
  CHECK(!r.pop(&v));
  CHECK(v == 7);  // untouched by the failed pop
}

TEST_CASE("console ring: bulk write takes a prefix, bulk read wraps around the array") {
  RingBuffer<uint8_t, 8> r;
  uint8_t in[12];
  for (uint8_t i = 0; i < 12; ++i) in[i] = uint8_t('a' + i);
  CHECK(r.write(in, 5) == 5);
  uint8_t out[16] = {};
  CHECK(r.read(out, 3) == 3);
  CHECK(memcmp(out, "abc", 3) == 0);
  // 2 left; 6 free: of 12 offered, 6 are taken, and they wrap past slot 7.
  CHECK(r.write(in, 12) == 6);
  CHECK(r.full());
  CHECK(r.at(0) == 'd');
  CHECK(r.at(2) == 'a');
  CHECK(r.read(out, 16) == 8);
  CHECK(memcmp(out, "deabcdef", 8) == 0);
  CHECK(r.read(out, 16) == 0);
  CHECK(r.write(in, 0) == 0);
}

TEST_CASE("console ring: the free-running counters may wrap past 2^32") {
  RingBuffer<uint8_t, 4> r(0xFFFFFFFEu);
  CHECK(r.empty());
  for (uint8_t i = 0; i < 4; ++i) CHECK(r.push(i));
  CHECK(r.full());
  CHECK(r.size() == 4);
  uint8_t v;
  for (uint8_t i = 0; i < 4; ++i) {
    CHECK(r.pop(&v));
    CHECK(v == i);
  }
  CHECK(r.empty());
  // Round after round across the wrap.
  for (int round = 0; round < 100; ++round) {
    CHECK(r.push(uint8_t(round)));
    CHECK(r.push(uint8_t(round + 1)));
    CHECK(r.pop(&v));
    CHECK(v == uint8_t(round));
    r.drop_front();
    CHECK(r.empty());
  }
}

TEST_CASE("console ring: items other than bytes (the driver's request queues)") {
  struct Pending {
    uint32_t port;
    uint32_t max;
  };
  RingBuffer<Pending, 2> q;
  CHECK(q.push({7, 100}));
  CHECK(q.push({9, 1}));
  CHECK(!q.push({11, 1}));
  CHECK(q.front().port == 7);
  q.front().max = 50;  // a partly served request stays first
  Pending p{};
  CHECK(q.pop(&p));
  CHECK((p.port == 7 && p.max == 50));
  q.clear();
  CHECK(q.empty());
}

TEST_CASE("console buffers: input is read in arrival order and in pieces") {
  ConsoleBuffers b;
  for (char c : std::string("hello\r")) CHECK(b.receive(uint8_t(c)));
  CHECK(b.input_pending() == 6);
  uint8_t out[8] = {};
  CHECK(b.read(out, 2) == 2);
  CHECK(memcmp(out, "he", 2) == 0);
  CHECK(b.read(out, 8) == 4);
  CHECK(memcmp(out, "llo\r", 4) == 0);
  CHECK(b.read(out, 8) == 0);
  CHECK(b.counters().rx_bytes == 6);
  CHECK(b.counters().rx_dropped == 0);
}

TEST_CASE("console buffers: input overrun keeps the oldest bytes and counts the lost ones") {
  ConsoleBuffers b;
  for (uint32_t i = 0; i < ConsoleBuffers::kInputSize; ++i) CHECK(b.receive(uint8_t(i)));
  CHECK(!b.receive('x'));
  CHECK(!b.receive('y'));
  CHECK(b.counters().rx_dropped == 2);
  CHECK(b.counters().rx_bytes == ConsoleBuffers::kInputSize);
  uint8_t one;
  CHECK(b.read(&one, 1) == 1);
  CHECK(one == 0);
  CHECK(b.receive('z'));  // room again
  static uint8_t all[ConsoleBuffers::kInputSize];
  CHECK(b.read(all, ConsoleBuffers::kInputSize) == ConsoleBuffers::kInputSize);
  CHECK(all[0] == 1);
  CHECK(all[ConsoleBuffers::kInputSize - 2] == uint8_t(ConsoleBuffers::kInputSize - 1));
  CHECK(all[ConsoleBuffers::kInputSize - 1] == 'z');
}

TEST_CASE("console buffers: output turns newlines into CR LF, in FIFO-sized bursts") {
  ConsoleBuffers b;
  CHECK(write_str(b, "one\ntwo\n") == 8);
  CHECK(b.output_pending() == 10);
  CHECK(drain_output(b, 3) == "one\r\ntwo\r\n");
  CHECK(b.output_pending() == 0);
  CHECK(b.counters().tx_bytes == 10);

  ConsoleBuffers raw(false);
  CHECK(write_str(raw, "a\nb") == 3);
  CHECK(drain_output(raw) == "a\nb");
}

TEST_CASE("console buffers: a full output ring takes a prefix and never half a CR LF") {
  ConsoleBuffers b;
  std::string fill(ConsoleBuffers::kOutputSize - 1, '.');
  CHECK(write_str(b, fill.c_str()) == fill.size());
  CHECK(b.output_space() == 1);
  // One slot: "\n" needs two, so nothing is taken.
  CHECK(write_str(b, "\nabc") == 0);
  CHECK(write_str(b, "x\n") == 1);
  CHECK(b.output_space() == 0);
  CHECK(write_str(b, "y") == 0);
  uint8_t fifo[16];
  CHECK(b.transmit(fifo, 16) == 16);
  // Room for 16: "ab\n" (4 bytes) and 12 of the rest.
  CHECK(write_str(b, "ab\n0123456789abcdef") == 15);
  std::string out = drain_output(b);
  CHECK(out.size() == ConsoleBuffers::kOutputSize);
  CHECK(out.substr(out.size() - 17) == "xab\r\n0123456789ab");
}
