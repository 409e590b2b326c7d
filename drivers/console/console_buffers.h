// The console driver's buffering, apart from the UART and from IPC: what
// arrives from the line waits in an input ring until a client reads it, what
// clients write waits in an output ring until the transmitter takes it.
//
// Pure (ring_buffer.h, no libc): host-tested in test/host/
// test_console_buffers.cpp. The driver (console_driver.cpp) calls receive()
// and transmit() from its interrupt handling and read()/write() from its
// chardev.defs routines, all on its one thread.
#pragma once

#include <stdint.h>

#include "ring_buffer.h"

namespace console {

struct ConsoleCounters {
  uint64_t rx_bytes = 0;    // bytes received from the line and buffered
  uint64_t rx_dropped = 0;  // bytes received while the input ring was full (lost)
  uint64_t tx_bytes = 0;    // bytes handed to the transmitter (after CR/LF translation)
};

class ConsoleBuffers {
 public:
  static constexpr uint32_t kInputSize = 1024;
  static constexpr uint32_t kOutputSize = 4096;

  // Output translation: each '\n' written goes out as "\r\n" (a serial
  // terminal needs the carriage return), as the kernel's own log does.
  constexpr explicit ConsoleBuffers(bool crlf = true) : crlf_(crlf) {}
  // Off for a client that does its own output processing (a Unix tty's
  // OPOST/ONLCR).
  void set_crlf(bool crlf) { crlf_ = crlf; }

  // --- the line side (interrupt handling) ---

  // One byte from the receiver. When the input ring is full the byte is
  // dropped (the oldest input is kept: a reader sees a prefix, not a hole)
  // and counted; returns false then.
  bool receive(uint8_t c) {
    if (!input_.push(c)) {
      ++counters_.rx_dropped;
      return false;
    }
    ++counters_.rx_bytes;
    return true;
  }

  // Up to max bytes for the transmitter, oldest first; returns how many.
  uint32_t transmit(uint8_t* out, uint32_t max) {
    uint32_t n = output_.read(out, max);
    counters_.tx_bytes += n;
    return n;
  }

  // --- the client side (chardev.defs routines) ---

  // Moves up to max buffered input bytes to out; returns how many (0 when
  // none is buffered).
  uint32_t read(uint8_t* out, uint32_t max) { return input_.read(out, max); }

  // Takes as many of data[0..n) as the output ring has room for, in order,
  // and returns how many were taken. With CR/LF translation a '\n' is taken
  // only when both its bytes fit, so a partial write never splits one.
  uint32_t write(const uint8_t* data, uint32_t n) {
    if (!crlf_) return output_.write(data, n);
    uint32_t i = 0;
    for (; i < n; ++i) {
      if (data[i] == '\n') {
        if (output_.space() < 2) break;
        output_.push('\r');
      }
      if (!output_.push(data[i])) break;
    }
    return i;
  }

  uint32_t input_pending() const { return input_.size(); }
  uint32_t output_pending() const { return output_.size(); }
  uint32_t output_space() const { return output_.space(); }
  const ConsoleCounters& counters() const { return counters_; }

 private:
  RingBuffer<uint8_t, kInputSize> input_;
  RingBuffer<uint8_t, kOutputSize> output_;
  ConsoleCounters counters_;
  bool crlf_;
};

}  // namespace console
