// Driver for the NS16550A UART of QEMU virt (register layout from the PC16550D datasheet; QEMU uses a register
// stride of one byte). Output polls the transmitter; input is interrupt-driven through the PLIC.
#pragma once

#include "lib/types.h"

class Uart16550 {
 public:
  void init(u64 base_va);
  bool is_ready() const { return m_base != nullptr; }
  void put(u8 c);
  // A received byte, or -1 if none is waiting.
  int get();
  void enable_rx_interrupt();

 private:
  volatile u8* m_base = nullptr;
};
