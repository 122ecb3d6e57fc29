// Fatal kernel errors and the report a student can act on: what happened (the cause decoded by name), where
// (pc and a symbolized backtrace; tools/run adds file:line), what the faulting address is (unmapped, kernel
// text, a stack guard page = kernel stack overflow), and the registers. Then QEMU is powered off with a non-zero
// status, so a test that hits a panic fails.
#pragma once

#include "arch/riscv/trap_frame.h"
#include "lib/assert.h"
#include "lib/types.h"

// A trap in kernel mode that nothing could handle.
[[noreturn]] void kernel_trap_fatal(const TrapFrame& tf);

// Printed by panic reports and the user-fault log line.
const char* scause_name(u64 scause);
void describe_kernel_address(u64 addr, char* buf, usize size);
void print_backtrace(u64 pc, u64 fp);

// Exit statuses for QEMU when the kernel stops (tools/run passes them on).
constexpr int EXIT_KERNEL_PANIC = 99;

[[noreturn]] void machine_power_off(int status);
void power_init(u64 test_device_va);
