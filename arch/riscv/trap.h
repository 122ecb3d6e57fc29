// Trap dispatch: trap.S saves the registers and calls trap_handler(), which sorts the trap out by scause
// (RISC-V privileged spec 4.1.8, table "Supervisor cause register values").
#pragma once

#include "arch/riscv/trap_frame.h"

extern "C" void trap_entry();
extern "C" void trap_return();
extern "C" void trap_handler(TrapFrame* tf);

void trap_init_hart();

// Interrupt sources handled through the PLIC register a handler here; it is called with `context`, in
// interrupt context, each time the source is claimed. False for a source number out of range.
bool register_irq_handler(u32 irq, void (*handler)(void*), void* context);

