// The console: the UART, shared by kernel log lines and the standard output and error of user programs.
//
// Plain mode (the default, `make qemu`): bytes go to the UART as they are, with "\n" sent as "\r\n" for the
// terminal.
// Multiplexed mode (kernel command line `console=mux`, used by tools/run when it runs a program): every byte
// is tagged with its channel so that tools/run can separate the program's stdout, its stderr and kernel lines
// exactly. The stream is the raw bytes; a DLE byte (0x10) followed by 'k', '1' or '2' switches channel, and a
// DLE in the data is sent as DLE DLE.
#pragma once

#include "lib/types.h"

// Stdin names the terminal's input side (console_open(Stdin) gives init's fd 0); bytes written through it go
// to the Stdout channel.
enum class ConsoleChannel : u8 { Kernel, Stdout, Stderr, Stdin };

void console_init(u64 uart_base_va);
void console_set_multiplexed(bool on);
bool console_is_multiplexed();
void console_write(ConsoleChannel channel, const char* data, usize len);
// For panic reports: writes even if another hart died holding the console lock.
void console_write_emergency(const char* data, usize len);

// Input: the UART interrupt handler calls console_receive_interrupt(), which hands each received byte to the
// registered handler (the terminal line discipline, kernel/fs/tty.cpp). In multiplexed mode the input is
// escaped the same way (tools/run sends a DLE in the data as DLE DLE), and DLE 'e' marks the end of tools/run's
// standard input: the end handler is called, so a program reading to the end of its input finishes.
void console_set_input_handler(void (*handler)(u8 byte), void (*end_of_input)() = nullptr);
void console_receive_interrupt();
// Boot: the UART interrupt is routed; input starts once a handler is set too.
void console_enable_input();
