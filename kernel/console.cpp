#include "kernel/console.h"

#include "arch/riscv/sbi.h"
#include "kernel/spinlock.h"
#include "kernel/uart.h"

namespace {

constexpr u8 DLE = 0x10;

Uart16550 g_uart;
Spinlock g_console_lock("console");
bool g_multiplexed = false;
ConsoleChannel g_current_channel = ConsoleChannel::Kernel;  // guarded by g_console_lock
void (*g_input_handler)(u8) = nullptr;
void (*g_end_of_input)() = nullptr;
bool g_input_escape = false;  // multiplexed input: the previous byte was a DLE
bool g_uart_irq_ready = false;  // the PLIC routes the UART's interrupt

void put_raw(u8 c) {
  if (g_uart.is_ready())
    g_uart.put(c);
  else
    sbi::legacy_putchar(static_cast<char>(c));
}

// Writes with the console lock held (or in an emergency).
void write_locked(ConsoleChannel channel, const char* data, usize len) {
  // A panic report writes even when it could not get the lock (console_write_emergency).
  if (!this_cpu()->in_panic) ASSERT_LOCKED(g_console_lock);
  if (channel == ConsoleChannel::Stdin) channel = ConsoleChannel::Stdout;
  if (g_multiplexed) {
    if (channel != g_current_channel) {
      put_raw(DLE);
      put_raw(channel == ConsoleChannel::Kernel ? 'k' : channel == ConsoleChannel::Stdout ? '1' : '2');
      g_current_channel = channel;
    }
    for (usize i = 0; i < len; i++) {
      u8 c = static_cast<u8>(data[i]);
      if (c == DLE) put_raw(DLE);
      put_raw(c);
    }
    return;
  }
  for (usize i = 0; i < len; i++) {
    if (data[i] == '\n') put_raw('\r');
    put_raw(static_cast<u8>(data[i]));
  }
}

}  // namespace

void console_init(u64 uart_base_va) { g_uart.init(uart_base_va); }

void console_set_multiplexed(bool on) {
  SpinlockGuard guard(g_console_lock);
  g_multiplexed = on;
  g_current_channel = ConsoleChannel::Kernel;
  if (on) {
    // Announce the protocol: tools/run starts in the kernel channel.
    put_raw(DLE);
    put_raw('k');
  }
}

bool console_is_multiplexed() { return g_multiplexed; }

void console_write(ConsoleChannel channel, const char* data, usize len) {
  SpinlockGuard guard(g_console_lock);
  write_locked(channel, data, len);
}

void console_write_emergency(const char* data, usize len) {
  // Give the holder a moment, then write regardless: a report that interleaves is better than none.
  for (int i = 0; i < 1000000 && !g_console_lock.try_lock(); i++) {
  }
  bool locked = g_console_lock.is_held();
  write_locked(ConsoleChannel::Kernel, data, len);
  if (locked) g_console_lock.unlock();
}

void console_set_input_handler(void (*handler)(u8), void (*end_of_input)()) {
  g_input_handler = handler;
  g_end_of_input = end_of_input;
  // Only now take input: until then bytes wait in the UART (QEMU holds them back while its FIFO is full), so
  // nothing typed or piped in before the terminal exists is lost.
  if (g_uart_irq_ready) g_uart.enable_rx_interrupt();
}

void console_enable_input() {
  g_uart_irq_ready = true;
  if (g_input_handler) g_uart.enable_rx_interrupt();
}

void console_receive_interrupt() {
  for (;;) {
    int c = g_uart.get();
    if (c < 0) break;
    if (g_multiplexed) {
      if (!g_input_escape && c == DLE) {
        g_input_escape = true;
        continue;
      }
      if (g_input_escape) {
        g_input_escape = false;
        if (c == 'e') {
          if (g_end_of_input) g_end_of_input();
          continue;
        }
        // DLE DLE is a DLE byte; anything else after a DLE is not ours to interpret: pass it on.
      }
    }
    if (g_input_handler) g_input_handler(static_cast<u8>(c));
  }
}



