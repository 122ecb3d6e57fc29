// What happens when user mode traps into the kernel (called from arch/riscv/trap.cpp): system calls, faults
// that the VM system resolves or that kill the process, and the checks on the way back (preemption, signals).
#pragma once

#include "arch/riscv/trap_frame.h"

void handle_syscall(TrapFrame* tf);
void handle_user_exception(TrapFrame* tf);
// A page fault in the kernel's user-copy routines at a user address: resolved by the VM system?
bool handle_kernel_fault_on_user_address(TrapFrame* tf);
// Before returning to user mode: yield if a tick asked for it, act on signals. Leaves interrupts disabled.
extern "C" void prepare_return_to_user();
void timer_tick();
