#include "kernel/uart.h"

namespace {
// Register offsets (datasheet table 2).
constexpr u32 RBR = 0;  // receive buffer (read, DLAB = 0)
constexpr u32 THR = 0;  // transmit holding (write, DLAB = 0)
constexpr u32 IER = 1;  // interrupt enable
constexpr u32 FCR = 2;  // FIFO control (write)
constexpr u32 LCR = 3;  // line control
constexpr u32 MCR = 4;  // modem control
constexpr u32 LSR = 5;  // line status
constexpr u8 LSR_DATA_READY = 1 << 0;
constexpr u8 LSR_THR_EMPTY = 1 << 5;
constexpr u8 IER_RX_AVAILABLE = 1 << 0;
}  // namespace

void Uart16550::init(u64 base_va) {
  m_base = reinterpret_cast<volatile u8*>(base_va);
  m_base[IER] = 0;
  m_base[LCR] = 0x03;  // 8 data bits, no parity, 1 stop bit; QEMU ignores the baud rate
  m_base[FCR] = 0x01;  // enable the FIFOs; do not clear them: input may already be waiting (piped in)
  m_base[MCR] = 0x08;  // OUT2: route the UART interrupt out of the chip
}

void Uart16550::put(u8 c) {
  while (!(m_base[LSR] & LSR_THR_EMPTY)) {
  }
  m_base[THR] = c;
}

int Uart16550::get() {
  if (!(m_base[LSR] & LSR_DATA_READY)) return -1;
  return m_base[RBR];
}

void Uart16550::enable_rx_interrupt() { m_base[IER] = IER_RX_AVAILABLE; }
