// The registers of a 16550 UART and the port I/O to reach them from user
// mode. The task must hold the range (io_port_grant, io.defs) in its I/O
// permission bitmap, or every in/out below faults (#GP, an exception
// message to the task's handler).
#pragma once

#include <stdint.h>

namespace console {

inline uint8_t port_in8(uint16_t port) {
  uint8_t v;
  asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}

inline void port_out8(uint16_t port, uint8_t v) { asm volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }

// Register offsets from the base port, and the bits the driver uses.
namespace uart {
constexpr uint16_t kData = 0;         // RBR (read) / THR (write); DLL with DLAB
constexpr uint16_t kIntEnable = 1;    // IER; DLM with DLAB
constexpr uint16_t kIntId = 2;        // IIR (read)
constexpr uint16_t kFifoControl = 2;  // FCR (write)
constexpr uint16_t kLineControl = 3;  // LCR
constexpr uint16_t kModemControl = 4; // MCR
constexpr uint16_t kLineStatus = 5;   // LSR
constexpr uint16_t kModemStatus = 6;  // MSR
constexpr uint16_t kScratch = 7;
constexpr uint16_t kPortCount = 8;

constexpr uint8_t kIerRxData = 0x01;      // received data available (and FIFO timeout)
constexpr uint8_t kIerTxEmpty = 0x02;     // transmit holding register empty
constexpr uint8_t kIerLineStatus = 0x04;  // overrun, parity, framing, break

constexpr uint8_t kIirNonePending = 0x01;
constexpr uint8_t kIirIdMask = 0x0E;
constexpr uint8_t kIirModemStatus = 0x00;
constexpr uint8_t kIirTxEmpty = 0x02;
constexpr uint8_t kIirRxData = 0x04;
constexpr uint8_t kIirLineStatus = 0x06;
constexpr uint8_t kIirRxTimeout = 0x0C;

constexpr uint8_t kLcr8N1 = 0x03;
constexpr uint8_t kLcrDlab = 0x80;

constexpr uint8_t kFcrEnable = 0x01, kFcrClearRx = 0x02, kFcrClearTx = 0x04;
constexpr uint8_t kFcrTrigger1 = 0x00;  // receive interrupt at every byte

constexpr uint8_t kMcrDtr = 0x01, kMcrRts = 0x02, kMcrOut2 = 0x08;  // OUT2 gates the IRQ on a PC

constexpr uint8_t kLsrDataReady = 0x01;
constexpr uint8_t kLsrErrors = 0x1E;  // overrun, parity, framing, break
constexpr uint8_t kLsrTxEmpty = 0x20; // THR (the whole transmit FIFO) empty

constexpr uint32_t kTxFifo = 16;  // bytes the transmit FIFO takes when empty
}  // namespace uart

}  // namespace console
