// Fatal kernel errors and the report a student can act on: what happened (the cause decoded by name), where
// (pc and a symbolized backtrace; tools/run adds file:line), what the faulting address is (unmapped, kernel
// text, a stack guard page = kernel stack overflow), and the registers. Then QEMU is powered off with a non-zero
// status, so a test that hits a panic fails.
#pragma once

#include "lib/assert.h"
#include "lib/types.h"

// The parts of a report, for the reports panic() does not write itself (a fatal trap: arch/riscv/trap.cpp).
// panic_begin stops the other harts; false means another report is already under way (then just power off).
bool panic_begin();
void describe_kernel_address(u64 addr, char* buf, usize size);
void print_backtrace(u64 pc, u64 fp);
[[noreturn]] void panic_stop();
// The calls that led to the caller of capture_backtrace (its return address first), through the frame
// pointers: up to max pcs. Returns how many. print_pcs prints them as a backtrace's lines.
usize capture_backtrace(u64* pcs, usize max);
void print_pcs(const u64* pcs, usize count);

// Exit statuses for QEMU when the kernel stops (tools/run passes them on).
constexpr int EXIT_KERNEL_PANIC = 99;

[[noreturn]] void machine_power_off(int status);
void power_init(u64 test_device_va);
