// Trap dispatch: trap.S saves the registers and takes system calls and user page faults on short paths; every
// other trap goes to trap_handler() (arch/riscv/trap.cpp), which sorts it out by scause (RISC-V privileged spec
// 4.1.9, table 4.2).
#pragma once

#include "arch/riscv/trap_frame.h"

extern "C" void trap_entry();
extern "C" void trap_return();
extern "C" void trap_handler(TrapFrame* tf);

void trap_init_hart();

// Interrupt sources handled through the PLIC register a handler here; it is called with `context`, in
// interrupt context, each time the source is claimed. False for a source number out of range.
bool register_irq_handler(u32 irq, void (*handler)(void*), void* context);

